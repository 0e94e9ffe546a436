"""Purchasing services: the only code that changes purchase plans."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from core.errors import DomainError
from core.models import Product
from core.uow import UnitOfWork
from production.events import PurchaseNeed
from purchasing.models import PlanState, PurchasePlanLine


def plan_purchases(uow: UnitOfWork, needs: Iterable[PurchaseNeed]) -> list[PurchasePlanLine]:
    """One open plan line per need, from the product's default supplier, to be ordered
    `lead_time_days` before it is needed. A product without a default supplier cannot be
    planned, and the whole act that raised the need is refused."""
    needs = list(needs)
    session = uow.session
    wanted = {need.product_id for need in needs}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))} if wanted else {}
    missing = sorted(p.sku for p in products.values() if p.default_supplier_id is None)
    if missing:
        raise DomainError(f"No default supplier for {', '.join(missing)}: the shortage cannot be planned.",
                          code="no_default_supplier", details={"products": missing})
    plans = []
    for need in needs:
        product = products[need.product_id]
        plans.append(PurchasePlanLine(
            product_id=product.id, product=product, warehouse_id=need.warehouse_id,
            supplier_id=product.default_supplier_id, qty=need.qty, need_by=need.need_by,
            order_by=need.need_by - timedelta(days=product.lead_time_days or 0), state=PlanState.OPEN.value,
            sales_order_id=need.sales_order_id, sales_order_line_id=need.sales_order_line_id,
            work_order_id=need.work_order_id, work_order_component_id=need.work_order_component_id))
    session.add_all(plans)
    return plans


def cancel_plans(uow: UnitOfWork, *, sales_order_id: int | None = None,
                 work_order_ids: Iterable[int] = ()) -> list[PurchasePlanLine]:
    """Cancel the open plan lines of an order's lines, or of some work orders."""
    stmt = select(PurchasePlanLine).where(PurchasePlanLine.state == PlanState.OPEN)
    ids = sorted(set(work_order_ids))
    if sales_order_id is not None:
        stmt = stmt.where(PurchasePlanLine.sales_order_id == sales_order_id,
                          PurchasePlanLine.work_order_id.is_(None))
    elif ids:
        stmt = stmt.where(PurchasePlanLine.work_order_id.in_(ids))
    else:
        return []
    plans = list(uow.session.scalars(stmt))
    for plan in plans:
        plan.cancel()
    return plans
