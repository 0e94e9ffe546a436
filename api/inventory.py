"""Stock: balances, the ledger, adjustments and reservations (who holds the locks)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.web import get_session, get_uow
from inventory import queries, services
from inventory.schemas import AdjustStockSchema, ReservationSchema, StockBalanceSchema, StockMoveSchema

from . import idempotent, page_body, page_schema

blp = Blueprint("inventory", __name__, description="Stock, adjustments and reservations")


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200))


class StockArgs(PageArgs):
    product_id = fields.Integer()
    warehouse_id = fields.Integer()


class MoveArgs(StockArgs):
    kind = fields.String()


class ReservationArgs(StockArgs):
    sales_order_id = fields.Integer()
    sales_order_line_id = fields.Integer()
    work_order_id = fields.Integer()
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
