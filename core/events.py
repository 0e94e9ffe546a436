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
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base of all domain events: frozen, past tense, ids and values only."""


Handler = Callable[[Any, Event], None]


class EventRegistry:
    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[Event], handler: Handler) -> None:
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def handlers_for(self, event: Event) -> list[Handler]:
        found: list[Handler] = []
        for cls in type(event).__mro__:
            found.extend(self._handlers.get(cls, ()))
        return found

    def wiring(self) -> dict[str, list[str]]:
        """Who reacts to what, for documentation and the architecture test."""
        return {
            f"{etype.__module__}.{etype.__qualname__}": [f"{h.__module__}.{h.__qualname__}" for h in hs]
            for etype, hs in sorted(self._handlers.items(), key=lambda kv: kv[0].__qualname__)
        }


class RecordsEvents:
    """Mixin for models that announce what happened to them."""

    def record(self, event: Event) -> None:
        pending = self.__dict__.setdefault("_pending_events", [])
        pending.append(event)

    def pop_events(self) -> list[Event]:
        return self.__dict__.pop("_pending_events", [])
