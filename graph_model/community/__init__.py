"""The community aggregate: (:Community) of similar customers, written by analysis."""
