"""Contacts: the people of a customer. The only code that changes them outside conversion and merge.

A contact follows its customer's data scope: a sales rep reads the contacts of own customers (and of
unowned ones) and adds or changes only those of own customers; a sales manager the team's; finance,
management and admin read all, admin changes all. A customer out of sight is 404, one in sight but
not changeable 403. One primary contact per customer: marking one primary unmarks the others.

The services take the output of `CreateContactSchema` and `UpdateContactSchema` (a name, an e-mail address
that looks like one), as the API loads them; here only what needs the database is checked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.errors import InvalidInput, NotFound
from core.models import Contact, Customer, User
from core.queries import Page, paginate, search
from core.uow import UnitOfWork

RESOURCE = "contact"
EDITABLE = ("name", "title", "phone", "email", "is_primary")


def contacts(uow: UnitOfWork, actor: User, *, customer_id: int | None = None, q: str | None = None,
             page: int = 1, per_page: int = 25) -> Page:
    stmt = uow.registry.permissions.scoped(actor, RESOURCE, select(Contact))
    if customer_id is not None:
        stmt = stmt.where(Contact.customer_id == customer_id)
    if (found := search(q, Contact.name, Contact.email, Contact.phone)) is not None:
        stmt = stmt.where(found)
    return paginate(uow.session, stmt.order_by(Contact.customer_id, Contact.is_primary.desc(), Contact.id),
                    page, per_page)


def get_contact(uow: UnitOfWork, contact_id: int, *, for_update: bool = False) -> Contact:
    contact = uow.session.get(Contact, contact_id, with_for_update=for_update or None)
    if contact is None:
        raise NotFound("contact", contact_id)
    uow.authorize("read", RESOURCE, contact)
    return contact


def _make_primary(uow: UnitOfWork, contact: Contact) -> None:
    """The customer's other primary contacts are unmarked, each change audited."""
    for other in uow.session.scalars(select(Contact).where(
            Contact.customer_id == contact.customer_id, Contact.id != contact.id, Contact.is_primary.is_(True))):
        other.is_primary = False


def create_contact(uow: UnitOfWork, data: dict[str, Any]) -> Contact:
    uow.authorize("create", RESOURCE)
    customer = uow.session.get(Customer, data.get("customer_id")) if data.get("customer_id") else None
    if customer is None:
        raise InvalidInput({"customer_id": ["No such customer."]})
    uow.authorize("update", "customer", customer)
    first = not uow.session.scalar(select(Contact.id).where(Contact.customer_id == customer.id).limit(1))
    contact = Contact(customer_id=customer.id, name=data["name"],
                      **{k: (data.get(k) or "").strip() or None for k in ("title", "phone", "email")},
                      is_primary=bool(data.get("is_primary")) or first)
    uow.session.add(contact)
    uow.session.flush()
    if contact.is_primary:
        _make_primary(uow, contact)
    uow.commit()
    return contact


def update_contact(uow: UnitOfWork, contact_id: int, data: dict[str, Any]) -> Contact:
    contact = get_contact(uow, contact_id, for_update=True)
    uow.authorize("update", RESOURCE, contact)
    for key in EDITABLE:
        if key not in data:
            continue
        value = data[key]
        if key == "is_primary":
            value = bool(value)
        elif key != "name":
            value = (value or "").strip() or None  # a cleared field is none
        setattr(contact, key, value)
    if data.get("is_primary"):
        _make_primary(uow, contact)
    uow.commit()
    return contact
