"""The one place that builds the packages' objects from settings: drivers, stores, path
rules, GDS, analysis, the ingest worker and the API's reads. The CLI, the benchmarks and the
tests use it, so there is one way to make each."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from neo4j import AsyncGraphDatabase, Driver, GraphDatabase

from graph_model.admin import GraphAdmin
from graph_model.alert.record import Target
from graph_model.alert.store import Neo4jAlertStore
from graph_model.assist.store import Neo4jAssistStore
from graph_model.customer.record import Forgotten
from graph_model.customer.store import Neo4jForgetStore
from graph_model.page.store import Neo4jCatalogStore
from graph_model.path.record import PathRules
from graph_model.path.store import Neo4jPathStore
from graph_model.search.text import QueryText
from graph_model.timewindow import ALL_TIME, TimeWindow
from graph_model.work.record import WorkStatus
from ingest.announce import AssistSinks
from ingest.assist import Assessor, AssistRules, LiveFigures
from ingest.batch import apply_batches
from ingest.catalog import catalog_entry
from ingest.events import Limits, event_from_record
from ingest.search import QUERY_FIELDS, Redactor, SearchRules
from ingest.sources.common import Markers, SourceConfig
from ingest.sources.page_rules import PageRules
from ingest.sources.topics import TopicFormat, decoder
from ingest.worker import IngestConfig, IngestSinks, IngestStats, IngestWorker
from pathrank.faults import ingest_fault, with_fault
from pathrank.services.credentials import read_password
from pathrank.services.errors import ServiceError
from pathrank.services.layout import Layout
from pathrank.settings import Settings

if TYPE_CHECKING:  # the analysis and API stacks are imported by the commands that use them
    from starlette.applications import Starlette

    from algorithms.analyze import Analysis, StepReporter
    from collector.app import Collector
    from graph_model.graph import GraphReads
    from graphql_api.assist_feed import AssistFeed
    from notify.delivery import DeliveryObserver


class WebhookDelivery:
    """The deliverer on a driver of its own, for as long as the server runs."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring

    @asynccontextmanager
    async def running(self, observer: DeliveryObserver) -> AsyncIterator[None]:
        from notify.delivery import RetryPolicy, WebhookDeliverer

        s = self.wiring.s
        policy = RetryPolicy(
            base_s=s.webhook_retry_base_s,
            max_s=s.webhook_retry_max_s,
            max_attempts=s.webhook_max_attempts,
            timeout_s=s.webhook_timeout_s,
            poll_s=s.webhook_poll_s,
        )
        secret = s.webhook_secret.get_secret_value() if s.webhook_secret else None
        with self.wiring.driver(pool_size=2) as driver:
            outbox = Neo4jAlertStore(driver, s.neo4j_database)
            deliverer = WebhookDeliverer(outbox, s.webhook_urls, secret, policy)
            async with deliverer.running(observer):
                yield


