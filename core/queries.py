"""Read-only helpers for lists: search, filters, paging, always scoped by role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Customer, Product, ProductLine, Supplier, User, Warehouse
from core.registry import permissions_of

MAX_PER_PAGE = 200


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(session: Session, stmt: Select, page: int = 1, per_page: int = 25) -> Page:
    page = max(1, page or 1)
    per_page = min(max(1, per_page or 25), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, total, page, per_page)


LIKE_ESCAPE = "\\"


def contains(column, q: str):
    """`column` contains the text `q` as typed, case-insensitively: `%`, `_` and the escape character
    in a search are matched literally, never as wildcards."""
    escaped = q.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return column.ilike(f"%{escaped}%", escape=LIKE_ESCAPE)


def search(q: str | None, *columns):
    """The clause of a list's search box: any of `columns` contains `q` (None when nothing is typed)."""
    q = (q or "").strip()
    return or_(*(contains(col, q) for col in columns)) if q else None


def _search(stmt: Select, q: str | None, *columns) -> Select:
    clause = search(q, *columns)
    return stmt if clause is None else stmt.where(clause)


def _filters(stmt: Select, model, filters: dict[str, Any]) -> Select:
    for name, value in filters.items():
        if value is None or value == "":
            continue
        stmt = stmt.where(getattr(model, name) == value)
    return stmt


def customers(session: Session, actor: User, *, q=None, page=1, per_page=25, **filters) -> Page:
    stmt = permissions_of(session).scoped(actor, "customer", select(Customer))
    stmt = _filters(_search(stmt, q, Customer.code, Customer.name, Customer.region), Customer, filters)
    return paginate(session, stmt.order_by(Customer.code), page, per_page)


def products(session: Session, actor: User, *, q=None, page=1, per_page=25, **filters) -> Page:
    stmt = permissions_of(session).scoped(actor, "product", select(Product))
    stmt = _filters(_search(stmt, q, Product.sku, Product.name), Product, filters)
    return paginate(session, stmt.order_by(Product.sku), page, per_page)


def product_lines(session: Session, actor: User, *, q=None, page=1, per_page=25, **filters) -> Page:
    stmt = permissions_of(session).scoped(actor, "product_line", select(ProductLine))
    stmt = _filters(_search(stmt, q, ProductLine.code, ProductLine.name, ProductLine.name_zh), ProductLine, filters)
    return paginate(session, stmt.order_by(ProductLine.code), page, per_page)


def suppliers(session: Session, actor: User, *, q=None, page=1, per_page=25, **filters) -> Page:
    stmt = permissions_of(session).scoped(actor, "supplier", select(Supplier))
    stmt = _filters(_search(stmt, q, Supplier.code, Supplier.name), Supplier, filters)
    return paginate(session, stmt.order_by(Supplier.code), page, per_page)


def warehouses(session: Session, actor: User, *, page=1, per_page=25) -> Page:
    stmt = permissions_of(session).scoped(actor, "warehouse", select(Warehouse))
    return paginate(session, stmt.order_by(Warehouse.code), page, per_page)


def audit_entries(session: Session, actor: User, *, entity=None, entity_id=None, user_id=None,
                  page=1, per_page=50) -> Page:
    stmt = permissions_of(session).scoped(actor, "audit", select(AuditEntry))
    stmt = _filters(stmt, AuditEntry, {"entity": entity, "entity_id": entity_id, "user_id": user_id})
    return paginate(session, stmt.order_by(AuditEntry.id.desc()), page, per_page)


def sales_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role.in_(["sales_rep", "sales_manager"]),
                                                   User.active.is_(True)).order_by(User.username)))
