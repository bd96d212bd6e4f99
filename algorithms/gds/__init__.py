"""Graph Data Science calls, one module per algorithm family, each result typed beside it.

Every projection is a `graphdatascience` Graph used as a context manager, so it is dropped
when its step ends (even on error) and a second run starts from the same catalog. Results
are streamed or kept in the projection: GDS writes nothing into Neo4j itself, so everything
an analysis writes goes through graph_model's typed results.
"""
