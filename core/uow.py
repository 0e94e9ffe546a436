"""The unit of work: one business act, one transaction.

`commit()` runs the in-transaction event handlers (looping until no handler
records anything new), then the handlers of `ActSettled` (the journal books the
act), commits, then runs the after-commit hooks (relaying the outbox to Celery).
A hook that fails after the commit is logged and the other hooks still run: the act
is committed, so its caller gets its success, never an error for it. Handing the
outbox to the relay is best effort for the same reason: the messages are committed
rows, and the beat sweep (`core.relay_outbox`) delivers whatever was not handed off.
The audit log is written by the session's flush hooks in `core.audit`, so it
commits or rolls back with the act it records.

A caller that goes on using the session after a refusal runs the act as
`with uow: ...`: leaving the block rolls back whatever was not committed, so no
view or task calls `rollback()` itself (a request's view is scoped the same way
by `core.web.request_act`, which the API's error handlers rely on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from core.errors import NotFound
from core.events import ActSettled, Event, EventRegistry, RecordsEvents
from core.models import OutboxMessage

if TYPE_CHECKING:
    from sqlalchemy import Select

    from core.models import User
    from core.registry import Registry

T = TypeVar("T")
log = logging.getLogger(__name__)

class UnitOfWork:
    def __init__(self, session: Session, *, events: EventRegistry, actor: User | None = None,
                 on_outbox: Callable[[Sequence[int]], None] | None = None) -> None:
        self.session = session
        self.events = events
        self.actor = actor
        self._published: list[Event] = []
        self._after_commit: list[Callable[[], None]] = []
        self._on_outbox = on_outbox  # after commit, with the ids of the outbox messages the act wrote
        self._outbox: list[OutboxMessage] = []
        self._batch_depth = 0
        session.info["actor_id"] = self.actor_id
        if events.registry is not None:  # the session's list queries read the same app's rules
            session.info["registry"] = events.registry

    @property
    def actor_id(self) -> int | None:
        """The acting user's id, None for the system (a task, the CLI, the demo loader)."""
        return self.actor.id if self.actor is not None else None

    # -- scope of one act
    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        """Leave the act: whatever it did not commit (it raised, or it returned before its commit) is
        rolled back with the events and after-commit work it queued, so what runs next in the same
        session (a form shown again, an error page) reads the database as it was before the act."""
        if exc_type is not None or self.session.in_transaction():
            self.rollback()

    def get(self, model: type[T], ident: int, entity: str, *, for_update: bool = False) -> T:
        """The row `ident` of `model`, else NotFound(entity). With `for_update` it is locked (its own
        table only, not eagerly joined ones) and read fresh, so checks made on it hold until commit."""
        lock = {"of": model.__table__} if for_update else None
        found = self.session.get(model, ident, with_for_update=lock, populate_existing=for_update)
        if found is None:
            raise NotFound(entity, ident)
        return found

    # -- the app's rules: permissions, data scope and what modules contribute (core.registry)
    @property
    def registry(self) -> Registry:
        if self.events.registry is None:
            raise RuntimeError("This unit of work's event registry belongs to no app registry.")
        return self.events.registry

    def authorize(self, action: str, resource: str, record: Any = None) -> None:
        """Refuse the act unless the actor may: the role's right and, for one record, the record in the
        actor's data scope (hidden: NotFound; visible but not theirs to change: Forbidden). A system
        act (no actor) may do anything."""
        self.registry.permissions.authorize(self.actor, action, resource, record)

    def can(self, action: str, resource: str) -> bool:
        """Whether the actor's role may (the system may do anything)."""
        return self.actor is None or self.registry.permissions.can(self.actor, action, resource)

    def in_scope(self, action: str, resource: str, record: Any) -> bool:
        """Whether one record is in the actor's data scope for `action` (the system sees everything)."""
        return self.actor is None or self.registry.permissions.in_scope(self.actor, action, resource, record)

    def scoped(self, resource: str, stmt: Select, action: str = "read") -> Select:
        """`stmt` narrowed to the records the actor may see (or change); Forbidden without the role's
        right. The system's acts read everything."""
        if self.actor is None:
            return stmt
        return self.registry.permissions.scoped(self.actor, resource, stmt, action)

    # -- events and messages
    def publish(self, event: Event) -> None:
        self._published.append(event)

    def enqueue(self, topic: str, payload: dict[str, Any]) -> OutboxMessage:
        """Write an outbox message in this transaction; it is relayed after commit."""
        message = OutboxMessage(topic=topic, payload=payload)
        self.session.add(message)
        if self._on_outbox is not None:
            self._outbox.append(message)
            if self._hand_off_outbox not in self._after_commit:
                self._after_commit.append(self._hand_off_outbox)
        return message

    def _hand_off_outbox(self) -> None:
        """After commit: `on_outbox` gets the ids of the messages this act wrote (to relay them now)."""
        messages, self._outbox = self._outbox, []
        if self._on_outbox is not None:
            self._on_outbox([message.id for message in messages])

    def after_commit(self, hook: Callable[[], None]) -> None:
        self._after_commit.append(hook)

    def _collect(self) -> list[Event]:
        found = self._published
        self._published = []
        for obj in list(self.session.identity_map.values()) + list(self.session.new):
            if isinstance(obj, RecordsEvents):
                found.extend(obj.pop_events())
        return found

    def dispatch(self) -> None:
        """Run handlers for everything recorded so far, inside the transaction."""
        for _ in range(50):
            self.session.flush()
            pending = self._collect()
            if not pending:
                return
            for event in pending:
                for handler in self.events.handlers_for(event):
                    handler(self, event)
        raise RuntimeError("event handlers kept recording events: a cycle in the wiring")

    # -- transaction
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several service calls into one transaction: inside, `commit()`
        only runs the handlers and flushes; the caller commits or rolls back once."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1

    def commit(self) -> None:
        if self._batch_depth:
            self.dispatch()
            return
        try:
            self.dispatch()
            self.publish(ActSettled())  # the last reactions, seeing the whole act (the journal books it)
            self.dispatch()
            self.session.commit()
        except BaseException:
            self.rollback()
            raise
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                hook()
            except Exception:  # the act is committed: a failed follow-up is logged, never its caller's error
                log.exception("after-commit hook %r failed; the act stays committed", hook)

    def rollback(self) -> None:
        self.session.rollback()
        self._published.clear()
        self._after_commit.clear()
        self._outbox.clear()
