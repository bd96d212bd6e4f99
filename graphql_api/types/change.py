"""Changes, catalog versions and before/after comparisons (docs/analytics.md, "Changes")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

import strawberry

from algorithms.proportions import two_proportions
from graph_model.change.record import ChangeDirection, ChangeKind, ChangeRecord
from graph_model.page.record import PageVersion as PageVersionRecord
from graph_model.series.record import Bucketing, Counts, PageMetric
from graph_model.timewindow import DAY_MS, TimeWindow, to_ms
from graphql_api.context import Info
from graphql_api.errors import user_error
from graphql_api.fields import field
from graphql_api.types.common import LIST_LIMIT, Limit, capped, limited, recorded, utc
from graphql_api.types.page import Page, load_page
from graphql_api.types.series import Rate, Segment, segment_of, total

MAX_COMPARE_DAYS: Final = 366

Since = Annotated[
    datetime | None,
    strawberry.argument(description="Only changes whose tested period starts at or after this."),
]


@strawberry.type(description="One form of a catalog page, from `since` until the next version.")
class PageVersion:
    record: strawberry.Private[PageVersionRecord]
    title: str | None = recorded("title")
    url: str | None = recorded("url")

    @strawberry.field
    def since(self) -> datetime:
        return utc(self.record.since)

    @field(description="The page's declared links in this version.")
    def link_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(link) for link in capped("PageVersion.linkIds", self.record.links)]

    @strawberry.field
    async def page(self, info: Info) -> Page:
        return await load_page(info, self.record.page_id)


@strawberry.type(
    description="A page's rate in a period against its baseline, significant after "
    "Benjamini-Hochberg over every test of the analysis run; or, for a catalog change, in "
    "equal windows after and before a new version of the page."
)
class Change:
    record: strawberry.Private[ChangeRecord]
    metric: PageMetric = recorded("metric")
    kind: ChangeKind = recorded("kind")
    segment: str | None = recorded(
        "segment", "The segment whose paths alone were tested (null: everyone's)."
    )
    successes: int = recorded("successes", "In the tested period.")
    trials: int = recorded("trials", "In the tested period.")
    baseline_successes: int = recorded("baseline_successes")
    baseline_trials: int = recorded("baseline_trials")
    rate: float = recorded("rate", "successes / trials.")
    baseline_rate: float = recorded("baseline_rate")
    direction: ChangeDirection = recorded("direction")
    p_value: float = recorded(
        "p_value", "Two-sided Fisher exact test (z-test beyond 10,000 trials)."
    )
    q_value: float = recorded("q_value", "Benjamini-Hochberg over every test of the run.")
    significant: bool = recorded("significant", "qValue <= 0.05.")

    @strawberry.field
    async def page(self, info: Info) -> Page:
        return await load_page(info, self.record.page_id)

    @strawberry.field
    def period_start(self) -> datetime:
        return utc(self.record.period_start)

    @field(description="Exclusive.")
    def period_end(self) -> datetime:
        return utc(self.record.period_end)

    @strawberry.field
    def baseline_start(self) -> datetime:
        return utc(self.record.baseline_start)

    @strawberry.field
    def baseline_end(self) -> datetime:
        return utc(self.record.baseline_end)

    @field(description="rate - baselineRate.")
    def difference(self) -> float:
        return self.record.rate - self.record.baseline_rate

    @field(description="The catalog version a CATALOG change compares around (else null).")
    async def version(self, info: Info) -> PageVersion | None:
        since = self.record.version_since
        if since is None:
            return None
        versions = await info.context.loaders.versions.load(self.record.page_id)
        found = next((v for v in versions if v.since == since), None)
        return PageVersion(record=found) if found else None


@strawberry.type(description="A rate over one side of a comparison.")
class SideRate:
    start: datetime
    end: datetime = strawberry.field(description="Exclusive.")
    rate: Rate


@strawberry.type(
    description="A page's rate in the days before a moment against the same number of days "
    "after it: the completed paths that started in each window, computed on demand."
)
class Comparison:
    page_id: strawberry.Private[str]
    metric: PageMetric
    at: datetime
    days: int
    before: SideRate
    after: SideRate
    difference: float | None = strawberry.field(description="After rate - before rate.")
    p_value: float | None = strawberry.field(
        description="Two-sided Fisher exact test (z-test beyond 10,000 trials); null without "
        "trials on both sides."
    )
    direction: ChangeDirection | None

    @strawberry.field
    async def page(self, info: Info) -> Page:
        return await load_page(info, self.page_id)


async def compare_page(
    info: Info,
    page_id: str,
    at: datetime,
    days: int,
    metric: PageMetric,
    segment: str | None = None,
) -> Comparison | None:
    if not 1 <= days <= MAX_COMPARE_DAYS:
        raise user_error(f"`days` must be from 1 to {MAX_COMPARE_DAYS}, got {days}")
    if await info.context.loaders.page.load(page_id) is None:
        return None
    moment, width = to_ms(at), days * DAY_MS
    window = TimeWindow(moment - width, moment + width)
    bucketing = Bucketing(window, moment - width, width, segment)
    buckets = await info.context.loaders.page_buckets.load(
        (page_id, (bucketing, metric is PageMetric.VISITS))
    )
    before = total([b for b in buckets if b.start < moment])
    after = total([b for b in buckets if b.start >= moment])
    return _comparison(page_id, metric, moment, days, before, after)


def _comparison(
    page_id: str, metric: PageMetric, moment: int, days: int, before: Counts, after: Counts
) -> Comparison:
    b, a = Rate.of(metric, before), Rate.of(metric, after)
    p_value = difference = direction = None
    if a.rate is not None and b.rate is not None:
        [p] = two_proportions([a.successes], [a.trials], [b.successes], [b.trials])
        p_value, difference = float(p), a.rate - b.rate
        direction = ChangeDirection.DOWN if difference < 0 else ChangeDirection.UP
    width = days * DAY_MS
    return Comparison(
        page_id=page_id,
        metric=metric,
        at=utc(moment),
        days=days,
        before=SideRate(start=utc(moment - width), end=utc(moment), rate=b),
        after=SideRate(start=utc(moment), end=utc(moment + width), rate=a),
        difference=difference,
        p_value=p_value,
        direction=direction,
    )


@strawberry.type
class ChangeQuery:
    @field(
        description="The latest analysis run's significant changes (q <= 0.05), most "
        "significant first, then the largest; with `segment`, the period changes among that "
        "segment's paths alone (each large segment is tested as its own family: "
        'docs/analytics.md, "Changes"; a segment the analysis did not test has none).'
    )
    async def changes(
        self, info: Info, since: Since = None, limit: Limit = LIST_LIMIT, segment: Segment = None
    ) -> list[Change]:
        return await _changes(info, since, limit, significant=True, segment=segment_of(segment))

    @field(
        description="Every comparison of a catalog version in the latest analysis run, "
        "significant or not, most significant first."
    )
    async def catalog_changes(
        self, info: Info, since: Since = None, limit: Limit = LIST_LIMIT
    ) -> list[Change]:
        return await _changes(info, since, limit, significant=False, kind=ChangeKind.CATALOG)

    @field(
        description="A page's rate in the `days` before `at` against the `days` after it; "
        "null for an unknown page."
    )
    async def compare(
        self,
        info: Info,
        page_id: strawberry.ID,
        at: datetime,
        metric: PageMetric,
        days: int = 14,
        segment: Segment = None,
    ) -> Comparison | None:
        return await compare_page(info, str(page_id), at, days, metric, segment_of(segment))


async def _changes(
    info: Info,
    since: datetime | None,
    limit: int | None,
    *,
    significant: bool,
    kind: ChangeKind | None = None,
    segment: str | None = None,
) -> list[Change]:
    reads = info.context.graph.changes
    size = limited(limit, LIST_LIMIT)
    start = None if since is None else to_ms(since)
    kinds = [kind] if kind is not None else list(ChangeKind)
    found: list[ChangeRecord] = []
    for k in kinds:
        found.extend(await reads.top(k, start, size, significant, segment))
    found.sort(key=lambda c: c.rank)
    return [Change(record=c) for c in found[:size]]
