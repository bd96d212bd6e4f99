"""Segments: the keys and values paths carry, and a page's rates broken down by one key
(docs/analytics.md, "Segments")."""

from __future__ import annotations

import strawberry

from algorithms.proportions import benjamini_hochberg, two_proportions
from graph_model.change.record import FDR, ChangeDirection
from graph_model.segment.record import NO_VALUE, SegmentError, segment_key
from graph_model.series.record import COUNT_FIELDS, Bucketing, Counts, PageMetric
from graph_model.timewindow import TimeWindow
from graphql_api.context import Info
from graphql_api.errors import user_error
from graphql_api.fields import field
from graphql_api.types.common import capped
from graphql_api.types.series import Rate


@strawberry.type(description="One value of a segment key.")
class SegmentValue:
    value: str
    segment: str = strawberry.field(description="key=value: what `segment` arguments take.")
    paths: int = strawberry.field(description="Paths in the segment (any outcome).")


@strawberry.type(description="A segment key (an event attribute such as platform).")
class SegmentKey:
    key: str
    values: list[SegmentValue] = strawberry.field(description="Most paths first.")


@strawberry.type(
    description="A page's rate among the paths with one value of a key, against the rest of "
    "the page's paths."
)
class SegmentRate:
    key: str
    value: str | None = strawberry.field(description="Null: the paths without the key.")
    segment: str | None = strawberry.field(description="key=value (null without the key).")
    rate: Rate
    rest: Rate = strawberry.field(description="The page's other paths in the window.")
    p_value: float | None = strawberry.field(
        description="Two-sided Fisher exact test (z-test beyond 10,000 trials); null without "
        "trials on both sides."
    )
    q_value: float | None = strawberry.field(
        description="Benjamini-Hochberg over the key's tested values."
    )
    significant: bool = strawberry.field(description="qValue <= 0.05.")
    direction: ChangeDirection | None = strawberry.field(description="Against the rest.")


async def by_segment(
    info: Info, page_id: str, key: str, metric: PageMetric, window: TimeWindow
) -> list[SegmentRate]:
    try:
        key = segment_key(key)
    except SegmentError as exc:
        raise user_error(f"`key`: {exc}") from None
    found = await info.context.loaders.page_by_value.load((page_id, (key, Bucketing.whole(window))))
    return list(capped("Page.bySegment", segment_rates(key, metric, found)))


def segment_rates(key: str, metric: PageMetric, counts: dict[str, Counts]) -> list[SegmentRate]:
    """Each value against the rest of the page's paths; BH over the tested values."""
    everything = Counts()
    for c in counts.values():
        everything = everything + c
    values = sorted(counts, key=lambda v: (-counts[v].trials(metric), v))
    rests = {v: _minus(everything, counts[v]) for v in values}
    tested = [v for v in values if counts[v].trials(metric) > 0 and rests[v].trials(metric) > 0]
    p = two_proportions(
        [counts[v].successes(metric) for v in tested],
        [counts[v].trials(metric) for v in tested],
        [rests[v].successes(metric) for v in tested],
        [rests[v].trials(metric) for v in tested],
    )
    q = benjamini_hochberg(p)
    tests = {v: (float(p[i]), float(q[i])) for i, v in enumerate(tested)}
    out = []
    for v in values:
        rate, rest = Rate.of(metric, counts[v]), Rate.of(metric, rests[v])
        p_value, q_value = tests.get(v, (None, None))
        direction = None
        if rate.rate is not None and rest.rate is not None:
            direction = ChangeDirection.DOWN if rate.rate < rest.rate else ChangeDirection.UP
        out.append(
            SegmentRate(
                key=key,
                value=None if v == NO_VALUE else v,
                segment=None if v == NO_VALUE else f"{key}={v}",
                rate=rate,
                rest=rest,
                p_value=p_value,
                q_value=q_value,
                significant=q_value is not None and q_value <= FDR,
                direction=direction,
            )
        )
    return out


def _minus(a: Counts, b: Counts) -> Counts:
    return a + Counts(*(-getattr(b, f) for f in COUNT_FIELDS))


@strawberry.type
class SegmentQuery:
    @field(description="Every segment key with its values and their paths.")
    async def segments(self, info: Info) -> list[SegmentKey]:
        keys = await info.context.graph.segments.keys()
        return [
            SegmentKey(
                key=k.key,
                values=[
                    SegmentValue(value=v.value, segment=f"{k.key}={v.value}", paths=v.paths)
                    for v in capped("SegmentKey.values", k.values)
                ],
            )
            for k in capped("Query.segments", keys)
        ]