class Wiring:
    def __init__(self, settings: Settings) -> None:
        self.s = settings

    # ---- Neo4j ------------------------------------------------------------------------

    def password(self) -> str:
        """The password to log in to Neo4j with: PATHRANK_NEO4J_PASSWORD when set (a remote
        Neo4j), else the one the first `pathrank services up` generated in the cache dir."""
        override = self.s.neo4j_password
        if override is not None and override.get_secret_value():
            return override.get_secret_value()
        path = Layout(self.s.cache_dir).neo4j_password
        password = read_password(path)
        if password is None:
            raise ServiceError(
                f"no Neo4j password yet: `pathrank services up` generates the local one (in "
                f"{path}); for another Neo4j set PATHRANK_NEO4J_PASSWORD"
            )
        return password

    def driver(self, pool_size: int = 8) -> Driver:
        s = self.s
        return GraphDatabase.driver(
            s.neo4j_uri,
            auth=(s.neo4j_user, self.password()),
            max_connection_pool_size=pool_size,
            # Short driver-side retries: longer outages surface to ingest, which logs and
            # backs off.
            max_transaction_retry_time=5.0,
            # Our statements are reviewed; server hints would only flood the worker's log.
            notifications_min_severity="OFF",
        )

    def rules(self) -> PathRules:
        s = self.s
        days = s.click_retention_days
        return PathRules(
            timeout_ms=int(s.inactivity_timeout_s * 1000),
            quick_ms=int(s.quick_turnaround_s * 1000),
            allowed_lateness_ms=round(s.allowed_lateness_s * 1000),
            retention_ms=None if days is None else round(days * 86_400_000),
        )

    def admin(self, driver: Driver) -> GraphAdmin:
        return GraphAdmin(driver, self.s.neo4j_database)

    def path_store(self, driver: Driver) -> Neo4jPathStore:
        """The store with the path rules: every batch written through it uses its rules."""
        return Neo4jPathStore(driver, self.s.neo4j_database, self.rules(), self.s.compact_per_batch)

    def catalog_store(self, driver: Driver) -> Neo4jCatalogStore:
        return Neo4jCatalogStore(driver, self.s.neo4j_database)

    def forget_store(self, driver: Driver) -> Neo4jForgetStore:
        return Neo4jForgetStore(driver, self.s.neo4j_database)

    def forget(self, customer_ids: Sequence[str]) -> list[Forgotten]:
        """Forget customers on a driver of its own (the API's forgetCustomers)."""
        with self.driver() as driver:
            return self.forget_store(driver).forget(customer_ids)

    # ---- ingest -----------------------------------------------------------------------

    def load(
        self,
        driver: Driver,
        events: Sequence[Mapping[str, object]],
        pages: Sequence[Mapping[str, object]] = (),
        *,
        now_ms: int | None = None,
        batch_size: int | None = None,
        assist: bool = False,
    ) -> None:
        """Events (and catalog records) written as the worker would, without Kafka: what the
        benchmarks' ceilings and the tests load with. An invalid event raises InvalidEvent.
        With `assist`, paths are scored as ingest scores them (their announcements stay in
        the outbox: nothing delivers them without Kafka)."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        self.catalog_store(driver).upsert([catalog_entry(p) for p in pages])
        limits, search = self.limits(), self.search_rules()
        clicks = [
            event_from_record(e, now_ms=now, seq=i, limits=limits, search=search)
            for i, e in enumerate(events)
        ]
        assessor = self.assessor(driver) if assist else None
        apply_batches(
            self.path_store(driver),
            clicks,
            batch_size or self.s.batch_size,
            (lambda: assessor.for_batch({})) if assessor else None,
        )

    def limits(self) -> Limits:
        """The timestamps validation accepts (PATHRANK_MAX_CLOCK_SKEW_S, PATHRANK_MIN_TIMESTAMP)."""
        return Limits(
            max_skew_ms=round(self.s.max_clock_skew_s * 1000),
            min_ms=round(self.s.min_timestamp.timestamp() * 1000),
        )

    def source_config(self, rules: PageRules | None = None) -> SourceConfig:
        """What the foreign-source mappers need: page rules (`rules`, else the file of
        PATHRANK_PAGE_RULES; PageRulesError if it is unusable) and the marker names."""
        if rules is None and self.s.page_rules is not None:
            rules = PageRules.load(self.s.page_rules)
        markers = Markers(self.s.resolution_event_names, self.s.escalation_event_names)
        rules = replace(rules or PageRules(), search_page=self.s.search_page)
        return SourceConfig(rules, markers, self.s.search_event_names)

    def search_rules(self) -> SearchRules:
        """Where search steps go and how their queries are stored (docs/sources.md)."""
        return SearchRules(self.s.search_page, QueryText.of(self.s.query_redact))

    def redactor(self, config: SourceConfig | None = None) -> Redactor:
        """What keeps query text out of dead letters: the stored form of every query field,
        the page rules' search parameters included."""
        rules = (config or self.source_config()).rules
        return Redactor(self.search_rules().text, QUERY_FIELDS | rules.search_parameters)

    def ingest_config(
        self,
        *,
        topic: str | None = None,
        group: str | None = None,
        until_idle_s: float | None = None,
        batch_size: int | None = None,
        fmt: TopicFormat = TopicFormat.JSONL,
    ) -> IngestConfig:
        s = self.s
        sources = self.source_config()
        return IngestConfig(
            bootstrap=s.kafka_bootstrap,
            topic=topic or s.topic,
            pages_topic=s.pages_topic,
            group=group or s.group,
            batch_size=batch_size or s.batch_size,
            batch_wait_s=s.batch_wait_s,
            until_idle_s=until_idle_s,
            partitions=s.topic_partitions,
            limits=self.limits(),
            decode=decoder(fmt, sources),
            fault=ingest_fault(s.ingest_fault),
            search=self.search_rules(),
            redactor=self.redactor(sources),
        )

    def assist_rules(self) -> AssistRules:
        return AssistRules(
            threshold=self.s.assist_threshold,
            min_clicks=self.s.assist_min_clicks,
        )

    def assessor(self, driver: Driver) -> Assessor:
        """Live assist's scorer, on the latest analysis' figures (docs/assist.md)."""
        source = Neo4jAssistStore(driver, self.s.neo4j_database)
        return Assessor(LiveFigures(source, self.s.assist_refresh_s), self.assist_rules())

    def ingest_worker(
        self,
        driver: Driver,
        config: IngestConfig,
        on_batch: Callable[[IngestStats], None] | None = None,
    ) -> IngestWorker:
        assist = None
        if self.s.assist:
            outbox = Neo4jAssistStore(driver, self.s.neo4j_database)
            assist = AssistSinks(self.assessor(driver), outbox, self.s.assist_topic)
        sinks = IngestSinks(
            paths=self.path_store(driver),
            catalog=self.catalog_store(driver),
            ensure_schema=self.admin(driver).ensure_schema,
            assist=assist,
        )
        return IngestWorker(config, sinks, on_batch=on_batch)

    # ---- analysis -----------------------------------------------------------------------

    def analysis(
        self,
        driver: Driver,
        on_step: StepReporter | None = None,
        *,
        wait_s: float | None = None,
        on_wait: Callable[[str], None] | None = None,
        window: TimeWindow = ALL_TIME,
    ) -> Analysis:
        """One analysis run (of the paths that started in `window`); it refuses to start
        while another holds the lock (or waits up to `wait_s`). PATHRANK_ANALYSIS_FAULT
        injects its fault (pathrank.faults)."""
        from graphdatascience import GraphDataScience

        from algorithms.analyze import Analysis
        from algorithms.work.analysis import WorkQueue
        from graph_model.run.lock import Neo4jAnalysisLock
        from graph_model.run.store import Neo4jAnalysisStore

        s = self.s
        gds = GraphDataScience(driver, database=s.neo4j_database, show_progress=False)
        lock = Neo4jAnalysisLock(driver, s.neo4j_database, stale_after_s=s.analysis_lock_stale_s)
        self.register_webhooks(driver)
        return Analysis(
            Neo4jAnalysisStore(driver, s.neo4j_database),
            gds,
            lock,
            with_fault(on_step, s.analysis_fault),
            wait_s=wait_s,
            on_wait=on_wait,
            window=window,
            work=WorkQueue(
                alert_tickets_per_week=s.alert_tickets_per_week, search_page=s.search_page
            ),
        )

    def run_analysis(self) -> str:
        """One analysis on its own driver (the API's runAnalysis); the recorded run's id.
        AnalysisLockedError when another run holds the lock."""
        with self.driver() as driver:
            return self.analysis(driver).run().id

    # ---- the work queue and its alerts ---------------------------------------------------

    def register_webhooks(self, driver: Driver) -> None:
        """The configured webhooks get every alert raised from now on (docs/alerts.md)."""
        if self.s.webhook_urls:
            targets = [Target.of(url) for url in self.s.webhook_urls]
            Neo4jAlertStore(driver, self.s.neo4j_database).register(targets)

    def set_work_item_status(
        self, item_id: str, status: WorkStatus, note: str | None, at_ms: int | None
    ) -> bool:
        """setWorkItemStatus on a driver of its own; False for an unknown item."""
        from algorithms.work.status import set_status
        from graph_model.run.store import Neo4jAnalysisStore
        from graph_model.work.store import Neo4jWorkStore

        db = self.s.neo4j_database
        with self.driver() as driver:
            self.register_webhooks(driver)
            return set_status(
                Neo4jWorkStore(driver, db),
                item_id,
                status,
                note,
                at_ms,
                int(time.time() * 1000),
                paths_in=Neo4jAnalysisStore(driver, db).paths,
                data_end=lambda: GraphAdmin(driver, db).counts().watermark_ms,
            )

    def alert_delivery(self) -> WebhookDelivery | None:
        """The webhook deliveries `pathrank serve` makes (None: no PATHRANK_WEBHOOK_URLS)."""
        if not self.s.webhook_urls:
            return None
        return WebhookDelivery(self)

    # ---- the API ------------------------------------------------------------------------

    def graph_reads(self) -> Callable[[], AbstractAsyncContextManager[GraphReads]]:
        """The API's reads, on an async driver opened on the server's event loop."""
        from graph_model.graph import neo4j_graph_reads
        from graph_model.reader import READ_TIMEOUT_S

        s = self.s
        auth = (s.neo4j_user, self.password())

        @asynccontextmanager
        async def reads() -> AsyncIterator[GraphReads]:
            driver = AsyncGraphDatabase.driver(
                s.neo4j_uri,
                auth=auth,
                max_connection_pool_size=64,
                notifications_min_severity="OFF",
            )
            try:
                # No read outlives the request it serves.
                timeout_s = min(READ_TIMEOUT_S, s.api_time_budget_s)
                text = self.search_rules().text  # searchQuery(text) finds the stored form
                yield neo4j_graph_reads(
                    driver, s.neo4j_database, timeout_s, text, search_page=s.search_page
                )
            finally:
                await driver.close()

        return reads

    def assist_feed(self) -> AssistFeed | None:
        """The `assist` topic as the `atRisk` subscription's source (None: assist off)."""
        from graphql_api.assist_feed import AssistFeed

        if not self.s.assist:
            return None
        return AssistFeed(self.s.kafka_bootstrap, self.s.assist_topic)

    # ---- the collector --------------------------------------------------------------------

    def collector(self) -> Collector:
        """Segment's and Snowplow's endpoints into the click topic; off without a write key."""
        from collector.app import Collector, CollectorConfig

        s = self.s
        sources = self.source_config()
        return Collector(
            CollectorConfig(
                write_key=s.write_key.get_secret_value() if s.write_key else None,
                topic=s.topic,
                bootstrap=s.kafka_bootstrap,
                sources=sources,
                max_body_bytes=s.collector_max_body_bytes,
                limits=self.limits(),
                origins=s.collector_origins,
                snowplow_key=s.snowplow_key.get_secret_value() if s.snowplow_key else None,
                search=self.search_rules(),
                redactor=self.redactor(sources),
            )
        )

    def http_app(self, api: Starlette, collector: Collector, hosts: Sequence[str]) -> Starlette:
        """What `pathrank serve` runs: the collector's routes beside the API, one lifespan
        for both (a mounted app's own lifespan would never run), and the API's Host check
        (`hosts`) in front of both: the collector answers only the names the API answers."""
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.routing import BaseRoute, Mount

        from graphql_api.http.hosts import AllowedHosts

        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            async with api.router.lifespan_context(api), collector.running():
                yield

        routes: list[BaseRoute] = [*collector.routes(), Mount("/", app=api)]
        checked = [Middleware(AllowedHosts, hosts=hosts)]
        return Starlette(routes=routes, lifespan=lifespan, middleware=checked)
