"""What each module contributes to the others' pages and rules, kept by the app that installed it.

Dependencies run one way, yet an upstream page shows what downstream modules add to it: finance's
panel on the customer page, its flag on an order, production's links on inventory's lock list, the
sources of the customer timeline. Each of these is an extension point of one `Registry`, built by
`create_app` (`app.extensions["registry"]`) and filled by each module's `init_app`, never at import:
two apps never share what they were given, and `snapshot()` shows in one place what every module
contributes (the architecture test compares it with `tests/registry_wiring.json`).

Who reads it: services through their unit of work (`uow.registry`, `uow.authorize(...)`); list
queries, which get a session and the actor, through `registry_of(session)`; pages and the API
through `current_registry()` (or the helpers of `core.web`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from core.permissions import Permissions

T = TypeVar("T")


@dataclass(frozen=True)
class NavEntry:
    """A menu entry of a module's blueprint, shown to the roles with `permission` (action, resource)."""

    endpoint: str
    label: Any  # a lazy string
    permission: tuple[str, str]

    def describe(self) -> str:
        return f"{self.endpoint} ({' '.join(self.permission)})"


@dataclass(frozen=True)
class DetailPanel:
    """A panel another module adds to a record's detail page, loaded with htmx from its own blueprint:
    `endpoint` is called with the record's id as `param`, for the roles with `permission`."""

    resource: str
    endpoint: str
    title: Any  # a lazy string
    permission: tuple[str, str]
    param: str

    def describe(self) -> str:
        return f"{self.resource}: {self.endpoint} ({' '.join(self.permission)})"


def describe(item: Any) -> str:
    """An entry as the snapshot names it: its own description, else a function's dotted name."""
    if hasattr(item, "describe"):
        return item.describe()
    if callable(item):
        return f"{item.__module__}.{item.__qualname__}"
    return repr(item)


