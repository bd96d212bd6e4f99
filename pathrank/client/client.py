"""`pathrank.Client`: the API's questions answered as pandas DataFrames (docs/python.md).

    from pathrank import Client
    client = Client("http://127.0.0.1:8000", api_key="...")   # through the API
    client = Client.neo4j()                                   # straight from Neo4j

Every method asks the same question of either source and returns the same frame: its
columns and dtypes are in pathrank.client.frames. Times are UTC; `from_`/`until` take a
datetime (without a zone: UTC) or ISO-8601 text, as the API does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Self

import pandas as pd

from graph_model.path.record import Outcome, Path, PathFilter
from graph_model.timewindow import TimeWindow, parse_moment, to_ms
from pathrank.client import frames, queries
from pathrank.client.sources import ApiSource, GraphSource, PathRankError, Source

__all__ = ["Client", "Funnel", "PathRankError", "Step"]

Moment = datetime | str | None
# A funnel step: a page id, or {"page_id": ...}, {"pattern": ...} or {"event": "SEARCH"}.
Step = str | Mapping[str, str]
PATH_CHUNK: Final = 10_000
_STEP_KEYS: Final = {"page_id": "pageId", "pattern": "pattern", "event": "event"}


@dataclass(frozen=True)
class Funnel:
    """A funnel's answer: `steps` (one row per step) and `drop_offs` (per step, where the
    paths that dropped went next: `next_page_id`, missing where the path ended there)."""

    paths: int  # completed paths in the window and segment
    steps: pd.DataFrame
    drop_offs: pd.DataFrame


class Client:
    """Through a running API (`url`, with its key when one is set), or `Client.neo4j()`."""

    def __init__(
        self, url: str | None = None, *, api_key: str | None = None, timeout_s: float = 60.0
    ) -> None:
        self._source: Source = (
            ApiSource(url, api_key, timeout_s) if url is not None else _settings_source(timeout_s)
        )

    @classmethod
    def neo4j(
        cls,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        *,
        timeout_s: float = 120.0,
    ) -> Client:
        """Straight from Neo4j: the PATHRANK_* settings (the local services' password when
        none is set), each overridden by its argument."""
        client = cls.__new__(cls)
        client._source = _settings_source(timeout_s, uri, user, password, database)
        return client

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # ---- pages and transitions ------------------------------------------------------------

    def pages(self) -> pd.DataFrame:
        """Every page with its figures from the latest analysis, by id."""
        nodes = self._connection("pages", queries.PAGES, {}, queries.PAGE_SIZE)
        return frames.frame((frames.snaked(n) for n in nodes), frames.PAGES)

    def transitions(self, page_id: str | None = None, limit: int = 100) -> pd.DataFrame:
        """The `limit` most frequent transitions out of a page (every page when None)."""
        if page_id is not None:
            page = self._ask(queries.TRANSITIONS_OF_PAGE, id=page_id, limit=limit)["page"]
            found = page["outgoing"] if page else []
        else:
            per = max(1, min(50, 20_000 // max(limit, 1)))  # under the API's cost limit
            nodes = self._connection("pages", queries.TRANSITIONS, {"limit": limit}, per)
            found = [t for n in nodes for t in n["outgoing"]]
        return frames.frame((_transition(t) for t in found), frames.TRANSITIONS)

    # ---- paths ----------------------------------------------------------------------------

    def paths(
        self,
        from_: Moment = None,
        until: Moment = None,
        segment: str | None = None,
        outcome: str | None = None,
        page_id: str | None = None,
    ) -> pd.DataFrame:
        """Every path that started in the window, oldest first (at most its first 500 pages
        in `pages`; `length` counts them all). For large windows, `iter_paths`."""
        chunks = list(self.iter_paths(from_, until, segment, outcome, page_id))
        if not chunks:
            return frames.frame([], frames.PATHS)
        return pd.concat(chunks, ignore_index=True)

    def iter_paths(
        self,
        from_: Moment = None,
        until: Moment = None,
        segment: str | None = None,
        outcome: str | None = None,
        page_id: str | None = None,
        chunk_size: int = PATH_CHUNK,
    ) -> Iterator[pd.DataFrame]:
        """`paths` as DataFrames of at most `chunk_size` rows, read as they are consumed:
        memory stays bounded by the chunk, whatever the window holds."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        source = self._source
        if isinstance(source, GraphSource):
            filters = PathFilter(
                _window(from_, until),
                segment,
                None if outcome is None else Outcome(outcome),
                page_id,
            )
            for records in source.path_chunks(filters, chunk_size):
                yield frames.frame((_path_record(p) for p in records), frames.PATHS)
            return
        variables = {
            "from": _text(from_), "until": _text(until), "segment": segment,
            "outcome": outcome, "pageId": page_id,
        }  # fmt: skip
        rows: list[dict[str, Any]] = []
        for node in self._connection("paths", queries.PATHS, variables, queries.PATH_PAGE_SIZE):
            rows.append(_path_node(node))
            if len(rows) >= chunk_size:
                yield frames.frame(rows, frames.PATHS)
                rows = []
        if rows:
            yield frames.frame(rows, frames.PATHS)

    # ---- figures over time ----------------------------------------------------------------

    def series(
        self,
        metric: str,
        page_id: str | None = None,
        interval: str = "WEEK",
        from_: Moment = None,
        until: Moment = None,
        segment: str | None = None,
    ) -> pd.DataFrame:
        """A page's figure per period (the site's when `page_id` is None), with Wilson 95%
        intervals (`low`, `high`)."""
        variables = {
            "metric": metric, "interval": interval, "from": _text(from_),
            "until": _text(until), "segment": segment,
        }  # fmt: skip
        if page_id is None:
            points = self._ask(queries.SITE_SERIES, **variables)["siteSeries"]
        else:
            page = self._ask(queries.PAGE_SERIES, id=page_id, **variables)["page"]
            points = page["series"] if page else []
        return frames.frame((frames.snaked(p) for p in points), frames.SERIES)

    def changes(self, since: Moment = None, limit: int = 100) -> pd.DataFrame:
        """The latest analysis' significant changes, most significant first."""
        found = self._ask(queries.CHANGES, since=_text(since), limit=limit)["changes"]
        return frames.frame((_change(c) for c in found), frames.CHANGES)

    # ---- funnels and time on page ---------------------------------------------------------

    def funnel(
        self,
        steps: Sequence[Step],
        within_minutes: int | None = None,
        from_: Moment = None,
        until: Moment = None,
        segment: str | None = None,
        drop_offs: int = 50,
    ) -> Funnel:
        """A funnel over the completed paths that started in the window (docs/analytics.md,
        Funnels); `drop_offs`: the most frequent next pages kept per step."""
        answer = self._ask(
            queries.FUNNEL,
            steps=[_step(s) for s in steps],
            within=within_minutes,
            limit=drop_offs,
            **{"from": _text(from_), "until": _text(until), "segment": segment},
        )["funnel"]
        step_rows, drop_rows = [], []
        for step in answer["steps"]:
            row = frames.snaked(step)
            row["step"] = row.pop("index")
            drops = row.pop("drop_off_next")
            step_rows.append(row)
            for d in drops:
                drop_rows.append({**frames.snaked(d), "step": row["step"]})
                drop_rows[-1]["next_page_id"] = drop_rows[-1].pop("page_id")
        return Funnel(
            paths=int(answer["paths"]),
            steps=frames.frame(step_rows, frames.FUNNEL_STEPS),
            drop_offs=frames.frame(drop_rows, frames.DROP_OFFS),
        )

    def time_on_page(
        self,
        page_id: str | None = None,
        from_: Moment = None,
        until: Moment = None,
        segment: str | None = None,
    ) -> pd.DataFrame:
        """Seconds from a click on a page to the next click of its path: observations,
        median and quartiles, per page (every page when `page_id` is None)."""
        window = {"from": _text(from_), "until": _text(until), "segment": segment}
        if page_id is not None:
            page = self._ask(queries.TIME_ON_PAGE, id=page_id, **window)["page"]
            nodes = [page] if page else []
        else:
            nodes = list(
                self._connection("pages", queries.TIMES_ON_PAGES, window, queries.PAGE_SIZE)
            )
        rows = [{"page_id": n["id"], **n["timeOnPage"]} for n in nodes]
        return frames.frame(rows, frames.TIME_ON_PAGE)

    # ---- search and the work queue --------------------------------------------------------

    def search_queries(
        self,
        order_by: str = "SEARCHES",
        from_: Moment = None,
        until: Moment = None,
        segment: str | None = None,
    ) -> pd.DataFrame:
        """What customers searched, with each query's figures (docs/analytics.md, Search)."""
        variables = {
            "orderBy": order_by, "from": _text(from_), "until": _text(until), "segment": segment,
        }  # fmt: skip
        nodes = self._connection("searchQueries", queries.SEARCH_QUERIES, variables, 500)
        return frames.frame((frames.snaked(n) for n in nodes), frames.SEARCH_QUERIES)

    def work_queue(self, status: Sequence[str] | None = None, first: int = 100) -> pd.DataFrame:
        """The work queue's items, highest ticketsPerWeek first."""
        found = self._ask(
            queries.WORK_QUEUE, first=first, status=None if status is None else list(status)
        )["workQueue"]
        return frames.frame((_work_item(i) for i in found), frames.WORK_QUEUE)

    # ---- plumbing -------------------------------------------------------------------------

    def _ask(self, query: str, **variables: Any) -> dict[str, Any]:
        return self._source.execute(query, variables)

    def _connection(
        self, name: str, query: str, variables: Mapping[str, Any], first: int
    ) -> Iterator[dict[str, Any]]:
        """Every node of a connection field, page by page."""
        after: str | None = None
        while True:
            found = self._ask(query, first=first, after=after, **variables)[name]
            for edge in found["edges"]:
                yield edge["node"]
            info = found["pageInfo"]
            if not info["hasNextPage"]:
                return
            after = info["endCursor"]


