"""The `pages` topic's writes: titles, urls and declared links of catalog pages."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from neo4j import ManagedTransaction

from graph_model.page import cypher as q
from graph_model.page.record import CatalogEntry, PageVersion
from graph_model.properties import from_properties, to_properties
from graph_model.store import Neo4jStore
from graph_model.version import bump_graph_version


class CatalogSink(Protocol):
    def upsert(self, entries: Sequence[CatalogEntry]) -> None:
        """Record each entry that changes its page as a new (:PageVersion) at its `since`
        (now when it has none), and give the page the title, url and declared links of its
        latest version."""


class Neo4jCatalogStore(Neo4jStore):
    def upsert(self, entries: Sequence[CatalogEntry]) -> None:
        if not entries:
            return
        now = int(time.time() * 1000)
        dated = [e if e.since is not None else replace(e, since=now) for e in entries]
        ids = sorted({e.page_id for e in dated})

        def work(tx: ManagedTransaction) -> None:
            rows = tx.run(q.VERSIONS, ids=ids).single(strict=True)["rows"]
            known = {r["id"]: [from_properties(PageVersion, v) for v in r["rows"]] for r in rows}
            versions, current = plan_versions(dated, known)
            pages = [{"id": e.page_id, "title": e.title, "url": e.url} for e in current]
            links = [[e.page_id, target] for e in current for target in e.links]
            tx.run(q.CREATE_VERSIONS, versions=[to_properties(v) for v in versions]).consume()
            tx.run(q.UPSERT_CATALOG, pages=pages).consume()
            tx.run(q.CREATE_LINKS, links=links).consume()
            bump_graph_version(tx)

        with self.driver.session(database=self.database) as session:
            session.execute_write(work)


def plan_versions(
    entries: Sequence[CatalogEntry], known: Mapping[str, Sequence[PageVersion]]
) -> tuple[list[PageVersion], list[CatalogEntry]]:
    """The new versions among `entries` (each with its `since`), and the entries that are
    now their page's latest form. An entry is a new version unless a version exists at the
    same time (a replay) or the version before it has the same title, url and links; a late
    entry (older than the page's latest version) adds its version but changes no field."""
    versions: dict[str, list[PageVersion]] = {p: sorted(v, key=_since) for p, v in known.items()}
    new: list[PageVersion] = []
    latest: dict[str, CatalogEntry] = {}
    for entry in sorted(entries, key=lambda e: e.since or 0):
        since = entry.since or 0
        page = versions.setdefault(entry.page_id, [])
        if any(v.since == since for v in page):
            continue
        before = [v for v in page if v.since < since]
        if not before or not before[-1].same_content(entry):
            version = PageVersion(entry.page_id, since, entry.title, entry.url, entry.links)
            page.append(version)
            page.sort(key=_since)
            new.append(version)
        if page and page[-1].since <= since:
            latest[entry.page_id] = entry
    return new, list(latest.values())


def _since(v: PageVersion) -> int:
    return v.since
