"""The work queue (docs/analytics.md, "The work queue"): every finding of an analysis as at
most one action for a content designer, and the check afterwards that it worked.

One module per kind of finding; each is a `FindingSource` (algorithms.work.finding): a
function from the analysis' `WorkFacts` to `Finding`s. `queue.work_queue` merges, counts
and ranks them; `verify` compares an item's rate before and after its reference time.
"""

from __future__ import annotations

from typing import Final

from algorithms.work import (
    changes,
    content_gaps,
    link_suggestions,
    misleading_links,
    retire,
    weak_pages,
)
from algorithms.work.finding import FindingSource

# Every kind of finding the queue takes, one module each.
SOURCES: Final[tuple[FindingSource, ...]] = (
    weak_pages.findings,
    changes.findings,
    retire.findings,
    misleading_links.findings,
    link_suggestions.findings,
    content_gaps.findings,
)
