"""Stock: balances, the ledger, adjustments, reservations (who holds the locks) and shipments."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from core.schemas import Id
from core.web import get_session, get_uow
from inventory import queries, services, shipping
from inventory.schemas import (
    AdjustStockSchema,
    CreateShipmentSchema,
    ReservationSchema,
    ShipmentSchema,
    StockBalanceSchema,
    StockMoveSchema,
)

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("inventory", __name__, description="Stock, adjustments, reservations and shipments")


class StockArgs(PageArgs):
    product_id = Id()
    warehouse_id = Id()


class MoveArgs(StockArgs):
    kind = fields.String()


class ShipmentArgs(PageArgs):
    sales_order_id = Id()
    state = fields.String(metadata={"description": "draft, shipped or cancelled"})


class ReservationArgs(StockArgs):
    sales_order_id = Id()
    sales_order_line_id = Id()
    work_order_id = Id()
    state = fields.String(metadata={"description": "active, released or consumed"})


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(StockArgs, location="query")
    @blp.response(200, page_schema(StockBalanceSchema))
    def get(self, args):
        """On hand, reserved and available per product and warehouse."""
        return page_body(queries.balances(get_session(), g.actor, **args))


@blp.route("/stock/moves")
class StockMoves(MethodView):
    @blp.arguments(MoveArgs, location="query")
    @blp.response(200, page_schema(StockMoveSchema))
    def get(self, args):
        """The stock ledger, newest first."""
        return page_body(queries.moves(get_session(), g.actor, **args))


@blp.route("/stock/adjustments")
class StockAdjustments(MethodView):
    @idempotent
    @blp.arguments(AdjustStockSchema)
    @blp.response(201, StockMoveSchema)
    @blp.alt_response(409, description="`insufficient_stock`: it would leave less on hand than is reserved")
    def post(self, data):
        """Adjust stock by a signed quantity, with a reason (default warehouse unless named)."""
        return services.adjust_stock(get_uow(), data)


@blp.route("/stock/reservations")
class Reservations(MethodView):
    @blp.arguments(ReservationArgs, location="query")
    @blp.response(200, page_schema(ReservationSchema))
    def get(self, args):
        """The stock locks and the documents that hold them."""
        return page_body(queries.reservations(get_session(), g.actor, **args))


@blp.route("/shipments")
class Shipments(MethodView):
    @blp.arguments(ShipmentArgs, location="query")
    @blp.response(200, page_schema(ShipmentSchema))
    def get(self, args):
        """Shipments (pick lists, shipped ones and backorders), newest first."""
        return page_body(queries.shipments(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateShipmentSchema)
    @blp.response(201, ShipmentSchema)
    @blp.alt_response(409, description="`nothing_reserved`, or the order is not open")
    @blp.alt_response(422, description="A line asks for more than is reserved for it, or names no order line")
    def post(self, data):
        """A draft shipment (pick list) of a sales order: the `lines` given, or everything reserved for it."""
        return shipping.create_shipment(get_uow(), data)


@blp.route("/shipments/<int:shipment_id>")
class ShipmentItem(MethodView):
    @blp.response(200, ShipmentSchema)
    def get(self, shipment_id):
        """One shipment with its lines."""
        return shipping.get_shipment(get_uow(), shipment_id)


@blp.route("/shipments/<int:shipment_id>/ship")
class ShipShipment(MethodView):
    @blp.response(200, ShipmentSchema)
    @blp.alt_response(409, description="`not_reserved`: a line holds more than is reserved; or not a draft")
    def post(self, shipment_id):
        """Ship: the reserved stock leaves (moves out, locks consumed), the order learns its shipped
        quantities, and what the order still lacks becomes a backorder (a new draft shipment)."""
        return shipping.ship_shipment(get_uow(), shipment_id)


@blp.route("/shipments/<int:shipment_id>/cancel")
class CancelShipment(MethodView):
    @blp.response(200, ShipmentSchema)
    @blp.alt_response(409, description="Only a draft can be cancelled")
    def post(self, shipment_id):
        """Drop a draft pick list; the stock stays reserved for the order."""
        return shipping.cancel_shipment(get_uow(), shipment_id)
