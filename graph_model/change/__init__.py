"""The change aggregate: (:Change) nodes, the significant changes of a page's rates that an
analysis found, and its before/after comparisons of catalog versions."""
