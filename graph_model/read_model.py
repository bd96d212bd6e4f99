"""The read side of the graph (what the GraphQL API serves): an abstract interface and its
one Neo4j implementation on the async driver.

Batch methods take many parent ids and answer for all of them in one statement, so a
DataLoader turns N nested fields into one query. Lists are keyset-paginated in Cypher
(`graph_model.keyset`); nothing is fetched to be sliced in Python.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import orjson
from neo4j import READ_ACCESS, AsyncDriver, Query, Record
from neo4j.exceptions import (
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph_model import read_cypher as q
from graph_model.graph_version import READ_VERSION
from graph_model.keyset import SortKey, decode_cursor, encode_cursor
from graph_model.read_records import (
    AnalysisRunRecord,
    CommunityOrder,
    CommunityRecord,
    CustomerRecord,
    Direction,
    LinkSuggestionRecord,
    OutcomeStatsRecord,
    PageOrder,
    PageRecord,
    PageVisitRecord,
    PathStatsRecord,
    PathView,
    SimilarCustomerRecord,
    SiteRatesRecord,
    TransitionRecord,
    Window,
)

T = TypeVar("T")

OUTCOMES: Final = ("RESOLVED", "ABANDONED", "OPEN")

# Called after every statement with its name and duration in seconds (metrics, tests).
QueryObserver = Callable[[str, float], None]


class GraphUnavailableError(RuntimeError):
    """Neo4j could not be reached (down, restarting, or no connection in time)."""


class QueryTimeoutError(RuntimeError):
    """A read ran longer than the read model's transaction timeout."""


class ReadModel(ABC):
    """Everything the API reads. Unknown ids are simply absent from batch results."""

    def __init__(self) -> None:
        self._observers: list[QueryObserver] = []

    def add_observer(self, observer: QueryObserver) -> None:
        self._observers.append(observer)

    def _observed(self, name: str, seconds: float) -> None:
        for observer in self._observers:
            observer(name, seconds)

    @abstractmethod
    async def ping(self) -> None:
        """Raise GraphUnavailableError unless the database answers a query."""

    @abstractmethod
    async def graph_version(self) -> str | None:
        """A token that changes with every write our software makes: equal tokens mean the
        same data. None before the first write (or between a clear deleting it and the clear's
        closing bump)."""

    # pages
    @abstractmethod
    async def pages_by_ids(self, ids: Sequence[str]) -> dict[str, PageRecord]: ...

    @abstractmethod
    async def page_window(
        self, order: PageOrder, first: int, after: str | None
    ) -> Window[PageRecord]: ...

    @abstractmethod
    async def page_count(self) -> int: ...

    @abstractmethod
    async def transitions(
        self, ids: Sequence[str], direction: Direction, limit: int
    ) -> dict[str, tuple[TransitionRecord, ...]]:
        """The most frequent transitions out of (or into) each page, by count."""

    @abstractmethod
    async def route_probabilities(self, routes: Sequence[Sequence[str]]) -> list[float | None]: ...

    @abstractmethod
    async def link_suggestions_from(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[LinkSuggestionRecord, ...]]: ...

    @abstractmethod
    async def paths_through(
        self, ids: Sequence[str], first: int, after: str | None, outcome: str | None
    ) -> dict[str, Window[PathView]]:
        """Customer paths that visit each page, most recent first."""

    @abstractmethod
    async def paths_through_counts(
        self, ids: Sequence[str], outcome: str | None
    ) -> dict[str, int]: ...

    # site-wide
    @abstractmethod
    async def weak_pages(self, limit: int, min_visits: int) -> tuple[PageRecord, ...]: ...

    @abstractmethod
    async def hotspots(self, limit: int) -> tuple[PageRecord, ...]: ...

    @abstractmethod
    async def site_rates(self) -> SiteRatesRecord: ...

    @abstractmethod
    async def path_stats(self) -> PathStatsRecord: ...

    @abstractmethod
    async def link_suggestions(self, limit: int) -> tuple[LinkSuggestionRecord, ...]: ...

    # customers and communities
    @abstractmethod
    async def customers_by_ids(self, ids: Sequence[str]) -> dict[str, CustomerRecord]: ...

    @abstractmethod
    async def customer_paths(
        self, ids: Sequence[str], first: int, after: str | None, outcome: str | None
    ) -> dict[str, Window[PathView]]:
        """Each customer's paths in time order."""

    @abstractmethod
    async def customer_path_counts(
        self, ids: Sequence[str], outcome: str | None
    ) -> dict[str, int]: ...

    @abstractmethod
    async def similar_customers(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[SimilarCustomerRecord, ...]]: ...

    @abstractmethod
    async def visited_pages(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[PageVisitRecord, ...]]: ...

    @abstractmethod
    async def communities_by_ids(self, ids: Sequence[int]) -> dict[int, CommunityRecord]: ...

    @abstractmethod
    async def community_window(
        self, order: CommunityOrder, first: int, after: str | None
    ) -> Window[CommunityRecord]: ...

    @abstractmethod
    async def community_count(self) -> int: ...

    @abstractmethod
    async def community_members(
        self, ids: Sequence[int], first: int, after: str | None
    ) -> dict[int, Window[CustomerRecord]]: ...

    @abstractmethod
    async def community_member_counts(self, ids: Sequence[int]) -> dict[int, int]: ...

    # analysis runs
    @abstractmethod
    async def analysis_runs(self, limit: int) -> tuple[AnalysisRunRecord, ...]:
        """Most recent first."""

    @abstractmethod
    async def analysis_run(self, run_id: str) -> AnalysisRunRecord | None: ...


