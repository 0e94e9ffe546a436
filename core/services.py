"""Services of the shared master data and users: the only code that changes them.

Every function takes the unit of work first; the acting user is `uow.actor`
(None only for system acts such as `db upgrade` and the demo loader)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from core.auth import hash_password, password_problems
from core.errors import Forbidden, InvalidInput, NotFound
from core.models import (
    ACQUISITION_SOURCES,
    DIRECT_SOURCE,
    Customer,
    Product,
    ProductKind,
    ProductLine,
    Role,
    Supplier,
    UoM,
    User,
    Warehouse,
)
from core.permissions import allowed_owner
from core.uow import UnitOfWork

CREDIT_FIELDS = ("credit_limit", "credit_hold")


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


def _require_unique(uow: UnitOfWork, model, column: str, value: Any, current_id: int | None, label: str) -> None:
    errors = _unique(uow, model, column, value, current_id, label)
    if errors:
        raise InvalidInput(errors)


def _insert(uow: UnitOfWork, record):
    uow.session.add(record)
    uow.commit()
    return record


def _change(uow: UnitOfWork, record, data: dict):
    for key, value in data.items():
        setattr(record, key, value)
    uow.commit()
    return record


def get_record(uow: UnitOfWork, model, ident: int, resource: str):
    record = uow.get(model, ident, resource)
    uow.authorize("read", resource, record)
    return record


# --------------------------------------------------------------------------- customers


def source_slug(text: str | None) -> str | None:
    """An acquisition source as a code: lower case, blanks and dashes as `_` ("Trade Show" -> "trade_show",
    "b2b-marketplace" -> "b2b_marketplace"), at most 80 characters; None when nothing is left."""
    if text is None:
        return None
    slug = re.sub(r"[\s\-_]+", "_", text.strip().lower()).strip("_")
    return slug[:80].rstrip("_") or None


def sources_in_use(uow: UnitOfWork) -> list[str]:
    """The acquisition sources customers already have, beyond the pick list (a converted lead's channel)."""
    used = uow.session.scalars(select(Customer.source).distinct().where(Customer.source.not_in(ACQUISITION_SOURCES)))
    return sorted(used)


def _check_source(uow: UnitOfWork, data: dict, current: Customer | None) -> dict:
    """A source typed or picked by hand is one of the pick list or one some customer already has (so a
    typo does not become a new row of the sales report). `data["source"]` is already a slug."""
    if "source" not in data:
        return {}
    source = data["source"]
    if source is None:
        return {"source": ["Choose an acquisition source."]}
    if source in ACQUISITION_SOURCES or (current is not None and source == current.source):
        return {}
    if uow.session.scalar(select(Customer.id).where(Customer.source == source).limit(1)) is not None:
        return {}
    return {"source": [f"Unknown acquisition source {source!r}: use one of {', '.join(ACQUISITION_SOURCES)} "
                       "or a source some customer already has."]}


def _slug_source(data: dict) -> dict:
    if isinstance(data.get("source"), str):
        data = dict(data)
        data["source"] = source_slug(data["source"])
    return data


def _check_customer(uow: UnitOfWork, data: dict, current: Customer | None, *, any_source: bool = False) -> None:
    errors = _unique(uow, Customer, "code", data.get("code"), current.id if current else None, "customer")
    if not any_source:
        errors |= _check_source(uow, data, current)
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
        uow.authorize("create", "customer")
        if data.get("credit_hold") or data.get("credit_limit"):
            uow.authorize("update", "customer_credit")
        return
    if credit:
        uow.authorize("read", "customer", current)
        uow.authorize("update", "customer_credit")
    other = {k for k in data if k not in CREDIT_FIELDS and getattr(current, k, None) != data[k]}
    if other:
        uow.authorize("update", "customer", current)


def create_customer(uow: UnitOfWork, data: dict, *, any_source: bool = False) -> Customer:
    """A new customer; its acquisition `source` is `direct` unless given. A source given by hand must be
    on the pick list or already in use; `any_source` keeps whatever source a system act found (a
    converted lead's channel), as a slug like every source."""
    data = _slug_source(data)
    if uow.actor is not None and uow.actor.role == Role.SALES_REP:
        data.setdefault("owner_id", uow.actor.id)
    if data.get("source") is None and (any_source or "source" not in data):
        data["source"] = DIRECT_SOURCE
    _authorize_customer_change(uow, data, None)
    _check_customer(uow, data, None, any_source=any_source)
    return _insert(uow, Customer(**data))


def update_customer(uow: UnitOfWork, customer_id: int, data: dict) -> Customer:
    customer = get_record(uow, Customer, customer_id, "customer")
    data = _slug_source(data)
    _authorize_customer_change(uow, data, customer)
    _check_customer(uow, data, customer)
    return _change(uow, customer, data)


# --------------------------------------------------------------------------- suppliers


def create_supplier(uow: UnitOfWork, data: dict) -> Supplier:
    uow.authorize("create", "supplier")
    _require_unique(uow, Supplier, "code", data.get("code"), None, "supplier")
    return _insert(uow, Supplier(**data))


def update_supplier(uow: UnitOfWork, supplier_id: int, data: dict) -> Supplier:
    supplier = get_record(uow, Supplier, supplier_id, "supplier")
    uow.authorize("update", "supplier")
    _require_unique(uow, Supplier, "code", data.get("code"), supplier.id, "supplier")
    return _change(uow, supplier, data)


# --------------------------------------------------------------------------- product lines


def _product_line_by_code(uow: UnitOfWork, code: str) -> ProductLine | None:
    """The product line of a code, whatever its letter case ("pumps" finds PUMPS)."""
    return uow.session.scalar(select(ProductLine).where(func.upper(ProductLine.code) == code.upper()))


def create_product_line(uow: UnitOfWork, data: dict) -> ProductLine:
    """A new product line; codes are unique whatever their letter case."""
    uow.authorize("create", "product_line")
    if data.get("code") and _product_line_by_code(uow, data["code"]) is not None:
        raise InvalidInput({"code": ["A product line with this code already exists."]})
    return _insert(uow, ProductLine(**data))


def update_product_line(uow: UnitOfWork, line_id: int, data: dict) -> ProductLine:
    """A product line's names, or whether new products may still be put in it. Its code stays: the sales
    report keeps the code of every line it booked."""
    line = get_record(uow, ProductLine, line_id, "product_line")
    uow.authorize("update", "product_line")
    if "code" in data and data["code"] != line.code:
        raise InvalidInput({"code": ["A product line keeps its code."]})
    return _change(uow, line, data)


# --------------------------------------------------------------------------- products


def _check_product_line(uow: UnitOfWork, data: dict, current: Product | None) -> dict:
    """An unknown product line is refused; a known one is written with its own code's letter case. A
    retired line keeps its products but takes no new ones."""
    code = data.get("product_line")
    if code is None:
        return {}
    line = _product_line_by_code(uow, code)
    if line is None:
        return {"product_line": [f"No product line with code {code!r}."]}
    data["product_line"] = line.code
    if not line.active and (current is None or current.product_line != line.code):
        return {"product_line": [f"Product line {line.code} is retired; choose another."]}
    return {}


def _check_product(uow: UnitOfWork, data: dict, current: Product | None) -> None:
    errors = _unique(uow, Product, "sku", data.get("sku"), current.id if current else None, "product")
    errors |= _exists(uow, Supplier, data.get("default_supplier_id"), "default_supplier_id", "supplier")
    if data.get("uom") is not None and uow.session.scalar(select(UoM.id).where(UoM.code == data["uom"])) is None:
        errors["uom"] = [f"Unknown unit of measure {data['uom']!r}."]
    errors |= _check_product_line(uow, data, current)
    if errors:
        raise InvalidInput(errors)


def create_product(uow: UnitOfWork, data: dict) -> Product:
    uow.authorize("create", "product")
    data = dict(data)
    data.setdefault("uom", "pcs")
    if data.get("kind") == ProductKind.SERVICE:
        data.setdefault("lead_time_days", 0)
    _check_product(uow, data, None)
    return _insert(uow, Product(**data))


def update_product(uow: UnitOfWork, product_id: int, data: dict) -> Product:
    product = get_record(uow, Product, product_id, "product")
    uow.authorize("update", "product")
    data = dict(data)
    _check_product(uow, data, product)
    return _change(uow, product, data)


# --------------------------------------------------------------------------- warehouses, UoM, users


def create_warehouse(uow: UnitOfWork, data: dict) -> Warehouse:
    uow.authorize("create", "warehouse")
    _require_unique(uow, Warehouse, "code", data.get("code"), None, "warehouse")
    if data.get("is_default"):
        for other in uow.session.scalars(select(Warehouse).where(Warehouse.is_default.is_(True))):
            other.is_default = False
    return _insert(uow, Warehouse(**data))


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


def _check_password(password: str, *user_inputs: str | None) -> None:
    problems = password_problems(password, user_inputs=user_inputs)
    if problems:
        raise InvalidInput({"password": problems})


def create_user(uow: UnitOfWork, data: dict, *, password_policy: bool = True) -> User:
    """A new user. Their password must pass the policy (`core.auth.password_problems`); only the demo
    loader turns that off, for the demo company's one published password (never for typed input)."""
    uow.authorize("create", "user")
    _require_unique(uow, User, "username", data.get("username"), None, "user")
    data = dict(data)
    password = data.pop("password")
    if password_policy:
        _check_password(password, data.get("username"), data.get("full_name"), data.get("email"))
    return _insert(uow, User(password_hash=hash_password(password), **data))


def set_password(uow: UnitOfWork, user_id: int, password: str) -> User:
    """A new password (within the policy) also ends every session signed in with the old one."""
    user = get_record(uow, User, user_id, "user")
    uow.authorize("update", "user")
    _check_password(password, user.username, user.full_name, user.email)
    user.password_hash = hash_password(password)
    user.session_generation += 1
    uow.commit()
    return user


def end_sessions(uow: UnitOfWork, user_id: int) -> None:
    """Sign a user out on the server: every session cookie signed in before now stops working, a copied
    one too. Users end their own sessions (signing out); ending someone else's needs the user admin."""
    user = uow.get(User, user_id, "user", for_update=True)
    if uow.actor_id != user.id:
        uow.authorize("update", "user")
    user.session_generation += 1
    uow.commit()


def set_locale(uow: UnitOfWork, locale: str) -> None:
    """A user's own language choice (no permission needed for oneself)."""
    if uow.actor is None:
        return
    user = uow.session.get(User, uow.actor.id)
    user.locale = locale
    uow.commit()
