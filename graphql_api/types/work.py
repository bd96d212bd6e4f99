"""The work queue (docs/api.md, "The work queue"): every finding as one action, ranked by
the tickets it stands for, its status, and whether the fix worked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

import strawberry

from algorithms.proportions import wilson_one
from graph_model.timewindow import DAY_MS, to_ms
from graph_model.work.record import (
    TO_DO,
    Confidence,
    Verdict,
    VerifiedRate,
    WorkAction,
    WorkStatus,
)
from graph_model.work.record import EvidenceFigure as EvidenceFigureRecord
from graph_model.work.record import Verification as VerificationRecord
from graph_model.work.record import WorkItem as WorkItemRecord
from graphql_api.api_key import needs_api_key
from graphql_api.context import Info
from graphql_api.errors import ErrorCode, user_error
from graphql_api.fields import field, mutation
from graphql_api.types.common import DEFAULT_FIRST, First, figure, firsts, recorded, utc
from graphql_api.types.page import Page, load_page
from graphql_api.types.path import Path

MAX_NOTE: Final = 2_000
# `at` further ahead of the server's clock than this is refused (a typo, not a plan).
MAX_AHEAD_MS: Final = DAY_MS


@strawberry.type(description="A link an item is about.")
class WorkLink:
    from_page_id: strawberry.Private[str]
    to_page_id: strawberry.Private[str]

    @field(name="from")
    async def from_(self, info: Info) -> Page:
        return await load_page(info, self.from_page_id)

    @strawberry.field
    async def to(self, info: Info) -> Page:
        return await load_page(info, self.to_page_id)


@strawberry.type(description="One side of a verification: a rate with its Wilson 95% interval.")
class VerifiedSide:
    start: datetime
    end: datetime = strawberry.field(description="Exclusive.")
    successes: int
    trials: int
    rate: float | None = strawberry.field(description="successes / trials; null without trials.")
    low: float | None
    high: float | None
    escalations: int = strawberry.field(
        description="Escalated paths the item's subject would account for on this side."
    )


@strawberry.type(
    description="The item's rate in equal windows before and after its reference time, with "
    'the change test (docs/analytics.md, "Verification").'
)
class Verification:
    record: strawberry.Private[VerificationRecord]

    verdict: Verdict = recorded("verdict")
    rate: VerifiedRate = recorded(
        "verified_rate", "The rate compared (which one depends on the action)."
    )

    @field(description="The reference time: when it was set DONE (or its `at`), or when its "
           "page got a new catalog version.")  # fmt: skip
    def since(self) -> datetime:
        return utc(self.record.since)

    @field(description="DONE or VERSION: what the reference time is.")
    def reference(self) -> str:
        return self.record.reference

    @field(description="Days in each window.")
    def days(self) -> float:
        return self.record.days

    @strawberry.field
    def before(self) -> VerifiedSide:
        v = self.record
        return _side(v.since - _width(v), v.since, v.before_successes, v.before_trials,
                     v.escalations_before)  # fmt: skip

    @strawberry.field
    def after(self) -> VerifiedSide:
        v = self.record
        return _side(v.since, v.since + _width(v), v.after_successes, v.after_trials,
                     v.escalations_after)  # fmt: skip

    @field(description="Two-sided Fisher exact test (z-test beyond 10,000 trials); null "
           "without trials on both sides.")  # fmt: skip
    def p_value(self) -> float | None:
        return self.record.p_value

    @field(description="Escalations per week fewer after than before, when it WORKED (else 0).")
    def tickets_avoided_per_week(self) -> float:
        return self.record.tickets_avoided_per_week

    @field(description="When it was last computed.")
    def computed_at(self) -> datetime:
        return utc(self.record.computed_at)


def _width(v: VerificationRecord) -> int:
    return round(v.days * DAY_MS)


def _side(start: int, end: int, successes: int, trials: int, escalations: int) -> VerifiedSide:
    low, high = wilson_one(successes, trials)
    return VerifiedSide(
        start=utc(start),
        end=utc(end),
        successes=successes,
        trials=trials,
        rate=successes / trials if trials else None,
        low=low,
        high=high,
        escalations=escalations,
    )


@strawberry.type(description="A figure behind an item, and what it is compared with.")
class EvidenceFigure:
    record: strawberry.Private[EvidenceFigureRecord]

    name: str = recorded("name")
    value: float = recorded("value", "A rate (0 to 1) or a number.")
    count: int | None = recorded("count", "Events, when `value` is a rate ...")
    out_of: int | None = recorded("out_of", "... out of these trials.")
    baseline: float | None = recorded(
        "baseline", "What it is compared with: the site's rate, the weeks before, chance."
    )

    q_value: float | None = recorded(
        "q_value", "The test's q-value (Benjamini-Hochberg), when one was made."
    )

    @field(description="Which one, when the name alone does not say: \"in the week of 16 Feb "
           "2026\", \"by the other ways into the page\".")  # fmt: skip
    def detail(self) -> str | None:
        return self.record.detail


@strawberry.type(description="What stands behind an item.")
class WorkEvidence:
    item: strawberry.Private[WorkItemRecord]

    @strawberry.field
    def figures(self) -> list[EvidenceFigure]:
        return [EvidenceFigure(record=f) for f in self.item.figures.figures]

    @field(description="Journeys that show it (escalated ones it accounts for first).")
    async def paths(self, info: Info) -> list[Path]:
        found = await info.context.loaders.path.load_many(list(self.item.figures.example_paths))
        return [Path.of(p) for p in found if p is not None]

    @field(description="The search queries it is about.")
    def queries(self) -> list[str]:
        return list(self.item.figures.queries)

    @field(description="The page's address in the catalog (null without one).")
    async def page_url(self, info: Info) -> str | None:
        page_id = self.item.state.page_id or self.item.state.from_page_id
        if page_id is None:
            return None
        page = await info.context.loaders.page.load(page_id)
        return None if page is None else page.url


@strawberry.type(
    description="One thing a content designer can do, from one finding of the analysis (or "
    "all of a page's findings), with the tickets and customers per week it stands for."
)
class WorkItem:
    record: strawberry.Private[WorkItemRecord]

    @field(description="Stable across analyses: derived from the action and its subject.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.state.id)

    @strawberry.field
    def action(self) -> WorkAction:
        return self.record.state.action

    title = figure("title", "What to do, in plain words.", str)
    reason = figure("reason", "Why, in one sentence.", str)

    @field(description="Every finding merged into it (weak-page reasons, CHANGE, ...).")
    def reasons(self) -> list[str]:
        return list(self.record.figures.reasons)

    @field(description="The page, for a page item (null otherwise).")
    async def page(self, info: Info) -> Page | None:
        page_id = self.record.state.page_id
        return None if page_id is None else await load_page(info, page_id)

    @field(description="The search query, for WRITE_ARTICLE (null otherwise).")
    def query(self) -> str | None:
        return self.record.state.query

    @field(description="The link, for FIX_LINK and ADD_LINK (null otherwise).")
    def link(self) -> WorkLink | None:
        s = self.record.state
        if s.from_page_id is None or s.to_page_id is None:
            return None
        return WorkLink(from_page_id=s.from_page_id, to_page_id=s.to_page_id)

    tickets_per_week = figure(
        "tickets_per_week",
        "Escalations (tickets, chats, calls) per week it accounts for beyond the site's rate; "
        "each escalated journey counts in one item only.",
        float,
    )
    customers_per_week = figure(
        "customers_per_week", "Distinct customers per week whose journeys it touches.", float
    )
    escalations = figure(
        "escalations", "Escalated journeys counted in its tickets, over the analysed window.", int
    )

    @strawberry.field
    def confidence(self) -> Confidence:
        return self.record.figures.confidence

    @field(description="Its place in the queue (1: the most tickets per week); null when stale.")
    def rank(self) -> int | None:
        return None if self.record.stale else self.record.figures.rank

    @strawberry.field
    def status(self) -> WorkStatus:
        return self.record.state.status

    @strawberry.field
    def note(self) -> str | None:
        return self.record.state.note

    @field(description="When the status was last set.")
    def status_at(self) -> datetime | None:
        at = self.record.state.status_at
        return None if at is None else utc(at)

    @field(description="The latest analysis did not find it again (kept, not ranked).")
    def stale(self) -> bool:
        return self.record.stale

    @field(description="When an analysis first found it.")
    def first_seen_at(self) -> datetime | None:
        at = self.record.state.first_seen_at
        return None if at is None else utc(at)

    @strawberry.field
    def evidence(self) -> WorkEvidence:
        return WorkEvidence(item=self.record)

    @field(description="Before against after its DONE time or its page's new version; null "
           "until it has one.")  # fmt: skip
    def verification(self) -> Verification | None:
        v = self.record.verification
        return None if v is None else Verification(record=v)


@strawberry.type(description="The queue in numbers.")
class WorkSummary:
    open: int
    doing: int
    done: int
    dismissed: int
    stale: int = strawberry.field(description="Items the latest analysis did not find again.")
    worked: int = strawberry.field(description="DONE items whose verdict is WORKED.")
    no_effect: int
    worse: int
    waiting: int
    tickets_avoided_per_week: float = strawberry.field(
        description="Verified wins: escalations per week fewer since the fixes that WORKED."
    )


Statuses = Annotated[
    list[WorkStatus] | None,
    strawberry.argument(description="Only these (default: OPEN and DOING)."),
]


@strawberry.type
class WorkQuery:
    @field(description="The latest analysis' work items, most tickets per week first (then "
           "customers per week), then the stale ones.")  # fmt: skip
    async def work_queue(
        self, info: Info, first: First = DEFAULT_FIRST, status: Statuses = None
    ) -> list[WorkItem]:
        statuses = list(dict.fromkeys(status)) if status else list(TO_DO)
        items = await info.context.graph.work.queue(statuses, firsts(first, DEFAULT_FIRST))
        return [WorkItem(record=item) for item in items]

    @field(description="One item by id; null for an unknown one.")
    async def work_item(self, info: Info, id: strawberry.ID) -> WorkItem | None:
        item = await info.context.loaders.work_item.load(str(id))
        return None if item is None else WorkItem(record=item)

    @strawberry.field
    async def work_summary(self, info: Info) -> WorkSummary:
        s = await info.context.graph.work.summary()
        return WorkSummary(
            open=s.by_status[WorkStatus.OPEN],
            doing=s.by_status[WorkStatus.DOING],
            done=s.by_status[WorkStatus.DONE],
            dismissed=s.by_status[WorkStatus.DISMISSED],
            stale=s.stale,
            worked=s.verdicts[Verdict.WORKED],
            no_effect=s.verdicts[Verdict.NO_EFFECT],
            worse=s.verdicts[Verdict.WORSE],
            waiting=s.verdicts[Verdict.WAITING],
            tickets_avoided_per_week=s.tickets_avoided_per_week,
        )


@strawberry.type
class WorkMutation:
    @mutation(
        description="Set an item's status (and note: null keeps the one it has). `at`: when "
        "it took effect (default now); for DONE, the time the fix went live, from which its "
        "verification compares equal windows before and after. Needs the API key when one "
        "is configured; null for an unknown item.",
        permission_classes=[needs_api_key("setWorkItemStatus")],
    )
    async def set_work_item_status(
        self,
        info: Info,
        id: strawberry.ID,
        status: WorkStatus,
        note: str | None = None,
        at: datetime | None = None,
    ) -> WorkItem | None:
        service = info.context.work
        if service is None:
            raise user_error("this server cannot change work items", ErrorCode.NOT_AVAILABLE)
        if note is not None and len(note) > MAX_NOTE:
            raise user_error(f"`note` is longer than {MAX_NOTE} characters")
        at_ms = None if at is None else to_ms(at)
        if at_ms is not None and at_ms > service.now_ms() + MAX_AHEAD_MS:
            raise user_error("`at` is more than a day in the future")
        if not await service.set_status(str(id), status, note, at_ms):
            return None
        item = await info.context.graph.work.items([str(id)])
        found = item.get(str(id))
        return None if found is None else WorkItem(record=found)
