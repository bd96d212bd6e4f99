"""What every aggregate's Neo4j store starts from: the driver and the database its statements
run in, and one auto-commit statement's records."""

from __future__ import annotations

from typing import Any

from neo4j import Driver, Record


class Neo4jStore:
    def __init__(self, driver: Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def _run(self, query: str, **params: Any) -> list[Record]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return list(records)
