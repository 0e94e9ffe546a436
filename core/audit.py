"""The audit log: every insert, update and delete of an `Audited` model is
recorded by the session's flush hooks, in the same transaction, with the acting
user (`session.info["actor_id"]`) and each changed field's before and after."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core.models import AppendOnly, Audited, AuditEntry

_SKIPPED = {"password_hash", "created_at", "session_generation"}  # secrets and sign-outs are not edits


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _columns(obj):
    mapper = inspect(obj).mapper
    return [attr.key for attr in mapper.column_attrs if attr.key not in _SKIPPED]


def _entry(session: Session, obj, action: str, changes: dict, note: str | None = None) -> AuditEntry:
    ident = inspect(obj).identity or (getattr(obj, "id", None),)
    return AuditEntry(
        user_id=session.info.get("actor_id"),
        action=action,
        entity=type(obj).__name__,
        entity_id=",".join(str(part) for part in ident),
        changes=changes,
        note=note,
    )


class LedgerViolation(RuntimeError):
    """A programming error: code tried to rewrite a ledger row."""


@event.listens_for(Session, "before_flush")
def _guard_ledgers(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AppendOnly) and (obj in session.deleted or session.is_modified(obj)):
            raise LedgerViolation(f"{type(obj).__name__} rows are append-only; write a correcting row instead.")


@event.listens_for(Session, "after_flush")
def _collect_audit(session: Session, _context) -> None:
    entries = session.info.setdefault("pending_audit", [])
    for obj in session.new:
        if isinstance(obj, Audited):
            values = {key: [None, _plain(getattr(obj, key))] for key in _columns(obj)
                      if getattr(obj, key) is not None}
            entries.append(_entry(session, obj, "create", values))
    for obj in session.dirty:
        if not isinstance(obj, Audited) or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        changes = {}
        for key in _columns(obj):
            history = state.attrs[key].history
            if history.has_changes():
                before = history.deleted[0] if history.deleted else None
                after = history.added[0] if history.added else None
                if _plain(before) != _plain(after):
                    changes[key] = [_plain(before), _plain(after)]
        if changes:
            entries.append(_entry(session, obj, "update", changes))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            values = {key: [_plain(getattr(obj, key)), None] for key in _columns(obj)}
            entries.append(_entry(session, obj, "delete", values))


@event.listens_for(Session, "after_flush_postexec")
def _write_audit(session: Session, _context) -> None:
    entries = session.info.pop("pending_audit", [])
    if entries:
        session.add_all(entries)


@event.listens_for(Session, "after_soft_rollback")
def _forget_audit(session: Session, _previous) -> None:
    session.info.pop("pending_audit", None)


def record_note(session: Session, obj, note: str, changes: dict | None = None) -> None:
    """Audit a business decision that is not a field change (an approval, a hold lifted)."""
    session.add(_entry(session, obj, "note", changes or {}, note))
