"""Reading and refreshing customer segments, with the caller's rights and data scope."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import Select, select

from core import clock
from core.models import Customer
from core.registry import permissions_of
from core.uow import UnitOfWork
from crm.segments import rfm
from crm.segments.models import CustomerRfm

SEGMENTS = rfm.SEGMENTS


def segment_query(actor, *, segment: str | None = None, owner_id: int | None = None) -> Select:
    """RFM rows with their customers, the caller's customers only (a rep sees their own), best first."""
    stmt = (select(CustomerRfm).join(Customer, Customer.id == CustomerRfm.customer_id)
            .order_by(CustomerRfm.m_score.desc(), CustomerRfm.monetary.desc(), Customer.code))
    if segment:
        stmt = stmt.where(CustomerRfm.segment == segment)
    if owner_id:
        stmt = stmt.where(Customer.owner_id == owner_id)
    permissions = permissions_of(actor)
    permissions.authorize(actor, "read", "customer_segment")
    return permissions.scoped(actor, "customer", stmt)


def counts(uow: UnitOfWork) -> dict[str, int]:
    """How many of the caller's customers are in each segment."""
    uow.authorize("read", "customer_segment")
    return rfm.segment_counts(uow.session, Customer.id.in_(
        uow.scoped("customer", select(Customer.id)).scalar_subquery()))


def refresh(uow: UnitOfWork, *, as_of: date | None = None) -> rfm.RefreshResult:
    """Recompute now (sales managers and admin; the daily beat task does it as the system)."""
    uow.authorize("update", "customer_segment")
    days = current_app.config["SETTINGS"].dormant_after_days
    return rfm.refresh(uow, as_of=as_of or clock.today(), dormant_days=days)
