"""Forgetting customers (right to erasure, docs/forget.md) and the tombstones that keep them
forgotten.

A tombstone is `(:Tombstone {hash})`: HMAC-SHA-256 of the customer id keyed by a random salt
made for this graph on its first erasure (`(:Meta {id: 'tombstones'}).salt`). The raw id is
never stored. Ingest hashes the customers of each batch with the same salt and skips the
events of forgotten ones, so a replay of the topic does not bring them back.

`forget` writes the tombstones first, in one transaction that also locks the watermark's node:
every ingest batch writes that node, so a batch that read no tombstone either committed before
(its writes are then erased below) or sees the tombstones when it re-checks them after its own
watermark write, and is retried without the forgotten customers (graph_model.path.store). The
customer's data is then removed in bounded transactions, each one subtracting exactly what it
removes from the TRANSITION aggregates.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from neo4j import Driver, ManagedTransaction, Transaction

from graph_model.customer import cypher as q
from graph_model.customer.record import Forgotten
from graph_model.path import write_cypher as path_q
from graph_model.path.batch import delta_row, transition_deltas
from graph_model.version import bump_graph_version, bump_graph_version_now

SALT_BYTES = 32


def tombstone_hash(salt: str, customer_id: str) -> str:
    """The one-way hash a tombstone holds: HMAC-SHA-256 of the id, keyed by the salt (hex)."""
    return hmac.new(bytes.fromhex(salt), customer_id.encode(), hashlib.sha256).hexdigest()


def read_forgotten(
    tx: ManagedTransaction | Transaction, customer_ids: Sequence[str], salt: str | None = None
) -> tuple[str | None, frozenset[str]]:
    """The graph's salt (None before any erasure) and which of `customer_ids` have a
    tombstone. `salt`: the one the caller saw last (one read when it is still the same)."""
    ids = list(dict.fromkeys(customer_ids))
    for _ in range(2):
        hashes = {tombstone_hash(salt, c): c for c in ids} if salt is not None else {}
        row = tx.run(q.TOMBSTONED, hashes=list(hashes)).single(strict=True)
        if row["salt"] is None:
            return None, frozenset()
        if row["salt"] == salt:
            return salt, frozenset(hashes[h] for h in row["found"])
        salt = str(row["salt"])  # first sight of it (or a new graph): hash again
    raise RuntimeError("the tombstone salt changed twice during one read")


class Neo4jForgetStore:
    """`pathrank forget` and the forgetCustomers mutation."""

    def __init__(
        self,
        driver: Driver,
        database: str,
        *,
        paths_per_transaction: int = 2_000,
        events_per_transaction: int = 20_000,
    ) -> None:
        self.driver = driver
        self.database = database
        self.paths_per_tx = paths_per_transaction
        self.events_per_tx = events_per_transaction

    def forget(self, customer_ids: Sequence[str]) -> list[Forgotten]:
        """Tombstone every customer, then remove each one's paths (their transitions
        subtracted), clicks, markers, node, visits and pending announcements, and the pages
        and segments only they made. Idempotent: forgetting again finishes an interrupted
        erasure, and finds nothing otherwise."""
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return []
        with self.driver.session(database=self.database) as session:
            session.execute_write(_write_tombstones, ids)
        done = [self._erase(customer) for customer in ids]
        bump_graph_version_now(self.driver, self.database)
        return done

    def _erase(self, customer: str) -> Forgotten:
        paths = clicks = markers = 0
        pages: set[str] = set()
        segments: set[str] = set()
        queries: set[str] = set()
        with self.driver.session(database=self.database) as session:
            while True:
                removed = session.execute_write(_delete_paths, customer, self.paths_per_tx)
                if not removed:
                    break
                paths += len(removed)
                for path_pages, path_segments, path_queries in removed:
                    pages.update(path_pages)
                    segments.update(path_segments)
                    queries.update(path_queries)
            for statement in (q.DELETE_CLICKS, q.DELETE_MARKERS):
                while True:
                    n = session.execute_write(_count, statement, customer, self.events_per_tx)
                    if statement is q.DELETE_CLICKS:
                        clicks += n
                    else:
                        markers += n
                    if n < self.events_per_tx:
                        break
            visited, existed = session.execute_write(_delete_customer, customer)
            pages.update(visited)
            session.execute_write(_tidy, sorted(pages), sorted(segments), sorted(queries))
        existed = existed or bool(paths + clicks + markers)
        return Forgotten(customer, paths, clicks, markers, existed)


def _write_tombstones(tx: ManagedTransaction, ids: list[str]) -> None:
    salt = tx.run(q.TOMBSTONE_SALT, salt=secrets.token_hex(SALT_BYTES)).single(strict=True)
    hashes = [tombstone_hash(str(salt["salt"]), c) for c in ids]
    tx.run(q.WRITE_TOMBSTONES, hashes=hashes).consume()
    bump_graph_version(tx)


def _delete_paths(
    tx: ManagedTransaction, customer: str, limit: int
) -> list[tuple[list[str], list[str], list[str]]]:
    """Up to `limit` of the customer's paths removed, their transitions subtracted; their
    pages, segments and queries."""
    rows = list(tx.run(q.CUSTOMER_PATHS_TO_FORGET, id=customer, limit=limit))
    if not rows:
        return []
    deltas = transition_deltas((), (r["pages"] for r in rows))
    if deltas:
        # A stable order keeps this from locking pages against an ingest batch the other way.
        ordered = sorted(deltas, key=lambda d: (d.from_page, d.to_page))
        tx.run(path_q.APPLY_TRANSITIONS, deltas=[delta_row(d) for d in ordered]).consume()
    tx.run(q.DELETE_PATHS, ids=[r["id"] for r in rows]).consume()
    bump_graph_version(tx)
    return [(list(r["pages"]), list(r["segments"]), list(r["queries"])) for r in rows]


def _count(tx: ManagedTransaction, statement: str, customer: str, limit: int) -> int:
    return int(tx.run(statement, id=customer, limit=limit).single(strict=True)["n"])


def _delete_customer(tx: ManagedTransaction, customer: str) -> tuple[list[str], bool]:
    row = tx.run(q.DELETE_CUSTOMER, id=customer).single(strict=True)
    tx.run(q.DELETE_OUTBOX, id=customer).consume()
    return list(row["pages"]), bool(row["existed"])


def _tidy(
    tx: ManagedTransaction, pages: list[str], segments: list[str], queries: list[str]
) -> None:
    if pages:
        tx.run(q.DELETE_BARE_PAGES, ids=pages).consume()
    if segments:
        tx.run(q.DELETE_BARE_SEGMENTS, ids=segments).consume()
    if queries:
        tx.run(q.DELETE_BARE_QUERIES, texts=queries).consume()
