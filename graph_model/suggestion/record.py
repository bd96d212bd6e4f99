"""A link A -> R that would shorten resolved paths (docs/analytics.md, "Link suggestions")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LinkSuggestion:
    from_page_id: str  # A
    to_page_id: str  # R, a page where paths resolved
    paths: int  # resolved paths that would have used the link
    clicks_saved: int  # total over those paths
    mean_clicks_saved: float  # clicks_saved / paths
    rank: int = 0  # 1 = the most clicks saved (0: not ranked yet)
