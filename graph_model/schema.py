"""Constraints and indexes, created idempotently at startup."""

from __future__ import annotations

from neo4j import Driver

# Unique keys of the graph model (docs/graph-model.md), plus the lookups ingest and
# analysis make.
STATEMENTS: tuple[str, ...] = (
    "CREATE CONSTRAINT page_id IF NOT EXISTS FOR (n:Page) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (n:Customer) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT path_id IF NOT EXISTS FOR (n:Path) REQUIRE n.id IS UNIQUE",
    # An event key is unique per customer (docs/events.md, "Event keys"); graphs made by
    # earlier versions had it unique graph-wide: the composite constraint replaces that one
    # (the stored keys stay as they are, and stay unique under it).
    "CREATE CONSTRAINT click_customer_key IF NOT EXISTS FOR (n:Click) "
    "REQUIRE (n.customerId, n.key) IS UNIQUE",
    "CREATE CONSTRAINT marker_customer_key IF NOT EXISTS FOR (n:Marker) "
    "REQUIRE (n.customerId, n.key) IS UNIQUE",
    "DROP CONSTRAINT click_key IF EXISTS",
    "DROP CONSTRAINT marker_key IF EXISTS",
    "CREATE CONSTRAINT segment_id IF NOT EXISTS FOR (n:Segment) REQUIRE n.id IS UNIQUE",
    # A searched query, by its stored text (docs/graph-model.md).
    "CREATE CONSTRAINT query_text IF NOT EXISTS FOR (n:Query) REQUIRE n.text IS UNIQUE",
    "CREATE CONSTRAINT meta_id IF NOT EXISTS FOR (n:Meta) REQUIRE n.id IS UNIQUE",
    # The click topic's partitions' high marks (graph_model/path/watermark.py).
    "CREATE CONSTRAINT partition_mark IF NOT EXISTS FOR (n:PartitionMark) "
    "REQUIRE (n.topic, n.partition) IS UNIQUE",
    # Forgotten customers, by the hash of their id (docs/forget.md).
    "CREATE CONSTRAINT tombstone_hash IF NOT EXISTS FOR (n:Tombstone) REQUIRE n.hash IS UNIQUE",
    # A batch reads its customers' latest events, and their events from a time on.
    "CREATE INDEX click_customer_ts IF NOT EXISTS FOR (n:Click) ON (n.customerId, n.ts)",
    "CREATE INDEX marker_customer_ts IF NOT EXISTS FOR (n:Marker) ON (n.customerId, n.ts)",
    # Their single-property forerunners (graphs made by earlier versions): superseded.
    "DROP INDEX click_customer IF EXISTS",
    "DROP INDEX marker_customer IF EXISTS",
    # OPEN paths are closed when the watermark passes them.
    "CREATE INDEX path_outcome_end IF NOT EXISTS FOR (n:Path) ON (n.outcome, n.end)",
    # A batch finds the path a late event may change: the customer's latest that started
    # before it (graph_model.path.store); an erasure, all of the customer's paths.
    "CREATE INDEX path_customer_start IF NOT EXISTS FOR (n:Path) ON (n.customerId, n.start)",
    "DROP INDEX path_customer IF EXISTS",
    # Windows: the paths that started in [since, until).
    "CREATE INDEX path_start IF NOT EXISTS FOR (n:Path) ON (n.start)",
    # Retention: paths in the order they ended, the next ones to compact first.
    "CREATE INDEX path_end IF NOT EXISTS FOR (n:Path) ON (n.end)",
    # ... and the paths it passed that a customer's late event may still reach, by customer.
    "CREATE INDEX path_reachable IF NOT EXISTS FOR (n:Reachable) ON (n.customerId)",
    # A catalog page's versions, in time order.
    "CREATE INDEX page_version IF NOT EXISTS FOR (n:PageVersion) ON (n.pageId, n.since)",
    # Cypher users: a community's customers (the published Customer.community).
    "CREATE INDEX customer_community IF NOT EXISTS FOR (n:Customer) ON (n.community, n.id)",
    # Results of a run (the API reads the run it pinned; a run's results are deleted by it):
    # a community by id, its members by customer id, a page's figures, SIMILAR and links.
    "CREATE INDEX community_run_id IF NOT EXISTS FOR (n:Community) ON (n.run, n.id)",
    "CREATE INDEX member_of_run IF NOT EXISTS FOR ()-[m:MEMBER_OF]-() "
    "ON (m.run, m.community, m.customerId)",
    "CREATE INDEX page_figures_run IF NOT EXISTS FOR (n:PageFigures) ON (n.run, n.pageId)",
    "CREATE INDEX page_series_run IF NOT EXISTS FOR (n:PageSeries) "
    "ON (n.run, n.pageId, n.interval)",
    "CREATE INDEX site_series_run IF NOT EXISTS FOR (n:SiteSeries) ON (n.run, n.interval)",
    "CREATE INDEX query_figures_run IF NOT EXISTS FOR (n:QueryFigures) ON (n.run, n.text)",
    # An erasure deletes every run's figures of a query only the customer searched.
    "CREATE INDEX query_figures_text IF NOT EXISTS FOR (n:QueryFigures) ON (n.text)",
    "CREATE INDEX site_search_run IF NOT EXISTS FOR (n:SiteSearchFigures) ON (n.run)",
    "CREATE INDEX change_run IF NOT EXISTS FOR (n:Change) ON (n.run, n.kind, n.rank)",
    "CREATE INDEX change_run_page IF NOT EXISTS FOR (n:Change) ON (n.run, n.pageId)",
    "CREATE INDEX segment_change_run IF NOT EXISTS FOR (n:SegmentChange) "
    "ON (n.run, n.segment, n.rank)",
    "CREATE INDEX similar_run IF NOT EXISTS FOR ()-[s:SIMILAR]-() ON (s.run)",
    "CREATE INDEX suggested_link_run IF NOT EXISTS FOR ()-[s:SUGGESTED_LINK]-() ON (s.run)",
    "CREATE INDEX misleading_link_run IF NOT EXISTS FOR ()-[m:MISLEADING_LINK]-() ON (m.run)",
    "CREATE INDEX link_success_run IF NOT EXISTS FOR ()-[s:LINK_SUCCESS]-() ON (s.run)",
    "CREATE INDEX resolution_curve_run IF NOT EXISTS FOR (n:ResolutionCurve) ON (n.run)",
    "CREATE INDEX resolution_curve_entry IF NOT EXISTS FOR (n:ResolutionCurve) "
    "ON (n.run, n.entryPageId)",
    "CREATE INDEX analysis_run_started IF NOT EXISTS FOR (n:AnalysisRun) ON (n.startedAt)",
    # Live assist: announcements not yet acknowledged by Kafka, removed by id.
    "CREATE CONSTRAINT assist_outbox_id IF NOT EXISTS FOR (n:AssistOutbox) REQUIRE n.id IS UNIQUE",
    # The work queue: items by id and status, their figures and verifications per run.
    "CREATE CONSTRAINT work_item_id IF NOT EXISTS FOR (n:WorkItem) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX work_item_status IF NOT EXISTS FOR (n:WorkItem) ON (n.status)",
    "CREATE INDEX work_item_figures_run IF NOT EXISTS FOR (n:WorkItemFigures) ON (n.run, n.itemId)",
    "CREATE INDEX work_item_verification_run IF NOT EXISTS FOR (n:WorkItemVerification) "
    "ON (n.run, n.itemId)",
    # Alerts (the outbox), their deliveries per webhook target, and a run's staged ones.
    "CREATE CONSTRAINT alert_id IF NOT EXISTS FOR (n:Alert) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX alert_created IF NOT EXISTS FOR (n:Alert) ON (n.createdAt)",
    "CREATE CONSTRAINT alert_delivery_id IF NOT EXISTS FOR (n:AlertDelivery) "
    "REQUIRE n.id IS UNIQUE",
    "CREATE INDEX alert_delivery_state IF NOT EXISTS FOR (n:AlertDelivery) "
    "ON (n.state, n.nextAttemptAt)",
    "CREATE CONSTRAINT alert_target_id IF NOT EXISTS FOR (n:AlertTarget) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX staged_alert_run IF NOT EXISTS FOR (n:StagedAlert) ON (n.run)",
)


def ensure_schema(driver: Driver, database: str) -> None:
    """Create every constraint and index that is missing, then wait until they are online."""
    for statement in STATEMENTS:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
