"""One declarative permission layer for the web UI, the API, the CLI and tasks.

Each app holds one `Permissions` (in its registry, `core.registry`): the matrix says which roles may
do which action on which resource, and a resource's data scope narrows what a role sees or changes
(a sales rep: own customers plus the unowned public pool; a sales manager: the team's). Core
registers its own rows (`register_core`), each domain module its rows in its `init_app`.

Services ask through their unit of work (`uow.authorize(action, resource, record)`, `uow.scoped`);
list queries through `permissions_of(session)`; pages through `core.web.can`.

A data scope is one rule object that gives both the SQL clause a list adds and the check of one
record: `OwnerScope` (owner / team / public pool), `Follows` (a record in the scope of the record it
belongs to: an order follows its customer) and `AnyOf`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import object_session
from sqlalchemy.sql import ColumnElement

from core.errors import Forbidden, NotFound
from core.models import Customer, Role, User

EVERYONE = frozenset(Role)
SALES = frozenset({Role.SALES_REP, Role.SALES_MANAGER})
ACTIONS = ("read", "create", "update", "delete")


# --------------------------------------------------------------------------- data scope rules


class Scope(Protocol):
    """A data scope: which records of a resource a user reaches, as SQL and for one record."""

    def limits(self, actor: User) -> bool:
        """Whether the rule narrows this user at all (sales users: yes; the other roles see all)."""
        ...

    def clause(self, actor: User, action: str) -> ColumnElement[bool] | None:
        """The condition a list adds for `action` (None: no narrowing)."""
        ...

    def allows(self, actor: User, action: str, record: Any) -> bool:
        """Whether one record is in the user's scope for `action`."""
        ...

    def describe(self) -> str:
        ...


def _column_name(column: Any) -> str:
    return f"{column.class_.__name__}.{column.key}"


@dataclass(frozen=True)
class Pool:
    """The records nobody works yet that sales users may still reach: those whose `column` holds
    `value` (None: is null). `actions` are what they may do with them (None: whatever their role may)."""

    column: Any
    value: Any = None
    actions: frozenset[str] | None = frozenset({"read"})

    def covers(self, action: str) -> bool:
        return self.actions is None or action in self.actions

    def clause(self) -> ColumnElement[bool]:
        return self.column.is_(None) if self.value is None else self.column == self.value

    def holds(self, record: Any) -> bool:
        return getattr(record, self.column.key) == self.value

    def describe(self) -> str:
        value = "null" if self.value is None else str(self.value)
        actions = "for any action" if self.actions is None else "to " + " or ".join(sorted(self.actions))
        return f"{_column_name(self.column)} is {value}, {actions}"


@dataclass(frozen=True)
class OwnerScope:
    """Owner / team / public pool. A sales rep reaches the records they own; a sales manager those
    owned by anyone of their team (their own when they have no team); `rep_pool` and `manager_pool`
    add the unowned records each may also reach. The other roles are not narrowed."""

    owner: Any  # the column of the owner's user id, e.g. Customer.owner_id
    rep_pool: Pool | None = None
    manager_pool: Pool | None = None
    via: str = "owner"  # the relationship to the owning user (its team)

    def limits(self, actor: User) -> bool:
        return actor.role in SALES

    def clause(self, actor: User, action: str) -> ColumnElement[bool] | None:
        if actor.role == Role.SALES_REP:
            mine, pool = self.owner == actor.id, self.rep_pool
        elif actor.role == Role.SALES_MANAGER:
            team = select(User.id).where(User.team == actor.team)
            mine = self.owner.in_(team) if actor.team else self.owner == actor.id
            pool = self.manager_pool
        else:
            return None
        return or_(mine, pool.clause()) if pool is not None and pool.covers(action) else mine

    def allows(self, actor: User, action: str, record: Any) -> bool:
        if actor.role == Role.SALES_REP:
            pool = self.rep_pool
        elif actor.role == Role.SALES_MANAGER:
            pool = self.manager_pool
        else:
            return True
        return self._mine(actor, record) or (pool is not None and pool.covers(action) and pool.holds(record))

    def _mine(self, actor: User, record: Any) -> bool:
        owner_id = getattr(record, self.owner.key)
        if owner_id == actor.id:
            return True
        if actor.role != Role.SALES_MANAGER or not actor.team or owner_id is None:
            return False
        owner = getattr(record, self.via)
        return owner is not None and owner.team == actor.team

    def describe(self) -> str:
        text = f"owner {_column_name(self.owner)} (a manager: the owner's team)"
        if self.rep_pool is not None:
            text += f"; reps also {self.rep_pool.describe()}"
        if self.manager_pool is not None:
            text += f"; managers also {self.manager_pool.describe()}"
        return text


