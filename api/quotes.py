"""Quotes: versions, approval of discounts over the threshold, acceptance into a draft sales order."""

from __future__ import annotations

from flask import Response, current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from core.queries import paginate
from core.schemas import Id
from core.web import get_session, get_uow, scoped
from crm.leads.schemas import CreateQuoteSchema, QuoteSchema, UpdateQuoteSchema
from crm.quotes import services
from crm.quotes.models import Quote

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("quotes", __name__, description="Quotes")


class QuoteListArgs(PageArgs):
    opportunity_id = Id()
    customer_id = Id()
    state = fields.String()


@blp.route("/quotes")
class Quotes(MethodView):
    @blp.arguments(QuoteListArgs, location="query")
    @blp.response(200, page_schema(QuoteSchema))
    def get(self, args):
        """The quotes the caller may see."""
        stmt = scoped(g.actor, "quote", select(Quote))
        for name in ("opportunity_id", "customer_id", "state"):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(Quote, name) == args[name])
        return page_body(paginate(get_session(), stmt.order_by(Quote.id.desc()), args["page"], args["per_page"]))

    @idempotent
    @blp.arguments(CreateQuoteSchema)
    @blp.response(201, QuoteSchema)
    def post(self, data):
        """Version 1 of a quote; unit prices default to list prices."""
        return services.create_quote(get_uow(), data)


@blp.route("/quotes/<int:quote_id>")
class QuoteItem(MethodView):
    @blp.response(200, QuoteSchema)
    def get(self, quote_id):
        """One quote with its lines."""
        return services.get_quote(get_uow(), quote_id)

    @blp.arguments(UpdateQuoteSchema)
    @blp.response(200, QuoteSchema)
    def patch(self, data, quote_id):
        """Change a draft; `lines` replace all lines."""
        return services.update_quote(get_uow(), quote_id, data)


def _action(name: str, doc: str, call):
    class Action(MethodView):
        @blp.response(200, QuoteSchema)
        @blp.alt_response(409, description="Not allowed in the quote's state (`approval_required` when a "
                                           "discount over the threshold is not approved yet)")
        def post(self, quote_id):
            return call(get_uow(), quote_id)

    Action.post.__doc__ = doc
    Action.__name__ = f"Quote{name.title().replace('-', '')}"
    blp.route(f"/quotes/<int:quote_id>/{name}")(Action)


_action("submit", "Ready the draft: approved at once, or waiting for a manager above the discount threshold.",
        services.submit_quote)
_action("approve", "A sales manager approves the discount.", services.approve_quote)
_action("send-back", "A sales manager sends the quote back to draft.", services.send_back_quote)
_action("accept", "The customer accepted: a draft sales order with the same lines.", services.accept_quote)
_action("reject", "The customer declined.", services.reject_quote)
_action("new-version", "A new draft version with the same lines; this one is superseded.", services.new_version)


@blp.route("/quotes/<int:quote_id>/pdf")
class QuotePdf(MethodView):
    @blp.response(200, content_type="application/pdf",
                  description="The quote printed in Chinese and English (lines, discounts, VAT and totals)")
    def get(self, quote_id):
        """The quote as a PDF."""
        name, pdf = services.print_quote(get_uow(), quote_id, company=current_app.config.get("COMPANY_NAME") or None)
        return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
