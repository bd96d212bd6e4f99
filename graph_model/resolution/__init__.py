"""The time-to-resolution aggregate: (:ResolutionCurve) nodes, written by analysis."""