@dataclass(frozen=True)
class Follows:
    """A record in the data scope of the record it belongs to: a sales order, a quote, a ticket or a
    contact follows its customer. `column` holds the parent's id; `via` names the relationship that
    holds the parent (without one the parent is read by id); `action`, when given, is what the parent
    is checked for whatever is asked of the record."""

    column: Any
    parent: type
    scope: Scope
    via: str | None = None
    action: str | None = None

    def limits(self, actor: User) -> bool:
        return self.scope.limits(actor)

    def clause(self, actor: User, action: str) -> ColumnElement[bool] | None:
        inner = self.scope.clause(actor, self.action or action)
        return None if inner is None else self.column.in_(select(self.parent.id).where(inner))

    def allows(self, actor: User, action: str, record: Any) -> bool:
        if not self.limits(actor):
            return True
        parent = self._parent(record)
        return parent is not None and self.scope.allows(actor, self.action or action, parent)

    def _parent(self, record: Any) -> Any:
        if self.via is not None:
            return getattr(record, self.via)
        ident = getattr(record, self.column.key)
        session = object_session(record)
        return None if ident is None or session is None else session.get(self.parent, ident)

    def describe(self) -> str:
        checked = f" (checked for {self.action})" if self.action else ""
        return f"follows its {self.parent.__name__} by {_column_name(self.column)}{checked}"


@dataclass(frozen=True)
class AnyOf:
    """In scope when any of the rules says so (an activity: by its customer, lead or opportunity)."""

    parts: tuple[Scope, ...]

    def limits(self, actor: User) -> bool:
        return any(part.limits(actor) for part in self.parts)

    def clause(self, actor: User, action: str) -> ColumnElement[bool] | None:
        clauses = [part.clause(actor, action) for part in self.parts]
        if any(clause is None for clause in clauses):
            return None
        return or_(*clauses)

    def allows(self, actor: User, action: str, record: Any) -> bool:
        return not self.limits(actor) or any(part.allows(actor, action, record) for part in self.parts)

    def describe(self) -> str:
        return "any of: " + "; ".join(part.describe() for part in self.parts)


#: Customers: a rep's own and a manager's team's, plus the unowned public pool to read.
CUSTOMER_SCOPE = OwnerScope(Customer.owner_id, rep_pool=Pool(Customer.owner_id),
                            manager_pool=Pool(Customer.owner_id))


def follows_customer(column: Any, *, via: str | None = "customer") -> Follows:
    """A record in its customer's data scope (`column` holds the customer's id)."""
    return Follows(column, Customer, CUSTOMER_SCOPE, via=via)


# --------------------------------------------------------------------------- the matrix


