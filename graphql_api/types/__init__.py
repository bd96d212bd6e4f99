"""GraphQL object types, one module per aggregate, each resolving from graph_model records."""
