"""The tutorial way to load clicks, kept only as the ingest benchmark's baseline.

One write transaction per event, everything MERGEd, the customer's previous click found
through a LAST_CLICK pointer: no paths, no timeouts, no late events. Not used by ingest.
"""

from __future__ import annotations

from neo4j import Driver, ManagedTransaction

from graph_model.path.record import Click

NAIVE_CLICK = """
MERGE (cu:Customer {id: $customer})
MERGE (pg:Page {id: $page})
MERGE (k:Click {key: $key})
  ON CREATE SET k.customerId = $customer, k.pageId = $page, k.ts = $ts, k.resolved = $resolved
MERGE (k)-[:ON]->(pg)
MERGE (cu)-[v:VISITED]->(pg)
  ON CREATE SET v.count = 1
  ON MATCH SET v.count = v.count + 1
WITH cu, pg, k
OPTIONAL MATCH (cu)-[last:LAST_CLICK]->(prev:Click)-[:ON]->(prevPage:Page)
FOREACH (_ IN CASE WHEN prev IS NULL THEN [] ELSE [1] END |
  MERGE (prev)-[:NEXT]->(k)
  MERGE (prevPage)-[t:TRANSITION]->(pg)
    ON CREATE SET t.count = 1
    ON MATCH SET t.count = t.count + 1
  DELETE last)
MERGE (cu)-[:LAST_CLICK]->(k)
"""


class NaiveClickWriter:
    """Writes one click per transaction, as most graph-loading tutorials do."""

    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def write(self, click: Click) -> None:
        def work(tx: ManagedTransaction) -> None:
            tx.run(
                NAIVE_CLICK,
                customer=click.customer_id,
                page=click.page_id,
                key=click.key,
                ts=click.ts_ms,
                resolved=click.resolved,
            ).consume()

        with self.driver.session(database=self.database) as session:
            session.execute_write(work)
