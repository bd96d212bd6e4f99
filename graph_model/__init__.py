"""Graph model: schema, constraints, and every Cypher read and write."""
