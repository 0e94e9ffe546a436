"""The ticket queue (filters, overdue flag, a form to raise a ticket) and the ticket page with its
actions. Views parse the form, call one service (or one read-only query) and render or redirect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.db import utcnow
from core.errors import DomainError
from core.forms import load_form
from core.models import Customer, User
from core.queries import paginate
from core.views import act, guard, load_or_abort
from core.web import can, get_session, get_uow, scoped
from crm.tickets import services
from crm.tickets.models import TicketPriority, TicketStatus
from crm.tickets.schemas import (
    CreateTicketSchema,
    ResolveTicketSchema,
    SatisfactionSchema,
    UpdateTicketSchema,
)

bp = Blueprint("crm_tickets_web", __name__, template_folder="templates", url_prefix="/tickets")

STATUS_LABELS = {TicketStatus.OPEN: _l("Open"), TicketStatus.IN_PROGRESS: _l("In progress"),
                 TicketStatus.RESOLVED: _l("Resolved"), TicketStatus.CLOSED: _l("Closed"),
                 TicketStatus.CANCELLED: _l("Cancelled")}
PRIORITY_LABELS = {TicketPriority.LOW: _l("Low"), TicketPriority.NORMAL: _l("Normal"),
                   TicketPriority.HIGH: _l("High"), TicketPriority.URGENT: _l("Urgent")}
ACTIONS = {
    "start": (services.start_ticket, _l("Work on ticket %(number)s started.")),
    "close": (services.close_ticket, _l("Ticket %(number)s closed.")),
    "cancel": (services.cancel_ticket, _l("Ticket %(number)s cancelled.")),
    "reopen": (services.reopen_ticket, _l("Ticket %(number)s reopened.")),
}


@bp.app_context_processor
def _labels():
    return {"ticket_status_label": lambda s: STATUS_LABELS.get(s, s),
            "ticket_priority_label": lambda p: PRIORITY_LABELS.get(p, p)}


def _workers():
    return list(get_session().scalars(select(User).where(User.active, User.role.in_(services.WORKERS))
                                      .order_by(User.username)))


@bp.route("")
@login_required
def queue():
    guard("read", "ticket")
    return _queue_page()


def _queue_page(values=None, errors=None, status: int = 200):
    """The queue as the query string filters it, with the form to raise a ticket (as typed, with its
    field errors, when raising one was refused)."""
    args = request.args
    filters = {"status": args.get("status") or None, "priority": args.get("priority") or None,
               "customer_id": args.get("customer_id", type=int), "assignee_id": args.get("assignee_id", type=int),
               "overdue": True if args.get("overdue") else None}
    if filters["status"] not in (None, *STATUS_LABELS) or filters["priority"] not in (None, *PRIORITY_LABELS):
        abort(400)
    now = utcnow()
    session = get_session()
    page = paginate(session, services.ticket_query(current_user, filters, now=now), args.get("page", 1, type=int))
    customers = list(session.scalars(scoped(current_user, "customer", select(Customer), "update")
                                     .order_by(Customer.code))) if _may("create") else []
    return render_template("tickets/queue.html", page=page, now=now, filters=filters, customers=customers,
                           workers=_workers(), statuses=STATUS_LABELS, priorities=PRIORITY_LABELS,
                           values=values or {}, errors=errors or {}), status


def _may(action: str) -> bool:
    return can(current_user, action, "ticket")


@bp.route("", methods=["POST"])
@login_required
def create():
    guard("create", "ticket")
    try:
        data = load_form(CreateTicketSchema, request.form)
        with get_uow() as uow:
            ticket = services.create_ticket(uow, data)
    except DomainError as exc:
        flash(_("Not created: %(reason)s", reason=_reason(exc)), "error")
        if not exc.fields:
            return redirect(url_for("crm_tickets_web.queue"), 303)
        return _queue_page(values=request.form, errors=exc.fields, status=422)
    flash(_("Ticket %(number)s raised.", number=ticket.number), "success")
    return redirect(url_for("crm_tickets_web.detail", ticket_id=ticket.id), 303)


def _reason(exc: DomainError) -> str:
    reasons = [str(item) for value in exc.fields.values() for item in (value if isinstance(value, list) else [value])]
    return " ".join(reasons) or exc.message


@bp.route("/<int:ticket_id>")
@login_required
def detail(ticket_id: int):
    guard("read", "ticket")
    return render_template("tickets/detail.html", ticket=load_or_abort(services.get_ticket, ticket_id), now=utcnow(), workers=_workers(),
                           priorities=PRIORITY_LABELS)


def _back(ticket_id: int) -> str:
    return url_for("crm_tickets_web.detail", ticket_id=ticket_id)


@bp.route("/<int:ticket_id>/<action>", methods=["POST"])
@login_required
def action(ticket_id: int, action: str):
    guard("update", "ticket")
    if action not in ACTIONS:
        abort(404)
    call, message = ACTIONS[action]
    return act(lambda: call(get_uow(), ticket_id), lambda t: message % {"number": t.number}, _back(ticket_id))


@bp.route("/<int:ticket_id>/resolve", methods=["POST"])
@login_required
def resolve(ticket_id: int):
    guard("update", "ticket")
    return act(lambda: services.resolve_ticket(get_uow(), ticket_id,
                                               load_form(ResolveTicketSchema, request.form)["resolution"]),
               lambda t: _("Ticket %(number)s resolved.", number=t.number), _back(ticket_id))


@bp.route("/<int:ticket_id>/satisfaction", methods=["POST"])
@login_required
def satisfaction(ticket_id: int):
    guard("update", "ticket")
    return act(lambda: services.rate_ticket(get_uow(), ticket_id, load_form(SatisfactionSchema, request.form)["score"]),
               lambda t: _("Satisfaction of ticket %(number)s recorded.", number=t.number), _back(ticket_id))


@bp.route("/<int:ticket_id>/edit", methods=["POST"])
@login_required
def edit(ticket_id: int):
    guard("update", "ticket")
    # a blank assignee unassigns the ticket; a blank priority leaves it as it is
    return act(lambda: services.update_ticket(get_uow(), ticket_id,
                                              load_form(UpdateTicketSchema, request.form, blank_as_none=True)),
               lambda t: _("Ticket %(number)s updated.", number=t.number), _back(ticket_id))
