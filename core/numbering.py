"""Gap-free human numbers per document type and year (`SO-2026-00001`).

The counter row is incremented with one atomic upsert that keeps its row lock
until the business transaction ends: concurrent inserts queue on it, and a
rolled-back document gives its number back."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.models import NumberSequence


def next_number(session: Session, prefix: str, *, on: date) -> str:
    return next_numbers(session, prefix, on=on, count=1)[0]


def current_value(session: Session, prefix: str, year: int) -> int:
    return session.scalar(
        select(NumberSequence.last_value).where(NumberSequence.prefix == prefix, NumberSequence.year == year)
    ) or 0


def next_numbers(session: Session, prefix: str, *, on: date, count: int) -> list[str]:
    """`count` consecutive numbers in one statement (for documents created in bulk)."""
    if count <= 0:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = NumberSequence.__table__
    stmt = (
        insert(table)
        .values(prefix=prefix, year=on.year, last_value=count)
        .on_conflict_do_update(
            index_elements=[table.c.prefix, table.c.year],
            set_={"last_value": table.c.last_value + count},
        )
        .returning(table.c.last_value)
    )
    last = session.execute(stmt).scalar_one()
    return [f"{prefix}-{on.year}-{value:05d}" for value in range(last - count + 1, last + 1)]