class Permissions:
    """The role x action matrix of one app, and the data scope of its scoped resources."""

    def __init__(self, origin: Callable[[], str] = lambda: "?") -> None:
        self._matrix: dict[str, dict[str, frozenset[Role]]] = {}
        self._scopes: dict[str, Scope] = {}
        self._by: dict[str, str] = {}
        self._origin = origin

    def register(self, resource: str, actions: dict[str, frozenset[Role] | set[Role]],
                 scope: Scope | None = None) -> None:
        """A module declares its resources' rows of the matrix (and data scope) in its `init_app`."""
        self._matrix[resource] = {action: frozenset(roles) for action, roles in actions.items()}
        self._by[resource] = self._origin()
        if scope is not None:
            self._scopes[resource] = scope

    def can(self, actor: User | None, action: str, resource: str) -> bool:
        if actor is None or not actor.active:
            return False
        return actor.role in self._matrix.get(resource, {}).get(action, frozenset())

    def require(self, actor: User | None, action: str, resource: str) -> None:
        if not self.can(actor, action, resource):
            raise Forbidden(f"Your role may not {action} {resource.replace('_', ' ')} records.")

    def in_scope(self, actor: User, action: str, resource: str, record: Any) -> bool:
        """Whether one record is in the actor's data scope for `action` (the role's right aside)."""
        scope = self._scopes.get(resource)
        return scope is None or scope.allows(actor, action, record)

    def scoped(self, actor: User | None, resource: str, stmt: Select, action: str = "read") -> Select:
        """Narrow a query to the records the actor may see (or change)."""
        self.require(actor, action, resource)
        scope = self._scopes.get(resource)
        if scope is None:
            return stmt
        clause = scope.clause(actor, action)
        return stmt if clause is None else stmt.where(clause)

    def require_record(self, actor: User, action: str, resource: str, record: Any) -> None:
        """Refuse an action on one record: hidden records are 404, visible but not changeable 403."""
        if not self.in_scope(actor, "read", resource, record):
            raise NotFound(resource, getattr(record, "id", "?"))
        self.require(actor, action, resource)
        if action != "read" and not self.in_scope(actor, action, resource, record):
            raise Forbidden(f"This {resource} belongs to another sales owner.")

    def authorize(self, actor: User | None, action: str, resource: str, record: Any = None) -> None:
        """The check every service makes before it acts: a system act (no actor: the CLI, the demo
        loader, a beat task) may do anything; a user needs the role's right and, for one record, the
        record in the user's data scope."""
        if actor is None:
            return
        if record is None:
            self.require(actor, action, resource)
        else:
            self.require_record(actor, action, resource, record)

    def by_module(self) -> dict[str, dict[str, dict[str, str]]]:
        """The rows each module registered: resource -> action -> its roles, sorted and comma-separated
        (and `scope`: the data scope rule in words)."""
        found: dict[str, dict[str, dict[str, str]]] = {}
        for resource in sorted(self._matrix):
            row = {action: ", ".join(sorted(role.value for role in roles))
                   for action, roles in sorted(self._matrix[resource].items())}
            if resource in self._scopes:
                row["scope"] = self._scopes[resource].describe()
            found.setdefault(self._by[resource], {})[resource] = row
        return found


def register_core(permissions: Permissions) -> None:
    """Core's own rows: master data, the audit log and users."""
    permissions.register("customer", {
        "read": SALES | {Role.FINANCE, Role.MANAGEMENT, Role.ADMIN},
        "create": SALES | {Role.ADMIN},
        "update": SALES | {Role.ADMIN},
        "delete": frozenset({Role.ADMIN}),
    }, scope=CUSTOMER_SCOPE)
    # credit limits and holds are finance's alone
    permissions.register("customer_credit", {"update": frozenset({Role.FINANCE, Role.ADMIN})})
    permissions.register("product", {
        "read": EVERYONE,
        "create": frozenset({Role.ADMIN, Role.PURCHASING, Role.PRODUCTION}),
        "update": frozenset({Role.ADMIN, Role.PURCHASING, Role.PRODUCTION}),
        "delete": frozenset({Role.ADMIN}),
    })
    # the product lines that group products in the reports are kept by whoever keeps the products
    permissions.register("product_line", {
        "read": EVERYONE,
        "create": frozenset({Role.ADMIN, Role.PURCHASING, Role.PRODUCTION}),
        "update": frozenset({Role.ADMIN, Role.PURCHASING, Role.PRODUCTION}),
        "delete": frozenset({Role.ADMIN}),
    })
    permissions.register("supplier", {
        "read": frozenset({Role.PURCHASING, Role.PRODUCTION, Role.FINANCE, Role.WAREHOUSE, Role.MANAGEMENT,
                           Role.ADMIN}),
        "create": frozenset({Role.ADMIN, Role.PURCHASING}),
        "update": frozenset({Role.ADMIN, Role.PURCHASING}),
        "delete": frozenset({Role.ADMIN}),
    })
    permissions.register("warehouse", {
        "read": EVERYONE,
        "create": frozenset({Role.ADMIN}),
        "update": frozenset({Role.ADMIN}),
        "delete": frozenset({Role.ADMIN}),
    })
    permissions.register("audit", {"read": frozenset({Role.ADMIN, Role.MANAGEMENT})})
    permissions.register("user", {
        "read": frozenset({Role.ADMIN}),
        "create": frozenset({Role.ADMIN}),
        "update": frozenset({Role.ADMIN}),
        "delete": frozenset({Role.ADMIN}),
    })


def allowed_owner(actor: User, owner: User | None) -> bool:
    """Whom a sales user may name as a customer's owner."""
    if actor.role == Role.SALES_REP:
        return owner is not None and owner.id == actor.id
    if actor.role == Role.SALES_MANAGER:
        return owner is None or owner.id == actor.id or bool(actor.team and owner.team == actor.team)
    return True
