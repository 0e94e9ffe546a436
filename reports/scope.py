"""Whose figures a reader of the funnel, stage-time and forecast reports sees, by the sales rep a figure
counts for: the sales cube's rule (`reports.cube.scope_clause`). Management, finance and admin (and the
system) see the company; a sales manager the reps of the team (their own figures without a team); a sales
rep their own. A filter on one rep narrows within that scope, so a rep naming another rep, or a manager
naming a rep outside the team, gets none of that rep's figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from core.uow import UnitOfWork
from reports.cube import scope_clause
from reports.sales import RESOURCE


def authorize_read(uow: UnitOfWork) -> None:
    uow.authorize("read", RESOURCE)


def scoped(uow: UnitOfWork, stmt: Select, column: Any, rep_id: int | None = None) -> Select:
    """`stmt` kept to the reader's figures by `column` (a rep's user id), and to `rep_id` when given."""
    clause = scope_clause(uow.actor, column)
    if clause is not None:
        stmt = stmt.where(clause)
    return stmt if rep_id is None else stmt.where(column == rep_id)
