"""Stalled deals: open opportunities with no logged activity for a while.

An opportunity's last touch is its last logged activity, or its opening when nothing was logged yet.
It is stalled once that lies `hours` (the setting `STALLED_DEAL_HOURS`, 48 by default) or more in
the past. The beat task tells the owner's sales managers once per stall, and gives the owner a
follow-up task (source `stalled_deal`, due a day later): `stalled_alerted_at` remembers the alert,
and only an activity logged after it (a new touch) followed by a new stall alerts again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select

from core.db import utcnow
from core.models import Role, User
from core.uow import UnitOfWork
from crm.people import managers_of
from crm.pipeline.models import Opportunity, OpportunityState
from crm.tasks.models import TaskSource
from crm.tasks.services import create_task

DEFAULT_HOURS = 48
TASK_DUE = timedelta(hours=24)
TASK_OWNERS = (Role.SALES_REP, Role.SALES_MANAGER)


def last_touch() -> ColumnElement:
    return func.coalesce(Opportunity.last_activity_at, Opportunity.created_at)


def stalled_clause(*, now: datetime, hours: int) -> ColumnElement:
    """The SQL twin of `Opportunity.is_stalled`."""
    return (Opportunity.state == OpportunityState.OPEN.value) & (last_touch() <= now - timedelta(hours=hours))


def alert_stalled_deals(uow: UnitOfWork, *, now: datetime | None = None, hours: int = DEFAULT_HOURS) -> list[int]:
    """Write one `notify.user` outbox message to each sales manager of the owner of every open
    opportunity that stalled since its last alert, and give an active owner a follow-up task; all in
    one transaction. Give the ids alerted. Idempotent: a second run in the same stall finds nothing new."""
    now = now or utcnow()
    stmt = (select(Opportunity)
            .where(stalled_clause(now=now, hours=hours),
                   or_(Opportunity.stalled_alerted_at.is_(None), Opportunity.stalled_alerted_at < last_touch()))
            .order_by(Opportunity.id))
    if uow.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Opportunity, skip_locked=True)
    alerted = []
    with uow.batch():
        for opportunity in uow.session.scalars(stmt).unique().all():
            owner = uow.session.get(User, opportunity.owner_id) if opportunity.owner_id else None
            idle = now - opportunity.last_touch_at
            days, hours_left = idle.days, idle.seconds // 3600
            for manager in managers_of(uow, owner):
                uow.enqueue("notify.user", {
                    "user_id": manager.id, "link": f"/leads/opportunities/{opportunity.id}",
                    "message": f"Opportunity {opportunity.number} ({opportunity.name}, {opportunity.customer.name}) "
                               f"of {owner.display_name if owner else 'nobody'} has had no activity for {days} d "
                               f"{hours_left} h."})
            if owner is not None and owner.active and owner.role in TASK_OWNERS:
                create_task(uow, None, title=f"Revive stalled deal {opportunity.number}: {opportunity.name}"[:200],
                            owner_id=owner.id, due_at=now + TASK_DUE, opportunity_id=opportunity.id,
                            customer_id=opportunity.customer_id, source=TaskSource.STALLED_DEAL.value, now=now,
                            notes=f"No activity for {days} d {hours_left} h.")
            opportunity.stalled_alerted_at = now
            alerted.append(opportunity.id)
    uow.commit()
    return alerted
