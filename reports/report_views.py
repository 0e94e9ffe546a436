"""The web pages of the management reports that were API only: operations and cash (and their
workbooks), forecast against actual, and the lead funnel by source or rep with the time in each stage.
Views parse the query string, call the report services (`reports.operations`, `reports.forecast`,
`reports.funnel`), whose scope is the reader's (a rep their own, a manager the team), and dress the
answers for the page: words in the reader's language, the charts' data for reports.js, and a link on
each figure to the rows behind it where a page of them exists (`reports.views`: sales lines, the leads
or opportunities of a funnel step, the open invoices of the aging; the documents' own pages)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError, validate
from sqlalchemy import select

from core.errors import DomainError
from core.formatting import china_time, money, percent, plain
from core.forms import load_input
from core.models import ProductLine, Role, User
from core.permissions import SALES
from core.schemas import Date, InputSchema, Int, Text
from core.views import guard, refusal
from core.web import can, current_registry, get_session, get_uow
from crm.pipeline.labels import stage_label
from reports import forecast as forecasts
from reports import funnel as funnels
from reports import operations
from reports.operations_workbook import cash_workbook, operations_workbook
from reports.sales import RESOURCE as SALES_REPORT
from reports.schemas import check_month
from reports.views import STEP_LABELS, Labels, chart_locale, lines_url, link
from reports.workbook import workbook_response

bp = Blueprint("reports_pages", __name__, template_folder="templates", url_prefix="/reports")

WORK_ORDER_STATES = {"planned": _l("Planned"), "released": _l("Released"), "in_progress": _l("In progress")}


# --------------------------------------------------------------------------- input


class OperationsArgs(InputSchema):
    product_line = Text(validate=validate.Length(max=40))
    team = Text(validate=validate.Length(max=80))
    weeks = Int(minimum=1, maximum=104, load_default=12)
    months = Int(minimum=1, maximum=36, load_default=12)


class ForecastArgs(InputSchema):
    months = Int(minimum=1, maximum=forecasts.MAX_MONTHS, load_default=6)
    until = Text(validate=check_month)


def _check_by(value: str) -> None:
    if value not in funnels.BY:
        raise ValidationError(_("Use source or rep."))  # in the reader's language: checked in the request


class FunnelArgs(InputSchema):
    date_from = Date()
    date_to = Date()
    by = Text(load_default="source", validate=_check_by)


def _args(schema) -> dict[str, Any]:
    """The query string through `schema`, blank fields left out (a filter form sends every field)."""
    return load_input(schema, {key: value for key, value in request.args.items() if value not in (None, "")})


def _read(call: Callable[[dict], Any], schema) -> tuple[Any, dict, dict]:
    """The report the query string asks for, its arguments and the fields refused: unreadable input is
    flashed and the report shown without it."""
    try:
        args = _args(schema)
        return call(args), args, {}
    except DomainError as exc:
        flash(refusal(exc), "error")
        args = load_input(schema, {})
        return call(args), args, exc.fields


def _teams() -> list[str]:
    """The teams the filter offers: none to a rep, their own to a sales manager, every sales team else."""
    if current_user.role == Role.SALES_REP:
        return []
    if current_user.role == Role.SALES_MANAGER:
        return [current_user.team] if current_user.team else []
    teams = get_session().scalars(select(User.team).where(User.team.is_not(None), User.role.in_(list(SALES)))
                                  .distinct().order_by(User.team))
    return [team for team in teams if team]


# --------------------------------------------------------------------------- operations and cash


def _point(value: Any, text: str, url: str | None = None) -> dict:
    return {"value": str(value), "text": text, "url": url}


def _work_order_links(ids: set[int]) -> dict[int, tuple[str, str]]:
    """The number and link of each work order the reader may open (production's `work_order_links`)."""
    links: dict[int, tuple[str, str]] = {}
    for resolve in current_registry().work_order_links.values() if ids else ():
        links.update(resolve(get_session(), current_user, ids))
    return links


def _operations_rows(answer: dict, labels: Labels) -> dict[str, list[dict]]:
    """The lists of the report with the link of each document the reader may open."""
    rows: dict[str, list[dict]] = {}
    if answer["late_orders"] is not None:
        rows["late_orders"] = [{**item, "url": link("crm_web.order_detail", "sales_order", order_id=item["order_id"])}
                               for item in answer["late_orders"]["items"]]
    if answer["stock_value"] is not None:
        rows["stock_value"] = [{**item, "label": labels.value("product_line", item["product_line"])}
                               for item in answer["stock_value"]]
        rows["slow_movers"] = [{**item, "url": link("inventory_web.stock", "stock", product_id=item["product_id"])}
                               for item in answer["slow_movers"]]
    if answer["late_purchase_orders"] is not None:
        rows["late_purchase_orders"] = [
            {**item, "url": link("purchasing_web.order_detail", "purchase_order", order_id=item["purchase_order_id"])}
            for item in answer["late_purchase_orders"]["items"]]
    if answer["late_work_orders"] is not None:
        items = answer["late_work_orders"]["items"]
        links = _work_order_links({item["work_order_id"] for item in items})
        rows["late_work_orders"] = [{**item, "url": links.get(item["work_order_id"], (None, None))[1],
                                     "state_label": WORK_ORDER_STATES.get(item["state"], item["state"])}
                                    for item in items]
    return rows


def _operations_charts(answer: dict, cash: dict | None) -> dict[str, dict]:
    charts: dict[str, dict] = {}
    if answer["otif"] is not None:
        months = answer["otif"]
        charts["otif"] = {
            "kind": "bar", "locale": chart_locale(), "title": _("On time in full by month"),
            "categories": [row["month"] for row in months],
            "right": {"percent": True, "max": 100},
            "series": [
                {"name": _("Orders shipped"), "data": [_point(row["orders_shipped"], str(row["orders_shipped"]))
                                                       for row in months]},
                {"name": _("On time in full"), "data": [_point(row["on_time_in_full"], str(row["on_time_in_full"]))
                                                        for row in months]},
                {"name": _("Rate"), "type": "line", "axis": 1, "data": [
                    None if row["rate"] is None else _point(row["rate"] * 100, percent(row["rate"]))
                    for row in months]}]}
    if cash is not None:
        weeks = cash["collected_by_week"]
        charts["collected"] = {
            "kind": "bar", "locale": chart_locale(), "title": _("Collected per week"),
            "categories": [row["week_start"].strftime("%m-%d") for row in weeks],
            "series": [{"name": _("Collected"), "data": [_point(row["amount"], money(row["amount"])) for row in weeks]}]}
        months = cash["dso_by_month"]
        charts["dso"] = {
            "kind": "line", "locale": chart_locale(), "title": _("DSO per month"),
            "categories": [row["month"] for row in months],
            "series": [{"name": _("DSO (days)"), "data": [
                None if row["dso"] is None else _point(row["dso"], plain(row["dso"])) for row in months]}]}
    return charts


def _operations(args: dict) -> dict:
    return operations.operations_report(get_uow(), {"product_line": args.get("product_line"),
                                                    "team": args.get("team")})


def _cash(args: dict) -> dict:
    return operations.cash_report(get_uow(), {"team": args.get("team"), "weeks": args["weeks"],
                                              "months": args["months"]})


def _cash_links(cash: dict, args: dict) -> dict[str, str | None]:
    """Receivable: the open invoices of the aging on today (of the team asked); overdue: finance's list of
    the overdue invoices (it knows no team, so only without one)."""
    drill = {"as_of": cash["today"].isoformat(), **({"team": args["team"]} if args.get("team") else {})}
    return {"receivable": link("reports_web.aging_rows_page", SALES_REPORT, **drill),
            "overdue": None if args.get("team") else link("finance_web.overdue", "credit")}


@bp.route("/operations")
@login_required
def operations_page():
    guard("read", operations.RESOURCE)
    answer, args, errors = _read(_operations, OperationsArgs)
    cash = _cash(args) if can(current_user, "read", operations.CASH_RESOURCE) else None
    labels = Labels()
    lines = list(get_session().scalars(select(ProductLine).order_by(ProductLine.code)))
    return render_template(
        "reports/operations.html", answer=answer, cash=cash, rows=_operations_rows(answer, labels),
        charts=_operations_charts(answer, cash), labels=labels, titles=labels.titles, errors=errors, args=args,
        teams=_teams(), product_lines=lines, as_of=china_time(answer["as_of"]),
        cash_links=_cash_links(cash, args) if cash else {}, limit=operations.LIST_LIMIT,
        slow_days=operations.SLOW_DAYS)


@bp.route("/operations.xlsx")
@login_required
def operations_xlsx():
    guard("read", operations.RESOURCE)
    return workbook_response(operations_workbook(_operations(_args(OperationsArgs))), "operations.xlsx")


@bp.route("/cash.xlsx")
@login_required
def cash_xlsx():
    guard("read", operations.CASH_RESOURCE)
    return workbook_response(cash_workbook(_cash(_args(OperationsArgs))), "cash.xlsx")


# --------------------------------------------------------------------------- forecast against actual


def _month_bounds(first: str, last: str) -> tuple[str, str]:
    start = forecasts.parse_month(first)
    return start.isoformat(), forecasts.month_end(forecasts.parse_month(last)).isoformat()


def _forecast(args: dict) -> forecasts.ForecastAccuracy:
    return forecasts.forecast_accuracy(get_uow(), months=args["months"], until=args.get("until"))


@bp.route("/forecast")
@login_required
def forecast_page():
    guard("read", SALES_REPORT)
    answer, args, errors = _read(_forecast, ForecastArgs)
    date_from, date_to = _month_bounds(answer.months[0], answer.months[-1])
    rows = [{**row.as_dict(), "url": lines_url({"rep": row.rep_id, "month": row.month, "measure": "booked"})}
            for row in answer.rows]
    reps = [{**rep.as_dict(), "url": lines_url({"rep": rep.rep_id, "date_from": date_from, "date_to": date_to,
                                                  "measure": "booked"})} for rep in answer.reps]
    chart = {
        "kind": "bar", "locale": chart_locale(), "title": _("Forecast against booked sales by rep"),
        "categories": [rep["rep_name"] for rep in reps], "right": {"percent": True, "max": 100},
        "series": [
            {"name": _("Forecast"), "data": [_point(rep["forecast"], money(rep["forecast"])) for rep in reps]},
            {"name": _("Booked sales"), "data": [_point(rep["booked"], money(rep["booked"]), rep["url"]) for rep in reps]},
            {"name": _("Mean accuracy"), "type": "line", "axis": 1, "data": [
                None if rep["mean_accuracy"] is None else _point(rep["mean_accuracy"] * 100, percent(rep["mean_accuracy"]))
                for rep in reps]}]}
    return render_template("reports/forecast.html", answer=answer, rows=rows, reps=reps, chart=chart, args=args,
                           errors=errors, until=answer.months[-1], as_of=china_time(answer.as_of))


# --------------------------------------------------------------------------- the funnel and time in stage


def _funnel(args: dict) -> tuple[funnels.Funnel, funnels.StageTimes]:
    uow = get_uow()
    found = funnels.funnel(uow, date_from=args.get("date_from"), date_to=args.get("date_to"), by=args["by"])
    times = funnels.stage_times(uow, date_from=found.date_from, date_to=found.date_to)
    return found, times


def _funnel_rows(answer: funnels.Funnel, labels: Labels) -> tuple[list[dict], dict]:
    """Each row's label and the link of each step's count: the leads or opportunities behind it."""
    period = {"date_from": answer.date_from.isoformat(), "date_to": answer.date_to.isoformat()}

    def steps(subject: Mapping[str, Any] | None) -> dict[str, str | None]:
        if subject is None:
            return {}
        return {step: url_for("reports_web.funnel_rows_page", **period, **subject, step=step)
                for step in funnels.STEPS}

    rows = []
    for row in answer.rows:
        if answer.by == "source":
            label, subject = labels.value("source", row.source), {"source": row.source}
        else:
            label = row.rep_name or (f"#{row.rep_id}" if row.rep_id is not None else _("No owner"))
            subject = {"rep": row.rep_id} if row.rep_id is not None else None
        rows.append({"row": row, "label": label, "links": steps(subject)})
    return rows, {"row": answer.totals, "label": _("Totals"), "links": steps({})}


@bp.route("/funnel")
@login_required
def funnel_page():
    guard("read", SALES_REPORT)
    (answer, times), args, errors = _read(_funnel, FunnelArgs)
    labels = Labels()
    rows, totals = _funnel_rows(answer, labels)
    chart = {"kind": "bar", "horizontal": True, "locale": chart_locale(), "title": _("Funnel"),
             "categories": [str(STEP_LABELS[step]) for step in funnels.STEPS],
             "series": [{"name": _("Count"), "data": [
                 _point(getattr(answer.totals, step), str(getattr(answer.totals, step)), totals["links"][step])
                 for step in funnels.STEPS]}]}
    stages = {row.stage_id: stage_label(SimpleNamespace(code=row.stage_code, name=row.stage_name))
              for row in times.rows}
    return render_template("reports/funnel.html", answer=answer, times=times, stages=stages, rows=rows, totals=totals,
                           chart=chart, steps=STEP_LABELS, args=args, errors=errors, as_of=china_time(answer.as_of),
                           by_titles={"source": labels.titles["source"], "rep": labels.titles["rep"]})
