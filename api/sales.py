"""Sales orders: entry, confirmation (credit, stock locks and planning in one transaction), cancellation, and
the explicit "delivered" act of an order's services (an order of services only never ships)."""

from __future__ import annotations

from decimal import Decimal

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from core import clock
from core.schemas import Date, Id, money
from core.schemas import qty as quantity
from core.web import get_session, get_uow
from crm.orders import queries, services
from crm.orders.schemas import (
    CreateSalesOrderSchema,
    SalesOrderLineSchema,
    SalesOrderSchema,
    SalesOrderSummarySchema,
    UpdateSalesOrderSchema,
)
from finance.credit.order_flags import overdue_by_order
from purchasing.queries import expected_dates

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("sales", __name__, description="Sales orders")


class SalesOrderListArgs(PageArgs):
    q = fields.String(metadata={"description": "search in order numbers"})
    customer_id = Id()
    state = fields.String()
    warehouse_id = Id()


class SalesOrderLineProgressSchema(SalesOrderLineSchema):
    to_come_qty = quantity(metadata={"description": "neither shipped nor reserved yet: still to be made or bought"})
    expected_date = Date(allow_none=True, metadata={
        "description": "when what is still to come is expected, from its pegged supply (work order due date, "
                       "purchase order line date); null when nothing is to come"})


class SalesOrderDetailSchema(SalesOrderSchema):
    lines = fields.List(fields.Nested(SalesOrderLineProgressSchema))
    overdue = fields.Boolean(metadata={"description": "an open invoice of the order is past due today"})
    overdue_amount = money(metadata={"description": "what the order's invoices past due still have open"})


class _LineProgress:
    """A sales order line seen with the expected date of what it still lacks (composed here, at the top,
    because the supply lives downstream of crm)."""

    def __init__(self, line, expected_date) -> None:
        self._line = line
        self.expected_date = expected_date if line.to_come_qty > 0 else None

    def __getattr__(self, name):
        return getattr(self._line, name)


class _OrderProgress:
    def __init__(self, order, dates, overdue_amount: Decimal) -> None:
        self._order = order
        self.lines = [_LineProgress(line, dates.get(line.id)) for line in order.lines]
        self.overdue_amount = overdue_amount
        self.overdue = overdue_amount > 0

    def __getattr__(self, name):
        return getattr(self._order, name)


@blp.route("/sales-orders")
class SalesOrders(MethodView):
    @blp.arguments(SalesOrderListArgs, location="query")
    @blp.response(200, page_schema(SalesOrderSummarySchema))
    def get(self, args):
        """List the orders the caller may see."""
        return page_body(queries.sales_orders(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateSalesOrderSchema)
    @blp.response(201, SalesOrderSchema)
    @blp.alt_response(422, description="A field is not valid")
    def post(self, data):
        """Create a draft order; it gets its number now. Unit prices default to list prices."""
        return services.create_order(get_uow(), data)


@blp.route("/sales-orders/<int:order_id>")
class SalesOrderItem(MethodView):
    @blp.response(200, SalesOrderDetailSchema)
    def get(self, order_id):
        """One order with its progress: per line reserved, shipped and still-to-come quantities, and when
        what is still to come is expected; its invoiced, credited and paid amounts, payment status and
        whether an open invoice of it is overdue."""
        order = services.get_order(get_uow(), order_id)
        overdue = overdue_by_order(get_session(), [order.id], today=clock.today()).get(order.id, Decimal(0))
        return _OrderProgress(order, expected_dates(get_session(), [line.id for line in order.lines]), overdue)

    @blp.arguments(UpdateSalesOrderSchema)
    @blp.response(200, SalesOrderSchema)
    @blp.alt_response(409, description="Only a draft can be changed")
    def patch(self, data, order_id):
        """Change a draft order; `lines`, when given, replace all its lines."""
        return services.update_order(get_uow(), order_id, data)


@blp.route("/sales-orders/<int:order_id>/confirm")
class ConfirmSalesOrder(MethodView):
    @blp.response(200, SalesOrderSchema)
    @blp.alt_response(409, description="`credit_limit_exceeded` or `credit_hold` (with `details`: "
                                       "credit_limit, exposure, order_total, shortfall), or an illegal transition; "
                                       "nothing was changed")
    def post(self, order_id):
        """Confirm a draft: credit check, stock reservation and planning in one transaction."""
        return services.confirm_order(get_uow(), order_id)


@blp.route("/sales-orders/<int:order_id>/cancel")
class CancelSalesOrder(MethodView):
    @blp.response(200, SalesOrderSchema)
    @blp.alt_response(409, description="The order cannot be cancelled in its state")
    def post(self, order_id):
        """Cancel: releases the reservations, cancels the plans and the work orders not yet started."""
        return services.cancel_order(get_uow(), order_id)


@blp.route("/sales-orders/<int:order_id>/deliver")
class DeliverSalesOrder(MethodView):
    @blp.response(200, SalesOrderSchema)
    @blp.alt_response(403, description="The caller's role may not mark orders delivered (sales in their data scope "
                                       "and admin may)")
    @blp.alt_response(409, description="`goods_not_shipped` (with `details.unshipped`: the SKUs still to ship; "
                                       "services are delivered with the shipment that completes the goods), "
                                       "`nothing_to_deliver` (no service line is open) or `invalid_transition` "
                                       "(the order is not confirmed or is already shipped); nothing was changed")
    def post(self, order_id):
        """Mark an order's services delivered: the explicit act for an order whose goods are all shipped,
        above all an order of services only (installation, commissioning), which no shipment carries. Its
        open service lines get their `shipped_qty`, the order becomes `shipped` and the same follow-ups run as
        for a shipment: on-delivery installments are invoiced, and `POST /invoices` bills the services."""
        return services.mark_delivered(get_uow(), order_id)
