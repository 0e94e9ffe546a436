"""Services of the shared master data and users: the only code that changes them.

Every function takes the unit of work first; the acting user is `uow.actor`
(None only for system acts such as `db upgrade` and the demo loader)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.auth import hash_password
from core.errors import Forbidden, InvalidInput, NotFound
from core.models import Customer, Product, ProductKind, Role, Supplier, UoM, User, Warehouse
from core.permissions import allowed_owner, require, require_record
from core.uow import UnitOfWork

CREDIT_FIELDS = ("credit_limit", "credit_hold")


def _authorize(uow: UnitOfWork, action: str, resource: str, record=None) -> None:
    if uow.actor is None:  # system act (CLI, demo loader, migrations)
        return
    if record is None:
        require(uow.actor, action, resource)
    else:
        require_record(uow.actor, action, resource, record)


def _unique(uow: UnitOfWork, model, column: str, value: Any, current_id: int | None, label: str) -> dict:
    if value is None:
        return {}
    found = uow.session.scalar(select(model.id).where(getattr(model, column) == value))
    if found is not None and found != current_id:
        return {column: [f"A {label} with this {column} already exists."]}
    return {}


def _exists(uow: UnitOfWork, model, ident: int | None, field: str, label: str) -> dict:
    if ident is None or uow.session.get(model, ident) is not None:
        return {}
    return {field: [f"No {label} with id {ident}."]}


def _apply(record, data: dict) -> None:
    for key, value in data.items():
        setattr(record, key, value)


def get_record(uow: UnitOfWork, model, ident: int, resource: str):
    record = uow.session.get(model, ident)
    if record is None:
        raise NotFound(resource, ident)
    _authorize(uow, "read", resource, record)
    return record


# --------------------------------------------------------------------------- customers


def _check_customer(uow: UnitOfWork, data: dict, current: Customer | None) -> None:
    errors = _unique(uow, Customer, "code", data.get("code"), current.id if current else None, "customer")
    if "owner_id" in data:
        owner = uow.session.get(User, data["owner_id"]) if data["owner_id"] is not None else None
        if data["owner_id"] is not None and owner is None:
            errors["owner_id"] = [f"No user with id {data['owner_id']}."]
        elif owner is not None and owner.role not in (Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN):
            errors["owner_id"] = ["The owner must be a sales user."]
        elif uow.actor is not None and not allowed_owner(uow.actor, owner):
            raise Forbidden("You may not give this customer to that owner.")
    if errors:
        raise InvalidInput(errors)


def _authorize_customer_change(uow: UnitOfWork, data: dict, current: Customer | None) -> None:
    """Sales owners keep their customers; credit limits and holds are finance's alone."""
    if uow.actor is None:
        return
    credit = {f for f in CREDIT_FIELDS if f in data and (current is None or getattr(current, f) != data[f])}
    if current is None:
        _authorize(uow, "create", "customer")
        if data.get("credit_hold") or data.get("credit_limit"):
            require(uow.actor, "update", "customer_credit")
        return
    if credit:
        require_record(uow.actor, "read", "customer", current)
        require(uow.actor, "update", "customer_credit")
    other = {k for k in data if k not in CREDIT_FIELDS and getattr(current, k, None) != data[k]}
    if other:
        _authorize(uow, "update", "customer", current)


def create_customer(uow: UnitOfWork, data: dict) -> Customer:
    data = dict(data)
    if uow.actor is not None and uow.actor.role == Role.SALES_REP:
        data.setdefault("owner_id", uow.actor.id)
    _authorize_customer_change(uow, data, None)
    _check_customer(uow, data, None)
    customer = Customer(**data)
    uow.session.add(customer)
    uow.commit()
    return customer


def update_customer(uow: UnitOfWork, customer_id: int, data: dict) -> Customer:
    customer = get_record(uow, Customer, customer_id, "customer")
    _authorize_customer_change(uow, data, customer)
    _check_customer(uow, data, customer)
    _apply(customer, data)
    uow.commit()
    return customer


# --------------------------------------------------------------------------- suppliers


