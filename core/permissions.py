"""One declarative permission layer for the web UI, the API, the CLI and tasks.

`MATRIX` says which roles may do which action on which resource. `SCOPES`
narrows what a role sees or changes to its data scope (a sales rep: own
customers plus the unowned public pool; a sales manager: the team's). Services
call `require` / `require_record`; lists call `scoped`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, or_, select
from sqlalchemy.sql import ColumnElement

from core.errors import Forbidden, NotFound
from core.models import Customer, Role, User

R = Role
EVERYONE = frozenset(Role)
SALES = frozenset({R.SALES_REP, R.SALES_MANAGER})
ACTIONS = ("read", "create", "update", "delete")

MATRIX: dict[str, dict[str, frozenset[Role]]] = {
    "customer": {
        "read": SALES | {R.FINANCE, R.MANAGEMENT, R.ADMIN},
        "create": SALES | {R.ADMIN},
        "update": SALES | {R.ADMIN},
        "delete": frozenset({R.ADMIN}),
    },
    # credit limits and holds are finance's alone
    "customer_credit": {"update": frozenset({R.FINANCE, R.ADMIN})},
    "product": {
        "read": EVERYONE,
        "create": frozenset({R.ADMIN, R.PURCHASING, R.PRODUCTION}),
        "update": frozenset({R.ADMIN, R.PURCHASING, R.PRODUCTION}),
        "delete": frozenset({R.ADMIN}),
    },
    "supplier": {
        "read": frozenset({R.PURCHASING, R.PRODUCTION, R.FINANCE, R.WAREHOUSE, R.MANAGEMENT, R.ADMIN}),
        "create": frozenset({R.ADMIN, R.PURCHASING}),
        "update": frozenset({R.ADMIN, R.PURCHASING}),
        "delete": frozenset({R.ADMIN}),
    },
    "warehouse": {
        "read": EVERYONE,
        "create": frozenset({R.ADMIN}),
        "update": frozenset({R.ADMIN}),
        "delete": frozenset({R.ADMIN}),
    },
    "audit": {"read": frozenset({R.ADMIN, R.MANAGEMENT})},
    "user": {
        "read": frozenset({R.ADMIN}),
        "create": frozenset({R.ADMIN}),
        "update": frozenset({R.ADMIN}),
        "delete": frozenset({R.ADMIN}),
    },
}


def register(resource: str, actions: dict[str, frozenset[Role] | set[Role]],
             scope: tuple[Callable, Callable] | None = None) -> None:
    """Domain modules declare their resources' rows of the matrix (and data scope) in `init_app`."""
    MATRIX[resource] = {action: frozenset(roles) for action, roles in actions.items()}
    if scope is not None:
        SCOPES[resource] = scope


def can(actor: User | None, action: str, resource: str) -> bool:
    if actor is None or not actor.active:
        return False
    return actor.role in MATRIX.get(resource, {}).get(action, frozenset())


def require(actor: User | None, action: str, resource: str) -> None:
    if not can(actor, action, resource):
        raise Forbidden(f"Your role may not {action} {resource.replace('_', ' ')} records.")


# --------------------------------------------------------------------------- data scope


def _team_members(actor: User):
    return select(User.id).where(User.team == actor.team)


def _customer_scope(actor: User, action: str) -> ColumnElement[bool] | None:
    if actor.role == R.SALES_REP:
        if action == "read":
            return or_(Customer.owner_id == actor.id, Customer.owner_id.is_(None))
        return Customer.owner_id == actor.id
    if actor.role == R.SALES_MANAGER:
        team = Customer.owner_id.in_(_team_members(actor)) if actor.team else Customer.owner_id == actor.id
        return or_(team, Customer.owner_id.is_(None)) if action == "read" else team
    return None


def _customer_in_scope(actor: User, action: str, customer: Customer) -> bool:
    if actor.role == R.SALES_REP:
        return customer.owner_id == actor.id or (action == "read" and customer.owner_id is None)
    if actor.role == R.SALES_MANAGER:
        if customer.owner_id is None:
            return action == "read"
        owner = customer.owner
        return customer.owner_id == actor.id or bool(actor.team and owner and owner.team == actor.team)
    return True


SCOPES: dict[str, tuple[Callable, Callable]] = {
    "customer": (_customer_scope, _customer_in_scope),
}


def scoped(actor: User, resource: str, stmt: Select, action: str = "read") -> Select:
    """Narrow a query to the records the actor may see (or change)."""
    require(actor, action, resource)
    scope = SCOPES.get(resource)
    if scope is None:
        return stmt
    clause = scope[0](actor, action)
    return stmt if clause is None else stmt.where(clause)


def require_record(actor: User, action: str, resource: str, record) -> None:
    """Refuse an action on one record: hidden records are 404, visible but not changeable 403."""
    scope = SCOPES.get(resource)
    if scope is not None and not scope[1](actor, "read", record):
        raise NotFound(resource, getattr(record, "id", "?"))
    require(actor, action, resource)
    if scope is not None and action != "read" and not scope[1](actor, action, record):
        raise Forbidden(f"This {resource} belongs to another sales owner.")


def authorize(actor: User | None, action: str, resource: str, record=None) -> None:
    """The check every service makes before it acts: a system act (no actor: the CLI, the demo
    loader, a beat task) may do anything; a user needs the role's right and, for one record, the
    record in the user's data scope."""
    if actor is None:
        return
    if record is None:
        require(actor, action, resource)
    else:
        require_record(actor, action, resource, record)


def allowed_owner(actor: User, owner: User | None) -> bool:
    """Whom a sales user may name as a customer's owner."""
    if actor.role == R.SALES_REP:
        return owner is not None and owner.id == actor.id
    if actor.role == R.SALES_MANAGER:
        return owner is None or owner.id == actor.id or bool(actor.team and owner.team == actor.team)
    return True