class Neo4jReadModel(ReadModel):
    def __init__(self, driver: AsyncDriver, database: str, timeout_s: float = 10.0) -> None:
        super().__init__()
        self.driver = driver
        self.database = database
        self.timeout_s = timeout_s

    async def _run(self, name: str, text: str, **params: Any) -> list[Record]:
        started = time.perf_counter()
        query = Query(text, timeout=self.timeout_s, metadata={"app": "pathrank-api", "read": name})
        try:
            # An auto-commit read: RUN and PULL go out in one flush, where execute_query's
            # managed transaction adds BEGIN and a COMMIT round trip (about a fifth of the
            # API's CPU per request in a profile). No bookmarks: reads need no causal chain
            # with our own writes. Not retried: an outage surfaces as GraphUnavailableError.
            async with self.driver.session(
                database=self.database, default_access_mode=READ_ACCESS
            ) as session:
                result = await session.run(query, params)
                records = [record async for record in result]
        except (ServiceUnavailable, SessionExpired) as exc:
            raise GraphUnavailableError(f"Neo4j is unavailable: {exc}") from exc
        except ClientError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise QueryTimeoutError(f"{name} took longer than {self.timeout_s}s") from exc
            raise
        except DriverError as exc:
            raise GraphUnavailableError(f"Neo4j driver error: {exc}") from exc
        finally:
            self._observed(name, time.perf_counter() - started)
        return records

    async def _rows(self, name: str, text: str, **params: Any) -> list[Mapping[str, Any]]:
        """A list statement's single record: its `rows`."""
        records = await self._run(name, text, **params)
        return list(records[0]["rows"]) if records else []

    async def ping(self) -> None:
        try:
            await self._run("ping", q.PING)
        except Neo4jError as exc:
            raise GraphUnavailableError(str(exc)) from exc

    async def graph_version(self) -> str | None:
        records = await self._run("graph_version", READ_VERSION)
        value = records[0]["version"] if records else None
        return None if value is None else str(value)

    # ---- pages ------------------------------------------------------------------------

    async def pages_by_ids(self, ids: Sequence[str]) -> dict[str, PageRecord]:
        rows = await self._rows("pages_by_ids", q.PAGES_BY_IDS, ids=_unique(ids))
        return {r["id"]: _page(r) for r in rows}

    async def page_window(
        self, order: PageOrder, first: int, after: str | None
    ) -> Window[PageRecord]:
        scope = f"page:{order.value}"
        params: dict[str, Any] = {"limit": first + 1}
        if order is PageOrder.ID:
            texts = (q.PAGES_BY_ID_FIRST, q.PAGES_BY_ID_AFTER)
            types: tuple[type, ...] = (str,)
        elif order is PageOrder.TITLE:
            texts = (q.PAGES_BY_TITLE_FIRST, q.PAGES_BY_TITLE_AFTER)
            types = (str, str)
        else:
            texts = q.PAGES_BY_METRIC[order.value]
            types = (float, str)
        text = texts[0]
        if after is not None:
            key = decode_cursor(scope, after, types)
            params.update({"id": key[-1]} if len(key) == 1 else {"k": key[0], "id": key[1]})
            text = texts[1]
        rows = await self._rows(f"pages_by_{order.value.lower()}", text, **params)
        return _window(scope, rows, first, lambda r: _page(r["page"]))

    async def page_count(self) -> int:
        rows = await self._run("page_count", q.PAGE_COUNT)
        return int(rows[0]["n"])

    async def transitions(
        self, ids: Sequence[str], direction: Direction, limit: int
    ) -> dict[str, tuple[TransitionRecord, ...]]:
        text = q.TRANSITIONS_OUT if direction is Direction.OUT else q.TRANSITIONS_IN
        rows = await self._rows(
            f"transitions_{direction.value.lower()}", text, ids=_unique(ids), limit=limit
        )
        return {
            r["id"]: tuple(
                TransitionRecord(
                    from_id=t["from"],
                    to_id=t["to"],
                    count=int(t["count"]),
                    turnarounds=int(t["turnarounds"] or 0),
                    probability=float(t["probability"]),
                )
                for t in r["rows"]
            )
            for r in rows
        }

    async def route_probabilities(self, routes: Sequence[Sequence[str]]) -> list[float | None]:
        if not routes:
            return []
        rows = await self._rows(
            "route_probabilities", q.ROUTE_PROBABILITIES, routes=[list(r) for r in routes]
        )
        found = {int(r["i"]): _float(r["probability"]) for r in rows}
        return [found.get(i) for i in range(len(routes))]

    async def link_suggestions_from(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[LinkSuggestionRecord, ...]]:
        rows = await self._rows(
            "link_suggestions_from", q.LINK_SUGGESTIONS_FROM, ids=_unique(ids), limit=limit
        )
        return {r["id"]: tuple(_suggestion(s) for s in r["rows"]) for r in rows}

    async def paths_through(
        self, ids: Sequence[str], first: int, after: str | None, outcome: str | None
    ) -> dict[str, Window[PathView]]:
        return await self._path_windows(
            "paths_through", q.PATHS_THROUGH, "path:recent", ids, first, after, outcome
        )

    async def paths_through_counts(self, ids: Sequence[str], outcome: str | None) -> dict[str, int]:
        return await self._path_counts("paths_through_count", q.PATHS_THROUGH_COUNT, ids, outcome)

    # ---- site-wide --------------------------------------------------------------------

    async def weak_pages(self, limit: int, min_visits: int) -> tuple[PageRecord, ...]:
        rows = await self._rows("weak_pages", q.WEAK_PAGES, limit=limit, minVisits=min_visits)
        return tuple(_page(r) for r in rows)

    async def hotspots(self, limit: int) -> tuple[PageRecord, ...]:
        rows = await self._rows("hotspots", q.HOTSPOTS, limit=limit)
        return tuple(_page(r) for r in rows)

    async def site_rates(self) -> SiteRatesRecord:
        r = (await self._run("site_rates", q.SITE_RATES))[0]
        return SiteRatesRecord(
            turnaround_rate=_ratio(r["turnarounds"], r["opportunities"]),
            exit_rate=_ratio(r["exits"], r["visits"]),
        )

    async def path_stats(self) -> PathStatsRecord:
        rows = await self._rows("path_stats", q.PATH_STATS)
        return path_stats_from_sums(
            {
                r["outcome"]: (
                    int(r["paths"]),
                    int(r["lengthSum"]),
                    int(r["lengthSquares"]),
                    int(r["withTurnarounds"]),
                )
                for r in rows
            }
        )

    async def link_suggestions(self, limit: int) -> tuple[LinkSuggestionRecord, ...]:
        rows = await self._rows("link_suggestions", q.LINK_SUGGESTIONS, limit=limit)
        return tuple(_suggestion(r) for r in rows)

    # ---- customers and communities ----------------------------------------------------

    async def customers_by_ids(self, ids: Sequence[str]) -> dict[str, CustomerRecord]:
        rows = await self._rows("customers_by_ids", q.CUSTOMERS_BY_IDS, ids=_unique(ids))
        return {r["id"]: CustomerRecord(r["id"], _int_or_none(r["community"])) for r in rows}

    async def customer_paths(
        self, ids: Sequence[str], first: int, after: str | None, outcome: str | None
    ) -> dict[str, Window[PathView]]:
        return await self._path_windows(
            "customer_paths", q.CUSTOMER_PATHS, "path:chronological", ids, first, after, outcome
        )

    async def customer_path_counts(self, ids: Sequence[str], outcome: str | None) -> dict[str, int]:
        return await self._path_counts("customer_path_count", q.CUSTOMER_PATH_COUNT, ids, outcome)

    async def _path_windows(
        self,
        name: str,
        query: str,
        scope: str,
        ids: Sequence[str],
        first: int,
        after: str | None,
        outcome: str | None,
    ) -> dict[str, Window[PathView]]:
        """Per id, one keyset page of paths (`query` orders them; `scope` names the cursor)."""
        start, path_id = _path_key(scope, after)
        rows = await self._rows(
            name,
            query,
            ids=_unique(ids),
            limit=first + 1,
            outcome=outcome,
            start=start,
            pathId=path_id,
        )
        return {r["id"]: _path_window(scope, r["paths"], first) for r in rows}

    async def _path_counts(
        self, name: str, query: str, ids: Sequence[str], outcome: str | None
    ) -> dict[str, int]:
        rows = await self._rows(name, query, ids=_unique(ids), outcome=outcome)
        return {r["id"]: int(r["n"]) for r in rows}

    async def similar_customers(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[SimilarCustomerRecord, ...]]:
        rows = await self._rows(
            "similar_customers", q.SIMILAR_CUSTOMERS, ids=_unique(ids), limit=limit
        )
        return {
            r["id"]: tuple(
                SimilarCustomerRecord(
                    CustomerRecord(s["id"], _int_or_none(s["community"])), float(s["score"])
                )
                for s in r["rows"]
            )
            for r in rows
        }

    async def visited_pages(
        self, ids: Sequence[str], limit: int
    ) -> dict[str, tuple[PageVisitRecord, ...]]:
        rows = await self._rows("visited_pages", q.VISITED_PAGES, ids=_unique(ids), limit=limit)
        return {
            r["id"]: tuple(PageVisitRecord(v["page"], int(v["count"])) for v in r["rows"])
            for r in rows
        }

    async def communities_by_ids(self, ids: Sequence[int]) -> dict[int, CommunityRecord]:
        rows = await self._rows(
            "communities_by_ids", q.COMMUNITIES_BY_IDS, ids=list(dict.fromkeys(ids))
        )
        return {int(r["id"]): _community(r) for r in rows}

    async def community_window(
        self, order: CommunityOrder, first: int, after: str | None
    ) -> Window[CommunityRecord]:
        scope = f"community:{order.value}"
        if order is CommunityOrder.ID:
            key = decode_cursor(scope, after, (int,)) if after is not None else (None,)
            rows = await self._rows(
                "communities_by_id", q.COMMUNITIES_BY_ID, limit=first + 1, id=key[0]
            )
        else:
            size_key = (
                decode_cursor(scope, after, (int, int)) if after is not None else (None, None)
            )
            rows = await self._rows(
                "communities_by_size",
                q.COMMUNITIES_BY_SIZE,
                limit=first + 1,
                k=size_key[0],
                id=size_key[1],
            )
        return _window(scope, rows, first, lambda r: _community(r["community"]))

    async def community_count(self) -> int:
        return int((await self._run("community_count", q.COMMUNITY_COUNT))[0]["n"])

    async def community_members(
        self, ids: Sequence[int], first: int, after: str | None
    ) -> dict[int, Window[CustomerRecord]]:
        scope = "customer:id"
        params: dict[str, Any] = {"ids": list(dict.fromkeys(ids)), "limit": first + 1}
        text = q.COMMUNITY_MEMBERS_FIRST
        if after is not None:
            params["after"] = decode_cursor(scope, after, (str,))[0]
            text = q.COMMUNITY_MEMBERS_AFTER
        rows = await self._rows("community_members", text, **params)
        out: dict[int, Window[CustomerRecord]] = {}
        for r in rows:
            members = [CustomerRecord(m["id"], _int_or_none(m["community"])) for m in r["rows"]]
            keys: list[SortKey] = [(m.id,) for m in members]
            out[int(r["id"])] = _window_of(scope, members, keys, first)
        return out

    async def community_member_counts(self, ids: Sequence[int]) -> dict[int, int]:
        rows = await self._rows(
            "community_member_count", q.COMMUNITY_MEMBER_COUNT, ids=list(dict.fromkeys(ids))
        )
        return {int(r["id"]): int(r["n"]) for r in rows}

    # ---- analysis runs ----------------------------------------------------------------

    async def analysis_runs(self, limit: int) -> tuple[AnalysisRunRecord, ...]:
        rows = await self._rows("analysis_runs", q.ANALYSIS_RUNS, limit=limit)
        return tuple(_run(r) for r in rows)

    async def analysis_run(self, run_id: str) -> AnalysisRunRecord | None:
        rows = await self._rows("analysis_run", q.ANALYSIS_RUN, id=run_id)
        return _run(rows[0]) if rows else None


