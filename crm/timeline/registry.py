"""The timeline sources and the one read service of the customer 360 timeline.

A source is added once per kind of entry, to the app registry's `timeline_sources` (by the module's
`init_app`; adding a kind again replaces it). It answers two
questions about one customer: how many entries it has (`count`) and its first `limit` entries in
date order (`fetch`, newest first unless told otherwise). The service merges the sources the caller
asked for, sorts, and cuts one page: page P of size K needs at most P x K entries of each source.

Entries carry codes and numbers, never sentences: the page and the API put them into words. A
source may link an entry to its own page (`endpoint`, `params`), shown only to roles with the
`permission` (action, resource) it names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.models import Customer, User
from core.registry import Registry
from core.uow import UnitOfWork
from core.web import can

RESOURCE = "customer_timeline"
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class TimelineEntry:
    kind: str                      # the source's kind: "order", "invoice", ...
    at: datetime                   # when it happened (aware)
    ref_id: int                    # the record's id in its own table
    title: str                     # its number or subject, as entered
    status: str | None = None      # its state code
    status_label: Any = None       # the state in words (a lazy string), when the source knows it
    amount: Decimal | None = None
    note: str | None = None        # free text entered by a user (an activity's note, a ticket's subject)
    details: dict[str, Any] = field(default_factory=dict)   # more codes and values, e.g. shipment_status
    facts: tuple[tuple[Any, Any], ...] = ()                  # (label, value) pairs for the page
    endpoint: str | None = None    # the record's page, for url_for
    params: dict[str, Any] = field(default_factory=dict)
    permission: tuple[str, str] | None = None  # who may follow the link


Fetch = Callable[[Session, int, int, bool], list[TimelineEntry]]
Count = Callable[[Session, int], int]


@dataclass(frozen=True)
class TimelineSource:
    kind: str
    label: Any        # the kind in words (lazy string)
    fetch: Fetch      # (session, customer_id, limit, newest_first) -> entries
    count: Count      # (session, customer_id) -> how many
    position: int = 100  # ties at the same moment: lower first (an order before its invoice)

    def describe(self) -> str:
        return f"{self.kind}: {self.fetch.__module__}.{self.fetch.__qualname__} (position {self.position})"


def ordered_sources(registry: Registry) -> list[TimelineSource]:
    return sorted(registry.timeline_sources.values(), key=lambda s: (s.position, s.kind))


# --------------------------------------------------------------------------- helpers for sources


def first(session: Session, stmt: Select, at_column, limit: int, newest_first: bool, id_column) -> list:
    """The first `limit` rows of a source's query in date order."""
    order = (at_column.desc(), id_column.desc()) if newest_first else (at_column.asc(), id_column.asc())
    return list(session.scalars(stmt.order_by(*order).limit(limit)).unique())


def counter(model, column) -> Count:
    """A `count` for a model with a customer column."""
    def count(session: Session, customer_id: int) -> int:
        return session.scalar(select(func.count()).select_from(model).where(column == customer_id)) or 0
    return count


# --------------------------------------------------------------------------- the service


@dataclass
class TimelinePage:
    customer: Customer
    items: list[TimelineEntry]
    total: int
    page: int
    per_page: int
    kinds: list[str]
    newest_first: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def get_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    """The customer whose timeline the actor may read: a rep only their own customers, a manager the
    team's, finance, management and admin all; anyone else's customer is 404."""
    customer = uow.get(Customer, customer_id, "customer")
    uow.authorize("read", RESOURCE, customer)
    return customer


def customer_timeline(uow: UnitOfWork, customer_id: int, *, kinds: list[str] | None = None, page: int = 1,
                      per_page: int = 50, newest_first: bool = True) -> TimelinePage:
    customer = get_customer(uow, customer_id)
    sources = uow.registry.timeline_sources
    chosen = list(dict.fromkeys(kinds or [])) or [s.kind for s in ordered_sources(uow.registry)]
    unknown = [k for k in chosen if k not in sources]
    if unknown:
        raise InvalidInput({"kind": [f"Unknown kind {', '.join(unknown)}; use {', '.join(sorted(sources))}."]})
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput({"page" if page < 1 else "per_page": [f"page from 1, per_page 1–{MAX_PER_PAGE}."]})
    session = uow.session
    need = page * per_page
    entries: list[TimelineEntry] = []
    total = 0
    for kind in chosen:
        source = sources[kind]
        total += source.count(session, customer.id)
        entries.extend(source.fetch(session, customer.id, need, newest_first))
    position = {kind: sources[kind].position for kind in chosen}

    def key(entry: TimelineEntry):
        return (entry.at, position[entry.kind], entry.ref_id)

    entries.sort(key=key, reverse=newest_first)
    start = (page - 1) * per_page
    return TimelinePage(customer, entries[start:start + per_page], total, page, per_page, chosen, newest_first)


def link(entry: TimelineEntry, actor: User) -> str | None:
    """The entry's own page, for an actor who may open it (inside a request, for url_for)."""
    if entry.endpoint is None or (entry.permission and not can(actor, *entry.permission)):
        return None
    return url_for(entry.endpoint, **entry.params)
