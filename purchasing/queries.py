"""Read-only helpers for purchase plan lists (web UI and reports)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Supplier, User
from core.permissions import scoped
from core.queries import MAX_PER_PAGE, Page
from crm.models import SalesOrder
from production.models import WorkOrder
from purchasing.models import PurchasePlanLine


def plan_lines(session: Session, actor: User, *, sales_order_id: int | None = None,
               sales_order: str | None = None, state: str | None = None, supplier_id: int | None = None,
               page: int = 1, per_page: int = 50) -> Page:
    """Purchase plan lines with their supplier and the documents they serve:
    rows of (plan line, supplier, sales order number, work order number).
    `sales_order` filters by (part of) the order number, `sales_order_id` by the order."""
    stmt = (scoped(actor, "purchase_plan", select(PurchasePlanLine, Supplier, SalesOrder.number, WorkOrder.number))
            .join(Supplier, Supplier.id == PurchasePlanLine.supplier_id)
            .outerjoin(SalesOrder, SalesOrder.id == PurchasePlanLine.sales_order_id)
            .outerjoin(WorkOrder, WorkOrder.id == PurchasePlanLine.work_order_id))
    if sales_order_id is not None:
        stmt = stmt.where(PurchasePlanLine.sales_order_id == sales_order_id)
    if sales_order:
        stmt = stmt.where(SalesOrder.number.ilike(f"%{sales_order.strip()}%"))
    if state:
        stmt = stmt.where(PurchasePlanLine.state == state)
    if supplier_id is not None:
        stmt = stmt.where(PurchasePlanLine.supplier_id == supplier_id)
    stmt = stmt.order_by(PurchasePlanLine.order_by, PurchasePlanLine.id)
    page, per_page = max(1, page or 1), min(max(1, per_page or 50), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = [tuple(r) for r in session.execute(stmt.limit(per_page).offset((page - 1) * per_page))]
    return Page(rows, total, page, per_page)
