"""In-process domain events.

Entities record events (`RecordsEvents.record`); services may also publish
directly with `uow.publish`. On `uow.commit()` the handlers subscribed to each
event run inside the same transaction, before it commits, so that every
cross-department effect of one business act happens or fails together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.registry import Registry


@dataclass(frozen=True)
class Event:
    """Base of all domain events: frozen, past tense, ids and values only."""


@dataclass(frozen=True)
class ActSettled(Event):
    """Published once by `UnitOfWork.commit()` when every handler of the act has run, right before the
    transaction commits (not by a `commit()` inside `uow.batch()`: the batch is one act). It is for the
    reactions that must come last and see the whole act: the journal writes the entries of what the act
    did, taking its number counter after every other lock of the act. Its handlers start no new acts."""


Handler = Callable[[Any, Event], None]


GUARD = -100  # priority of handlers that may refuse the act: they run before the reactions


class EventRegistry:
    def __init__(self, registry: Registry | None = None) -> None:
        self._handlers: dict[type[Event], list[tuple[int, Handler]]] = defaultdict(list)
        # the app registry this wiring belongs to: a unit of work reaches the app's permissions and
        # extension points through it, with or without a Flask app context
        self.registry = registry

    def subscribe(self, event_type: type[Event], handler: Handler, *, priority: int = 0) -> None:
        """Handlers run by priority (lower first), then in subscription order.
        A guard (`priority=GUARD`) such as a credit check runs before any reaction."""
        if all(h is not handler for _p, h in self._handlers[event_type]):
            self._handlers[event_type].append((priority, handler))
            self._handlers[event_type].sort(key=lambda entry: entry[0])

    def copy(self) -> EventRegistry:
        """The same wiring in a new registry (to add a handler without touching the app's)."""
        twin = EventRegistry(self.registry)
        for event_type, entries in self._handlers.items():
            twin._handlers[event_type] = list(entries)
        return twin

    def handlers_for(self, event: Event) -> list[Handler]:
        found: list[tuple[int, Handler]] = []
        for cls in type(event).__mro__:
            found.extend(self._handlers.get(cls, ()))
        return [handler for _priority, handler in sorted(found, key=lambda entry: entry[0])]

    def wiring(self) -> dict[str, list[str]]:
        """Who reacts to what, for documentation and the architecture test."""
        return {
            f"{etype.__module__}.{etype.__qualname__}": [f"{h.__module__}.{h.__qualname__}" for _p, h in hs]
            for etype, hs in sorted(self._handlers.items(), key=lambda kv: kv[0].__qualname__)
        }


class RecordsEvents:
    """Mixin for models that announce what happened to them."""

    def record(self, event: Event) -> None:
        pending = self.__dict__.setdefault("_pending_events", [])
        pending.append(event)

    def pop_events(self) -> list[Event]:
        return self.__dict__.pop("_pending_events", [])
