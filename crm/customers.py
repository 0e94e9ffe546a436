"""Customer housekeeping across the front office: a leaving rep's book handed over to another rep,
and duplicate customers merged into one. Each is one transaction and one audited action.

Core owns the customer records; the crm documents (leads, opportunities, quotes, sales orders,
activities, tickets) are moved here; modules further downstream react to the published events
(`OwnerHandedOver`, `CustomersMerged`) inside the same transaction. Every moved record is audited
by its `Audited` marker, so rows are changed one by one through the ORM, never by bulk update.

The reason of each act is the API schema's (`api.customers_admin`: given, not blank); here only what needs
the database is checked: the users and customers named, their state and the actor's right over them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core.audit import record_note
from core.errors import Forbidden, InvalidInput
from core.models import Address, Contact, Customer, Role, User
from core.uow import UnitOfWork
from crm.events import CustomersMerged, OwnerHandedOver
from crm.leads.models import OPEN_STATUSES, Lead
from crm.orders.models import SalesOrder
from crm.pipeline.models import Activity, Opportunity, OpportunityState
from crm.quotes.models import Quote
from crm.tasks.models import Task, TaskState
from crm.tickets.models import Ticket

SALES_ROLES = (Role.SALES_REP.value, Role.SALES_MANAGER.value)


def _require_admin_or_manager(uow: UnitOfWork) -> User | None:
    actor = uow.actor
    if actor is not None and actor.role not in (Role.ADMIN.value, Role.SALES_MANAGER.value):
        raise Forbidden("Only a sales manager or an administrator may do this.")
    return actor


def _moved(records, attribute: str, value: int) -> list[int]:
    ids = []
    for record in records:
        setattr(record, attribute, value)
        ids.append(record.id)
    return ids


# --------------------------------------------------------------------------- owner handover


@dataclass
class Handover:
    from_user_id: int
    to_user_id: int
    customer_ids: list[int] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)
    opportunity_ids: list[int] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)


def hand_over(uow: UnitOfWork, from_user_id: int, to_user_id: int, *, reason: str) -> Handover:
    """Move all of a leaving rep's customers, open leads, open opportunities and open tasks to another
    active sales user. Quotes and sales orders have no owner of their own: they follow their customer.
    Admin, or the sales manager of the team both reps belong to."""
    actor = _require_admin_or_manager(uow)
    session = uow.session
    errors: dict[str, list[str]] = {}
    source = session.get(User, from_user_id)
    target = session.get(User, to_user_id)
    if source is None:
        errors["from_user_id"] = [f"No user with id {from_user_id}."]
    if target is None:
        errors["to_user_id"] = [f"No user with id {to_user_id}."]
    elif from_user_id == to_user_id:
        errors["to_user_id"] = ["Hand over to another user, not to the same one."]
    elif not target.active or target.role not in SALES_ROLES:
        errors["to_user_id"] = ["The new owner must be an active sales rep or sales manager."]
    if actor is not None and actor.role == Role.SALES_MANAGER and not errors:
        if not actor.team or source.team != actor.team or target.team != actor.team:
            raise Forbidden("A sales manager hands over only between reps of the own team.")
    if errors:
        raise InvalidInput(errors)

    result = Handover(from_user_id, to_user_id)
    result.customer_ids = _moved(session.scalars(
        select(Customer).where(Customer.owner_id == from_user_id).order_by(Customer.id)
        .with_for_update(of=Customer)),
        "owner_id", to_user_id)
    leads = session.scalars(select(Lead).where(
        Lead.owner_id == from_user_id, Lead.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Lead.id).with_for_update(of=Lead)).all()
    for lead in leads:
        lead.assigned_by = "handover"
    result.lead_ids = _moved(leads, "owner_id", to_user_id)
    result.opportunity_ids = _moved(session.scalars(select(Opportunity).where(
        Opportunity.owner_id == from_user_id, Opportunity.state == OpportunityState.OPEN.value)
        .order_by(Opportunity.id).with_for_update(of=Opportunity)), "owner_id", to_user_id)
    result.task_ids = _moved(session.scalars(select(Task).where(
        Task.owner_id == from_user_id, Task.state == TaskState.OPEN.value)
        .order_by(Task.id).with_for_update(of=Task)), "owner_id", to_user_id)
    session.flush()
    record_note(session, source, f"Handed over to {target.display_name}: {reason}", {
        "to_user_id": to_user_id, "customers": result.customer_ids, "leads": result.lead_ids,
        "opportunities": result.opportunity_ids, "tasks": result.task_ids})
    uow.publish(OwnerHandedOver(from_user_id=from_user_id, to_user_id=to_user_id,
                                customer_ids=tuple(result.customer_ids)))
    uow.commit()
    return result


# --------------------------------------------------------------------------- merge


#: crm documents that carry a customer, moved by a merge.
CRM_DOCUMENTS = (Contact, Address, Lead, Opportunity, Quote, SalesOrder, Activity, Ticket, Task)


def merge_customers(uow: UnitOfWork, keep_id: int, drop_id: int, *, reason: str) -> Customer:
    """Every document of the dropped customer follows the kept one (contacts, addresses, leads,
    opportunities, quotes, sales orders, activities, tickets, tasks here; invoices and payments in finance
    through `CustomersMerged`); the dropped customer is deactivated, never deleted.
    Admin, or a sales manager who may change both customers."""
    _require_admin_or_manager(uow)
    session = uow.session
    errors: dict[str, list[str]] = {}
    lock = {"of": Customer.__table__}
    keep = session.get(Customer, keep_id, with_for_update=lock)
    drop = session.get(Customer, drop_id, with_for_update=lock) if drop_id != keep_id else None
    if keep is None:
        errors["keep_id"] = [f"No customer with id {keep_id}."]
    elif not keep.active:
        errors["keep_id"] = ["The customer to keep is inactive."]
    if drop_id == keep_id:
        errors["drop_id"] = ["A customer cannot be merged into itself."]
    elif drop is None:
        errors["drop_id"] = [f"No customer with id {drop_id}."]
    elif not drop.active:
        errors["drop_id"] = ["This customer is inactive (already merged?)."]
    for customer in (keep, drop):
        if customer is not None:
            uow.authorize("update", "customer", customer)
    if errors:
        raise InvalidInput(errors)

    moved: dict[str, list[int]] = {}
    for model in CRM_DOCUMENTS:
        rows = session.scalars(select(model).where(model.customer_id == drop_id).order_by(model.id)).all()
        moved[model.__tablename__] = _moved(rows, "customer_id", keep_id)
    if keep.owner_id is None and drop.owner_id is not None:
        keep.owner_id = drop.owner_id
    keep.tags = list(dict.fromkeys([*(keep.tags or []), *(drop.tags or [])]))
    drop.active = False
    session.flush()
    session.expire(keep, ["contacts", "addresses"])
    session.expire(drop, ["contacts", "addresses"])
    record_note(session, drop, f"Merged into {keep.code} {keep.name} (id {keep.id}): {reason}",
                {"kept_id": keep.id, **{name: ids for name, ids in moved.items() if ids}})
    record_note(session, keep, f"Absorbed {drop.code} {drop.name} (id {drop.id}): {reason}", {"dropped_id": drop.id})
    uow.publish(CustomersMerged(keep_id=keep.id, drop_id=drop.id))
    uow.commit()
    return keep
