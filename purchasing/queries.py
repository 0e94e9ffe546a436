"""Read-only helpers for purchase plans, purchase orders, supplier prices and the supply dates
of sales order lines (web UI, API and reports)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Supplier, User
from core.queries import MAX_PER_PAGE, Page, paginate, search
from core.registry import permissions_of
from crm.orders.models import SalesOrder
from production.execution import work_order_due_dates
from production.models import WorkOrder
from purchasing.models import PlanState, PurchaseOrder, PurchaseOrderLine, PurchasePlanLine, SupplierPrice


def plan_lines(session: Session, actor: User, *, sales_order_id: int | None = None,
               sales_order: str | None = None, state: str | None = None, supplier_id: int | None = None,
               page: int = 1, per_page: int = 50) -> Page:
    """Purchase plan lines with their supplier and the documents they serve:
    rows of (plan line, supplier, sales order number, work order number).
    `sales_order` filters by (part of) the order number, `sales_order_id` by the order."""
    stmt = (permissions_of(session).scoped(actor, "purchase_plan", select(PurchasePlanLine, Supplier, SalesOrder.number, WorkOrder.number))
            .join(Supplier, Supplier.id == PurchasePlanLine.supplier_id)
            .outerjoin(SalesOrder, SalesOrder.id == PurchasePlanLine.sales_order_id)
            .outerjoin(WorkOrder, WorkOrder.id == PurchasePlanLine.work_order_id))
    if sales_order_id is not None:
        stmt = stmt.where(PurchasePlanLine.sales_order_id == sales_order_id)
    if (found := search(sales_order, SalesOrder.number)) is not None:
        stmt = stmt.where(found)
    if state:
        stmt = stmt.where(PurchasePlanLine.state == state)
    if supplier_id is not None:
        stmt = stmt.where(PurchasePlanLine.supplier_id == supplier_id)
    stmt = stmt.order_by(PurchasePlanLine.order_by, PurchasePlanLine.id)
    page, per_page = max(1, page or 1), min(max(1, per_page or 50), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = [tuple(r) for r in session.execute(stmt.limit(per_page).offset((page - 1) * per_page))]
    return Page(rows, total, page, per_page)


# --------------------------------------------------------------------------- purchase orders and order progress


def purchase_orders(session: Session, actor: User, *, supplier_id: int | None = None, state: str | None = None,
                    page: int = 1, per_page: int = 25) -> Page:
    """Purchase orders, newest first, filtered by supplier and state."""
    stmt = permissions_of(session).scoped(actor, "purchase_order", select(PurchaseOrder))
    if supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    if state:
        stmt = stmt.where(PurchaseOrder.state == state)
    return paginate(session, stmt.order_by(PurchaseOrder.id.desc()), page, per_page)


def supplier_prices(session: Session, actor: User, *, supplier_id: int | None = None,
                    product_id: int | None = None, page: int = 1, per_page: int = 25) -> Page:
    stmt = permissions_of(session).scoped(actor, "supplier_price", select(SupplierPrice))
    if supplier_id is not None:
        stmt = stmt.where(SupplierPrice.supplier_id == supplier_id)
    if product_id is not None:
        stmt = stmt.where(SupplierPrice.product_id == product_id)
    return paginate(session, stmt.order_by(SupplierPrice.product_id, SupplierPrice.supplier_id), page, per_page)


def expected_dates(session: Session, sales_order_line_ids: list[int]) -> dict[int, date]:
    """When what a sales order line still lacks is expected, from the supply pegged to it: the due
    date of its open work order, the expected date of the purchase order line that buys for it (or,
    not ordered yet, the plan's need-by date). The latest of them, per line."""
    found: dict[int, date] = dict(work_order_due_dates(session, sales_order_line_ids))
    if not sales_order_line_ids:
        return found
    rows = session.execute(
        select(PurchasePlanLine.sales_order_line_id, PurchasePlanLine.need_by, PurchaseOrderLine.expected_date)
        .outerjoin(PurchaseOrderLine, PurchaseOrderLine.id == PurchasePlanLine.purchase_order_line_id)
        .where(PurchasePlanLine.sales_order_line_id.in_(sales_order_line_ids),
               PurchasePlanLine.work_order_id.is_(None),
               PurchasePlanLine.state.in_([PlanState.OPEN.value, PlanState.ORDERED.value])))
    for line_id, need_by, expected in rows:
        when = expected or need_by
        if line_id not in found or when > found[line_id]:
            found[line_id] = when
    return found
