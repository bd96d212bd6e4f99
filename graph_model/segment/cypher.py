"""Cypher of segments (shapes: graph_model.statements)."""

from __future__ import annotations

# Every (:Segment) with its paths (the IN_SEGMENT degree: no path is read), by key, most
# paths first.
SEGMENTS = """
MATCH (s:Segment)
WITH s.key AS key, s.value AS value, COUNT { (s)<-[:IN_SEGMENT]-() } AS paths
ORDER BY key, paths DESC, value
RETURN collect({key: key, value: value, paths: paths}) AS rows
"""
