"""The web pages of the sales figures: the dashboard (KPIs, charts and the figures under them), the pivot
(and its workbook), and the rows behind any number: the sales lines, the open invoices of an aging
bucket, the leads or opportunities of a funnel step. Views parse, call one service (`reports.dashboard`),
and dress the answer for the page: labels in the reader's language, links, and the charts' data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.errors import DomainError
from core.formatting import china_time, money, percent
from core.models import ProductLine
from core.queries import Page
from core.sources import source_label
from core.views import guard, refusal
from core.web import can, current_locale, get_session, get_uow, in_scope
from crm.leads.sources import acquisition_source
from finance.receivables.responses import BUCKET_LABELS
from reports import dashboard as service
from reports.cube import DIMENSIONS, MEASURES
from reports.labels import sales_titles
from reports.sales import RESOURCE
from reports.workbook import table_workbook, workbook_response

bp = Blueprint("reports_web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static", url_prefix="/reports")

#: a sales entry's document: the page that shows it, the name of its id, the resource to read it, its kind
DOCUMENTS = {
    "sales_order": ("crm_web.order_detail", "order_id", "sales_order", _l("Sales order")),
    "shipment": ("inventory_web.shipment_detail", "shipment_id", "shipment", _l("Shipment")),
    "invoice": ("finance_web.invoice_detail", "invoice_id", "invoice", _l("Invoice")),
    "credit_note": ("finance_credit_web.credit_note_detail", "credit_note_id", "credit_note", _l("Credit note")),
    "payment": ("finance_web.payment_detail", "payment_id", "payment", _l("Payment")),
}
OPPORTUNITY_STATES = {"open": _l("Open"), "won": _l("Won"), "lost": _l("Lost")}
#: the measures as these pages name them (in Chinese, "booked" is the signed order value, not a booking time)
MEASURE_TITLES = {"orders": _l("Orders"), "booked": _l("Booked sales"), "shipped": _l("Shipped"),
                  "cost": _l("Cost of sales"), "margin": _l("Gross margin"), "invoiced": _l("Invoiced"),
                  "collected": _l("Collected")}
STEP_LABELS = {"leads": _l("Leads"), "qualified": _l("Qualified"), "converted": _l("Converted"),
               "opportunities": _l("Opportunities"), "quoted": _l("Quoted"), "won": _l("Won")}


# --------------------------------------------------------------------------- labels and links


def document_link(document: str, document_id: int | None) -> str | None:
    """The page of a sales entry's document, when there is one and the reader may open it."""
    endpoint, param, resource, _kind = DOCUMENTS.get(document, (None, None, None, None))
    if endpoint is None or document_id is None or endpoint not in current_app.view_functions:
        return None
    if not can(current_user, "read", resource):
        return None
    return url_for(endpoint, **{param: document_id})


def link(endpoint: str, resource: str, **params) -> str | None:
    if endpoint not in current_app.view_functions or not can(current_user, "read", resource):
        return None
    return url_for(endpoint, **params)


def customer_link(customer) -> str | None:
    """The customer's page, when the reader may open that customer (a rep: their own customers)."""
    if customer is None or not in_scope(current_user, "read", "customer", customer):
        return None
    return link("core_web.customers_detail", "customer", ident=customer.id)


class Labels:
    """The words for dimension values in the reader's language: product lines by their (Chinese) name,
    sources by the pick list's label, reps by name; a missing value says so."""

    def __init__(self, rep_names: Mapping[int, str] | None = None) -> None:
        self.locale = current_locale()
        self.lines = {line.code: line.label(self.locale) for line in get_session().scalars(select(ProductLine))}
        self.reps = dict(rep_names or {})
        self.titles = {**sales_titles(), **{name: str(title) for name, title in MEASURE_TITLES.items()}}

    def value(self, dimension: str, value: Any) -> str:
        if value is None or value == "":
            return {"product_line": _("No product line"), "rep": _("No sales rep"), "team": _("No team"),
                    "region": _("No region")}.get(dimension, "—")
        if dimension == "product_line":
            return self.lines.get(value, value)
        if dimension == "source":
            return str(source_label(value))
        if dimension == "rep":
            return self.reps.get(value) or f"#{value}"
        return str(value)

    def filters(self, filters: Mapping[str, Any], missing: list[str] = ()) -> list[tuple[str, str]]:
        """(title, value) of each filter, for a page's summary."""
        shown = [(self.titles.get(name, name), self.value(name, value)) for name, value in filters.items()]
        return shown + [(self.titles.get(name, name), self.value(name, None)) for name in missing]


