"""The alert aggregate: (:Alert) nodes, the durable outbox of what the team is told, and
(:AlertDelivery) nodes, each alert's attempts at each webhook target."""
