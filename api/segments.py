"""Customer segments (RFM): scores and segment per customer, counts, and recomputing now."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.queries import paginate
from core.schemas import Date, Id, Int, money
from core.web import get_session, get_uow
from crm.segments import services

from . import PageArgs, page_body, page_schema

blp = Blueprint("segments", __name__, description="Customer segments (RFM)")


class SegmentRowSchema(Schema):
    customer_id = Id()
    customer_code = fields.String(attribute="customer.code")
    customer_name = fields.String(attribute="customer.name")
    owner_id = Id(attribute="customer.owner_id", allow_none=True)
    as_of = Date()
    last_order_date = Date()
    recency_days = Int()
    frequency = Int()
    monetary = money()
    paid = money()
    r_score = Int()
    f_score = Int()
    m_score = Int()
    segment = fields.String()


class SegmentListArgs(PageArgs):
    segment = fields.String(validate=validate.OneOf(services.SEGMENTS))
    owner_id = Id()


class RefreshResultSchema(Schema):
    customers = Int()
    by_segment = fields.Dict(keys=fields.String(), values=Int())
    became_dormant = fields.List(Int())
    woke_up = fields.List(Int())


@blp.route("/customer-segments")
class Segments(MethodView):
    @blp.arguments(SegmentListArgs, location="query")
    @blp.response(200, page_schema(SegmentRowSchema))
    def get(self, args):
        """RFM scores and segment of the customers the caller may see (a rep: their own), highest
        monetary score first. Recomputed nightly by the beat task `crm.refresh_segments`."""
        stmt = services.segment_query(g.actor, segment=args.get("segment"), owner_id=args.get("owner_id"))
        return page_body(paginate(get_session(), stmt, args["page"], args["per_page"]))


@blp.route("/customer-segments/refresh")
class Refresh(MethodView):
    @blp.response(200, RefreshResultSchema)
    def post(self):
        """Recompute the segments now (sales managers and admin). Customers who turn dormant get the
        lifecycle stage `dormant` and their owner a follow-up task; dormant customers who ordered again
        are `won` again."""
        return services.refresh(get_uow())
