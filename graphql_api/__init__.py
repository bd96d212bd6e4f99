"""GraphQL API (Strawberry) over what graph_model reads."""
