"""Purchase plans, supplier prices, purchase orders and goods receipt."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from core.queries import paginate
from core.schemas import Id
from core.web import get_session, get_uow, scoped
from purchasing import queries, services
from purchasing.models import PurchasePlanLine
from purchasing.schemas import (
    OrderFromPlansSchema,
    PurchaseOrderSchema,
    PurchasePlanLineSchema,
    ReceivePurchaseOrderSchema,
    SetSupplierPriceSchema,
    SupplierPriceSchema,
)

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("purchasing", __name__, description="Purchase plans, supplier prices, purchase orders, receipts")


class SupplierPriceArgs(PageArgs):
    supplier_id = Id()
    product_id = Id()


class PurchaseOrderArgs(PageArgs):
    supplier_id = Id()
    state = fields.String(metadata={"description": "draft, confirmed, partially_received, received or cancelled"})


class PurchaseOrderListSchema(Schema):
    items = fields.List(fields.Nested(PurchaseOrderSchema))


class PlanArgs(PageArgs):
    sales_order_id = Id()
    work_order_id = Id()
    product_id = Id()
    supplier_id = Id()
    state = fields.String(metadata={"description": "open, ordered or cancelled"})


@blp.route("/purchase-plans")
class PurchasePlans(MethodView):
    @blp.arguments(PlanArgs, location="query")
    @blp.response(200, page_schema(PurchasePlanLineSchema))
    def get(self, args):
        """Planned purchases with the demand each one serves, by suggested order date."""
        page, per_page = args.pop("page"), args.pop("per_page")
        stmt = scoped(g.actor, "purchase_plan", select(PurchasePlanLine))
        for name, value in args.items():
            stmt = stmt.where(getattr(PurchasePlanLine, name) == value)
        stmt = stmt.order_by(PurchasePlanLine.order_by, PurchasePlanLine.id)
        return page_body(paginate(get_session(), stmt, page, per_page))


@blp.route("/supplier-prices")
class SupplierPrices(MethodView):
    @blp.arguments(SupplierPriceArgs, location="query")
    @blp.response(200, page_schema(SupplierPriceSchema))
    def get(self, args):
        """The supplier price list: price (CNY), minimum quantity and lead time per supplier and product."""
        return page_body(queries.supplier_prices(get_session(), g.actor, **args))

    @blp.arguments(SetSupplierPriceSchema)
    @blp.response(200, SupplierPriceSchema)
    @blp.alt_response(422, description="Unknown supplier or product, or not a bought product")
    def post(self, data):
        """Set a supplier's price for a product (created, or changed when it exists)."""
        return services.set_supplier_price(get_uow(), data)


@blp.route("/purchase-orders")
class PurchaseOrders(MethodView):
    @blp.arguments(PurchaseOrderArgs, location="query")
    @blp.response(200, page_schema(PurchaseOrderSchema))
    def get(self, args):
        """Purchase orders, newest first."""
        return page_body(queries.purchase_orders(get_session(), g.actor, **args))


@blp.route("/purchase-orders/from-plans")
class PurchaseOrdersFromPlans(MethodView):
    @idempotent
    @blp.arguments(OrderFromPlansSchema)
    @blp.response(201, PurchaseOrderListSchema)
    @blp.alt_response(409, description="`nothing_to_order`: no open plan lines")
    @blp.alt_response(422, description="A named plan line is unknown or not open")
    def post(self, data):
        """Draft purchase orders from open plan lines (`plan_ids`, or all open): one per supplier, one line
        per product, quantities summed and raised to the supplier's minimum."""
        return {"items": services.create_orders_from_plans(get_uow(), data.get("plan_ids"))}


@blp.route("/purchase-orders/<int:order_id>")
class PurchaseOrderItem(MethodView):
    @blp.response(200, PurchaseOrderSchema)
    def get(self, order_id):
        """One purchase order with its lines (ordered, received, still open)."""
        return services.get_purchase_order(get_uow(), order_id)


@blp.route("/purchase-orders/<int:order_id>/confirm")
class ConfirmPurchaseOrder(MethodView):
    @blp.response(200, PurchaseOrderSchema)
    @blp.alt_response(409, description="Only a draft can be confirmed")
    def post(self, order_id):
        """Confirm a draft purchase order (sent to the supplier)."""
        return services.confirm_purchase_order(get_uow(), order_id)


@blp.route("/purchase-orders/<int:order_id>/cancel")
class CancelPurchaseOrder(MethodView):
    @blp.response(200, PurchaseOrderSchema)
    @blp.alt_response(409, description="Only a draft or confirmed order (nothing received) can be cancelled")
    def post(self, order_id):
        """Cancel a draft or confirmed purchase order; its plan lines are open again."""
        return services.cancel_purchase_order(get_uow(), order_id)


@blp.route("/purchase-orders/<int:order_id>/receive")
class ReceivePurchaseOrder(MethodView):
    @blp.arguments(ReceivePurchaseOrderSchema)
    @blp.response(200, PurchaseOrderSchema)
    @blp.alt_response(409, description="`over_receipt` beyond the tolerance, or the order is not confirmed")
    @blp.alt_response(422, description="A product is not on the order, or a quantity is not valid")
    def post(self, data, order_id):
        """Book a (partial) goods receipt: `lines: [{product_id, qty}]`. The stock is allocated first to
        the demand the order was bought for, then to other waiting demand by requested date."""
        tolerance = current_app.config["SETTINGS"].receipt_tolerance
        return services.receive_purchase_order(get_uow(), order_id, data["lines"], tolerance=tolerance)
