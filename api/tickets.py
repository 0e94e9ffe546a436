"""After-sales tickets: priority and SLA due time, assignee, status moves, resolution and the
customer's satisfaction score."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from core.queries import paginate
from core.schemas import Id
from core.web import get_session, get_uow
from crm.tickets import services
from crm.tickets.schemas import (
    PRIORITIES,
    STATUSES,
    CreateTicketSchema,
    ResolveTicketSchema,
    SatisfactionSchema,
    TicketSchema,
    UpdateTicketSchema,
)

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("tickets", __name__, description="After-sales tickets")


class TicketListArgs(PageArgs):
    customer_id = Id()
    status = fields.String(validate=validate.OneOf(STATUSES))
    assignee_id = Id()
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    overdue = fields.Boolean(metadata={"description": "Only open or in-progress tickets past their due time "
                                                      "(true) or only the others (false)"})


@blp.route("/tickets")
class Tickets(MethodView):
    @blp.arguments(TicketListArgs, location="query")
    @blp.response(200, page_schema(TicketSchema))
    def get(self, args):
        """The tickets the caller may see, the earliest due first."""
        stmt = services.ticket_query(g.actor, args)
        return page_body(paginate(get_session(), stmt, args["page"], args["per_page"]))

    @idempotent
    @blp.arguments(CreateTicketSchema)
    @blp.response(201, TicketSchema)
    def post(self, data):
        """Raise a ticket for a customer; the due time follows from the priority (urgent 4 hours, high 1
        day, normal 3 days, low 5 days). Unassigned tickets are assigned to the caller."""
        return services.create_ticket(get_uow(), data)


@blp.route("/tickets/<int:ticket_id>")
class TicketItem(MethodView):
    @blp.response(200, TicketSchema)
    def get(self, ticket_id):
        """One ticket."""
        return services.get_ticket(get_uow(), ticket_id)

    @blp.arguments(UpdateTicketSchema)
    @blp.response(200, TicketSchema)
    def patch(self, data, ticket_id):
        """Change the assignee or the priority (the due time follows the priority)."""
        return services.update_ticket(get_uow(), ticket_id, data)


def _action(name: str, doc: str, call):
    class Action(MethodView):
        @blp.response(200, TicketSchema)
        @blp.alt_response(409, description="Not allowed in the ticket's status")
        def post(self, ticket_id):
            return call(get_uow(), ticket_id)

    Action.post.__doc__ = doc
    Action.__name__ = f"Ticket{name.title()}"
    blp.route(f"/tickets/<int:ticket_id>/{name}")(Action)


_action("start", "Start work on an open ticket.", services.start_ticket)
_action("close", "Close a resolved ticket.", services.close_ticket)
_action("cancel", "Cancel an open or in-progress ticket.", services.cancel_ticket)
_action("reopen", "Back to work on a resolved ticket.", services.reopen_ticket)


@blp.route("/tickets/<int:ticket_id>/resolve")
class TicketResolve(MethodView):
    @blp.arguments(ResolveTicketSchema)
    @blp.response(200, TicketSchema)
    @blp.alt_response(409, description="Not allowed in the ticket's status")
    def post(self, data, ticket_id):
        """Resolve a ticket in progress; `resolution` is required (422 without it)."""
        return services.resolve_ticket(get_uow(), ticket_id, data.get("resolution"))


@blp.route("/tickets/<int:ticket_id>/satisfaction")
class TicketSatisfaction(MethodView):
    @blp.arguments(SatisfactionSchema)
    @blp.response(200, TicketSchema)
    @blp.alt_response(409, description="The ticket is not resolved or closed")
    def post(self, data, ticket_id):
        """The customer's satisfaction score (1–5) with a resolved or closed ticket."""
        return services.rate_ticket(get_uow(), ticket_id, data["score"])
