"""Graph analytics over the path graph, with Graph Data Science."""