def create_supplier(uow: UnitOfWork, data: dict) -> Supplier:
    _authorize(uow, "create", "supplier")
    errors = _unique(uow, Supplier, "code", data.get("code"), None, "supplier")
    if errors:
        raise InvalidInput(errors)
    supplier = Supplier(**data)
    uow.session.add(supplier)
    uow.commit()
    return supplier


def update_supplier(uow: UnitOfWork, supplier_id: int, data: dict) -> Supplier:
    supplier = get_record(uow, Supplier, supplier_id, "supplier")
    _authorize(uow, "update", "supplier")
    errors = _unique(uow, Supplier, "code", data.get("code"), supplier.id, "supplier")
    if errors:
        raise InvalidInput(errors)
    _apply(supplier, data)
    uow.commit()
    return supplier


# --------------------------------------------------------------------------- products


def _check_product(uow: UnitOfWork, data: dict, current: Product | None) -> None:
    errors = _unique(uow, Product, "sku", data.get("sku"), current.id if current else None, "product")
    errors |= _exists(uow, Supplier, data.get("default_supplier_id"), "default_supplier_id", "supplier")
    if data.get("uom") is not None and uow.session.scalar(select(UoM.id).where(UoM.code == data["uom"])) is None:
        errors["uom"] = [f"Unknown unit of measure {data['uom']!r}."]
    if errors:
        raise InvalidInput(errors)


def create_product(uow: UnitOfWork, data: dict) -> Product:
    _authorize(uow, "create", "product")
    data = dict(data)
    data.setdefault("uom", "pcs")
    if data.get("kind") == ProductKind.SERVICE:
        data.setdefault("lead_time_days", 0)
    _check_product(uow, data, None)
    product = Product(**data)
    uow.session.add(product)
    uow.commit()
    return product


def update_product(uow: UnitOfWork, product_id: int, data: dict) -> Product:
    product = get_record(uow, Product, product_id, "product")
    _authorize(uow, "update", "product")
    _check_product(uow, data, product)
    _apply(product, data)
    uow.commit()
    return product


# --------------------------------------------------------------------------- warehouses, UoM, users


def create_warehouse(uow: UnitOfWork, data: dict) -> Warehouse:
    _authorize(uow, "create", "warehouse")
    errors = _unique(uow, Warehouse, "code", data.get("code"), None, "warehouse")
    if errors:
        raise InvalidInput(errors)
    if data.get("is_default"):
        for other in uow.session.scalars(select(Warehouse).where(Warehouse.is_default.is_(True))):
            other.is_default = False
    warehouse = Warehouse(**data)
    uow.session.add(warehouse)
    uow.commit()
    return warehouse


def default_warehouse(uow: UnitOfWork) -> Warehouse:
    found = uow.session.scalar(select(Warehouse).where(Warehouse.is_default.is_(True)).order_by(Warehouse.id))
    if found is None:
        raise NotFound("default warehouse", "-")
    return found


def ensure_uoms(uow: UnitOfWork, units: dict[str, str]) -> None:
    existing = set(uow.session.scalars(select(UoM.code)))
    for code, name in units.items():
        if code not in existing:
            uow.session.add(UoM(code=code, name=name))


def create_user(uow: UnitOfWork, data: dict) -> User:
    _authorize(uow, "create", "user")
    errors = _unique(uow, User, "username", data.get("username"), None, "user")
    if errors:
        raise InvalidInput(errors)
    data = dict(data)
    password = data.pop("password")
    user = User(password_hash=hash_password(password), **data)
    uow.session.add(user)
    uow.commit()
    return user


def set_password(uow: UnitOfWork, user_id: int, password: str) -> User:
    user = get_record(uow, User, user_id, "user")
    _authorize(uow, "update", "user")
    if len(password) < 8:
        raise InvalidInput({"password": ["Use 8 to 200 characters."]})
    user.password_hash = hash_password(password)
    uow.commit()
    return user


def set_locale(uow: UnitOfWork, locale: str) -> None:
    """A user's own language choice (no permission needed for oneself)."""
    if uow.actor is None:
        return
    user = uow.session.get(User, uow.actor.id)
    user.locale = locale
    uow.commit()
