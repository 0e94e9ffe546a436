"""Conversion: a lead becomes a customer (or joins the existing one duplicate detection found),
a contact and an opportunity, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import services as core_services
from core.db import utcnow
from core.errors import DomainError, InvalidInput
from core.models import Contact, Customer
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.leads.models import Lead, LeadStatus
from crm.leads.services import existing_customer_of, get_lead
from crm.leads.sources import acquisition_source
from crm.pipeline import services as pipeline
from crm.pipeline.models import Opportunity


def convert_lead(uow: UnitOfWork, lead_id: int, data: dict[str, Any] | None = None, *,
                 now: datetime | None = None) -> tuple[Lead, Opportunity]:
    """Only an owned lead (assigned or nurturing) converts. The customer found by duplicate detection
    is joined when the caller may work on it (else 409: ask its owner or a manager); otherwise a new
    customer is created, owned by the lead's owner. `data` may name the opportunity, its amount and
    expected close date."""
    data = data or {}
    now = now or utcnow()
    lead = get_lead(uow, lead_id, for_update=True)
    uow.authorize("update", "lead", lead)
    if lead.status not in (LeadStatus.ASSIGNED, LeadStatus.NURTURING) or lead.owner_id is None and \
            lead.status == LeadStatus.ASSIGNED:
        raise DomainError(f"Lead {lead.number} is {lead.status}; only a lead someone owns can be converted.",
                          code="not_convertible")
    owner_id = lead.owner_id or uow.actor_id
    if owner_id is None:
        raise InvalidInput({"owner_id": ["A lead in nurturing needs an owner before conversion."]})
    with uow.batch():
        customer = existing_customer_of(uow, lead)
        if customer is not None:
            if not uow.in_scope("update", "customer", customer) and customer.owner_id is not None:
                raise DomainError(f"This lead matches customer {customer.code} ({customer.name}) of another "
                                  "sales owner; ask that owner or your manager to take it over.",
                                  code="customer_of_another_owner", details={"customer_id": customer.id})
            if customer.owner_id is None:
                customer.owner_id = owner_id
        else:
            name = lead.company or lead.contact_name
            customer = core_services.create_customer(uow, {
                "code": next_number(uow.session, "CUS", on=now.date()), "name": name, "region": lead.region,
                "email": lead.email, "phone": lead.phone, "owner_id": owner_id,
                "source": acquisition_source(lead.channel, lead.utm_source), "industry": lead.industry,
                "tags": [t for t in (lead.industry,) if t]}, any_source=True)
        contact = Contact(customer_id=customer.id, name=lead.contact_name or name_of(customer),
                          title=lead.title, phone=lead.phone, email=lead.email,
                          is_primary=not customer.contacts)
        customer.contacts.append(contact)
        uow.session.flush()
        opportunity = pipeline.create_opportunity(uow, {
            "customer_id": customer.id, "contact_id": contact.id, "lead_id": lead.id, "owner_id": owner_id,
            "pipeline_id": data.get("pipeline_id"),
            "name": data.get("name") or f"{customer.name} – {lead.number}", "amount": data.get("amount"),
            "expected_close_date": data.get("expected_close_date")}, now=now)
        lead.convert(at=now, customer_id=customer.id, contact_id=contact.id, opportunity_id=opportunity.id)
    uow.commit()
    return lead, opportunity


def name_of(customer: Customer) -> str:
    return customer.name
