"""The Python interface for analysts: `pathrank.Client` answers the API's questions as pandas
DataFrames, through the API or straight from Neo4j (docs/python.md)."""

from pathrank.client.client import Client, Funnel, PathRankError, Step

__all__ = ["Client", "Funnel", "PathRankError", "Step"]
