"""The graph as a whole: its schema, its size, and emptying it."""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver

from graph_model.schema import ensure_schema
from graph_model.version import bump_graph_version_now

COUNTS = """
CALL () { MATCH (n:Page) RETURN count(n) AS pages }
CALL () { MATCH (n:Customer) RETURN count(n) AS customers }
CALL () { MATCH (n:Click) RETURN count(n) AS clicks }
CALL () { MATCH ()-[t:TRANSITION]->() RETURN count(t) AS transitions }
CALL () { MATCH (p:Path) RETURN count(p) AS paths,
         count(CASE WHEN p.outcome = 'OPEN' THEN 1 END) AS open,
         count(CASE WHEN p.outcome = 'RESOLVED' THEN 1 END) AS resolved,
         count(CASE WHEN p.outcome = 'ABANDONED' THEN 1 END) AS abandoned,
         count(CASE WHEN p.outcome = 'ESCALATED' THEN 1 END) AS escalated }
CALL () { MATCH (n:Marker) RETURN count(n) AS markers }
OPTIONAL MATCH (m:Meta {id: 'watermark'})
RETURN pages, customers, clicks, transitions, paths, open, resolved, abandoned, escalated,
       markers, m.value AS watermark
"""

# Relationships first, then nodes, each in bounded transactions of its own (auto-commit
# query): a DETACH DELETE of a Page would take its hundreds of thousands of ON and VISITED
# relationships into one transaction, which timed out on a 1M-click graph.
CLEAR_RELATIONSHIPS = """
MATCH ()-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS
"""

CLEAR_NODES = """
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS
"""

# The same, but the tombstones of forgotten customers and their salt stay (docs/forget.md).
CLEAR_NODES_BUT_TOMBSTONES = """
MATCH (n)
WHERE NOT n:Tombstone AND NOT (n:Meta AND n.id = 'tombstones')
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS
"""


@dataclass(frozen=True, slots=True)
class GraphCounts:
    """Sizes of the graph, for logs, run records and tests."""

    pages: int
    customers: int
    paths: int
    clicks: int
    transitions: int
    open_paths: int
    resolved_paths: int
    abandoned_paths: int
    escalated_paths: int
    markers: int  # outcome markers (resolution and escalation events), stored beside clicks
    watermark_ms: int | None


class GraphAdmin:
    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def ensure_schema(self) -> None:
        ensure_schema(self.driver, self.database)

    def counts(self) -> GraphCounts:
        records, _, _ = self.driver.execute_query(COUNTS, database_=self.database)
        r = records[0]
        return GraphCounts(
            pages=r["pages"],
            customers=r["customers"],
            paths=r["paths"],
            clicks=r["clicks"],
            transitions=r["transitions"],
            open_paths=r["open"],
            resolved_paths=r["resolved"],
            abandoned_paths=r["abandoned"],
            escalated_paths=r["escalated"],
            markers=r["markers"],
            watermark_ms=r["watermark"],
        )

    def clear(self, *, keep_tombstones: bool = False) -> None:
        """Delete the whole graph in bounded transactions (keeps constraints and indexes;
        with `keep_tombstones`, the erasures too: the topics may still hold those events)."""
        nodes = CLEAR_NODES_BUT_TOMBSTONES if keep_tombstones else CLEAR_NODES
        with self.driver.session(database=self.database) as session:
            for query in (CLEAR_RELATIONSHIPS, nodes):
                session.run(query).consume()
        bump_graph_version_now(self.driver, self.database)
