"""Purchase plans."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core.permissions import scoped
from core.queries import paginate
from core.web import get_session
from purchasing.models import PurchasePlanLine
from purchasing.schemas import PurchasePlanLineSchema

from . import page_body, page_schema

blp = Blueprint("purchasing", __name__, description="Purchase plans")


class PlanArgs(Schema):
    sales_order_id = fields.Integer()
    work_order_id = fields.Integer()
    product_id = fields.Integer()
    supplier_id = fields.Integer()
    state = fields.String(metadata={"description": "open, ordered or cancelled"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200))


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