def amount_text(measure: str, value: Any) -> str:
    return str(value) if measure == "orders" else money(value)


def chart_locale() -> str:
    return "ZH" if current_locale().startswith("zh") else "EN"


def lines_url(drill: Mapping[str, Any]) -> str:
    return url_for("reports_web.lines_page", **drill)


# --------------------------------------------------------------------------- the dashboard


def _dashboard_charts(answer: dict, labels: Labels) -> dict[str, dict]:
    """Each chart's data for reports.js: categories, series of points (value, text, link)."""
    titles = labels.titles
    revenue = answer["revenue"]
    charts = {"revenue": {
        "kind": "bar", "stack": True, "locale": chart_locale(), "categories": revenue["months"],
        "title": _("%(measure)s by month and product line", measure=titles[revenue["measure"]]),
        "series": [{"name": labels.value("product_line", line["product_line"]),
                    "data": [{"value": str(point["value"]), "text": money(point["value"]),
                              "url": lines_url(point["drill"])} for point in line["points"]]}
                   for line in revenue["series"]]}}
    steps = answer["funnel"]["steps"]
    charts["funnel"] = {
        "kind": "bar", "horizontal": True, "locale": chart_locale(), "title": _("Funnel"),
        "categories": [str(STEP_LABELS[step["step"]]) for step in steps],
        "series": [{"name": _("Count"), "data": [
            {"value": str(step["count"]), "url": url_for("reports_web.funnel_rows_page", **step["drill"]),
             "text": str(step["count"]) + (f" ({percent(step['rate'])})" if step["rate"] is not None else "")}
            for step in steps]}]}
    attainment = answer["attainment"]
    bases = [basis for basis in ("booked", "invoiced", "collected")
             if any(row["basis"] == basis for row in attainment["rows"])]
    subjects: list[Any] = []
    for row in attainment["rows"]:
        key = row.get("rep_id") if attainment["by"] == "rep" else row.get("product_line")
        if key not in subjects:
            subjects.append(key)
    names = {row["rep_id"]: row["rep_name"] for row in attainment["rows"] if row.get("rep_id")}
    by_key = {((row.get("rep_id") if attainment["by"] == "rep" else row.get("product_line")), row["basis"]): row
              for row in attainment["rows"]}
    charts["attainment"] = {
        "kind": "bar", "percent": True, "mark": 100, "locale": chart_locale(), "title": _("Attainment"),
        "categories": [names.get(key) or "" if attainment["by"] == "rep" else labels.value("product_line", key)
                       for key in subjects],
        "series": [{"name": titles[basis], "data": [_attainment_point(by_key.get((key, basis))) for key in subjects]}
                   for basis in bases]}
    buckets = answer["aging"]["buckets"]
    charts["aging"] = {
        "kind": "bar", "locale": chart_locale(), "title": _("Receivable aging"),
        "categories": [str(BUCKET_LABELS[b["bucket"]]) for b in buckets],
        "series": [{"name": _("Open amount"), "data": [
            {"value": str(b["amount"]), "text": money(b["amount"]),
             "url": url_for("reports_web.aging_rows_page", **b["drill"])} for b in buckets]}]}
    return charts


def _attainment_point(row: dict | None) -> dict | None:
    if row is None or row["attainment"] is None:
        return None
    share = row["attainment"] * 100
    return {"value": str(share), "url": lines_url(row["drill"]),
            "text": _("%(actual)s of %(target)s (%(share)s)", actual=money(row["actual"]), target=money(row["target"]),
                      share=percent(row["attainment"]))}


