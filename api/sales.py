"""Sales orders: entry, confirmation (credit, stock locks and planning in one transaction), cancellation."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.web import get_session, get_uow
from crm import queries, services
from crm.schemas import (
    CreateSalesOrderSchema,
    SalesOrderSchema,
    SalesOrderSummarySchema,
    UpdateSalesOrderSchema,
)

from . import idempotent, page_body, page_schema

blp = Blueprint("sales", __name__, description="Sales orders")


class SalesOrderListArgs(Schema):
    q = fields.String(metadata={"description": "search in order numbers"})
    customer_id = fields.Integer()
    state = fields.String()
    warehouse_id = fields.Integer()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200))


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
    @blp.response(200, SalesOrderSchema)
    def get(self, order_id):
        """One order with its lines, each line's reserved and shipped quantity."""
        return services.get_order(get_uow(), order_id)

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
