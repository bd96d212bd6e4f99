"""Windows, series and rates: figures over a time window and per period, with Wilson
intervals (docs/analytics.md, "Windows" and "Series").

A series comes from what the analysis precomputed for its window when the request asks for
no segment and for a window that window covers on period boundaries; otherwise it is
computed on demand from the paths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from algorithms.proportions import wilson_one
from graph_model.segment.record import SegmentError, segment_id
from graph_model.series.record import Bucket, Bucketing, Counts, PageMetric, StoredSeries
from graph_model.timewindow import Interval, TimeWindow, to_ms
from graphql_api.context import Info
from graphql_api.errors import user_error
from graphql_api.limits import MAX_PERIODS
from graphql_api.types import enums as _enums  # noqa: F401 -- registers the enums
from graphql_api.types.common import utc

From = Annotated[
    datetime | None,
    strawberry.argument(
        name="from",
        description="Only paths that started at or after this time (without a zone: UTC).",
    ),
]
Until = Annotated[
    datetime | None,
    strawberry.argument(description="Only paths that started before this time."),
]
Segment = Annotated[
    str | None,
    strawberry.argument(description="Only paths in this segment: key=value, e.g. platform=mobile."),
]


def segment_of(text: str | None) -> str | None:
    """A field's `segment`, checked, or one clear error."""
    if text is None:
        return None
    try:
        return segment_id(text)
    except SegmentError as exc:
        raise user_error(f"`segment`: {exc}") from None


def filters(
    since: datetime | None, until: datetime | None, segment: str | None
) -> tuple[TimeWindow, str | None]:
    """A field's `from`, `until` and `segment`, checked."""
    return window_of(since, until), segment_of(segment)


def window_of(since: datetime | None, until: datetime | None) -> TimeWindow:
    """The window of a field's `from`/`until`, or one clear error."""
    try:
        return TimeWindow(
            None if since is None else to_ms(since), None if until is None else to_ms(until)
        )
    except ValueError:
        raise user_error("`until` must be after `from`") from None


@strawberry.type(description="A proportion with its Wilson 95% interval.")
class Rate:
    metric: PageMetric
    trials: int
    successes: int
    rate: float | None = strawberry.field(description="successes / trials; null without trials.")
    low: float | None = strawberry.field(description="Lower end of the Wilson 95% interval.")
    high: float | None = strawberry.field(description="Upper end of the Wilson 95% interval.")

    @staticmethod
    def of(metric: PageMetric, counts: Counts) -> Rate:
        trials, successes = counts.trials(metric), counts.successes(metric)
        low, high = wilson_one(successes, trials)
        return Rate(
            metric=metric,
            trials=trials,
            successes=successes,
            rate=successes / trials if trials else None,
            low=low,
            high=high,
        )


@strawberry.type(description="One period of a series: the completed paths that started in it.")
class SeriesPoint:
    start: datetime
    end: datetime = strawberry.field(description="Exclusive; the window's end in a last part.")
    trials: int
    successes: int
    rate: float | None
    low: float | None = strawberry.field(description="Lower end of the Wilson 95% interval.")
    high: float | None = strawberry.field(description="Upper end of the Wilson 95% interval.")

    @staticmethod
    def of(metric: PageMetric, bucket: Bucket) -> SeriesPoint:
        r = Rate.of(metric, bucket.counts)
        return SeriesPoint(
            start=utc(bucket.start),
            end=utc(bucket.end),
            trials=r.trials,
            successes=r.successes,
            rate=r.rate,
            low=r.low,
            high=r.high,
        )


def _rate_of(metric: PageMetric) -> Any:
    """A field that is `metric`'s rate over the type's `counts`."""

    def resolve(root: Any) -> Rate:
        return Rate.of(metric, root.counts)

    return strawberry.field(resolver=resolve)


@strawberry.type(
    description="A page's counts and rates over the completed paths that started in a window, "
    "computed on demand from the paths."
)
class PageRates:
    counts: strawberry.Private[Counts]
    paths: int = strawberry.field(description="Completed paths through the page.")
    resolved: int = strawberry.field(description="Of those, resolved.")
    visits: int
    exits: int
    turnarounds: int
    turnaround_opportunities: int
    escalations: int

    @staticmethod
    def of(counts: Counts) -> PageRates:
        return PageRates(
            counts=counts,
            paths=counts.paths,
            resolved=counts.resolved,
            visits=counts.visits,
            exits=counts.exits,
            turnarounds=counts.turnarounds,
            turnaround_opportunities=counts.opportunities,
            escalations=counts.escalations,
        )

    resolution_rate: Rate = _rate_of(PageMetric.RESOLUTION_RATE)
    exit_rate: Rate = _rate_of(PageMetric.EXIT_RATE)
    turnaround_rate: Rate = _rate_of(PageMetric.TURNAROUND_RATE)
    escalation_rate: Rate = _rate_of(PageMetric.ESCALATION_RATE)


