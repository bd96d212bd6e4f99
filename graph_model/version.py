"""The graph's data version: a token that changes with every write our software makes, so
readers (the API's response cache) can tell an unchanged graph from a changed one.

Every writer calls `bump_graph_version` in the transaction that writes (or, for a writer
spanning several transactions, in its last one). The token is a fresh random UUID rather than
a counter: `clear()` deletes the node with everything else, and a counter restarting at 1
could repeat a value some cache still holds for different data.

The bump is always the LAST statement of its transaction, so the version node is the last
lock a writer takes: no writer waits for anything while holding it (no deadlock cycle), and
ingest batches, which already serialise on the watermark node at their end, add no wait.
"""

from __future__ import annotations

from typing import Final

from neo4j import Driver, ManagedTransaction, Transaction

BUMP_VERSION: Final = "MERGE (m:Meta {id: 'version'}) SET m.value = randomUUID()"

# No row before the first write (or during a clear): the reader then must not cache.
READ_VERSION: Final = "MATCH (m:Meta {id: 'version'}) RETURN m.value AS version"


def bump_graph_version(tx: ManagedTransaction | Transaction) -> None:
    """Mark the graph changed, as part of the caller's write transaction."""
    tx.run(BUMP_VERSION).consume()


def bump_graph_version_now(driver: Driver, database: str) -> None:
    """Mark the graph changed in a transaction of its own (after a multi-transaction write)."""
    with driver.session(database=database) as session:
        session.execute_write(bump_graph_version)
