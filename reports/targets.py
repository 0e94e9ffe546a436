"""Sales targets: what a rep, a team or a product line should sell in a month, and how far they got.

A target is set per month (`period`, YYYY-MM), subject (one sales user, one team or one product line)
and basis (the measure it counts: booked, invoiced or collected); there is one per period, subject and
basis, and only its amount changes afterwards. An annual target is split into its twelve months by
weights (seasonality), each month rounded to the cent and the last taking what rounding left.

The actual of a target is the sum of the sales entries (`reports.models.SalesEntry`) of the target's
measure dated within the month and carrying its subject (the entry's rep, team or product line as they
were at the act), read straight from the ledger, so it is exact for what was committed when it was read.

Who: admin sets any target; a sales manager those of the reps of their team and of their team itself
(a product line's targets are the company's, admin's alone). Management, finance and admin read every
target; a sales manager the team's (its reps' and the team's own), a sales rep their own.

Behind pace: from the 15th of a month, the daily task compares each rep target of the month with its
pace, expected-to-date = target x days elapsed (today included) / days in the month, against the actual
up to today; a rep behind it is reported to the sales managers of their team through the outbox, once
per target (`TargetAlert` keeps the record)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from flask_babel import force_locale, get_babel
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import (
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Select,
    String,
    UniqueConstraint,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core import clock
from core.db import Base, Money, Timestamp
from core.errors import DomainError, Forbidden, InvalidInput
from core.forms import check_input, load_input
from core.models import Audited, ProductLine, Role, User
from core.money import ZERO, round_money, split_money
from core.permissions import SALES
from core.schemas import DecimalText, Id, InputSchema, Int, StrictInputSchema, Text, money
from core.uow import UnitOfWork
from reports import cube
from reports.sales import as_of as moment_of
from reports.sales import report_session
from reports.schemas import check_month
from reports.workbook import table_workbook

RESOURCE = "sales_target"
ALERT_FROM_DAY = 15  # the behind-pace check starts on the 15th of the month
FOUR_PLACES = Decimal("0.0001")
MONTHS = 12


class TargetBasis(StrEnum):
    """The measure a target counts (the sales entries' measure of the same name)."""

    BOOKED = "booked"
    INVOICED = "invoiced"
    COLLECTED = "collected"


class TargetSubject(StrEnum):
    """What a target is set for; each kind is named by one field of the target."""

    REP = "rep"
    TEAM = "team"
    PRODUCT_LINE = "product_line"


SUBJECT_FIELDS = {TargetSubject.REP: "rep_id", TargetSubject.TEAM: "team",
                  TargetSubject.PRODUCT_LINE: "product_line"}
BASIS_LABELS = {TargetBasis.BOOKED: _l("Booked amount"), TargetBasis.INVOICED: _l("Invoiced amount"),
                TargetBasis.COLLECTED: _l("Collected amount")}
SUBJECT_LABELS = {TargetSubject.REP: _l("Sales rep"), TargetSubject.TEAM: _l("Team"),
                  TargetSubject.PRODUCT_LINE: _l("Product line")}


# --------------------------------------------------------------------------- records


class SalesTarget(Audited, Base):
    """One month's target of one subject on one basis. `subject` and `subject_key` (the rep's id as
    text, the team or the product line code) name the subject for the unique key, since the three
    subject columns hold nulls."""

    __tablename__ = "reports_sales_target"
    __table_args__ = (
        UniqueConstraint("period", "subject", "subject_key", "basis", name="uq_reports_sales_target_subject"),
        Index("ix_reports_sales_target_period_subject", "period", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    subject: Mapped[str] = mapped_column(String(12))
    subject_key: Mapped[str] = mapped_column(String(80))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    team: Mapped[str | None] = mapped_column(String(80))
    # the code as the sales entries carry it (they keep the code of their day, not a link)
    product_line: Mapped[str | None] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Money]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[Timestamp]

    rep: Mapped[User | None] = relationship(foreign_keys=[rep_id], lazy="joined")

    @property
    def rep_name(self) -> str | None:
        return self.rep.display_name if self.rep is not None else None


class TargetAlert(Base):
    """The record that a rep's target was reported behind pace (once per target): the day, and the
    expected and actual amounts that day."""

    __tablename__ = "reports_target_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("reports_sales_target.id"), unique=True)
    day: Mapped[date] = mapped_column(Date)
    expected: Mapped[Money]
    actual: Mapped[Money]
    created_at: Mapped[Timestamp]


# --------------------------------------------------------------------------- data scope


def _team_members(team: str) -> Select:
    return select(User.id).where(User.team == team)


@dataclass(frozen=True)
class TargetScope:
    """Which targets a sales user reaches: a rep their own; a sales manager those of the reps of their
    team and the team's own (their own only, without a team). Product lines are nobody's in sales.
    The other roles are not narrowed (their role's rights decide)."""

    def limits(self, actor: User) -> bool:
        return actor.role in SALES

    def clause(self, actor: User, action: str) -> ColumnElement[bool] | None:
        if actor.role == Role.SALES_REP or (actor.role == Role.SALES_MANAGER and not actor.team):
            return SalesTarget.rep_id == actor.id
        if actor.role == Role.SALES_MANAGER:
            return or_(SalesTarget.rep_id.in_(_team_members(actor.team)), SalesTarget.team == actor.team)
        return None

    def allows(self, actor: User, action: str, record: Any) -> bool:
        if not self.limits(actor):
            return True
        if record.rep_id is not None and record.rep_id == actor.id:
            return True
        if actor.role != Role.SALES_MANAGER or not actor.team:
            return False
        if record.team is not None:
            return record.team == actor.team
        return record.rep is not None and record.rep.team == actor.team

    def describe(self) -> str:
        return ("a rep: their own rep targets; a manager: the team's reps' and the team's own "
                "(product lines: none)")


TARGET_SCOPE = TargetScope()


# --------------------------------------------------------------------------- input

SUBJECT_NAMES = tuple(SUBJECT_FIELDS.values())
check_period = check_month  # YYYY-MM, the reports' one month format


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class _SubjectFields(Schema):
    """Exactly one of `rep_id`, `team` or `product_line` names the subject."""

    rep_id = Id(metadata={"description": "a sales user's id (a rep's target)"})
    team = Text(validate=validate.Length(min=1, max=80), metadata={"description": "a team's target"})
    product_line = Text(validate=validate.Length(min=1, max=40),
                        metadata={"description": "a product line's code (its target)"})
    basis = Text(required=True, validate=validate.OneOf(list(TargetBasis), error=str(
        _l("Use booked, invoiced or collected."))))
    amount = money(required=True, error_messages={"invalid": "Give the amount as a number, e.g. 10000.00."})

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_subject(self, _data, original, **_kwargs) -> None:
        given = [name for name in SUBJECT_NAMES if _given((original or {}).get(name))]
        if not given:
            message = str(_l("Give one of rep_id, team or product_line."))
            raise ValidationError({name: [message] for name in SUBJECT_NAMES})
        if len(given) > 1:
            message = str(_l("Give only one of rep_id, team or product_line."))
            raise ValidationError({name: [message] for name in given})


class CreateTargetSchema(_SubjectFields, StrictInputSchema):
    period = Text(required=True, validate=check_period, metadata={"description": "YYYY-MM"})


class CreateTargetFormSchema(_SubjectFields, InputSchema):
    period = Text(required=True, validate=check_period)


class ChangeTargetSchema(StrictInputSchema):
    amount = money(required=True, error_messages={"invalid": "Give the amount as a number, e.g. 10000.00."})


class AnnualTargetSchema(_SubjectFields, StrictInputSchema):
    year = Int(required=True, minimum=1900, maximum=9000)
    weights = fields.List(DecimalText(6), allow_none=True, load_default=None, metadata={
        "description": "twelve non-negative numbers, January first (optional: equal months)"})

    @validates_schema(skip_on_field_errors=True)
    def _twelve_weights(self, data, **_kwargs) -> None:
        weights = data.get("weights")
        if weights is None:
            return
        if len(weights) != MONTHS or sum(weights, ZERO) <= 0:
            raise ValidationError(str(_l("Give twelve non-negative numbers whose sum is above zero.")), "weights")


class TargetListArgs(InputSchema):
    period = Text(validate=check_period, metadata={"description": "YYYY-MM"})
    basis = Text(validate=validate.OneOf(list(TargetBasis), error=str(_l("Use booked, invoiced or collected."))))
    rep_id = Id()
    team = Text(validate=validate.Length(max=80))
    product_line = Text(validate=validate.Length(max=40))


class AttainmentArgs(InputSchema):
    period = Text(validate=check_period, metadata={"description": "YYYY-MM (default: this month)"})
    by = Text(load_default=TargetSubject.REP.value, validate=validate.OneOf(list(TargetSubject), error=str(
        _l("Use rep, team or product_line."))), metadata={"description": "rep (default), team or product_line"})
    basis = Text(validate=validate.OneOf(list(TargetBasis), error=str(_l("Use booked, invoiced or collected."))),
                 metadata={"description": "booked, invoiced or collected (default: every basis)"})


# --------------------------------------------------------------------------- months


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_days(period: str) -> tuple[date, date]:
    """The first and the last day of a YYYY-MM month."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


# --------------------------------------------------------------------------- setting targets


@dataclass(frozen=True)
class _Subject:
    kind: TargetSubject
    rep: User | None = None
    team: str | None = None
    product_line: str | None = None

    @property
    def key(self) -> str:
        return str(self.rep.id) if self.rep is not None else (self.team or self.product_line or "")


def _subject(uow: UnitOfWork, values: Mapping[str, Any], errors: dict[str, list[str]]) -> _Subject | None:
    """The subject the input names, checked against the database; an unknown one adds its field's error."""
    session = uow.session
    if "rep_id" in values:
        rep = session.get(User, values["rep_id"])
        if rep is None or rep.role not in SALES or not rep.active:
            errors.setdefault("rep_id", []).append(str(_l("No active sales user has this id.")))
            return None
        return _Subject(TargetSubject.REP, rep=rep)
    if "team" in values:
        team = values["team"]
        if not session.scalar(select(func.count(User.id)).where(User.team == team, User.role.in_(list(SALES)))):
            errors.setdefault("team", []).append(str(_l("No sales user is in this team.")))
            return None
        return _Subject(TargetSubject.TEAM, team=team)
    if "product_line" in values:
        code = values["product_line"]
        if session.scalar(select(ProductLine.id).where(ProductLine.code == code)) is None:
            errors.setdefault("product_line", []).append(str(_l("There is no product line with this code.")))
            return None
        return _Subject(TargetSubject.PRODUCT_LINE, product_line=code)
    return None


def _new_target(uow: UnitOfWork, subject: _Subject, *, period: str, basis: str, amount: Decimal) -> SalesTarget:
    return SalesTarget(period=period, subject=subject.kind.value, subject_key=subject.key,
                       rep_id=subject.rep.id if subject.rep is not None else None, rep=subject.rep,
                       team=subject.team, product_line=subject.product_line, basis=basis, amount=amount,
                       created_by_id=uow.actor_id)


def _check_scope(uow: UnitOfWork, target: SalesTarget) -> None:
    """A sales manager sets the targets of the team's reps and of the team; anything else is 403."""
    if not uow.in_scope("create", RESOURCE, target):
        raise Forbidden(str(_l("A sales manager sets targets for the reps of their team and for the team only.")))


def _refuse_existing(uow: UnitOfWork, subject: _Subject, basis: str, periods: list[str]) -> None:
    found = list(uow.session.scalars(select(SalesTarget).where(
        SalesTarget.subject == subject.kind.value, SalesTarget.subject_key == subject.key,
        SalesTarget.basis == basis, SalesTarget.period.in_(periods)).order_by(SalesTarget.period)))
    if found:
        raise DomainError(
            str(_l("A target for this subject and basis exists already for %(periods)s; change its amount instead.",
                   periods=", ".join(t.period for t in found))),
            code="target_exists", details={"ids": [t.id for t in found], "periods": [t.period for t in found]})


def _load(uow: UnitOfWork, schema: type[Schema], data: Mapping[str, Any]) -> tuple[dict[str, Any], _Subject]:
    """The input loaded through `schema` and its subject checked against the database: every bad field,
    the schema's and the database's, in one InvalidInput."""
    values, errors = check_input(schema, data)
    subject = _subject(uow, values, errors)
    if errors or subject is None:
        raise InvalidInput(errors or {"rep_id": [str(_l("Give one of rep_id, team or product_line."))]})
    return values, subject


def set_target(uow: UnitOfWork, data: Mapping[str, Any]) -> SalesTarget:
    """A month's target (`CreateTargetSchema`: period, one of rep_id / team / product_line, basis,
    amount). 422 naming each bad field; 403 outside the actor's team; 409 `target_exists` when the
    subject has a target on this basis for the month already."""
    uow.authorize("create", RESOURCE)
    values, subject = _load(uow, CreateTargetSchema, data)
    target = _new_target(uow, subject, period=values["period"], basis=values["basis"], amount=values["amount"])
    _check_scope(uow, target)
    _refuse_existing(uow, subject, values["basis"], [values["period"]])
    uow.session.add(target)
    uow.commit()
    return target


def set_annual_targets(uow: UnitOfWork, data: Mapping[str, Any]) -> list[SalesTarget]:
    """The twelve monthly targets of a year (`AnnualTargetSchema`: year, one subject, basis, amount,
    weights: twelve numbers, equal when left out), split by weight, rounded to the cent, December taking
    the remainder. 409 `target_exists` (nothing created) when any of the twelve exists already."""
    uow.authorize("create", RESOURCE)
    values, subject = _load(uow, AnnualTargetSchema, data)
    weights = values["weights"] or [Decimal(1)] * MONTHS
    amounts = split_money(values["amount"], weights)  # 100000.00 / 12: 8333.33 x 11, then 8333.37
    if amounts[-1] < 0:
        raise InvalidInput({"weights": [str(_l("Rounded to the cent, these weights leave December below zero; "
                                                "give December more weight."))]})
    periods = [f"{values['year']:04d}-{month:02d}" for month in range(1, MONTHS + 1)]
    targets = [_new_target(uow, subject, period=period, basis=values["basis"], amount=amount)
               for period, amount in zip(periods, amounts, strict=True)]
    _check_scope(uow, targets[0])
    _refuse_existing(uow, subject, values["basis"], periods)
    uow.session.add_all(targets)
    uow.commit()
    return targets


def get_target(uow: UnitOfWork, target_id: int, *, for_update: bool = False) -> SalesTarget:
    target = uow.get(SalesTarget, target_id, "sales target", for_update=for_update)
    uow.authorize("read", RESOURCE, target)
    return target


def change_target(uow: UnitOfWork, target_id: int, data: Mapping[str, Any]) -> SalesTarget:
    """A new amount for a target (the only thing that changes); 404 for a target out of sight."""
    target = uow.get(SalesTarget, target_id, "sales target", for_update=True)
    uow.authorize("update", RESOURCE, target)
    target.amount = load_input(ChangeTargetSchema, data)["amount"]
    uow.commit()
    return target


# --------------------------------------------------------------------------- reading


def target_query(uow: UnitOfWork, filters: Mapping[str, Any]) -> Select:
    """The targets the actor may read, by period, basis, rep, team or product line (a rep asking for
    another rep's targets gets none)."""
    values = load_input(TargetListArgs, {k: v for k, v in filters.items() if v not in (None, "")})
    stmt = uow.scoped(RESOURCE, select(SalesTarget))
    for name, value in values.items():
        stmt = stmt.where(getattr(SalesTarget, name) == value)
    return stmt.order_by(SalesTarget.period.desc(), SalesTarget.subject, SalesTarget.subject_key, SalesTarget.basis)


def _actuals(session: Session, targets: list[SalesTarget], kind: TargetSubject, start: date,
             end: date) -> dict[tuple[str, str], Decimal]:
    """Each subject's booked, invoiced and collected amounts from `start` to `end`, per (subject key,
    measure), read from the sales cube (whole months from the month cube, the edges from the day cube,
    the entries not rolled up yet on top)."""
    if not targets:
        return {}
    dimension = {TargetSubject.REP: "rep", TargetSubject.TEAM: "team",
                 TargetSubject.PRODUCT_LINE: "product_line"}[kind]
    answer = cube.sales(session, cube.Query(date_from=start, date_to=end, by=(dimension,)))
    key_of = "rep_id" if dimension == "rep" else dimension
    return {(str(row[key_of]), measure): row[measure] for row in answer["rows"] if row[key_of] is not None
            for measure in {t.basis for t in targets}}


def attainment_row(target: SalesTarget, actual: Decimal) -> dict[str, Any]:
    """A report row: the subject's fields, the target, the actual, the attainment (actual / target, four
    decimals; null for a zero target) and the gap (target - actual, never below zero)."""
    row: dict[str, Any] = {"target_id": target.id, "period": target.period, "basis": target.basis}
    if target.subject == TargetSubject.REP:
        row.update(rep_id=target.rep_id, rep_name=target.rep_name)
    elif target.subject == TargetSubject.TEAM:
        row["team"] = target.team
    else:
        row["product_line"] = target.product_line
    attainment = (actual / target.amount).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP) if target.amount else None
    row.update(target=target.amount, actual=actual, attainment=attainment, gap=max(target.amount - actual, ZERO))
    return row


def attainment(uow: UnitOfWork, args: Mapping[str, Any]) -> dict[str, Any]:
    """The attainment board of a month (`AttainmentArgs`: period, this month by default; by: rep, team or
    product_line; basis, every basis by default): a row per target the actor may read, with `as_of`,
    the moment the answer reflects."""
    values = load_input(AttainmentArgs, {k: v for k, v in args.items() if v not in (None, "")})
    session = report_session(uow)
    as_of = moment_of(session)
    period = values.get("period") or month_of(clock.today())
    kind = TargetSubject(values["by"])
    stmt = uow.scoped(RESOURCE, select(SalesTarget)).where(SalesTarget.period == period,
                                                           SalesTarget.subject == kind.value)
    if values.get("basis"):
        stmt = stmt.where(SalesTarget.basis == values["basis"])
    targets = list(session.scalars(stmt.order_by(SalesTarget.subject_key, SalesTarget.basis)))
    start, end = month_days(period)
    actuals = _actuals(session, targets, kind, start, end)
    names = {line.code: line for line in session.scalars(select(ProductLine).where(
        ProductLine.code.in_({t.product_line for t in targets if t.product_line})))}
    rows = []
    for target in targets:
        key = str(getattr(target, SUBJECT_FIELDS[kind]))
        row = attainment_row(target, actuals.get((key, target.basis), ZERO))
        if kind == TargetSubject.PRODUCT_LINE and target.product_line in names:
            row["product_line_name"] = names[target.product_line].name
            row["product_line_name_zh"] = names[target.product_line].name_zh
        rows.append(row)
    if kind == TargetSubject.REP:
        rows.sort(key=lambda r: ((r["rep_name"] or "").lower(), r["rep_id"], r["basis"]))
    return {"period": period, "by": kind.value, "basis": values.get("basis"), "rows": rows, "as_of": as_of}


def attainment_workbook(report: Mapping[str, Any]) -> bytes:
    """The attainment report (`attainment`'s answer) as a workbook, titled in the reader's language."""
    kind = TargetSubject(report["by"])
    subject = {TargetSubject.REP: "rep_name", TargetSubject.TEAM: "team",
               TargetSubject.PRODUCT_LINE: "product_line"}[kind]
    columns = {subject: str(SUBJECT_LABELS[kind]), "basis_label": _("Basis"), "target": _("Target amount"),
               "actual": _("Actual amount"), "attainment": _("Attainment"), "gap": _("Gap")}
    rows = [{**row, "basis_label": str(BASIS_LABELS[TargetBasis(row["basis"])])} for row in report["rows"]]
    title = _("Targets of %(period)s", period=report["period"])
    return table_workbook(title, columns, rows, as_of=report["as_of"], sheet=_("Targets"))


# --------------------------------------------------------------------------- behind pace


@dataclass(frozen=True)
class BehindPace:
    target_id: int
    rep_name: str
    period: str
    basis: str
    target: Decimal
    expected: Decimal
    actual: Decimal
    day: int
    days: int


def behind_pace_message(facts: BehindPace, locale: str | None) -> str:
    """The alert in the manager's language (English outside an app, or when they chose none)."""
    amounts = {name: f"{getattr(facts, name):,.2f}" for name in ("actual", "expected", "target")}
    with force_locale(locale or _default_locale()):
        return _("%(rep)s is behind pace on the %(period)s target (%(basis)s): %(actual)s so far against "
                 "%(expected)s expected by day %(day)s of %(days)s, for a target of %(target)s.",
                 rep=facts.rep_name, basis=str(BASIS_LABELS[TargetBasis(facts.basis)]).lower(), period=facts.period,
                 day=facts.day, days=facts.days, **amounts)


def _default_locale() -> str:
    try:
        return str(get_babel().default_locale)
    except (RuntimeError, KeyError, AttributeError):  # outside an app: English
        return "en"


def _team_managers(uow: UnitOfWork, rep: User) -> list[User]:
    if not rep.team:
        return []
    return list(uow.session.scalars(select(User).where(
        User.role == Role.SALES_MANAGER, User.team == rep.team, User.active.is_(True), User.id != rep.id)
        .order_by(User.id)))


def alert_behind_pace(uow: UnitOfWork, *, today: date) -> list[int]:
    """From the 15th of the month (system job, daily): every rep target of the month whose actual up to
    today is below its expected-to-date (target x days elapsed, today included / days in the month,
    rounded to the cent) and that was not reported yet gets one `notify.user` message to each active
    sales manager of the rep's team, and its `TargetAlert` record; all in one transaction. A rep with no
    team manager is not recorded (a manager who joins later hears of it). Gives the targets alerted."""
    uow.authorize("update", RESOURCE)
    if today.day < ALERT_FROM_DAY:
        return []
    period = month_of(today)
    start, end = month_days(period)
    alerted_before = select(TargetAlert.target_id)
    targets = list(uow.session.scalars(select(SalesTarget).where(
        SalesTarget.period == period, SalesTarget.subject == TargetSubject.REP.value,
        SalesTarget.id.not_in(alerted_before)).order_by(SalesTarget.id)))
    actuals = _actuals(uow.session, targets, TargetSubject.REP, start, today)
    alerted = []
    for target in targets:
        expected = round_money(target.amount * today.day / end.day)
        actual = actuals.get((str(target.rep_id), target.basis), ZERO)
        if actual >= expected:
            continue
        managers = _team_managers(uow, target.rep)
        if not managers:
            continue
        facts = BehindPace(target.id, target.rep_name or "", period, target.basis, target.amount, expected, actual,
                           today.day, end.day)
        for manager in managers:
            uow.enqueue("notify.user", {"user_id": manager.id, "message": behind_pace_message(facts, manager.locale),
                                        "link": f"/reports/targets?period={period}&by=rep"})
        uow.session.add(TargetAlert(target_id=target.id, day=today, expected=expected, actual=actual))
        alerted.append(target.id)
    uow.commit()
    return alerted
