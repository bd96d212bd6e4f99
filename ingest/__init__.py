"""Customer PathRank ingest: Kafka clickstream into the graph."""
