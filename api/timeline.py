"""The customer 360 timeline: activities, tasks, opportunities, quotes, orders (with shipment, invoice
and payment status), shipments, tickets, invoices, payments, credit notes and refunds of one customer in
date order."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.schemas import DateTime, Id, Int, money
from core.web import get_uow
from crm.timeline import registry

from . import PageArgs, page_schema

blp = Blueprint("timeline", __name__, description="Customer 360 timeline")


class TimelineArgs(PageArgs):
    per_page = Int(load_default=50, validate=validate.Range(min=1, max=registry.MAX_PER_PAGE))
    kind = fields.List(fields.String(), load_default=list,
                       metadata={"description": "Only these kinds (repeat the parameter); all when left out"})
    order = fields.String(load_default="desc", validate=validate.OneOf(["desc", "asc"]),
                          metadata={"description": "desc: newest first (default); asc: oldest first"})


class TimelineEntrySchema(Schema):
    kind = fields.String()
    at = DateTime()
    id = Id(attribute="ref_id")
    title = fields.String()
    status = fields.String(allow_none=True)
    amount = money(allow_none=True)
    note = fields.String(allow_none=True)
    details = fields.Dict()
    link = fields.Method("_link", allow_none=True)

    def _link(self, entry) -> str | None:
        from flask import g

        return registry.link(entry, g.actor)


@blp.route("/customers/<int:customer_id>/timeline")
class CustomerTimeline(MethodView):
    @blp.arguments(TimelineArgs, location="query")
    @blp.response(200, page_schema(TimelineEntrySchema))
    def get(self, args, customer_id):
        """Everything that happened to one customer, newest first: a sales rep reads their own customers,
        a sales manager the team's, finance, management and admin all (another's customer is 404).
        `link` is the entry's web page when the caller may open it."""
        page = registry.customer_timeline(get_uow(), customer_id, kinds=args["kind"], page=args["page"],
                                          per_page=args["per_page"], newest_first=args["order"] == "desc")
        return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}
