"""Composition root of Customer PathRank: settings, CLI and local services.

The four packages (`ingest`, `graph_model`, `algorithms`, `graphql_api`) never
import this package; it wires them together and hands them their settings.
"""

__version__ = "0.1.0"