# ---- pure helpers (unit-tested without a database) -----------------------------------


def path_stats_from_sums(by_outcome: Mapping[str, tuple[int, int, int, int]]) -> PathStatsRecord:
    """DESIGN 6.9 from per-outcome (paths, sum of lengths, sum of squared lengths, paths with
    a turnaround); variance is the population variance."""

    def moments(n: int, s: int, ss: int) -> tuple[float | None, float | None]:
        if n == 0:
            return None, None
        mean = s / n
        return mean, max(0.0, (ss - s * s / n) / n)

    per: list[OutcomeStatsRecord] = []
    for outcome in OUTCOMES:
        n, s, ss, turned = by_outcome.get(outcome, (0, 0, 0, 0))
        mean, variance = moments(n, s, ss)
        per.append(OutcomeStatsRecord(outcome, n, mean, variance, turned))
    completed = [by_outcome.get(o, (0, 0, 0, 0)) for o in ("RESOLVED", "ABANDONED")]
    n = sum(c[0] for c in completed)
    mean, variance = moments(n, sum(c[1] for c in completed), sum(c[2] for c in completed))
    resolved = by_outcome.get("RESOLVED", (0, 0, 0, 0))[0]
    return PathStatsRecord(
        completed=n,
        resolved=resolved,
        abandoned=by_outcome.get("ABANDONED", (0, 0, 0, 0))[0],
        open=by_outcome.get("OPEN", (0, 0, 0, 0))[0],
        mean_length=mean,
        variance_length=variance,
        turnaround_rate=_ratio(sum(c[3] for c in completed), n),
        self_service_rate=_ratio(resolved, n),
        by_outcome=tuple(per),
    )


