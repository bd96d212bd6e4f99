"""The GraphQL API over real HTTP, as the integration tests ask it: `gql` for queries, httpx
for what a GraphQL client would not send, and the server's own counters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from neo4j import Driver

API_KEY = f"test-key-{uuid.uuid4().hex}"


@dataclass
class Api:
    base: str

    @property
    def url(self) -> str:
        return f"{self.base}/graphql"

    def transport(self, headers: dict[str, str] | None = None) -> HTTPXTransport:
        return HTTPXTransport(url=self.url, headers=headers, timeout=120)

    def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Data of a query that must succeed."""
        client = Client(transport=self.transport(headers))
        result: dict[str, Any] = client.execute(GraphQLRequest(query, variable_values=variables))
        return result

    def errors(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Errors of a query that must fail with GraphQL errors."""
        client = Client(transport=self.transport(headers))
        with pytest.raises(TransportQueryError) as failure:
            client.execute(GraphQLRequest(query, variable_values=variables))
        errors = failure.value.errors
        assert errors
        return list(errors)

    def queries_cost(self, query: str, variables: dict[str, Any] | None = None) -> int:
        """Neo4j statements one request cost, from the server's X-Neo4j-Queries header."""
        transport = self.transport()
        Client(transport=transport).execute(GraphQLRequest(query, variable_values=variables))
        assert transport.response_headers is not None
        return int(transport.response_headers["x-neo4j-queries"])

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.base}/metrics").text
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total


def cypher(driver: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params)
    return [dict(r) for r in records]


def page_props(driver: Driver, page_id: str) -> dict[str, Any]:
    return cypher(driver, "MATCH (p:Page {id: $id}) RETURN properties(p) AS p", id=page_id)[0]["p"]