def _settings_source(
    timeout_s: float,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> GraphSource:
    from pathrank.settings import Settings
    from pathrank.wiring import Wiring

    settings = Settings()
    wiring = Wiring(settings)
    return GraphSource(
        uri or settings.neo4j_uri,
        (user or settings.neo4j_user, password or wiring.password()),
        database or settings.neo4j_database,
        timeout_s,
        settings.search_page,
        wiring.search_rules().text,
    )


def _text(moment: Moment) -> str | None:
    if moment is None or isinstance(moment, str):
        return moment
    return moment.isoformat()


def _ms(moment: Moment) -> int | None:
    if moment is None:
        return None
    return parse_moment(moment) if isinstance(moment, str) else to_ms(moment)


def _window(since: Moment, until: Moment) -> TimeWindow:
    return TimeWindow(_ms(since), _ms(until))


def _step(step: Step) -> dict[str, str]:
    if isinstance(step, str):
        return {"pageId": step}
    if len(step) != 1 or next(iter(step)) not in _STEP_KEYS:
        raise ValueError(f"a funnel step is a page id or one of {sorted(_STEP_KEYS)}: {step!r}")
    [(key, value)] = step.items()
    return {_STEP_KEYS[key]: value}


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)  # as the API serialises times


def _path_record(p: Path) -> dict[str, Any]:
    return {
        "id": p.id, "customer_id": p.customer_id, "start": _utc(p.start), "end": _utc(p.end),
        "length": p.length, "outcome": p.outcome.value, "turnarounds": p.turnarounds,
        "quick_turnarounds": p.quick_turnarounds, "segments": list(p.segments),
        "pages": list(p.pages[: queries.PATH_PAGES]),
    }  # fmt: skip


