"""Read-only helpers for sales order lists, always scoped by role and data scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.permissions import scoped
from core.queries import Page, paginate
from crm.models import SalesOrder


def sales_orders(session: Session, actor: User, *, q: str | None = None, page: int = 1, per_page: int = 25,
                 customer_id: int | None = None, state: str | None = None, warehouse_id: int | None = None) -> Page:
    stmt = scoped(actor, "sales_order", select(SalesOrder))
    if q:
        stmt = stmt.where(SalesOrder.number.ilike(f"%{q.strip()}%"))
    for column, value in ((SalesOrder.customer_id, customer_id), (SalesOrder.state, state),
                          (SalesOrder.warehouse_id, warehouse_id)):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    return paginate(session, stmt.order_by(SalesOrder.id.desc()), page, per_page)
