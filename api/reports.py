"""Management reports: the sales cube, the entries behind any cell of it, and its refresh."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from core.web import get_uow
from reports import sales
from reports.cube import MEASURES
from reports.labels import sales_titles
from reports.schemas import (
    RefreshSchema,
    SalesArgs,
    SalesLinesArgs,
    SalesLineSchema,
    SalesReportSchema,
    by_dimensions,
)
from reports.workbook import XLSX, table_workbook, workbook_response

from . import page_schema

blp = Blueprint("reports", __name__, description="Management reports: sales by any dimension, drill-down, refresh")


def _binary(description: str) -> dict:
    return {"responses": {"200": {"description": description,
                                  "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


@blp.route("/reports/sales")
class SalesReport(MethodView):
    @blp.arguments(SalesArgs, location="query")
    @blp.response(200, SalesReportSchema)
    def get(self, args):
        """Booked, shipped, cost, margin, invoiced and collected by any of source, tier, region, rep, team,
        product line and month; every dimension is also a filter. The totals count each order once."""
        return sales.sales_report(get_uow(), args)


@blp.route("/reports/sales.xlsx")
class SalesWorkbook(MethodView):
    @blp.arguments(SalesArgs, location="query")
    @blp.doc(**_binary("The sales report as an Excel workbook"))
    def get(self, args):
        """`GET /reports/sales` as a workbook: a row per answer row, then the totals."""
        answer = sales.sales_report(get_uow(), args)
        by = by_dimensions(args.get("by", ""))
        titles = sales_titles()
        columns = {("rep_name" if name == "rep" else name): titles[name] for name in by}
        columns.update({name: titles[name] for name in MEASURES})
        rows = [*answer["rows"], {**answer["totals"], **({next(iter(columns)): _("Totals")} if by else {})}]
        data = table_workbook(_("Sales"), columns, rows, as_of=answer["as_of"], sheet=_("Sales"))
        return workbook_response(data, "sales.xlsx")


@blp.route("/reports/sales/lines")
class SalesLines(MethodView):
    @blp.arguments(SalesLinesArgs, location="query")
    @blp.response(200, page_schema(SalesLineSchema))
    def get(self, args):
        """The document lines behind one cell: the same filters as the report (a row's dimension values
        as filters) and the `measure`; newest first."""
        return sales.sales_lines(get_uow(), args)


@blp.route("/reports/refresh")
class Refresh(MethodView):
    @blp.response(200, RefreshSchema)
    def post(self):
        """Roll every pending entry into the report aggregates; returns once every report reflects all
        committed data (admin, management)."""
        return sales.refresh(get_uow())

