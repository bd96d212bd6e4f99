"""The `pages` topic's writes: titles, urls and declared links of catalog pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from neo4j import Driver, ManagedTransaction

from graph_model.page import cypher as q
from graph_model.page.record import CatalogEntry
from graph_model.version import bump_graph_version


class CatalogSink(Protocol):
    def upsert(self, entries: Sequence[CatalogEntry]) -> None:
        """Set each entry's title and url and replace its declared links."""


class Neo4jCatalogStore:
    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def upsert(self, entries: Sequence[CatalogEntry]) -> None:
        if not entries:
            return
        pages = [{"id": e.page_id, "title": e.title, "url": e.url} for e in entries]
        links = [[e.page_id, target] for e in entries for target in e.links]

        def work(tx: ManagedTransaction) -> None:
            tx.run(q.UPSERT_CATALOG, pages=pages).consume()
            tx.run(q.CREATE_LINKS, links=links).consume()
            bump_graph_version(tx)

        with self.driver.session(database=self.database) as session:
            session.execute_write(work)