def _answer(call, fallback: dict | None = None):
    """A report for the query string; unreadable input is flashed and the report without it shown."""
    try:
        with get_uow() as uow:
            return call(uow, request.args), {}
    except DomainError as exc:
        flash(refusal(exc), "error")
        return call(get_uow(), fallback or {}), exc.fields


@bp.route("/dashboard")
@login_required
def dashboard_page():
    guard("read", RESOURCE)
    answer, errors = _answer(service.dashboard)
    labels = Labels()
    return render_template(
        "reports/dashboard.html", answer=answer, errors=errors, charts=_dashboard_charts(answer, labels),
        labels=labels, titles=labels.titles, steps=STEP_LABELS, buckets=BUCKET_LABELS,
        choices=service.choices(get_uow()), form=request.args, as_of=china_time(answer["as_of"]),
        measures=service.CHART_MEASURES, lines_url=lines_url)


# --------------------------------------------------------------------------- the pivot


def _pivot_table(answer: dict, labels: Labels) -> dict:
    """The pivot as the page and the workbook show it: labelled rows and columns, sorted by label (months
    and tiers as they are), each figure with its drill-down."""
    labels.reps.update(answer["rep_names"])
    measure = answer["measure"]

    def ordered(dimension: str, keys: list) -> list:
        if dimension in ("month", "tier"):
            return keys
        return sorted(keys, key=lambda key: (key is None, labels.value(dimension, key).casefold()))

    def figure(value: Any, drill: Mapping[str, Any]) -> dict:
        return {"value": value, "text": amount_text(measure, value), "url": lines_url(drill)}

    columns = ordered(answer["columns"], answer["column_keys"]) if answer["columns"] else []
    rows = []
    for key in ordered(answer["rows"], answer["row_keys"]):
        cells = []
        for column in columns:
            value = answer["cells"].get((key, column))
            cells.append(None if value is None else figure(value, service.pivot_cell_drill(answer, key, column)))
        rows.append({"label": labels.value(answer["rows"], key), "cells": cells,
                     "total": figure(answer["row_totals"][key], service.pivot_cell_drill(answer, key))})
    return {"columns": [labels.value(answer["columns"], key) for key in columns], "rows": rows,
            "column_totals": [figure(answer["column_totals"][key], service.pivot_cell_drill(answer, column_key=key))
                              for key in columns],
            "total": figure(answer["total"], service.pivot_cell_drill(answer))}


@bp.route("/pivot")
@login_required
def pivot_page():
    guard("read", RESOURCE)
    answer, errors = _answer(service.pivot)
    labels = Labels()
    return render_template("reports/pivot.html", answer=answer, errors=errors, table=_pivot_table(answer, labels),
                           labels=labels, titles=labels.titles, dimensions=DIMENSIONS, measures=MEASURES,
                           choices=service.choices(get_uow()), form=request.args,
                           as_of=china_time(answer["as_of"]))


@bp.route("/pivot.xlsx")
@login_required
def pivot_xlsx():
    guard("read", RESOURCE)
    answer = service.pivot(get_uow(), request.args)
    labels = Labels()
    table = _pivot_table(answer, labels)
    titles = labels.titles
    corner = titles[answer["rows"]] + (f" / {titles[answer['columns']]}" if answer["columns"] else "")
    columns = {"label": corner, **{f"c{index}": label for index, label in enumerate(table["columns"])},
               "total": _("Totals")}

    def values(cells: list) -> dict:
        return {f"c{index}": (cell["value"] if cell else None) for index, cell in enumerate(cells)}

    rows = [{"label": row["label"], **values(row["cells"]), "total": row["total"]["value"]} for row in table["rows"]]
    rows.append({"label": _("Totals"), **values(table["column_totals"]), "total": table["total"]["value"]})
    period = answer["period"]
    title = _("%(measure)s, %(start)s to %(end)s", measure=titles[answer["measure"]],
              start=period.date_from.isoformat(), end=period.date_to.isoformat())
    data = table_workbook(title, columns, rows, as_of=answer["as_of"], sheet=_("Pivot"))
    return workbook_response(data, f"pivot-{period.date_from.isoformat()}-{period.date_to.isoformat()}.xlsx")


