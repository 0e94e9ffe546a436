"""Production's reactions to other modules' events; they run inside the caller's transaction."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from core.money import ZERO
from core.uow import UnitOfWork
from crm.events import SalesOrderCancelled, SalesOrderConfirmed
from inventory import services as inventory
from production import planning
from production.events import WorkOrdersCancelled
from production.models import WorkOrder


def plan_order(uow: UnitOfWork, event: SalesOrderConfirmed) -> None:
    """Reserve stock for a confirmed order and plan work orders for what must be made."""
    planning.explode_order(uow, event)


def cancel_order_work_orders(uow: UnitOfWork, event: SalesOrderCancelled) -> None:
    """Cancel the order's work orders that have not started, walking down from those pegged to
    its lines; a started work order keeps its children (it still needs them)."""
    if not event.was_confirmed:
        return
    orders = list(uow.session.scalars(select(WorkOrder).where(WorkOrder.sales_order_id == event.order_id)
                                      .order_by(WorkOrder.id)))
    children: dict[int | None, list[WorkOrder]] = defaultdict(list)
    for work_order in orders:
        children[work_order.parent_work_order_id].append(work_order)
    cancelled: list[int] = []
    stack = list(reversed(children[None]))
    while stack:
        work_order = stack.pop()
        if work_order.started:
            continue
        work_order.cancel()
        cancelled.append(work_order.id)
        stack.extend(reversed(children[work_order.id]))
    if cancelled:
        inventory.release_work_order_reservations(uow, cancelled)
        gone = set(cancelled)
        for work_order in orders:
            if work_order.id in gone:
                for component in work_order.components:
                    component.qty_reserved = ZERO
        uow.publish(WorkOrdersCancelled(work_order_ids=tuple(cancelled)))
