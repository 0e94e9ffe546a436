"""The sales funnel of a cohort of leads, and the time opportunities spend in each stage.

Funnel: the leads created in a date range (days in China time), by acquisition source or by rep, and
how far each got: `qualified` (graded A or B), `converted` (turned into a customer), then per opportunity
opened from them: `opportunities`, `quoted` (a quote was submitted to the customer: it is approved, which
is ready for the customer, accepted or rejected, or it was superseded by a new version after its
approval, as the quote's audit log shows), `won` and `lost`.
`won_amount` is the untaxed total of the confirmed (not draft, not cancelled) orders made from the
accepted quotes of the won opportunities; `avg_cycle_days` the mean time from the lead's creation to the
win, in days with one decimal. `conversion` gives each step against the step before it (qualified /
leads, converted / qualified, opportunities / converted, quoted / opportunities, won / quoted), four
decimals, None when the step before is 0; a step that can be skipped (a grade C lead converted, a deal
won without a quote) can make a rate exceed 1.

The source of a lead is `crm.leads.sources.acquisition_source` (channel, else UTM source, else
`direct`); its rep is its owner (a lead nobody owns is a row of its own, seen by the company readers).
Scope: `reports.scope` on the lead's owner.

Stage times: for the opportunities opened in a date range (in the reader's scope by their owner), from
their stage history (`crm.pipeline.models.OpportunityStageChange`), per open stage: how many entered it,
how many have left it and how many are in it now, and the mean days the ones that left spent in it
(an opportunity that came back to a stage counts its stays together)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.formatting import CHINA
from core.models import AuditEntry, User
from core.money import ZERO
from core.uow import UnitOfWork
from crm.leads.models import Grade, Lead
from crm.leads.sources import acquisition_source
from crm.orders.models import OrderState, SalesOrder
from crm.pipeline.models import Opportunity, OpportunityStageChange, OpportunityState, Pipeline, Stage
from crm.quotes.models import Quote, QuoteState
from reports import scope
from reports.sales import as_of, default_period, report_session

BY = ("source", "rep")
#: The funnel's steps in order; each after the first is compared with the one before it.
STEPS = ("leads", "qualified", "converted", "opportunities", "quoted", "won")
RATE = Decimal("0.0001")
TENTH = Decimal("0.1")
DAY_SECONDS = Decimal(86400)
QUALIFIED = (Grade.A.value, Grade.B.value)
#: Quote states that mean the quote went to the customer (approved is "ready for the customer").
SENT = (QuoteState.APPROVED.value, QuoteState.ACCEPTED.value, QuoteState.REJECTED.value)
BOOKED_STATES_EXCLUDED = (OrderState.DRAFT.value, OrderState.CANCELLED.value)


def day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The moments [start, end) of the days `date_from`..`date_to` in China time, in UTC as stored (SQLite
    compares the stored text, so a bound in another zone would be read as UTC)."""
    return (datetime.combine(date_from, time(), CHINA).astimezone(UTC),
            datetime.combine(date_to + timedelta(days=1), time(), CHINA).astimezone(UTC))


def check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise InvalidInput({"date_from": ["The first day comes after the last day."]})


def days_between(start: datetime, end: datetime) -> Decimal:
    """The time from `start` to `end` in days, exactly (whole seconds)."""
    delta = end - start
    return Decimal(delta.days * 86400 + delta.seconds) / DAY_SECONDS


def mean_days(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, ZERO) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)


def rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(RATE, rounding=ROUND_HALF_UP) if whole else None


def sent_quotes(session: Session, opportunity_ids: Select) -> set[int]:
    """The opportunities (of `opportunity_ids`) with a quote submitted to the customer: one approved (ready
    for the customer), accepted or rejected now, or superseded by a new version after it was approved
    (the quote's audit log keeps its moves)."""
    found = set(session.scalars(select(Quote.opportunity_id).where(
        Quote.opportunity_id.in_(opportunity_ids), Quote.state.in_(SENT)).distinct()))
    superseded = dict(session.execute(select(Quote.id, Quote.opportunity_id).where(
        Quote.opportunity_id.in_(opportunity_ids), Quote.opportunity_id.not_in(found),
        Quote.state == QuoteState.SUPERSEDED.value)).all())
    if superseded:
        moves = session.execute(select(AuditEntry.entity_id, AuditEntry.changes).where(
            AuditEntry.entity == Quote.__name__, AuditEntry.entity_id.in_([str(i) for i in superseded])))
        for quote_id, changes in moves:
            state = (changes or {}).get("state")
            if isinstance(state, list) and len(state) == 2 and state[1] == QuoteState.APPROVED.value:
                found.add(superseded[int(quote_id)])
    return found