def _path_node(node: Mapping[str, Any]) -> dict[str, Any]:
    row = frames.snaked(node)
    row["customer_id"] = row.pop("customer")["id"]
    row["pages"] = row.pop("page_ids")
    return row


def _nested(node: Mapping[str, Any], key: str, field: str) -> Any:
    inner = node.get(key)
    return None if inner is None else inner[field]


def _transition(t: Mapping[str, Any]) -> dict[str, Any]:
    row = frames.snaked(t)
    row["from_id"], row["to_id"] = row.pop("from")["id"], row.pop("to")["id"]
    return row


def _change(c: Mapping[str, Any]) -> dict[str, Any]:
    row = frames.snaked(c)
    row["page_id"] = row.pop("page")["id"]
    row["version_since"] = _nested(c, "version", "since")
    return row


def _work_item(item: Mapping[str, Any]) -> dict[str, Any]:
    row = frames.snaked(item)
    row["page_id"] = _nested(item, "page", "id")
    link = item.get("link") or {}
    row["link_from"] = _nested(link, "from", "id")
    row["link_to"] = _nested(link, "to", "id")
    verification: Callable[[str], Any] = lambda f: _nested(item, "verification", f)  # noqa: E731
    row["verdict"], row["p_value"] = verification("verdict"), verification("pValue")
    row["verified_since"] = verification("since")
    return row
