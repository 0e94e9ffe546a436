"""Who is who in the sales team, for the crm modules that tell people about work: the leads'
recycling and the pipeline's stalled-deal alerts both notify a rep's sales managers. It sits below
both (it reads only core's users), so neither has to import the other for it."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Role, User
from core.uow import UnitOfWork


def managers_of(uow: UnitOfWork, rep: User | None) -> list[User]:
    """The active sales managers of a rep's team (every active sales manager when the rep has no
    team, or when there is no rep), by id."""
    stmt = select(User).where(User.role == Role.SALES_MANAGER, User.active.is_(True))
    if rep is not None and rep.team:
        stmt = stmt.where(User.team == rep.team)
    return list(uow.session.scalars(stmt.order_by(User.id)))
