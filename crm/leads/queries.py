"""Read-only helpers for lead and opportunity lists, always scoped by role and data scope."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.queries import Page, paginate, search
from core.registry import permissions_of
from crm.leads.models import Lead, LeadStatus
from crm.pipeline.models import Opportunity
from crm.pipeline.queries import FollowUp, RepLists


def leads(session: Session, actor: User, *, status: str | None = None, grade: str | None = None,
          owner_id: int | None = None, is_duplicate: bool | None = None, q: str | None = None,
          page: int = 1, per_page: int = 25) -> Page:
    stmt = permissions_of(session).scoped(actor, "lead", select(Lead))
    for column, value in ((Lead.status, status), (Lead.grade, grade), (Lead.owner_id, owner_id),
                          (Lead.is_duplicate, is_duplicate)):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    if (found := search(q, Lead.company, Lead.contact_name, Lead.number)) is not None:
        stmt = stmt.where(found)
    return paginate(session, stmt.order_by(Lead.id.desc()), page, per_page)


def my_leads(session: Session, actor: User) -> list[Lead]:
    """The rep's open leads, grade A first, then by deadline."""
    stmt = select(Lead).where(Lead.owner_id == actor.id, Lead.status == LeadStatus.ASSIGNED)
    return list(session.scalars(stmt.order_by(Lead.grade, Lead.follow_up_due.is_(None), Lead.follow_up_due,
                                              Lead.id)))


def pool(session: Session, actor: User, *, page: int = 1, per_page: int = 50) -> Page:
    stmt = permissions_of(session).scoped(actor, "lead", select(Lead).where(Lead.status == LeadStatus.POOL))
    return paginate(session, stmt.order_by(Lead.grade, Lead.id), page, per_page)


def opportunities(session: Session, actor: User, *, state: str | None = None, customer_id: int | None = None,
                  owner_id: int | None = None, page: int = 1, per_page: int = 25) -> Page:
    stmt = permissions_of(session).scoped(actor, "opportunity", select(Opportunity))
    for column, value in ((Opportunity.state, state), (Opportunity.customer_id, customer_id),
                          (Opportunity.owner_id, owner_id)):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    return paginate(session, stmt.order_by(Opportunity.id.desc()), page, per_page)


def my_opportunities(session: Session, actor: User) -> list[Opportunity]:
    stmt = select(Opportunity).where(Opportunity.owner_id == actor.id, Opportunity.state == "open")
    return list(session.scalars(stmt.order_by(Opportunity.id.desc())))


def quotes_of(session: Session, actor: User, opportunity_id: int) -> list:
    from crm.quotes.models import Quote

    if not permissions_of(session).can(actor, "read", "quote"):
        return []
    stmt = permissions_of(session).scoped(actor, "quote", select(Quote).where(Quote.opportunity_id == opportunity_id))
    return list(session.scalars(stmt.order_by(Quote.number, Quote.version.desc())))


# --------------------------------------------------------------------------- the pipeline's team view


def team_leads(session: Session, lists: Mapping[int, RepLists], rep_ids: list[int], *, now: datetime,
               since: datetime) -> None:
    """The leads' part of the sales manager's team view (`crm.pipeline.queries.TeamLists`): each rep's
    open leads by grade and deadline, the first-contact deadlines among them missed by `now`, and the
    leads the rep claimed from the pool since `since`."""
    leads = list(session.scalars(select(Lead).where(Lead.owner_id.in_(rep_ids), Lead.status == LeadStatus.ASSIGNED)
                                 .order_by(Lead.grade, Lead.follow_up_due, Lead.id)).unique())
    for lead in leads:
        lists[lead.owner_id].leads.append(lead)
        if lead.followed_up_at is None and lead.follow_up_due is not None and lead.follow_up_due < now:
            lists[lead.owner_id].overdue.append(FollowUp("deadline", lead, lead.follow_up_due))
    claims = session.scalars(select(Lead).where(Lead.owner_id.in_(rep_ids), Lead.assigned_by == "claim",
                                                Lead.assigned_at >= since).order_by(Lead.assigned_at)).unique()
    for lead in claims:
        lists[lead.owner_id].claims.append(lead)


def lead_numbers(session: Session, ids: set[int]) -> dict[int, str]:
    """The numbers of these leads, by id (the team view names the leads late tasks are about)."""
    return {ident: number for ident, number in session.execute(select(Lead.id, Lead.number).where(Lead.id.in_(ids)))}
