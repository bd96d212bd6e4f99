"""Composition root of Customer PathRank: settings, CLI, local services and the Python
client for analysts (`from pathrank import Client`).

The four packages (`ingest`, `graph_model`, `algorithms`, `graphql_api`) never
import this package; it wires them together and hands them their settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathrank.client import Client

__version__ = "0.1.0"
__all__ = ["Client", "__version__"]


def __getattr__(name: str) -> Any:
    # The client (and pandas) load on first use: the CLI starts without them.
    if name == "Client":
        from pathrank.client import Client

        return Client
    raise AttributeError(f"module 'pathrank' has no attribute {name!r}")