class Contributions(Mapping[Hashable, T], Generic[T]):
    """One extension point: what modules add to it, in the order they add it, one entry per key
    (adding a key again replaces its entry in place). It remembers which module added each entry."""

    def __init__(self, key: Callable[[T], Hashable], origin: Callable[[], str]) -> None:
        self._key = key
        self._origin = origin
        self._entries: dict[Hashable, T] = {}
        self._by: dict[Hashable, str] = {}

    def add(self, item: T) -> T:
        key = self._key(item)
        self._entries[key] = item
        self._by[key] = self._origin()
        return item

    def __delitem__(self, key: Hashable) -> None:
        del self._entries[key]
        del self._by[key]

    def __getitem__(self, key: Hashable) -> T:
        return self._entries[key]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def by_module(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for key, item in self._entries.items():
            found.setdefault(self._by[key], []).append(describe(item))
        return found


def _itself(item: Any) -> Hashable:
    return item


class Registry:
    """The rules and extension points of one app: `permissions` (the role x action matrix and the data
    scopes, a `core.permissions.Permissions`) and these `Contributions`:

    - `nav`: `NavEntry`s of the menu (core's own master-data entries come first);
    - `detail_panels`: `DetailPanel`s of detail pages (the customer page, the sales order page);
    - `home_alerts`: functions (user) -> (message, url) or None, shown on the home page;
    - `order_flags`: functions (session, orders) -> {order id: label} shown beside sales orders;
    - `work_order_links`: functions (session, user, work order ids) -> {id: (number, url)} for the
      stock locks that work orders hold;
    - `demand_sources`: functions (session, product id, warehouse id) -> waiting demand that
      inventory's allocation serves besides sales order lines (`inventory.allocation`);
    - `supply_sources`: `inventory.allocation.SupplySource`s: the supply still to come that modules
      hold for that demand (work orders, purchase plan lines), so that the allocation counts it once
      and gives up what has not started for stock in hand (`docs/supply.md`);
    - `timeline_sources`: `TimelineSource`s of the customer 360 timeline, by kind (`crm.timeline`);
    - `activity_targets`: records of a module above the pipeline that activities are logged on, by the
      field naming them (`crm.pipeline.services.ActivityTarget`: the lead, from `crm.leads`);
    - `team_lists`: what modules above the pipeline add to the sales manager's team view
      (`crm.pipeline.queries.TeamLists`: the leads' open leads, missed deadlines and pool claims);
    - `task_subjects`: records of modules above the tasks that a task may be about, by the task's field
      naming them (`crm.tasks.services.TaskSubject`: the lead and the opportunity, from `crm.leads`);
    - `invoicing_guards`: functions (uow, sales order) asked before an order is invoiced by hand (its
      shipped quantities or explicit lines): a module above invoicing that bills the order its own way
      refuses with a DomainError (`finance.plans`: an order with a payment plan, by its installments).

    `create_app` runs each module's `init_app` inside `contributions_of(module)`, so that the snapshot
    files every entry under the module that added it.
    """

    def __init__(self) -> None:
        self._module = "?"
        self.permissions = Permissions(origin=self.contributor)
        self.nav: Contributions[NavEntry] = Contributions(attrgetter("endpoint"), self.contributor)
        self.detail_panels: Contributions[DetailPanel] = Contributions(attrgetter("resource", "endpoint"),
                                                                       self.contributor)
        self.home_alerts: Contributions[Callable[..., Any]] = Contributions(_itself, self.contributor)
        self.order_flags: Contributions[Callable[..., Any]] = Contributions(_itself, self.contributor)
        self.work_order_links: Contributions[Callable[..., Any]] = Contributions(_itself, self.contributor)
        self.demand_sources: Contributions[Callable[..., Any]] = Contributions(_itself, self.contributor)
        self.supply_sources: Contributions[Any] = Contributions(_itself, self.contributor)
        self.timeline_sources: Contributions[Any] = Contributions(attrgetter("kind"), self.contributor)
        self.activity_targets: Contributions[Any] = Contributions(attrgetter("field"), self.contributor)
        self.team_lists: Contributions[Any] = Contributions(_itself, self.contributor)
        self.task_subjects: Contributions[Any] = Contributions(attrgetter("field"), self.contributor)
        self.invoicing_guards: Contributions[Callable[..., Any]] = Contributions(_itself, self.contributor)

    # -- who contributes
    def contributor(self) -> str:
        """The module whose `init_app` is running (what the snapshot files each entry under)."""
        return self._module

    @contextmanager
    def contributions_of(self, module: str) -> Iterator[Registry]:
        """Run one module's `init_app` inside: what it adds is filed under `module`."""
        previous, self._module = self._module, module
        try:
            yield self
        finally:
            self._module = previous

    # -- adding and reading
    def add_nav(self, endpoint: str, label: Any, permission: tuple[str, str]) -> None:
        self.nav.add(NavEntry(endpoint, label, permission))

    def add_detail_panel(self, resource: str, endpoint: str, title: Any, permission: tuple[str, str],
                         param: str) -> None:
        self.detail_panels.add(DetailPanel(resource, endpoint, title, permission, param))

    def panels_of(self, resource: str) -> list[DetailPanel]:
        return [panel for panel in self.detail_panels.values() if panel.resource == resource]

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """What each module contributes to the others' pages and rules, as JSON-able data: per module,
        its permission rows (resource -> action -> sorted roles, and the data scope rule) and, per
        extension point, its entries in the order they were added."""
        found: dict[str, dict[str, Any]] = {}
        for module, rows in self.permissions.by_module().items():
            found.setdefault(module, {})["permissions"] = rows
        for name in ("nav", "detail_panels", "home_alerts", "order_flags", "work_order_links", "demand_sources",
                     "supply_sources", "timeline_sources", "activity_targets", "team_lists", "task_subjects",
                     "invoicing_guards"):
            hook: Contributions[Any] = getattr(self, name)
            for module, entries in hook.by_module().items():
                found.setdefault(module, {})[name] = entries
        return dict(sorted(found.items()))


def current_registry() -> Registry:
    """The registry of the app serving this request (pages, the API, CLI commands, Celery tasks)."""
    return current_app.extensions["registry"]


def registry_of(holder: Session | object | None) -> Registry:
    """The registry of the app a session works for, given the session or an object loaded in it (such
    as the acting user): the one its unit of work named (`UnitOfWork` records it in `session.info`),
    else the current app's. List queries take it from their session rather than from Flask, so that a
    service or a test without an app context reads the same rules."""
    if isinstance(holder, Session):
        session: Session | None = holder
    else:
        state = inspect(holder, raiseerr=False) if holder is not None else None
        session = getattr(state, "session", None)
    found = session.info.get("registry") if session is not None else None
    if found is None and has_app_context():
        found = current_app.extensions.get("registry")
    if found is None:
        raise RuntimeError("No registry: use a session of a unit of work, or run inside the app's context.")
    return found


def permissions_of(holder: Session | object | None) -> Permissions:
    """The permissions of the app a session (or an object loaded in it) works for; see `registry_of`."""
    return registry_of(holder).permissions
