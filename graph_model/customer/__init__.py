"""The customer aggregate: (:Customer), what it visited and who is similar to it."""