def _unique(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _window(
    scope: str,
    rows: Sequence[Mapping[str, Any]],
    first: int,
    item: Callable[[Mapping[str, Any]], T],
) -> Window[T]:
    items = [item(r) for r in rows]
    keys: list[SortKey] = [tuple(r["key"]) for r in rows]
    return _window_of(scope, items, keys, first)


def _window_of(scope: str, items: Sequence[T], keys: Sequence[SortKey], first: int) -> Window[T]:
    """`first + 1` rows were asked for: an extra row means there is a next page."""
    return Window(
        items=tuple(items[:first]),
        cursors=tuple(encode_cursor(scope, k) for k in keys[:first]),
        has_next=len(items) > first,
    )


def _path_key(scope: str, after: str | None) -> tuple[int | None, str | None]:
    if after is None:
        return None, None
    start, path_id = decode_cursor(scope, after, (int, str))
    return int(start), str(path_id)


def _path_window(scope: str, rows: Sequence[Mapping[str, Any]], first: int) -> Window[PathView]:
    paths = [_path(p) for p in rows]
    return _window_of(scope, paths, [(p.start_ms, p.id) for p in paths], first)


def _ratio(a: int | None, b: int | None) -> float | None:
    return a / b if a is not None and b else None


def _float(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _page(p: Mapping[str, Any]) -> PageRecord:
    def route(value: Any) -> tuple[str, ...] | None:
        return tuple(value) if value else None

    return PageRecord(
        id=p["id"],
        title=p["title"],
        url=p["url"],
        analyzed=p["visits"] is not None,
        visits=int(p["visits"] or 0),
        exits=int(p["exits"] or 0),
        exit_rate=_float(p["exitRate"]),
        resolutions=int(p["resolutions"] or 0),
        turnarounds=int(p["turnarounds"] or 0),
        turnaround_opportunities=int(p["turnaroundOpportunities"] or 0),
        turnaround_rate=_float(p["turnaroundRate"]),
        observed_mean_clicks_to_resolution=_float(p["observedMeanClicksToResolution"]),
        page_rank=_float(p["pageRank"]),
        path_rank=_float(p["pathRank"]),
        success_probability=_float(p["successProbability"]),
        expected_clicks_to_resolution=_float(p["expectedClicksToResolution"]),
        is_hotspot=bool(p["isHotspot"]),
        hotspot_p_value=_float(p["hotspotPValue"]),
        hotspot_q_value=_float(p["hotspotQValue"]),
        is_high_exit=bool(p["isHighExit"]),
        exit_p_value=_float(p["exitPValue"]),
        exit_q_value=_float(p["exitQValue"]),
        impact=_float(p["impact"]) or 0.0,
        weak_reasons=tuple(p["weakReasons"] or ()),
        success_path_fewest=route(p["successPathFewest"]),
        success_path_likely=route(p["successPathLikely"]),
        success_path_likely_probability=_float(p["successPathLikelyProbability"]),
    )


def _path(p: Mapping[str, Any]) -> PathView:
    return PathView(
        id=p["id"],
        customer_id=p["customerId"],
        start_ms=int(p["start"]),
        end_ms=int(p["end"]),
        length=int(p["length"]),
        outcome=p["outcome"],
        turnarounds=int(p["turnarounds"] or 0),
        quick_turnarounds=int(p["quickTurnarounds"] or 0),
        pages=tuple(p["pages"] or ()),
    )


def _community(c: Mapping[str, Any]) -> CommunityRecord:
    return CommunityRecord(
        id=int(c["id"]),
        size=int(c["size"] or 0),
        top_pages=tuple(c["topPages"] or ()),
        completed_paths=int(c["completedPaths"] or 0),
        resolution_rate=_float(c["resolutionRate"]),
        mean_path_length=_float(c["meanPathLength"]),
        turnaround_rate=_float(c["turnaroundRate"]),
    )


def _suggestion(s: Mapping[str, Any]) -> LinkSuggestionRecord:
    return LinkSuggestionRecord(
        from_id=s["from"],
        to_id=s["to"],
        clicks_saved=int(s["clicksSaved"]),
        paths=int(s["paths"]),
        mean_clicks_saved=float(s["meanClicksSaved"]),
        rank=int(s["rank"]),
    )


def _run(r: Mapping[str, Any]) -> AnalysisRunRecord:
    steps: Any = r["steps"]
    if isinstance(steps, str):
        try:
            steps = orjson.loads(steps)
        except orjson.JSONDecodeError:
            steps = {}
    return AnalysisRunRecord(
        id=r["id"],
        started_ms=int(r["startedAt"]),
        duration_ms=int(r["durationMs"] or 0),
        steps=tuple((str(k), float(v)) for k, v in (steps or {}).items()),
        pages=int(r["pages"] or 0),
        transitions=int(r["transitions"] or 0),
        customers=int(r["customers"] or 0),
        paths=int(r["paths"] or 0),
        clicks=int(r["clicks"] or 0),
        hotspots=int(r["hotspots"] or 0),
        high_exit_pages=int(r["highExitPages"] or 0),
        weak_pages=int(r["weakPages"] or 0),
        communities=int(r["communities"] or 0),
        link_suggestions=int(r["linkSuggestions"] or 0),
    )
