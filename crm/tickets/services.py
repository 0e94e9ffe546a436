"""Ticket services: the only code that changes tickets.

A ticket follows its customer's data scope (a rep works the tickets of their own customers, a manager
those of the team); management reads. Every service takes `now` so tests control the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import utcnow
from core.errors import Forbidden, InvalidInput
from core.forms import check_input, load_input
from core.models import Customer, Product, Role, User
from core.numbering import next_number
from core.registry import permissions_of
from core.uow import UnitOfWork
from crm.orders.models import SalesOrder
from crm.tickets.models import Ticket, TicketPriority, sla_due
from crm.tickets.schemas import CreateTicketSchema, UpdateTicketSchema

RESOURCE = "ticket"
WORKERS = frozenset({Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN})


def _authorize(uow: UnitOfWork, action: str, ticket: Ticket | None = None) -> None:
    uow.authorize(action, RESOURCE, ticket)


def get_ticket(uow: UnitOfWork, ticket_id: int, *, for_update: bool = False) -> Ticket:
    ticket = uow.get(Ticket, ticket_id, "ticket", for_update=for_update)
    _authorize(uow, "read", ticket)
    return ticket


def _assignee(uow: UnitOfWork, assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    user = uow.session.get(User, assignee_id)
    if user is None or not user.active or user.role not in WORKERS:
        raise InvalidInput({"assignee_id": [f"No active sales user or admin with id {assignee_id}."]})
    return user


def create_ticket(uow: UnitOfWork, data: dict[str, Any], *, now: datetime | None = None) -> Ticket:
    """Raise a ticket for a customer in the caller's scope; the due time follows from the priority.

    The input is loaded here through `CreateTicketSchema` (the API's and the queue page's), whoever calls
    (the demo loader too), so the schema's messages and the database's (the customer in sight, its sales
    order, the product, the assignee) come back in one 422 naming each bad field."""
    _authorize(uow, "create")
    now = now or utcnow()
    values, errors = check_input(CreateTicketSchema, data)
    customer = uow.session.get(Customer, values["customer_id"]) if values.get("customer_id") else None
    if customer is None or not uow.in_scope("read", "customer", customer):
        errors.setdefault("customer_id", ["Give a customer you may see."])
        customer = None
    order_id = values.get("sales_order_id")
    if order_id is not None:
        order = uow.session.get(SalesOrder, order_id)
        if order is None or customer is None or order.customer_id != customer.id:
            errors["sales_order_id"] = [f"No sales order {order_id} of this customer."]
    product_id = values.get("product_id")
    if product_id is not None and uow.session.get(Product, product_id) is None:
        errors["product_id"] = [f"No product with id {product_id}."]
    try:
        assignee = _assignee(uow, values.get("assignee_id"))
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(errors)
    if not uow.in_scope("update", "customer", customer):
        raise Forbidden("You may only raise tickets for your own customers.")
    ticket = Ticket(number=next_number(uow.session, "TCK", on=now.date()), customer_id=customer.id,
                    customer=customer, sales_order_id=order_id, product_id=product_id,
                    subject=values["subject"], description=values.get("description"),
                    priority=values["priority"], status="open",
                    assignee_id=assignee.id if assignee else uow.actor_id,
                    due_at=sla_due(TicketPriority(values["priority"]), now), created_by_id=uow.actor_id,
                    created_at=now)
    uow.session.add(ticket)
    uow.commit()
    return ticket


def update_ticket(uow: UnitOfWork, ticket_id: int, data: dict[str, Any]) -> Ticket:
    """Change the assignee or the priority (the due time follows the priority); the input is loaded
    through `UpdateTicketSchema`, the API's."""
    ticket = get_ticket(uow, ticket_id, for_update=True)
    _authorize(uow, "update", ticket)
    data = load_input(UpdateTicketSchema, data)
    if "priority" in data:
        ticket.set_priority(TicketPriority(data["priority"]))
    if "assignee_id" in data:
        assignee = _assignee(uow, data["assignee_id"])
        ticket.assignee_id = assignee.id if assignee else None
    uow.commit()
    return ticket


def _command(uow: UnitOfWork, ticket_id: int, apply) -> Ticket:
    ticket = get_ticket(uow, ticket_id, for_update=True)
    _authorize(uow, "update", ticket)
    apply(ticket)
    uow.commit()
    return ticket


def start_ticket(uow: UnitOfWork, ticket_id: int, *, now: datetime | None = None) -> Ticket:
    return _command(uow, ticket_id, lambda t: t.start())


def resolve_ticket(uow: UnitOfWork, ticket_id: int, resolution: str | None, *,
                   now: datetime | None = None) -> Ticket:
    return _command(uow, ticket_id, lambda t: t.resolve(resolution, at=now or utcnow()))


def close_ticket(uow: UnitOfWork, ticket_id: int, *, now: datetime | None = None) -> Ticket:
    return _command(uow, ticket_id, lambda t: t.close(at=now or utcnow()))


def cancel_ticket(uow: UnitOfWork, ticket_id: int, *, now: datetime | None = None) -> Ticket:
    return _command(uow, ticket_id, lambda t: t.cancel())


def reopen_ticket(uow: UnitOfWork, ticket_id: int, *, now: datetime | None = None) -> Ticket:
    return _command(uow, ticket_id, lambda t: t.reopen())


def rate_ticket(uow: UnitOfWork, ticket_id: int, score: int, *, now: datetime | None = None) -> Ticket:
    """The customer's satisfaction (1–5) with a resolved or closed ticket."""
    return _command(uow, ticket_id, lambda t: t.rate(score))


def overdue_clause(now: datetime):
    return Ticket.status.in_(("open", "in_progress")) & (Ticket.due_at < now)


def ticket_query(actor: User, filters: dict[str, Any], *, now: datetime | None = None):
    """The tickets the actor may see, filtered, most urgent due time first."""
    stmt = permissions_of(actor).scoped(actor, RESOURCE, select(Ticket))
    for name in ("customer_id", "status", "assignee_id", "priority"):
        if filters.get(name) not in (None, ""):
            stmt = stmt.where(getattr(Ticket, name) == filters[name])
    if filters.get("overdue") is True:
        stmt = stmt.where(overdue_clause(now or utcnow()))
    elif filters.get("overdue") is False:
        stmt = stmt.where(~overdue_clause(now or utcnow()))
    return stmt.order_by(Ticket.due_at, Ticket.id)
