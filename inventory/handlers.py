"""Inventory's reactions to other modules' events; they run inside the caller's transaction."""

from __future__ import annotations

from core.uow import UnitOfWork
from crm.events import SalesOrderCancelled
from inventory import services


def release_order_reservations(uow: UnitOfWork, event: SalesOrderCancelled) -> None:
    """A cancelled order gives its stock back. All the balances the order's reservations
    hold (its lines' and its work orders') are locked first, in product order, so that the
    work orders' releases that production makes next need no new lock."""
    if not event.was_confirmed:
        return
    services.lock_order_stock(uow, event.order_id)
    services.release_order_line_reservations(uow, event.order_id)