# --------------------------------------------------------------------------- funnel


@dataclass
class FunnelRow:
    source: str | None = None
    rep_id: int | None = None
    rep_name: str | None = None
    leads: int = 0
    qualified: int = 0
    converted: int = 0
    opportunities: int = 0
    quoted: int = 0
    won: int = 0
    lost: int = 0
    won_amount: Decimal = ZERO
    cycle_days: list[Decimal] = field(default_factory=list)

    @property
    def avg_cycle_days(self) -> Decimal | None:
        return mean_days(self.cycle_days)

    @property
    def conversion(self) -> dict[str, Decimal | None]:
        return {step: rate(getattr(self, step), getattr(self, before)) for before, step in pairwise(STEPS)}

    def as_dict(self, by: str | None) -> dict:
        """The row with its dimension (`source`, or `rep_id` and `rep_name`; none for the totals)."""
        keys = {"source": ("source",), "rep": ("rep_id", "rep_name")}.get(by or "", ())
        return {**{key: getattr(self, key) for key in keys},
                **{name: getattr(self, name) for name in (*STEPS, "lost", "won_amount", "avg_cycle_days",
                                                           "conversion")}}


@dataclass
class Funnel:
    by: str
    date_from: date
    date_to: date
    rows: list[FunnelRow]
    totals: FunnelRow
    as_of: datetime


def funnel(uow: UnitOfWork, *, date_from: date | None = None, date_to: date | None = None, by: str = "source",
           rep_id: int | None = None) -> Funnel:
    """The funnel of the leads created from `date_from` to `date_to` (China days; default: the sales
    report's twelve months up to today), a row per source or per rep, and the totals; `rep_id` keeps one
    rep's leads (within the reader's scope)."""
    if by not in BY:
        raise InvalidInput({"by": [f"One of {', '.join(BY)}."]})
    date_from, date_to = default_period({"date_from": date_from, "date_to": date_to})
    check_range(date_from, date_to)
    scope.authorize_read(uow)
    session = report_session(uow)
    stamp = as_of(session)
    start, end = day_bounds(date_from, date_to)
    in_range = and_(Lead.created_at >= start, Lead.created_at < end)
    cohort = scope.scoped(uow, select(Lead.id).where(in_range), Lead.owner_id, rep_id)
    leads = session.execute(scope.scoped(uow, select(
        Lead.id, Lead.channel, Lead.utm_source, Lead.owner_id, Lead.grade, Lead.converted_at, Lead.created_at)
        .where(in_range), Lead.owner_id, rep_id)).all()

    rows: dict[str | int | None, FunnelRow] = {}
    totals = FunnelRow()
    row_of_lead: dict[int, FunnelRow] = {}
    created: dict[int, datetime] = {}
    for lead_id, channel, utm_source, owner_id, grade, converted_at, created_at in leads:
        if by == "source":
            key: str | int | None = acquisition_source(channel, utm_source)
            row = rows.setdefault(key, FunnelRow(source=key))
        else:
            key = owner_id
            row = rows.setdefault(key, FunnelRow(rep_id=owner_id))
        row_of_lead[lead_id], created[lead_id] = row, created_at
        for target in (row, totals):
            target.leads += 1
            target.qualified += grade in QUALIFIED
            target.converted += converted_at is not None

    opportunities = session.execute(select(
        Opportunity.id, Opportunity.lead_id, Opportunity.state, Opportunity.closed_at)
        .where(Opportunity.lead_id.in_(cohort))).all()
    quoted = sent_quotes(session, select(Opportunity.id).where(Opportunity.lead_id.in_(cohort)))
    won_ids = select(Opportunity.id).where(Opportunity.lead_id.in_(cohort),
                                           Opportunity.state == OpportunityState.WON.value)
    won_amounts = dict(session.execute(
        select(Quote.opportunity_id, func.sum(SalesOrder.untaxed))
        .join(SalesOrder, SalesOrder.id == Quote.sales_order_id)
        .where(Quote.opportunity_id.in_(won_ids), SalesOrder.state.not_in(BOOKED_STATES_EXCLUDED))
        .group_by(Quote.opportunity_id)).all())
    for opportunity_id, lead_id, state, closed_at in opportunities:
        row = row_of_lead[lead_id]
        for target in (row, totals):
            target.opportunities += 1
            target.quoted += opportunity_id in quoted
            if state == OpportunityState.WON.value:
                target.won += 1
                target.won_amount += won_amounts.get(opportunity_id) or ZERO
                if closed_at is not None:
                    target.cycle_days.append(days_between(created[lead_id], closed_at))
            elif state == OpportunityState.LOST.value:
                target.lost += 1

    ordered = list(rows.values())
    if by == "rep":
        names = {u.id: u.display_name for u in session.scalars(
            select(User).where(User.id.in_([r.rep_id for r in ordered if r.rep_id is not None])))}
        for row in ordered:
            row.rep_name = names.get(row.rep_id, "") if row.rep_id is not None else ""
        ordered.sort(key=lambda r: (r.rep_id is None, r.rep_name or "", r.rep_id or 0))
    else:
        ordered.sort(key=lambda r: r.source or "")
    return Funnel(by=by, date_from=date_from, date_to=date_to, rows=ordered, totals=totals, as_of=stamp)


