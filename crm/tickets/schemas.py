"""Ticket payloads for the API and the web forms: the rules of the fields live here (a subject, a
known priority); the ticket service checks the customer, sales order, product and assignee against the
database."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.db import utcnow
from core.schemas import DateTime, Id, Int, Text
from crm.tickets.models import TicketPriority, TicketStatus

PRIORITIES = [p.value for p in TicketPriority]
STATUSES = [s.value for s in TicketStatus]
_PRIORITY = validate.OneOf(PRIORITIES, error=f"Use one of {', '.join(PRIORITIES)}.")


class TicketSchema(Schema):
    id = Id()
    number = fields.String()
    customer_id = Id()
    sales_order_id = Id(allow_none=True)
    product_id = Id(allow_none=True)
    subject = fields.String()
    description = fields.String(allow_none=True)
    priority = fields.String()
    status = fields.String()
    assignee_id = Id(allow_none=True)
    due_at = DateTime()
    overdue = fields.Method("_overdue")
    resolution = fields.String(allow_none=True)
    resolved_at = DateTime(allow_none=True)
    closed_at = DateTime(allow_none=True)
    satisfaction = Int(allow_none=True)
    created_by_id = Id(allow_none=True)
    created_at = DateTime()

    def _overdue(self, ticket) -> bool:
        return ticket.is_overdue(utcnow())


class CreateTicketSchema(Schema):
    customer_id = Id(required=True, error_messages={"required": "Give a customer you may see.",
                                                                "null": "Give a customer you may see."})
    sales_order_id = Id(allow_none=True)
    product_id = Id(allow_none=True)
    subject = Text(required=True, validate=[validate.Length(min=1, error="Give a subject."),
                                            validate.Length(max=200)],
                   error_messages={"required": "Give a subject.", "null": "Give a subject."})
    description = fields.String(allow_none=True)
    priority = fields.String(load_default=TicketPriority.NORMAL.value, validate=_PRIORITY)
    assignee_id = Id(allow_none=True)


class UpdateTicketSchema(Schema):
    priority = fields.String(validate=_PRIORITY)
    assignee_id = Id(allow_none=True)


class ResolveTicketSchema(Schema):
    resolution = fields.String(load_default=None, allow_none=True)


class SatisfactionSchema(Schema):
    score = Int(required=True)
