"""Analysis runs, and the mutation that starts one."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph_model.run.record import AnalysisRun as AnalysisRunRecord
from graph_model.run.record import AnalysisStatus
from graphql_api.api_key import needs_api_key
from graphql_api.context import Info
from graphql_api.errors import ErrorCode, user_error
from graphql_api.fields import field, mutation
from graphql_api.types.common import DEFAULT_LIMIT, Limit, capped, limited, record_id, recorded, utc


@strawberry.type
class AnalysisStep:
    name: str
    seconds: float


@strawberry.type(description="One `pathrank analyze` run as recorded in the graph.")
class AnalysisRun:
    record: strawberry.Private[AnalysisRunRecord]
    id: strawberry.ID = record_id()

    @strawberry.field
    def started_at(self) -> datetime:
        return utc(self.record.started_at)

    duration_ms: int = recorded("duration_ms")

    @field(description="Seconds per step, in run order.")
    def steps(self) -> list[AnalysisStep]:
        steps = capped("AnalysisRun.steps", list(self.record.steps.items()))
        return [AnalysisStep(name=n, seconds=float(s)) for n, s in steps]

    pages: int = recorded("pages")
    transitions: int = recorded("transitions")
    customers: int = recorded("customers")
    paths: int = recorded("paths")
    clicks: int = recorded("clicks")
    hotspots: int = recorded("hotspots")
    high_exit_pages: int = recorded("high_exit_pages")
    escalation_hotspots: int = recorded("escalation_hotspots")
    weak_pages: int = recorded("weak_pages")
    communities: int = recorded("communities")
    link_suggestions: int = recorded("link_suggestions")
    misleading_links: int = recorded("misleading_links")
    changes: int = recorded(
        "changes", "Significant changes found (q <= 0.05), catalog comparisons included."
    )
    status: AnalysisStatus = recorded(
        "status", "RUNNING, then COMPLETE (its results are current) or FAILED."
    )
    error: str | None = recorded("error", "Why a FAILED run failed.")

    @field(description="Start of the window of paths analysed (null: from the first path).")
    def since(self) -> datetime | None:
        return None if self.record.since is None else utc(self.record.since)

    @field(description="End (exclusive) of the window of paths analysed (null: up to the run).")
    def until(self) -> datetime | None:
        return None if self.record.until is None else utc(self.record.until)

    @field(description="The ingest watermark (latest click time) when the run started.")
    def watermark(self) -> datetime | None:
        w = self.record.watermark
        return None if w is None else utc(w)


@strawberry.type
class RunQuery:
    @field(
        description="The latest COMPLETE analysis run: the one whose results every other "
        "field of this response shows; null before the first."
    )
    async def latest_analysis(self, info: Info) -> AnalysisRun | None:
        run = await info.context.graph.runs.current()
        return AnalysisRun(record=run) if run else None

    @field(description="Analysis runs, most recent first, whatever their status.")
    async def analysis_runs(self, info: Info, limit: Limit = DEFAULT_LIMIT) -> list[AnalysisRun]:
        runs = await info.context.graph.runs.recent(limited(limit))
        return [AnalysisRun(record=r) for r in runs]


@strawberry.type
class RunMutation:
    @mutation(
        description="Run `pathrank analyze` now and return the recorded run. Needs the API "
        "key when one is configured; one run at a time (CONFLICT names the run holding the "
        "lock).",
        permission_classes=[needs_api_key("runAnalysis")],
    )
    async def run_analysis(self, info: Info) -> AnalysisRun:
        service = info.context.analysis
        if service is None:
            raise user_error("this server cannot run analyses", ErrorCode.NOT_AVAILABLE)
        run_id = await service.run()
        run = await info.context.graph.runs.by_id(run_id)
        if run is None:
            raise RuntimeError(f"analysis run {run_id} was not recorded")
        return AnalysisRun(record=run)