# --------------------------------------------------------------------------- the rows behind a number


def _page(answer: dict) -> Page:
    return Page(answer["items"], answer["total"], answer["page"], answer["per_page"])


@bp.route("/lines")
@login_required
def lines_page():
    """The sales lines behind a number of the dashboard or the pivot."""
    guard("read", RESOURCE)
    try:
        with get_uow() as uow:
            answer = service.lines(uow, request.args)
    except DomainError as exc:
        return render_template("core/error.html", code=422, message=refusal(exc)), 422
    labels = Labels()
    rows = []
    for item in answer["items"]:
        kind = DOCUMENTS.get(item["document"], (None, None, None, item["document"]))[3]
        customer, product = item["customer"], item["product"]
        rows.append({**item, "kind": kind, "url": document_link(item["document"], item["document_id"]),
                     "order_url": document_link("sales_order", item["order_id"]) if item["order_id"] else None,
                     "customer_text": f"{customer.code} — {customer.name}" if customer else "",
                     "customer_url": customer_link(customer),
                     "product_text": f"{product.sku} — {product.name}" if product else "",
                     "measure_title": labels.titles.get(item["measure"], item["measure"])})
    return render_template("reports/lines.html", answer=answer, rows=rows, page=_page(answer),
                           summary=labels.filters(answer["filters"], answer["missing"]),
                           measure_title=labels.titles[answer["measure"]], as_of=china_time(answer["as_of"]))


@bp.route("/aging-invoices")
@login_required
def aging_rows_page():
    """The open invoices behind an aging bucket of the dashboard."""
    guard("read", RESOURCE)
    try:
        with get_uow() as uow:
            answer = service.aging_invoices(uow, request.args)
    except DomainError as exc:
        return render_template("core/error.html", code=422, message=refusal(exc)), 422
    labels = Labels()
    rows = [{**item, "url": document_link("invoice", item["invoice"].id),
             "customer_url": customer_link(item["customer"])}
            for item in answer["items"]]
    return render_template("reports/aging_rows.html", answer=answer, rows=rows, page=_page(answer),
                           summary=labels.filters(answer["filters"]),
                           bucket=BUCKET_LABELS.get(answer["bucket"]) if answer["bucket"] else None)


@bp.route("/funnel-rows")
@login_required
def funnel_rows_page():
    """The leads or opportunities behind a step of the dashboard's funnel."""
    guard("read", RESOURCE)
    try:
        with get_uow() as uow:
            answer = service.funnel_rows(uow, request.args)
    except DomainError as exc:
        return render_template("core/error.html", code=422, message=refusal(exc)), 422
    labels = Labels(answer["rep_names"])
    rows = []
    for item in answer["items"]:
        if answer["kind"] == "leads":
            rows.append({"number": item.number, "url": link("crm_leads_web.lead_detail", "lead", lead_id=item.id),
                         "name": item.company or item.contact_name,
                         "source": labels.value("source", acquisition_source(item.channel, item.utm_source)),
                         "owner": item.owner.display_name if item.owner else "", "grade": item.grade,
                         "created": china_time(item.created_at), "converted": china_time(item.converted_at)})
        else:
            rows.append({"number": item.number, "name": item.name,
                         "url": link("crm_leads_web.opportunity_detail", "opportunity", opportunity_id=item.id),
                         "customer": f"{item.customer.code} — {item.customer.name}",
                         "owner": item.owner.display_name if item.owner else "",
                         "state": str(OPPORTUNITY_STATES.get(item.state, item.state)), "amount": item.amount,
                         "created": china_time(item.created_at)})
    return render_template("reports/funnel_rows.html", answer=answer, rows=rows, page=_page(answer),
                           summary=labels.filters(answer["filters"]), step=STEP_LABELS[answer["step"]])
