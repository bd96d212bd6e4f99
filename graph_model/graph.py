"""Everything the API reads, one small interface per aggregate, on one shared reader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from neo4j import AsyncDriver

from graph_model.alert.reads import AlertReads, Neo4jAlertReads
from graph_model.assist.reads import AssistReads, Neo4jAssistReads
from graph_model.change.reads import ChangeReads, Neo4jChangeReads
from graph_model.community.reads import CommunityReads, Neo4jCommunityReads
from graph_model.customer.reads import CustomerReads, Neo4jCustomerReads
from graph_model.dwell.reads import DwellReads, Neo4jDwellReads
from graph_model.funnel.reads import FunnelReads, Neo4jFunnelReads
from graph_model.funnel.record import DEFAULT_SEARCH_PAGE
from graph_model.link.reads import LinkReads, Neo4jLinkReads
from graph_model.page.reads import Neo4jPageReads, PageReads
from graph_model.path.reads import Neo4jPathReads, PathReads
from graph_model.reader import READ_TIMEOUT_S, AnalysisPin, QueryObserver, Reader
from graph_model.resolution.reads import Neo4jResolutionReads, ResolutionReads
from graph_model.run.reads import Neo4jRunReads, RunReads
from graph_model.search.reads import Neo4jSearchReads, SearchReads
from graph_model.search.text import QueryText
from graph_model.segment.reads import Neo4jSegmentReads, SegmentReads
from graph_model.series.reads import Neo4jSeriesReads, SeriesReads
from graph_model.suggestion.reads import Neo4jSuggestionReads, SuggestionReads
from graph_model.work.reads import Neo4jWorkReads, WorkReads


class GraphStatus(Protocol):
    """Whether the graph answers, and its data version (see graph_model.version)."""

    async def ping(self) -> None:
        """Raise GraphUnavailableError unless the database answers."""

    async def graph_version(self) -> str | None:
        """None before the first write."""

    def add_observer(self, observer: QueryObserver) -> None:
        """Called after every statement with its name and seconds."""

    async def still_readable(self, pin: AnalysisPin) -> bool:
        """Whether a request's reads of its pinned analysis run were all of one complete run
        (False: run the request again)."""


@dataclass(frozen=True)
class GraphReads:
    status: GraphStatus
    pages: PageReads
    paths: PathReads
    customers: CustomerReads
    communities: CommunityReads
    suggestions: SuggestionReads
    runs: RunReads
    links: LinkReads
    resolution: ResolutionReads
    series: SeriesReads
    changes: ChangeReads
    segments: SegmentReads
    assist: AssistReads
    search: SearchReads
    work: WorkReads
    alerts: AlertReads
    funnels: FunnelReads
    dwell: DwellReads


def neo4j_graph_reads(
    driver: AsyncDriver,
    database: str,
    timeout_s: float = READ_TIMEOUT_S,
    query_text: QueryText | None = None,
    search_page: str = DEFAULT_SEARCH_PAGE,
) -> GraphReads:
    reader = Reader(driver, database, timeout_s)
    return GraphReads(
        status=reader,
        pages=Neo4jPageReads(reader),
        paths=Neo4jPathReads(reader),
        customers=Neo4jCustomerReads(reader),
        communities=Neo4jCommunityReads(reader),
        suggestions=Neo4jSuggestionReads(reader),
        runs=Neo4jRunReads(reader),
        links=Neo4jLinkReads(reader),
        resolution=Neo4jResolutionReads(reader),
        series=Neo4jSeriesReads(reader),
        changes=Neo4jChangeReads(reader),
        segments=Neo4jSegmentReads(reader),
        assist=Neo4jAssistReads(reader),
        search=Neo4jSearchReads(reader, query_text),
        work=Neo4jWorkReads(reader),
        alerts=Neo4jAlertReads(reader),
        funnels=Neo4jFunnelReads(reader, search_page),
        dwell=Neo4jDwellReads(reader),
    )