def total(buckets: Sequence[Bucket]) -> Counts:
    out = Counts()
    for b in buckets:
        out = out + b.counts
    return out


async def page_rates(
    info: Info, page_id: str, window: TimeWindow, segment: str | None = None
) -> PageRates:
    bucketing = Bucketing.whole(window, segment)
    buckets = await info.context.loaders.page_buckets.load((page_id, (bucketing, False)))
    return PageRates.of(total(buckets))


def _from_stored(stored: StoredSeries | None, window: TimeWindow) -> list[Bucket] | None:
    """The stored series' periods in `window`, if it holds exactly those (else None)."""
    if stored is None:
        return None
    if not window.bounded:
        return list(stored.buckets())
    interval = stored.interval
    edges_ok = all(
        edge is None or interval.aligned(edge) or edge == bound
        for edge, bound in ((window.since, stored.since), (window.until, stored.until))
    )
    if not (edges_ok and stored.window.covers(window)):
        return None
    return [b for b in stored.buckets() if window.contains(b.start)]


def dense(buckets: Sequence[Bucket], bucketing: Bucketing, interval: Interval) -> list[Bucket]:
    """Every period from the first to the last (of the window when bounded, else of the
    buckets), empty ones as zero counts."""
    window = bucketing.window
    if not buckets and (window.since is None or window.until is None):
        return []  # an open end reaches as far as the paths do: there are none
    first = interval.start_of(window.since if window.since is not None else buckets[0].start)
    end = window.until if window.until is not None else buckets[-1].end
    _refuse_beyond(first, end, interval)
    found = {interval.start_of(b.start): b for b in buckets}
    out = []
    start = first
    while start < end:
        bucket = found.get(start)
        if bucket is None:
            low, high = max(start, window.low), min(start + interval.ms, window.high)
            bucket = Bucket(low, high, Counts())
        out.append(bucket)
        start += interval.ms
    return out


async def series_points(
    info: Info,
    page_id: str | None,
    metric: PageMetric,
    interval: Interval,
    window: TimeWindow,
    segment: str | None = None,
) -> list[SeriesPoint]:
    """The page's figure per period, or the site's when `page_id` is None: what the analysis
    stored when it covers the window, else computed from the paths."""
    loaders, series = info.context.loaders, info.context.graph.series
    if segment is None:  # the analysis stored every path's series, not a segment's
        if page_id is None:
            stored = await series.stored_site(interval)
        else:
            stored = await loaders.stored_series.load((page_id, interval))
        periods = _from_stored(stored, window)
        if periods is not None:
            return _points(metric, periods, interval)
    bucketing = Bucketing.periods(window, interval, segment)
    _check_length(window, interval)
    if page_id is None:
        found = await series.site_buckets(bucketing)
    else:
        visits = metric is PageMetric.VISITS
        found = await loaders.page_buckets.load((page_id, (bucketing, visits)))
    return [SeriesPoint.of(metric, b) for b in dense(found, bucketing, interval)]


def _check_length(window: TimeWindow, interval: Interval) -> None:
    if window.since is not None and window.until is not None:
        _refuse_beyond(window.since, window.until, interval)


def _refuse_beyond(start: int, end: int, interval: Interval) -> None:
    """A series of more than MAX_PERIODS is refused, precomputed or not."""
    if (end - start) // interval.ms > MAX_PERIODS:
        raise user_error(
            f"that is more than {MAX_PERIODS} periods: ask for WEEK or a shorter window"
        )


def _points(metric: PageMetric, buckets: Sequence[Bucket], interval: Interval) -> list[SeriesPoint]:
    if buckets:
        _refuse_beyond(buckets[0].start, buckets[-1].end, interval)
    return [SeriesPoint.of(metric, b) for b in buckets]


Metric = Annotated[PageMetric, strawberry.argument(description="Which figure.")]
IntervalArgument = Annotated[
    Interval | None, strawberry.argument(description="Days or weeks (UTC; weeks from Monday).")
]


def series_field(description: str, page_of: Callable[[Any], str | None]) -> Any:
    """A series field with its arguments: the figure per period of the page `page_of` names
    for the field's parent (None: of the site)."""

    async def resolve(
        root: Any,
        info: Info,
        metric: Metric,
        interval: IntervalArgument = Interval.WEEK,
        from_: From = None,
        until: Until = None,
        segment: Segment = None,
    ) -> list[SeriesPoint]:
        window, chosen = filters(from_, until, segment)
        every = interval or Interval.WEEK
        return await series_points(info, page_of(root), metric, every, window, chosen)

    return strawberry.field(resolver=resolve, description=description)


@strawberry.type
class SeriesQuery:
    site_series = series_field(
        "The site's figure per period: every page taken together (its visits are every "
        "click). Precomputed by the analysis for its window, else on demand.",
        lambda _: None,
    )