# --------------------------------------------------------------------------- time in each stage


@dataclass
class StageTime:
    pipeline_id: int
    pipeline_name: str
    stage_id: int
    stage_code: str
    stage_name: str
    position: int
    entered: int = 0
    left: int = 0
    in_stage: int = 0
    days: list[Decimal] = field(default_factory=list)

    @property
    def avg_days(self) -> Decimal | None:
        return mean_days(self.days)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in (
            "pipeline_id", "pipeline_name", "stage_id", "stage_code", "stage_name", "position", "entered", "left",
            "in_stage", "avg_days")}


@dataclass
class StageTimes:
    date_from: date
    date_to: date
    opportunities: int
    rows: list[StageTime]
    as_of: datetime


def stage_times(uow: UnitOfWork, *, date_from: date | None = None, date_to: date | None = None,
                rep_id: int | None = None) -> StageTimes:
    """Per open stage, the time the opportunities opened from `date_from` to `date_to` (China days; the
    funnel's default period) spent in it, from their stage history; `rep_id` keeps one rep's
    opportunities (within the reader's scope)."""
    date_from, date_to = default_period({"date_from": date_from, "date_to": date_to})
    check_range(date_from, date_to)
    scope.authorize_read(uow)
    session = report_session(uow)
    stamp = as_of(session)
    start, end = day_bounds(date_from, date_to)
    cohort = scope.scoped(uow, select(Opportunity.id).where(Opportunity.created_at >= start,
                                                            Opportunity.created_at < end),
                          Opportunity.owner_id, rep_id)
    changes = session.execute(
        select(OpportunityStageChange.opportunity_id, OpportunityStageChange.to_stage_id,
               OpportunityStageChange.changed_at)
        .where(OpportunityStageChange.opportunity_id.in_(cohort))
        .order_by(OpportunityStageChange.opportunity_id, OpportunityStageChange.changed_at,
                  OpportunityStageChange.id)).all()
    history: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for opportunity_id, stage_id, changed_at in changes:
        history[opportunity_id].append((stage_id, changed_at))
    stages = {stage.id: (stage, name) for stage, name in session.execute(
        select(Stage, Pipeline.name).join(Pipeline, Pipeline.id == Stage.pipeline_id)
        .where(Stage.outcome == OpportunityState.OPEN.value))}
    rows: dict[int, StageTime] = {}
    for moves in history.values():
        spent: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for index, (stage_id, entered_at) in enumerate(moves):
            if stage_id not in stages:
                continue  # won or lost: where the history ends
            stage, pipeline_name = stages[stage_id]
            row = rows.setdefault(stage_id, StageTime(
                pipeline_id=stage.pipeline_id, pipeline_name=pipeline_name, stage_id=stage_id,
                stage_code=stage.code, stage_name=stage.name, position=stage.position))
            if stage_id not in spent:
                row.entered += 1
            if index + 1 < len(moves):
                spent[stage_id] += days_between(entered_at, moves[index + 1][1])
            else:
                spent[stage_id] += ZERO
        current = moves[-1][0]
        for stage_id, days in spent.items():
            if stage_id == current:
                rows[stage_id].in_stage += 1
            else:
                rows[stage_id].left += 1
                rows[stage_id].days.append(days)
    ordered = sorted(rows.values(), key=lambda r: (r.pipeline_id, r.position == 0, r.position, r.stage_id))
    return StageTimes(date_from=date_from, date_to=date_to, opportunities=len(history), rows=ordered, as_of=stamp)
