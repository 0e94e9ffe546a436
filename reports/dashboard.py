"""The sales dashboard and the pivot, and the sales lines behind any of their numbers.

Dashboard: for a period (a month, this month by default, or a range of days) and filters (team, product
line, source) that every panel applies, the KPIs booked, shipped, invoiced, collected and margin against
the period before (the month before a month; as many days just before a range) and, for a month with
targets, against target; revenue by month and product line (the twelve months up to a month, or the
months of a range); the lead funnel; attainment by rep (or of the filtered product line); receivable
aging. Pivot: one measure by a rows dimension and a columns dimension with exact row, column and grand
totals (each a report of its own, so an order over two product lines counts once in a total).
Lines: the sales entries behind a number, a page at a time, with their documents, order, customer and
product, and the sum of all of them (the number clicked).

Every figure comes from the report services (`reports.sales`, `reports.targets`, `reports.funnel`,
`reports.operations`), so the reader's scope is theirs: the company for management, finance and
admin, the team for a sales manager, their own for a rep.

Which target a KPI is held against (targets are set per rep, team or product line, on the basis booked,
invoiced or collected): with a product line filter (and no team or source), that line's target; with
neither a product line nor a source, the sum of the rep targets in sight (of the filtered team's reps),
else of the team targets (the filtered team's), else of the product line targets. A source filter has
no target: targets are not set by source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validate, validates_schema
from sqlalchemy import and_, func, or_, select

from core import clock
from core.errors import InvalidInput
from core.forms import load_input
from core.models import ACQUISITION_SOURCES, Customer, Product, ProductLine, Role, User
from core.money import ZERO
from core.permissions import SALES
from core.schemas import Date, Id, InputSchema, Int, Text
from core.uow import UnitOfWork
from crm.leads.models import Lead
from crm.leads.sources import acquisition_source
from crm.orders.models import SalesOrder
from crm.pipeline.models import Opportunity, OpportunityState
from crm.quotes.models import Quote, QuoteState
from finance.models import OPEN_INVOICE_STATES, Invoice
from finance.queries import BILLED_INVOICE_STATES, BUCKETS, DSO_DAYS, AgingRow, aging_rows
from reports import cube, operations, sales, scope, targets
from reports import funnel as funnels
from reports.cube import DIMENSIONS, MEASURES, month_bounds
from reports.models import SalesCubeMonth, SalesEntry
from reports.schemas import check_month

KPI_MEASURES = ("booked", "shipped", "invoiced", "collected", "margin")
CHART_MEASURES = ("booked", "shipped", "invoiced", "collected")
LINE_MEASURES = ("booked", "shipped", "cost", "margin", "invoiced", "collected")
FILTERS = ("team", "product_line", "source")
FUNNEL_STEPS = funnels.STEPS
CHART_MONTHS = 12
FOUR_PLACES = Decimal("0.0001")
#: the drill-down's parameter naming the dimensions whose value is missing (no team, no product line...)
NONE = "none"
_ENTRY_COLUMN = {"region": SalesEntry.region, "rep": SalesEntry.rep_id, "team": SalesEntry.team,
                 "product_line": SalesEntry.product_line}


# --------------------------------------------------------------------------- input


class _Filters(InputSchema):
    """A month (YYYY-MM) or a range of days, and the filters of every panel."""

    period = Text(validate=check_month, metadata={"description": "YYYY-MM (default: this month)"})
    date_from = Date()
    date_to = Date()
    team = Text(validate=validate.Length(max=80))
    product_line = Text(validate=validate.Length(max=40))
    source = Text(validate=validate.Length(max=80))

    @validates_schema
    def _range(self, data, **_kwargs) -> None:
        given = [name for name in ("date_from", "date_to") if data.get(name)]
        if len(given) == 1:
            missing = "date_to" if given == ["date_from"] else "date_from"
            raise ValidationError(str(_l("Give both the first and the last day, or a month.")), missing)
        if given and data["date_from"] > data["date_to"]:
            raise ValidationError(str(_l("The first day comes after the last day.")), "date_from")


class DashboardArgs(_Filters):
    measure = Text(validate=validate.OneOf(CHART_MEASURES, error=str(
        _l("Use booked, shipped, invoiced or collected."))))


class PivotArgs(_Filters):
    rows = Text(validate=validate.OneOf(DIMENSIONS, error=str(_l("Choose one of the dimensions."))))
    columns = Text(validate=validate.OneOf(DIMENSIONS, error=str(_l("Choose one of the dimensions."))))
    measure = Text(validate=validate.OneOf(MEASURES, error=str(_l("Choose one of the measures."))))

    @validates_schema
    def _two_dimensions(self, data, **_kwargs) -> None:
        if data.get("rows") and data.get("rows") == data.get("columns"):
            raise ValidationError(str(_l("Choose two different dimensions.")), "columns")


class LinesArgs(_Filters):
    month = Text(validate=check_month)
    tier = Text(validate=validate.Length(max=10))
    region = Text(validate=validate.Length(max=80))
    rep = Id()
    measure = Text(required=True, validate=validate.OneOf(LINE_MEASURES, error=str(
        _l("Unknown measure. Use booked, shipped, cost, margin, invoiced or collected."))))
    none = Text(validate=validate.Length(max=200))
    page = Int(load_default=1, minimum=1)

    @validates_schema
    def _known_missing(self, data, **_kwargs) -> None:
        unknown = [name for name in _names(data.get(NONE)) if name not in _ENTRY_COLUMN]
        if unknown:
            raise ValidationError(str(_l("Unknown dimension: %(names)s. Use %(known)s.", names=", ".join(unknown),
                                         known=", ".join(_ENTRY_COLUMN))), NONE)


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def _load(schema, args: Mapping[str, Any]) -> dict[str, Any]:
    """The query string through `schema`, blank fields left out (a filter form sends every field)."""
    return load_input(schema, {key: value for key, value in args.items() if value not in (None, "")})


# --------------------------------------------------------------------------- periods


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, count: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    """The days a dashboard reads: a whole month (`month` set) or a range of days."""

    date_from: date
    date_to: date
    month: str | None = None

    @classmethod
    def of_month(cls, month: str) -> Period:
        first, last = month_bounds(month)
        return cls(first, last, month)

    def before(self) -> Period:
        """The month before a month; as many days just before a range."""
        if self.month:
            return Period.of_month(add_months(self.month, -1))
        days = (self.date_to - self.date_from).days + 1
        return Period(self.date_from - timedelta(days=days), self.date_from - timedelta(days=1))

    @property
    def target_month(self) -> str | None:
        """The month targets are read for: a whole month only."""
        return self.month

    @property
    def attainment_month(self) -> str:
        """The month of the attainment panel: the period's, or the month of a range's last day."""
        return self.month or month_of(self.date_to)

    def chart_range(self) -> tuple[date, date]:
        """The revenue chart's days: the twelve months up to a month, or the range itself."""
        if self.month:
            return month_bounds(add_months(self.month, 1 - CHART_MONTHS))[0], self.date_to
        return self.date_from, self.date_to

    def params(self) -> dict[str, str]:
        """The period as the drill-down's query parameters."""
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}


