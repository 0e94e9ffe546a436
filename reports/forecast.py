"""Forecast against actual: what the pipeline promised for a month, per rep, and what was booked.

At the start of each month a beat task (`reports.snapshot_forecast`, daily, acting only while the month
has no snapshot yet) freezes each sales user's weighted pipeline for that month: the sum over their open
opportunities whose expected close date falls in the month of amount x the stage's win probability, each
rounded to the cent as the pipeline's own forecast does (`crm.pipeline.forecast`). Opportunities without
an owner or a close date belong to no rep's month; one without an amount counts 0.

The report sets the snapshot beside what the rep booked in that month (the `booked` sales entries of
`reports.models`, dated by the order date, cancellations netted): accuracy = 1 - |booked - forecast| /
forecast, clipped to [0, 1], four decimals; none when nothing was forecast. Each rep's mean accuracy is
the mean over the months of the answer that have one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, Money, Timestamp
from core.errors import InvalidInput
from core.models import Role, User
from core.money import ZERO, round_money
from core.uow import UnitOfWork
from crm.pipeline.models import Opportunity, OpportunityState, Stage
from reports import scope
from reports.models import Measure, SalesEntry
from reports.sales import as_of, report_session

ONE = Decimal("1")
RATE = Decimal("0.0001")
MAX_MONTHS = 24
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ForecastSnapshot(Base):
    """A rep's weighted pipeline for one month, as it stood when the month began. Written once per month
    and rep, never changed."""

    __tablename__ = "reports_forecast_snapshot"
    __table_args__ = (UniqueConstraint("month", "rep_id", name="uq_reports_forecast_snapshot_month_rep"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    rep_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    weighted: Mapped[Money]
    opportunities: Mapped[int] = mapped_column(Integer, default=0)  # how many open opportunities it sums
    taken_at: Mapped[Timestamp]


# --------------------------------------------------------------------------- months


def parse_month(text: str, *, name: str = "month") -> date:
    """The first day of the month `YYYY-MM`; anything else is 422 naming the field."""
    found = _MONTH.match(text or "")
    if not found or not 1 <= int(found.group(2)) <= 12 or not 1900 <= int(found.group(1)) <= 9000:
        raise InvalidInput({name: ["Give a month as YYYY-MM."]})
    return date(int(found.group(1)), int(found.group(2)), 1)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(first: date, count: int) -> date:
    index = first.year * 12 + first.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(first: date) -> date:
    return add_months(first, 1) - timedelta(days=1)


# --------------------------------------------------------------------------- snapshots


def weighted_pipeline(uow: UnitOfWork, first: date) -> dict[int, tuple[Decimal, int]]:
    """Per owner, the weighted amount and the number of the open opportunities expected to close in
    the month beginning on `first`."""
    rows = uow.session.execute(
        select(Opportunity.owner_id, Opportunity.amount, Stage.probability)
        .join(Stage, Stage.id == Opportunity.stage_id)
        .where(Opportunity.state == OpportunityState.OPEN.value, Opportunity.owner_id.is_not(None),
               Opportunity.expected_close_date >= first, Opportunity.expected_close_date <= month_end(first)))
    found: dict[int, tuple[Decimal, int]] = {}
    for owner_id, amount, probability in rows:
        weighted, count = found.get(owner_id, (ZERO, 0))
        found[owner_id] = (weighted + round_money((amount or ZERO) * probability), count + 1)
    return found


def snapshot_forecast(uow: UnitOfWork, month: str, *, now: datetime | None = None) -> list[ForecastSnapshot]:
    """Freeze the weighted pipeline of `month` (YYYY-MM) for every active sales user and every owner of
    an opportunity expected to close in it (0 for those with none), skipping the reps the month already
    has: running it again changes nothing. Gives the snapshots it wrote."""
    uow.authorize("update", scope.RESOURCE)
    first = parse_month(month)
    key = month_key(first)
    taken = set(uow.session.scalars(select(ForecastSnapshot.rep_id).where(ForecastSnapshot.month == key)))
    pipeline = weighted_pipeline(uow, first)
    sales_users = set(uow.session.scalars(select(User.id).where(
        User.active.is_(True), User.role.in_((Role.SALES_REP.value, Role.SALES_MANAGER.value)))))
    written = []
    for rep_id in sorted((sales_users | set(pipeline)) - taken):
        weighted, count = pipeline.get(rep_id, (ZERO, 0))
        snapshot = ForecastSnapshot(month=key, rep_id=rep_id, weighted=weighted, opportunities=count,
                                    taken_at=now or clock.now())
        uow.session.add(snapshot)
        written.append(snapshot)
    uow.commit()
    return written


def snapshot_current_month(uow: UnitOfWork, *, today: date, now: datetime | None = None) -> list[ForecastSnapshot]:
    """The beat's daily act: snapshot the month of `today` unless it was snapshotted already (so the
    snapshot is the pipeline of the month's first day the task ran on)."""
    key = month_key(today)
    if uow.session.scalar(select(ForecastSnapshot.id).where(ForecastSnapshot.month == key).limit(1)) is not None:
        return []
    return snapshot_forecast(uow, key, now=now)


