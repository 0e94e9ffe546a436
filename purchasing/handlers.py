"""Purchasing's reactions to other modules' events; they run inside the caller's transaction."""

from __future__ import annotations

from core.uow import UnitOfWork
from crm.events import SalesOrderCancelled
from production.events import MaterialShortagesFound, WorkOrdersCancelled
from purchasing import services


def plan_material_shortages(uow: UnitOfWork, event: MaterialShortagesFound) -> None:
    services.plan_purchases(uow, event.needs)


def cancel_order_plans(uow: UnitOfWork, event: SalesOrderCancelled) -> None:
    if event.was_confirmed:
        services.cancel_plans(uow, sales_order_id=event.order_id)


def cancel_work_order_plans(uow: UnitOfWork, event: WorkOrdersCancelled) -> None:
    services.cancel_plans(uow, work_order_ids=event.work_order_ids)