def period_of(values: Mapping[str, Any]) -> Period:
    """A range when both days are given (a whole calendar month counts as that month), else the month
    asked, else this month."""
    if values.get("date_from") and values.get("date_to"):
        start, end = values["date_from"], values["date_to"]
        whole = start.day == 1 and month_bounds(month_of(start)) == (start, end)
        return Period(start, end, month_of(start) if whole else None)
    return Period.of_month(values.get("period") or month_of(clock.today()))


def months_between(start: date, end: date) -> list[str]:
    months, month = [], month_of(start)
    while month <= month_of(end):
        months.append(month)
        month = add_months(month, 1)
    return months


# --------------------------------------------------------------------------- shared


def filters_of(values: Mapping[str, Any]) -> dict[str, str]:
    return {name: values[name] for name in FILTERS if values.get(name)}


def change(value: Decimal, before: Decimal) -> Decimal | None:
    """(value - before) / |before|, four decimals; None when there was nothing before."""
    if not before:
        return None
    return ((value - before) / abs(before)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def ratio(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _report(uow: UnitOfWork, period: Period | tuple[date, date], filters: Mapping[str, Any], by: str = "") -> dict:
    start, end = (period.date_from, period.date_to) if isinstance(period, Period) else period
    return sales.sales_report(uow, {"date_from": start, "date_to": end, "by": by, **filters})


def team_reps(uow: UnitOfWork, team: str) -> set[int]:
    return set(uow.session.scalars(select(User.id).where(User.team == team, User.role.in_(list(SALES)))))


def choices(uow: UnitOfWork) -> dict[str, list]:
    """What the filter form offers the reader: the teams in their sight (every sales team for the
    company's readers, their own for a sales manager, none for a rep), the product lines and the
    sources (the pick list and any other the sales entries carry)."""
    uow.authorize("read", sales.RESOURCE)
    session = uow.session
    actor = uow.actor
    if actor is not None and actor.role == Role.SALES_REP:
        teams = []
    elif actor is not None and actor.role == Role.SALES_MANAGER:
        teams = [actor.team] if actor.team else []
    else:
        teams = [t for t in session.scalars(select(User.team).where(User.team.is_not(None), User.role.in_(list(SALES)))
                                            .distinct().order_by(User.team)) if t]
    lines = list(session.scalars(select(ProductLine).order_by(ProductLine.code)))
    used = set(session.scalars(select(SalesCubeMonth.source).distinct()))
    sources = list(ACQUISITION_SOURCES) + sorted(used - set(ACQUISITION_SOURCES))
    return {"teams": teams, "product_lines": lines, "sources": sources}


# --------------------------------------------------------------------------- the dashboard


def kpis(uow: UnitOfWork, period: Period, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each KPI of the period: its value, the period before's, the change, and the target with the
    attainment (value / target) where a target applies."""
    now = _report(uow, period, filters)["totals"]
    before = _report(uow, period.before(), filters)["totals"]
    goals = kpi_targets(uow, period.target_month, filters) if period.target_month else {}
    answer = []
    for measure in KPI_MEASURES:
        target = goals.get(measure)
        answer.append({"measure": measure, "value": now[measure], "previous": before[measure],
                       "change": change(now[measure], before[measure]), "target": target,
                       "attainment": ratio(now[measure], target),
                       "drill": {**period.params(), **filters, "measure": measure},
                       "previous_drill": {**period.before().params(), **filters, "measure": measure}})
    return answer


def kpi_targets(uow: UnitOfWork, month: str, filters: Mapping[str, Any]) -> dict[str, Decimal]:
    """The target per basis the month's KPIs are held against (see the module's docstring)."""
    if filters.get("source"):
        return {}
    readable = list(uow.session.scalars(targets.target_query(uow, {"period": month})))
    team, line = filters.get("team"), filters.get("product_line")
    if line:
        if team:
            return {}
        tiers = [[t for t in readable if t.subject == targets.TargetSubject.PRODUCT_LINE and t.product_line == line]]
    else:
        reps = [t for t in readable if t.subject == targets.TargetSubject.REP]
        teams = [t for t in readable if t.subject == targets.TargetSubject.TEAM]
        lines = [t for t in readable if t.subject == targets.TargetSubject.PRODUCT_LINE]
        if team:
            members = team_reps(uow, team)
            reps = [t for t in reps if t.rep_id in members]
            teams = [t for t in teams if t.team == team]
            lines = []
        tiers = [reps, teams, lines]
    goals: dict[str, Decimal] = {}
    for basis in targets.TargetBasis:
        for tier in tiers:
            amounts = [t.amount for t in tier if t.basis == basis.value]
            if amounts:
                goals[basis.value] = sum(amounts, ZERO)
                break
    return goals


def revenue(uow: UnitOfWork, period: Period, filters: Mapping[str, Any], measure: str) -> dict[str, Any]:
    """`measure` by month (every month of the chart's range, empty ones too) and product line: a series
    per product line (None: products without one), each point with its drill-down."""
    start, end = period.chart_range()
    answer = _report(uow, (start, end), filters, "month,product_line")
    months = months_between(start, end)
    lines = sorted({row["product_line"] for row in answer["rows"]}, key=lambda code: (code is None, code or ""))
    values = {(row["month"], row["product_line"]): row[measure] for row in answer["rows"]}
    series = []
    for line in lines:
        points = []
        for month in months:
            drill = {"date_from": start.isoformat(), "date_to": end.isoformat(), **filters, "month": month,
                     "measure": measure}
            if line is None:
                drill[NONE] = "product_line"
            else:
                drill["product_line"] = line
            points.append({"month": month, "value": values.get((month, line), ZERO), "drill": drill})
        series.append({"product_line": line, "points": points})
    return {"measure": measure, "months": months, "series": series, "date_from": start, "date_to": end}


def funnel(uow: UnitOfWork, period: Period, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The lead funnel of the leads created in the period: the count at each step, by the filters that
    leads have (source; team, through their owners). Leads have no product line."""
    source, team = filters.get("source"), filters.get("team")
    span = {"date_from": period.date_from, "date_to": period.date_to}
    picked: list[funnels.FunnelRow] = []
    if team:
        reps = sorted(team_reps(uow, team))
        if source:
            for rep in reps:
                picked += [row for row in funnels.funnel(uow, by="source", rep_id=rep, **span).rows
                           if row.source == source]
        else:
            picked = [row for row in funnels.funnel(uow, by="rep", **span).rows if row.rep_id in reps]
    elif source:
        picked = [row for row in funnels.funnel(uow, by="source", **span).rows if row.source == source]
    else:
        picked = [funnels.funnel(uow, by="source", **span).totals]
    counts = {step: sum(getattr(row, step) for row in picked) for step in (*FUNNEL_STEPS, "lost")}
    won_amount = sum((row.won_amount for row in picked), ZERO)
    steps = []
    for index, step in enumerate(FUNNEL_STEPS):
        before = counts[FUNNEL_STEPS[index - 1]] if index else None
        steps.append({"step": step, "count": counts[step],
                      "rate": funnels.rate(counts[step], before) if before is not None else None,
                      "drill": {**period.params(), **{k: v for k, v in filters.items() if k != "product_line"},
                                "step": step}})
    return {"steps": steps, "lost": counts["lost"], "won_amount": won_amount,
            "ignores_product_line": bool(filters.get("product_line"))}


def attainment(uow: UnitOfWork, period: Period, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The attainment of the month's targets: by rep (the filtered team's reps), or of the filtered
    product line; a source filter has no targets."""
    month = period.attainment_month
    if filters.get("source"):
        return {"month": month, "by": "rep", "rows": [], "not_by_source": True}
    line = filters.get("product_line")
    by = "product_line" if line else "rep"
    rows = targets.attainment(uow, {"period": month, "by": by})["rows"]
    if line:
        rows = [row for row in rows if row["product_line"] == line]
    elif filters.get("team"):
        members = team_reps(uow, filters["team"])
        rows = [row for row in rows if row["rep_id"] in members]
    first, last = month_bounds(month)
    for row in rows:
        subject = {"product_line": line} if line else {"rep": row["rep_id"]}
        row["drill"] = {"date_from": first.isoformat(), "date_to": last.isoformat(), **subject,
                        "measure": row["basis"]}
    return {"month": month, "by": by, "rows": rows, "not_by_source": False}


def aging_day(period: Period) -> date:
    """The day the aging is read on: the period's last day, today for a period not over yet."""
    return min(period.date_to, clock.today())


def _aging_customers(uow: UnitOfWork, filters: Mapping[str, Any]):
    """The customers whose receivables the reader sees (`reports.operations`: by the customer's owner),
    of the team and source asked; None when that is every customer."""
    source = filters.get("source")
    keep = operations.customer_filter(uow, filters.get("team"))
    if keep is None and not source:
        return None
    stmt = select(Customer.id)
    if keep is not None:
        stmt = stmt.where(keep(Customer.id))
    if source:
        stmt = stmt.where(Customer.source == source)
    return stmt


def aging(uow: UnitOfWork, period: Period, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Open receivable by days past due on the aging day (`finance.queries.aging_rows`), summed over the
    customers in sight (scope, team, source), with their DSO. Invoices are not split by product line."""
    uow.authorize("read", operations.CASH_RESOURCE)
    day = aging_day(period)
    session = sales.report_session(uow)
    rows, totals = aging_rows(session, as_of=day)
    customers = _aging_customers(uow, filters)
    if customers is not None:
        kept = set(session.scalars(customers))
        rows = [row for row in rows if row.customer_id in kept]
        totals = AgingRow(0, "", "")
        for row in rows:
            for key in BUCKETS:
                totals.buckets[key] += row.buckets[key]
        # the DSO window's credit sales of every kept customer, those with nothing open too (as the totals row)
        totals.sales = Decimal(session.scalar(select(func.coalesce(func.sum(Invoice.total), 0)).where(
            Invoice.state.in_(BILLED_INVOICE_STATES), Invoice.invoice_date <= day,
            Invoice.invoice_date > day - timedelta(days=DSO_DAYS), Invoice.customer_id.in_(customers))) or 0)
    drill = {"as_of": day.isoformat(), **{k: v for k, v in filters.items() if k != "product_line"}}
    return {"as_of": day, "buckets": [{"bucket": key, "amount": totals.buckets[key],
                                       "drill": {**drill, "bucket": key}} for key in BUCKETS],
            "total": totals.total, "dso": totals.dso, "customers": len(rows), "drill": drill,
            "ignores_product_line": bool(filters.get("product_line"))}


def dashboard(uow: UnitOfWork, args: Mapping[str, Any]) -> dict[str, Any]:
    """Every panel of the dashboard for the period and filters of `args` (`DashboardArgs`)."""
    uow.authorize("read", sales.RESOURCE)
    values = _load(DashboardArgs, args)
    period = period_of(values)
    filters = filters_of(values)
    measure = values.get("measure") or "booked"
    stamp = sales.as_of(sales.report_session(uow))
    return {"period": period, "filters": filters, "measure": measure, "kpis": kpis(uow, period, filters),
            "revenue": revenue(uow, period, filters, measure), "funnel": funnel(uow, period, filters),
            "attainment": attainment(uow, period, filters), "aging": aging(uow, period, filters), "as_of": stamp}


# --------------------------------------------------------------------------- the pivot


def _key(row: Mapping[str, Any], dimension: str):
    return row["rep_id"] if dimension == "rep" else row[dimension]


def cell_drill(dimension: str, value: Any) -> dict[str, Any]:
    """A dimension's value as the drill-down's filter (a missing value through `none`)."""
    if value is None:
        return {NONE: dimension}
    return {dimension: value}


def _merge(*parts: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = f"{merged[key]},{value}" if key == NONE and key in merged else value
    return merged


def pivot(uow: UnitOfWork, args: Mapping[str, Any]) -> dict[str, Any]:
    """One measure by `rows` (product line by default) and `columns` (month by default; none: a single
    column) over the period (by default the twelve months up to this one) and filters of `args`
    (`PivotArgs`), with row, column and grand totals each read as a report of its own (exact for
    `orders`, which counts an order once in a total)."""
    uow.authorize("read", sales.RESOURCE)
    values = _load(PivotArgs, args)
    rows_by = values.get("rows") or "product_line"
    columns_by = values.get("columns") if "columns" in args else "month"
    columns_by = columns_by or None
    if columns_by == rows_by:
        raise InvalidInput({"columns": [str(_l("Choose two different dimensions."))]})
    measure = values.get("measure") or "booked"
    period = period_of(values)
    if not values.get("period") and not values.get("date_from"):  # by default the twelve months up to this one
        period = Period(*period.chart_range())
    filters = filters_of(values)
    by_rows = _report(uow, period, filters, rows_by)
    names = {row["rep_id"]: row["rep_name"] for row in by_rows["rows"] if rows_by == "rep"}
    row_keys = [_key(row, rows_by) for row in by_rows["rows"]]
    row_totals = {_key(row, rows_by): row[measure] for row in by_rows["rows"]}
    column_keys: list[Any] = []
    column_totals: dict[Any, Any] = {}
    cells: dict[tuple[Any, Any], Any] = {}
    if columns_by:
        by_columns = _report(uow, period, filters, columns_by)
        names.update({row["rep_id"]: row["rep_name"] for row in by_columns["rows"] if columns_by == "rep"})
        column_keys = [_key(row, columns_by) for row in by_columns["rows"]]
        column_totals = {_key(row, columns_by): row[measure] for row in by_columns["rows"]}
        both = _report(uow, period, filters, f"{rows_by},{columns_by}")
        cells = {(_key(row, rows_by), _key(row, columns_by)): row[measure] for row in both["rows"]}
    drill_measure = "booked" if measure == "orders" else measure
    base = {**period.params(), **filters, "measure": drill_measure}
    return {"period": period, "filters": filters, "rows": rows_by, "columns": columns_by, "measure": measure,
            "row_keys": row_keys, "column_keys": column_keys, "cells": cells, "row_totals": row_totals,
            "column_totals": column_totals, "total": by_rows["totals"][measure], "rep_names": names,
            "as_of": by_rows["as_of"], "base_drill": base}


def pivot_cell_drill(answer: Mapping[str, Any], row_key: Any = ..., column_key: Any = ...) -> dict[str, Any]:
    """The drill-down parameters of a cell (both keys), a row total (row key only), a column total
    (column key only) or the grand total (neither)."""
    parts: list[Mapping[str, Any]] = [answer["base_drill"]]
    if row_key is not ...:
        parts.append(cell_drill(answer["rows"], row_key))
    if column_key is not ...:
        parts.append(cell_drill(answer["columns"], column_key))
    return _merge(*parts)


# --------------------------------------------------------------------------- the lines behind a number


def lines(uow: UnitOfWork, args: Mapping[str, Any], *, per_page: int = 25) -> dict[str, Any]:
    """The sales entries behind one number (`LinesArgs`: the report's filters, `none` naming the
    dimensions that must be missing, the measure), newest first, a page at a time, each with its
    document (kind, id, number), order, customer and product; and their count and sum over every page.
    Without days, a `month` filter reads that month."""
    uow.authorize("read", sales.RESOURCE)
    values = _load(LinesArgs, args)
    if values.get("month") and not values.get("date_from"):
        values["date_from"], values["date_to"] = month_bounds(values["month"])
    query = sales.build_query(uow, values)
    session = sales.report_session(uow)
    stmt = cube.lines(session, query, values["measure"]).add_columns(
        SalesEntry.document_id, SalesEntry.order_id, SalesEntry.id.label("entry_id"))
    for name in _names(values.get(NONE)):
        stmt = stmt.where(_ENTRY_COLUMN[name].is_(None))
    summed = stmt.subquery()
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(summed.c.amount), 0))).one()
    page = max(1, values.get("page") or 1)
    items = [dict(row) for row in session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).mappings()]
    customers = {c.id: c for c in session.scalars(select(Customer).where(
        Customer.id.in_({item["customer_id"] for item in items})))} if items else {}
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({item["product_id"] for item in items if item["product_id"]})))} if items else {}
    orders = dict(session.execute(select(SalesOrder.id, SalesOrder.number).where(
        SalesOrder.id.in_({item["order_id"] for item in items if item["order_id"]}))).all()) if items else {}
    for item in items:
        item["customer"] = customers.get(item["customer_id"])
        item["product"] = products.get(item["product_id"])
        item["order_number"] = orders.get(item["order_id"])
    start, end = cube.effective_range(query)
    return {"items": items, "total": count or 0, "amount": Decimal(total or 0).quantize(Decimal("0.01")),
            "page": page, "per_page": per_page, "measure": values["measure"], "date_from": start, "date_to": end,
            "filters": {name: values[name] for name in (*sales.FILTERS,) if values.get(name) not in (None, "")},
            "missing": _names(values.get(NONE)), "as_of": sales.as_of(session)}


# --------------------------------------------------------------------------- the rows behind the other panels


class AgingArgs(InputSchema):
    as_of = Date()
    bucket = Text(validate=validate.OneOf(BUCKETS, error=str(_l("Choose one of the aging buckets."))))
    team = Text(validate=validate.Length(max=80))
    source = Text(validate=validate.Length(max=80))
    page = Int(load_default=1, minimum=1)


def aging_invoices(uow: UnitOfWork, args: Mapping[str, Any], *, per_page: int = 25) -> dict[str, Any]:
    """The open invoices behind the aging panel (`AgingArgs`): dated up to `as_of` (today by default),
    due in the bucket's days (every bucket without one), of the customers in sight (scope, team,
    source), the longest overdue first; their count and open sum over every page."""
    uow.authorize("read", operations.CASH_RESOURCE)
    values = _load(AgingArgs, args)
    day = values.get("as_of") or clock.today()
    bucket = values.get("bucket")
    open_amount = (Invoice.total - Invoice.paid_amount).label("open_amount")
    stmt = select(Invoice, open_amount).where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.invoice_date <= day)
    if bucket:
        # as `finance.queries.aging_rows`: due before the newer edge, on or after the older one
        edges = [None, day, day - timedelta(days=30), day - timedelta(days=60), day - timedelta(days=90), None]
        index = BUCKETS.index(bucket)
        newest, oldest = edges[index], edges[index + 1]
        if newest is not None:
            stmt = stmt.where(Invoice.due_date < newest)
        if oldest is not None:
            stmt = stmt.where(Invoice.due_date >= oldest)
    customers = _aging_customers(uow, filters_of(values))
    if customers is not None:
        stmt = stmt.where(Invoice.customer_id.in_(customers))
    session = sales.report_session(uow)
    listed = stmt.subquery()
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(listed.c.open_amount), 0))).one()
    page = values.get("page") or 1
    items = [{"invoice": invoice, "open_amount": amount, "days_late": max((day - invoice.due_date).days, 0)}
             for invoice, amount in session.execute(stmt.order_by(Invoice.due_date, Invoice.id)
                                                     .limit(per_page).offset((page - 1) * per_page))]
    names = {c.id: c for c in session.scalars(select(Customer).where(
        Customer.id.in_({item["invoice"].customer_id for item in items})))} if items else {}
    for item in items:
        item["customer"] = names.get(item["invoice"].customer_id)
    return {"items": items, "total": count or 0, "amount": Decimal(total or 0), "page": page, "per_page": per_page,
            "as_of": day, "bucket": bucket, "filters": filters_of(values)}


class FunnelArgs(InputSchema):
    date_from = Date()
    date_to = Date()
    team = Text(validate=validate.Length(max=80))
    source = Text(validate=validate.Length(max=80))
    rep = Id(metadata={"description": "the leads' owner (a row of the funnel by rep)"})
    step = Text(load_default="leads", validate=validate.OneOf(FUNNEL_STEPS, error=str(
        _l("Choose one of the funnel's steps."))))
    page = Int(load_default=1, minimum=1)


LEAD_STEPS = ("leads", "qualified", "converted")


def funnel_rows(uow: UnitOfWork, args: Mapping[str, Any], *, per_page: int = 25) -> dict[str, Any]:
    """The leads (steps leads, qualified, converted) or the opportunities opened from them (steps
    opportunities, quoted, won) behind one step of the funnel (`FunnelArgs`), by the funnel's own rules
    (`reports.funnel`): the cohort of leads created in the range, in the reader's scope by their owner,
    of the team's reps and of the acquisition source asked; newest first."""
    scope.authorize_read(uow)
    values = _load(FunnelArgs, args)
    date_from, date_to = sales.default_period(values)
    funnels.check_range(date_from, date_to)
    start, end = funnels.day_bounds(date_from, date_to)
    session = sales.report_session(uow)
    stmt = scope.scoped(uow, select(Lead).where(Lead.created_at >= start, Lead.created_at < end), Lead.owner_id)
    if values.get("team"):
        stmt = stmt.where(Lead.owner_id.in_(select(User.id).where(User.team == values["team"])))
    if values.get("rep"):
        stmt = stmt.where(Lead.owner_id == values["rep"])
    cohort = list(session.scalars(stmt.order_by(Lead.created_at.desc(), Lead.id.desc())))
    if values.get("source"):
        cohort = [lead for lead in cohort if acquisition_source(lead.channel, lead.utm_source) == values["source"]]
    step = values["step"]
    rows: list[Any]
    if step in LEAD_STEPS:
        rows = [lead for lead in cohort if step == "leads"
                or (step == "qualified" and lead.grade in funnels.QUALIFIED)
                or (step == "converted" and lead.converted_at is not None)]
    else:
        lead_ids = [lead.id for lead in cohort]
        opened = list(session.scalars(select(Opportunity).where(Opportunity.lead_id.in_(lead_ids))
                                      .order_by(Opportunity.created_at.desc(), Opportunity.id.desc()))) if lead_ids else []
        if step == "quoted":
            quoted = set(session.scalars(select(Quote.opportunity_id).where(
                Quote.opportunity_id.in_([o.id for o in opened]),
                or_(Quote.state.in_(funnels.SENT), and_(Quote.state == QuoteState.SUPERSEDED.value,
                                                        Quote.approved_at.is_not(None)))))) if opened else set()
            opened = [o for o in opened if o.id in quoted]
        elif step == "won":
            opened = [o for o in opened if o.state == OpportunityState.WON.value]
        rows = opened
    page = values.get("page") or 1
    return {"kind": "leads" if step in LEAD_STEPS else "opportunities", "step": step,
            "items": rows[(page - 1) * per_page:page * per_page], "total": len(rows), "page": page,
            "per_page": per_page, "date_from": date_from, "date_to": date_to,
            "filters": {k: values[k] for k in ("team", "source", "rep") if values.get(k)},
            "rep_names": {user.id: user.display_name for user in session.scalars(
                select(User).where(User.id == values["rep"]))} if values.get("rep") else {}}
