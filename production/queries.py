"""Read-only helpers for work order lists (web UI and reports)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import User
from core.queries import MAX_PER_PAGE, Page, search
from core.registry import permissions_of
from crm.orders.models import SalesOrder
from production.models import WorkOrder


def work_orders(session: Session, actor: User, *, sales_order_id: int | None = None,
                sales_order: str | None = None, state: str | None = None, page: int = 1,
                per_page: int = 50) -> Page:
    """Work orders with the number of the sales order they serve: rows of (work order, order number).
    `sales_order` filters by (part of) the order number, `sales_order_id` by the order."""
    stmt = (permissions_of(session).scoped(actor, "work_order", select(WorkOrder, SalesOrder.number))
            .outerjoin(SalesOrder, SalesOrder.id == WorkOrder.sales_order_id))
    if sales_order_id is not None:
        stmt = stmt.where(WorkOrder.sales_order_id == sales_order_id)
    if (found := search(sales_order, SalesOrder.number)) is not None:
        stmt = stmt.where(found)
    if state:
        stmt = stmt.where(WorkOrder.state == state)
    stmt = stmt.order_by(WorkOrder.id.desc() if sales_order_id is None else WorkOrder.id)
    return _paged_rows(session, stmt, page, per_page)


def _paged_rows(session: Session, stmt, page: int, per_page: int) -> Page:
    page, per_page = max(1, page or 1), min(max(1, per_page or 50), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = [tuple(r) for r in session.execute(stmt.limit(per_page).offset((page - 1) * per_page))]
    return Page(rows, total, page, per_page)
