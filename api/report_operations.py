"""Management reports of operations and cash: backlog, late orders, on time in full, stock value, slow
movers, late purchase and work orders; money collected per week, receivable, overdue and DSO per month.
Each also as an Excel workbook (the same path with `.xlsx`)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.schemas import Date, DateTime, Id, Int, Text
from core.web import get_uow
from reports import operations
from reports.operations_workbook import cash_workbook, operations_workbook
from reports.workbook import XLSX

blp = Blueprint("report_operations", __name__,
                description="Management reports: operations (orders, stock, purchasing, production) and cash")


def _binary(description: str) -> dict:
    return {"responses": {"200": {"description": description,
                                  "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


def _workbook(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --------------------------------------------------------------------------- arguments


class OperationsArgs(Schema):
    product_line = Text(validate=validate.Length(max=40),
                        metadata={"description": "code of a product line: its order lines, stock, purchase order "
                                                 "lines and work orders"})
    team = Text(validate=validate.Length(max=80), metadata={"description": "orders of the reps of this team"})


class CashArgs(Schema):
    weeks = Int(minimum=1, maximum=104, load_default=12,
                metadata={"description": "ISO weeks of collections, up to the current one"})
    months = Int(minimum=1, maximum=36, load_default=12,
                 metadata={"description": "months of DSO, up to the current one"})
    team = Text(validate=validate.Length(max=80), metadata={"description": "customers owned by this team's reps"})


# --------------------------------------------------------------------------- answers


def money(**kwargs) -> fields.Decimal:
    return fields.Decimal(places=2, as_string=True, **kwargs)


def quantity(**kwargs) -> fields.Decimal:
    return fields.Decimal(as_string=True, **kwargs)


BacklogSchema = Schema.from_dict({"orders": Int(), "amount": money()}, name="BacklogSchema")
LateOrderSchema = Schema.from_dict({
    "order_id": Id(), "number": fields.String(), "customer_code": fields.String(),
    "customer": fields.String(), "requested_date": Date(), "days_late": Int(), "amount": money(),
}, name="LateOrderSchema")
LateOrdersSchema = Schema.from_dict({"orders": Int(), "amount": money(),
                                     "items": fields.List(fields.Nested(LateOrderSchema))}, name="LateOrdersSchema")
OtifMonthSchema = Schema.from_dict({
    "month": fields.String(), "orders_shipped": Int(), "on_time_in_full": Int(),
    "rate": fields.Decimal(places=4, as_string=True, allow_none=True),
}, name="OtifMonthSchema")
StockValueSchema = Schema.from_dict({"product_line": fields.String(allow_none=True), "value": money()},
                                    name="StockValueSchema")
SlowMoverSchema = Schema.from_dict({
    "product_id": Id(), "sku": fields.String(), "name": fields.String(), "on_hand": quantity(),
    "value": money(), "last_issue": Date(allow_none=True),
}, name="SlowMoverSchema")
LatePurchaseOrderSchema = Schema.from_dict({
    "purchase_order_id": Id(), "number": fields.String(), "supplier_code": fields.String(),
    "supplier": fields.String(), "expected_date": Date(), "days_late": Int(),
    "late_lines": Int(),
}, name="LatePurchaseOrderSchema")
LatePurchaseOrdersSchema = Schema.from_dict({"count": Int(),
                                             "items": fields.List(fields.Nested(LatePurchaseOrderSchema))},
                                            name="LatePurchaseOrdersSchema")
LateWorkOrderSchema = Schema.from_dict({
    "work_order_id": Id(), "number": fields.String(), "sku": fields.String(), "product": fields.String(),
    "qty": quantity(), "qty_done": quantity(), "due_date": Date(), "days_late": Int(),
    "state": fields.String(),
}, name="LateWorkOrderSchema")
LateWorkOrdersSchema = Schema.from_dict({"count": Int(),
                                         "items": fields.List(fields.Nested(LateWorkOrderSchema))},
                                        name="LateWorkOrdersSchema")


class OperationsReportSchema(Schema):
    """Each part is null when the reader's role does not see it (sales users see only the orders)."""

    backlog = fields.Nested(BacklogSchema, allow_none=True)
    late_orders = fields.Nested(LateOrdersSchema, allow_none=True)
    otif = fields.List(fields.Nested(OtifMonthSchema), allow_none=True)
    stock_value = fields.List(fields.Nested(StockValueSchema), allow_none=True)
    slow_movers = fields.List(fields.Nested(SlowMoverSchema), allow_none=True)
    late_purchase_orders = fields.Nested(LatePurchaseOrdersSchema, allow_none=True)
    late_work_orders = fields.Nested(LateWorkOrdersSchema, allow_none=True)
    product_line = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    today = Date(metadata={"description": "the company's day (China time) the report is dated"})
    as_of = DateTime()


WeekSchema = Schema.from_dict({"week_start": Date(), "amount": money()}, name="CollectedWeekSchema")
DsoMonthSchema = Schema.from_dict({
    "month": fields.String(), "month_end": Date(), "receivable": money(), "sales": money(),
    "dso": fields.Decimal(places=1, as_string=True, allow_none=True),
}, name="DsoMonthSchema")


class CashReportSchema(Schema):
    collected_by_week = fields.List(fields.Nested(WeekSchema))
    receivable = money()
    overdue = money()
    dso_by_month = fields.List(fields.Nested(DsoMonthSchema))
    team = fields.String(allow_none=True)
    today = Date()
    as_of = DateTime()


# --------------------------------------------------------------------------- resources


@blp.route("/reports/operations")
class OperationsReport(MethodView):
    @blp.arguments(OperationsArgs, location="query")
    @blp.response(200, OperationsReportSchema)
    def get(self, args):
        """Order backlog (confirmed, not shipped in full: untaxed value of the open quantities), late orders
        (requested date passed; the 20 oldest), on time in full per month of the last twelve, stock value per
        product line, slow movers (stock on hand, nothing shipped or issued for 90 days), late purchase orders
        (a line expected before today not received in full) and late work orders (due before today, not
        done). A sales manager sees the team's orders, a sales rep their own."""
        return operations.operations_report(get_uow(), args)


@blp.route("/reports/operations.xlsx")
class OperationsWorkbook(MethodView):
    @blp.arguments(OperationsArgs, location="query")
    @blp.doc(**_binary("The operations report as an Excel workbook"))
    def get(self, args):
        """`GET /reports/operations` as a workbook: a summary sheet and a sheet per list."""
        return _workbook(operations_workbook(operations.operations_report(get_uow(), args)), "operations.xlsx")


@blp.route("/reports/cash")
class CashReport(MethodView):
    @blp.arguments(CashArgs, location="query")
    @blp.response(200, CashReportSchema)
    def get(self, args):
        """Payments received per ISO week (`weeks`, the current one last), receivable and overdue today, and
        DSO per month (`months`): receivable at the month's end / credit sales of the 90 days up to it x 90.
        A sales manager sees the customers of the team's reps, a sales rep their own customers."""
        return operations.cash_report(get_uow(), args)


@blp.route("/reports/cash.xlsx")
class CashWorkbook(MethodView):
    @blp.arguments(CashArgs, location="query")
    @blp.doc(**_binary("The cash report as an Excel workbook"))
    def get(self, args):
        """`GET /reports/cash` as a workbook: receivable and overdue, collections per week, DSO per month."""
        return _workbook(cash_workbook(operations.cash_report(get_uow(), args)), "cash.xlsx")
