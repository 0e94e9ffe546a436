"""Read-only views of the pipeline: the board of stages with opportunity cards and the sales
manager's team view, always in the caller's data scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.formatting import CHINA
from core.models import Role, User
from core.money import ZERO, round_money
from core.permissions import SALES
from core.registry import permissions_of, registry_of
from crm.pipeline.models import Activity, Opportunity, OpportunityState, Pipeline, Stage
from crm.tasks.models import Task, TaskState

CLOSED_SHOWN_DAYS = 30  # won and lost cards stay on the board this long after closing


# --------------------------------------------------------------------------- the board


@dataclass
class Card:
    opportunity: Opportunity
    idle: timedelta          # since the last activity (or the opening)
    stalled: bool

    @property
    def weighted(self) -> Decimal:
        return round_money((self.opportunity.amount or ZERO) * self.opportunity.probability)


@dataclass
class Column:
    stage: Stage
    cards: list[Card] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((c.opportunity.amount or ZERO for c in self.cards), ZERO)

    @property
    def weighted(self) -> Decimal:
        return sum((c.weighted for c in self.cards), ZERO)


def pipelines(session: Session) -> list[Pipeline]:
    """Every pipeline, the default one first (for the board's selector and the settings page)."""
    return list(session.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.id)))


def pipeline_for(session: Session, pipeline_id: int | None = None) -> Pipeline | None:
    stmt = select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.id)
    if pipeline_id is not None:
        stmt = stmt.where(Pipeline.id == pipeline_id)
    return session.scalar(stmt)


def board(session: Session, actor: User, pipeline: Pipeline, *, now: datetime, stalled_hours: int,
          owner_id: int | None = None) -> list[Column]:
    """One column per stage: the open opportunities in the caller's scope (of one owner when given),
    oldest touch first, and the ones won or lost in the last 30 days."""
    stmt = permissions_of(session).scoped(actor, "opportunity", select(Opportunity).where(
        Opportunity.pipeline_id == pipeline.id,
        or_(Opportunity.state == OpportunityState.OPEN.value,
            Opportunity.closed_at >= now - timedelta(days=CLOSED_SHOWN_DAYS))))
    if owner_id is not None:
        stmt = stmt.where(Opportunity.owner_id == owner_id)
    columns = {stage.id: Column(stage) for stage in pipeline.active_stages}
    found = session.scalars(stmt.order_by(func.coalesce(Opportunity.last_activity_at, Opportunity.created_at),
                                          Opportunity.id)).unique()
    for opportunity in found:
        column = columns.get(opportunity.stage_id)
        if column is not None:
            column.cards.append(Card(opportunity, now - opportunity.last_touch_at,
                                     opportunity.is_stalled(now=now, hours=stalled_hours)))
    return list(columns.values())


# --------------------------------------------------------------------------- the team view

LISTS = ("leads", "overdue", "claims", "opportunities", "stalled", "activities")


def week_start(now: datetime) -> datetime:
    """Monday 00:00 China time of the week `now` falls in."""
    local = now.astimezone(CHINA)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, datetime.min.time(), CHINA).astimezone(UTC)


def team_members(session: Session, actor: User) -> list[User]:
    """Whom the caller's team view shows: a sales manager the active sales users of the team (only
    themself without a team); management and admin every active sales user."""
    permissions_of(session).require(actor, "read", "team_view")
    stmt = select(User).where(User.active.is_(True), User.role.in_([r.value for r in SALES]))
    if actor.role == Role.SALES_MANAGER:
        stmt = stmt.where(User.team == actor.team) if actor.team else stmt.where(User.id == actor.id)
    return list(session.scalars(stmt.order_by(User.role.desc(), User.full_name, User.username)))


@dataclass
class FollowUp:
    """A follow-up that is late: a lead past its first-contact deadline, or an open task past its due
    time (an activity's next step becomes such a task)."""

    kind: str                 # "deadline" or "task"
    record: Any               # the lead (a deadline) or the Task
    due: datetime
    about: tuple[str, int, str] | None = None  # ("lead" or "opportunity", id, number) a task is about


