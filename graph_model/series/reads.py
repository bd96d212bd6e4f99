"""What the API reads of series and windowed figures: the interface and its Neo4j
implementation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graph_model.properties import from_properties
from graph_model.reader import Neo4jReads, unique
from graph_model.series import cypher as q
from graph_model.series.record import COUNT_FIELDS, Bucket, Bucketing, Counts, StoredSeries
from graph_model.timewindow import Interval


class SeriesReads(Protocol):
    async def page_buckets(
        self, ids: Sequence[str], bucketing: Bucketing, clicks: bool = False
    ) -> dict[str, list[Bucket]]:
        """Per page, live from the paths, its non-empty buckets in time order; with
        `clicks`, each bucket's `clicks` is the site's (VISITS needs it), else 0."""

    async def site_buckets(self, bucketing: Bucketing) -> list[Bucket]:
        """The site's non-empty buckets in time order, live from the paths."""

    async def page_by_value(
        self, ids: Sequence[str], key: str, bucketing: Bucketing
    ) -> dict[str, dict[str, Counts]]:
        """Per page, its counts per value of the segment key `key` over the window of
        `bucketing` (its buckets are ignored); "" holds the paths without the key."""

    async def stored(self, ids: Sequence[str], interval: Interval) -> dict[str, StoredSeries]:
        """The series the analysis read precomputed for these pages."""

    async def stored_site(self, interval: Interval) -> StoredSeries | None: ...

    async def span(self) -> tuple[int, int] | None:
        """The first and the last start of any path (epoch ms); None without paths."""


class Neo4jSeriesReads(Neo4jReads):
    async def page_buckets(
        self, ids: Sequence[str], bucketing: Bucketing, clicks: bool = False
    ) -> dict[str, list[Bucket]]:
        rows = await self._r.rows(
            "page_buckets", q.PAGE_BUCKETS, ids=unique(ids), **_params(bucketing)
        )
        found = {r["id"]: _buckets(bucketing, r["rows"]) for r in rows}
        if clicks and found:
            # Every period with clicks on the site: a page's share of them is 0 where the
            # page had none.
            site = {b.start: b for b in await self.site_buckets(bucketing)}
            found = {page: _merge_clicks(buckets, site) for page, buckets in found.items()}
        return found

    async def page_by_value(
        self, ids: Sequence[str], key: str, bucketing: Bucketing
    ) -> dict[str, dict[str, Counts]]:
        params = _params(bucketing) | {"origin": 0, "width": 1}
        rows = await self._r.rows(
            "page_by_segment", q.PAGE_BY_VALUE, ids=unique(ids), prefix=f"{key}=", **params
        )
        return {r["id"]: {str(b["bucket"]): _counts(b) for b in r["rows"]} for r in rows}

    async def site_buckets(self, bucketing: Bucketing) -> list[Bucket]:
        rows = await self._r.rows("site_buckets", q.SITE_BUCKETS, **_params(bucketing))
        return [_with_clicks(b, b.counts.visits) for b in _buckets(bucketing, rows)]

    async def stored(self, ids: Sequence[str], interval: Interval) -> dict[str, StoredSeries]:
        rows = await self._r.analysed_rows(
            "stored_page_series", q.STORED_PAGE_SERIES, ids=unique(ids), interval=interval.value
        )
        series = (from_properties(StoredSeries, r) for r in rows)
        return {s.page_id: s for s in series if s.page_id is not None}

    async def stored_site(self, interval: Interval) -> StoredSeries | None:
        rows = await self._r.analysed_rows(
            "stored_site_series", q.STORED_SITE_SERIES, interval=interval.value
        )
        return from_properties(StoredSeries, rows[0]) if rows else None

    async def span(self) -> tuple[int, int] | None:
        records = await self._r.run("path_span", q.PATH_SPAN)
        return (int(records[0]["first"]), int(records[0]["last"])) if records else None


def _params(b: Bucketing) -> dict[str, int | str | None]:
    return {
        "since": b.window.low,
        "until": b.window.high,
        "origin": b.origin,
        "width": b.width,
        "segment": b.segment,
    }


def _counts(row: Mapping[str, Any]) -> Counts:
    return Counts(**{f: int(row.get(f) or 0) for f in COUNT_FIELDS})


def _buckets(bucketing: Bucketing, rows: Sequence[Mapping[str, Any]]) -> list[Bucket]:
    out = []
    for r in rows:
        start, end = bucketing.bucket(int(r["bucket"]))
        out.append(Bucket(start, end, _counts(r)))
    return out


def _merge_clicks(buckets: Sequence[Bucket], site: Mapping[int, Bucket]) -> list[Bucket]:
    """The page's buckets with the site's clicks, and the site's other buckets (the page's
    counts 0 there), in time order."""
    mine = {b.start: b for b in buckets}
    starts = sorted(set(mine) | set(site))
    out = []
    for start in starts:
        clicks = site[start].counts.visits if start in site else 0
        bucket = mine.get(start) or Bucket(start, site[start].end, Counts())
        out.append(_with_clicks(bucket, clicks))
    return out


def _with_clicks(bucket: Bucket, clicks: int) -> Bucket:
    c = bucket.counts
    return Bucket(bucket.start, bucket.end, c + Counts(clicks=clicks))