# --------------------------------------------------------------------------- forecast against actual


def accuracy(forecast: Decimal, booked: Decimal) -> Decimal | None:
    """1 - |booked - forecast| / forecast, within [0, 1], four decimals; None without a forecast."""
    if forecast <= 0:
        return None
    value = ONE - abs(booked - forecast) / forecast
    return min(ONE, max(ZERO, value)).quantize(RATE, rounding=ROUND_HALF_UP)


@dataclass
class AccuracyRow:
    rep_id: int
    rep_name: str
    month: str
    forecast: Decimal = ZERO
    booked: Decimal = ZERO

    @property
    def accuracy(self) -> Decimal | None:
        return accuracy(self.forecast, self.booked)

    def as_dict(self) -> dict:
        return {"rep_id": self.rep_id, "rep_name": self.rep_name, "month": self.month, "forecast": self.forecast,
                "booked": self.booked, "accuracy": self.accuracy}


@dataclass
class RepAccuracy:
    rep_id: int
    rep_name: str
    forecast: Decimal = ZERO
    booked: Decimal = ZERO
    accuracies: list[Decimal] = field(default_factory=list)

    @property
    def months(self) -> int:
        """The months that have an accuracy (a forecast)."""
        return len(self.accuracies)

    @property
    def mean_accuracy(self) -> Decimal | None:
        if not self.accuracies:
            return None
        return (sum(self.accuracies, ZERO) / len(self.accuracies)).quantize(RATE, rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict:
        return {"rep_id": self.rep_id, "rep_name": self.rep_name, "months": self.months, "forecast": self.forecast,
                "booked": self.booked, "mean_accuracy": self.mean_accuracy}


@dataclass
class ForecastAccuracy:
    months: list[str]
    rows: list[AccuracyRow]
    reps: list[RepAccuracy]
    as_of: datetime


def forecast_accuracy(uow: UnitOfWork, *, months: int = 6, until: str | None = None, rep_id: int | None = None,
                      today: date | None = None) -> ForecastAccuracy:
    """The snapshots of the `months` months ending with `until` (YYYY-MM; default: the last full month
    before `today`) beside what each rep booked in them, in the reader's scope: a row per rep and month
    that has a snapshot or a booking, by rep name then month, and per rep the totals and mean accuracy."""
    scope.authorize_read(uow)
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput({"months": [f"A whole number from 1 to {MAX_MONTHS}."]})
    today = today or clock.today()
    last = parse_month(until, name="until") if until is not None else add_months(today.replace(day=1), -1)
    first = add_months(last, 1 - months)
    keys = [month_key(add_months(first, n)) for n in range(months)]
    session = report_session(uow)
    stamp = as_of(session)
    cells: dict[tuple[int, str], AccuracyRow] = {}

    def cell(rep: int, key: str) -> AccuracyRow:
        return cells.setdefault((rep, key), AccuracyRow(rep_id=rep, rep_name="", month=key))

    snapshots = scope.scoped(uow, select(ForecastSnapshot.rep_id, ForecastSnapshot.month, ForecastSnapshot.weighted)
                             .where(ForecastSnapshot.month.in_(keys)), ForecastSnapshot.rep_id, rep_id)
    snapped = set()
    for rep, key, weighted in session.execute(snapshots):
        cell(rep, key).forecast = weighted
        snapped.add((rep, key))
    booked = scope.scoped(uow, select(SalesEntry.rep_id, SalesEntry.day, func.sum(SalesEntry.amount))
                          .where(SalesEntry.measure == Measure.BOOKED.value, SalesEntry.rep_id.is_not(None),
                                 SalesEntry.day >= first, SalesEntry.day <= month_end(last))
                          .group_by(SalesEntry.rep_id, SalesEntry.day), SalesEntry.rep_id, rep_id)
    for rep, day, amount in session.execute(booked):
        cell(rep, month_key(day)).booked += amount or ZERO
    rows = [row for row in cells.values() if row.booked or (row.rep_id, row.month) in snapped]
    names = {user.id: user.display_name for user in session.scalars(
        select(User).where(User.id.in_({row.rep_id for row in rows})))}
    for row in rows:
        row.rep_name = names.get(row.rep_id, "")
    rows.sort(key=lambda r: (r.rep_name, r.rep_id, r.month))
    reps: dict[int, RepAccuracy] = {}
    for row in rows:
        rep = reps.setdefault(row.rep_id, RepAccuracy(rep_id=row.rep_id, rep_name=row.rep_name))
        rep.forecast += row.forecast
        rep.booked += row.booked
        if row.accuracy is not None:
            rep.accuracies.append(row.accuracy)
    return ForecastAccuracy(months=keys, rows=rows, reps=list(reps.values()), as_of=stamp)