@dataclass
class RepLists:
    leads: list[Any] = field(default_factory=list)      # open leads, filled by the leads (`TeamLists`)
    overdue: list[FollowUp] = field(default_factory=list)
    claims: list[Any] = field(default_factory=list)     # pool claims of the week, likewise
    opportunities: list[Card] = field(default_factory=list)
    stalled: list[Card] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)

    def leads_by_grade(self) -> dict[str, int]:
        counts = {"A": 0, "B": 0, "C": 0}
        for lead in self.leads:
            counts[lead.grade] = counts.get(lead.grade, 0) + 1
        return counts

    @property
    def amount(self) -> Decimal:
        return sum((c.opportunity.amount or ZERO for c in self.opportunities), ZERO)

    @property
    def weighted(self) -> Decimal:
        return sum((c.weighted for c in self.opportunities), ZERO)


@dataclass(frozen=True)
class TeamLists:
    """What a module above the pipeline adds to the team view: the leads. A lead converts into an
    opportunity, so `crm.leads` imports the pipeline and not the other way round; its `init_app` adds
    this to the app's registry (`team_lists`).

    `fill(session, lists, rep_ids, now=, since=)` adds to each rep's `RepLists` (a defaultdict by rep
    id) the open leads, their first-contact deadlines missed by `now` as `FollowUp("deadline", ...)`
    entries, and the pool claims since `since`; it runs before the late tasks are listed.
    `numbers(session, ids)` gives the numbers of the leads that late tasks are about."""

    fill: Callable[..., None]
    numbers: Callable[[Session, set[int]], dict[int, str]]

    def describe(self) -> str:
        return f"{self.fill.__module__}.{self.fill.__qualname__}, {self.numbers.__module__}.{self.numbers.__qualname__}"


def rep_lists(session: Session, reps: list[User], *, now: datetime, stalled_hours: int) -> dict[int, RepLists]:
    """Everything the team view counts, per rep: open leads, late follow-ups, pool claims this
    week, open opportunities, the stalled ones among them, and activities logged this week."""
    ids = [rep.id for rep in reps]
    lists: dict[int, RepLists] = defaultdict(RepLists)
    since = week_start(now)
    contributions = list(registry_of(session).team_lists.values())
    for contribution in contributions:
        contribution.fill(session, lists, ids, now=now, since=since)
    tasks = session.scalars(select(Task).where(Task.owner_id.in_(ids), Task.state == TaskState.OPEN.value,
                                               Task.due_at < now).order_by(Task.due_at, Task.id)).unique()
    tasks = list(tasks)
    numbers = {("opportunity", i): n for i, n in session.execute(select(Opportunity.id, Opportunity.number).where(
        Opportunity.id.in_({t.opportunity_id for t in tasks if t.opportunity_id})))}
    lead_ids = {t.lead_id for t in tasks if t.lead_id}
    for contribution in contributions:
        numbers.update({("lead", i): n for i, n in contribution.numbers(session, lead_ids).items()})
    for task in tasks:
        kind, ref = ("opportunity", task.opportunity_id) if task.opportunity_id else ("lead", task.lead_id)
        about = (kind, ref, numbers[(kind, ref)]) if (kind, ref) in numbers else None
        lists[task.owner_id].overdue.append(FollowUp("task", task, task.due_at, about))
    opportunities = list(session.scalars(select(Opportunity).where(
        Opportunity.owner_id.in_(ids), Opportunity.state == OpportunityState.OPEN.value)
        .order_by(Opportunity.id)).unique())
    for opportunity in opportunities:
        card = Card(opportunity, now - opportunity.last_touch_at, opportunity.is_stalled(now=now, hours=stalled_hours))
        mine = lists[opportunity.owner_id]
        mine.opportunities.append(card)
        if card.stalled:
            mine.stalled.append(card)
    activities = session.scalars(select(Activity).where(Activity.user_id.in_(ids), Activity.at >= since)
                                 .order_by(Activity.at.desc(), Activity.id.desc())).unique()
    for activity in activities:
        lists[activity.user_id].activities.append(activity)
    return {rep.id: lists[rep.id] for rep in reps}
