"""Purchase plan lines as supply to come, so that inventory's allocation never counts supply twice
(`docs/supply.md`, `inventory.allocation`).

A plan line is pegged to one demand: a sales order line or a work order's component. Purchasing reports
it through the registry's `supply_sources` (`plan_supply`): an open line in full, an ordered line for
what its purchase order line has not yet brought in for it. Stock in hand beats supply to come: when
stock is left for a demand that an open plan line covers, the line shrinks, or is cancelled, by as much
as is reserved instead (`give_up_plan`). A plan line on a purchase order (draft or sent) is never
changed by the allocation: the buyer has grouped it with others, raised it to the supplier's minimum
and perhaps sent it; cancelling the purchase order reopens its plan lines, which then give way again.

Receipts go to the plan lines of the received order line whose demand is still open (an order not
cancelled, a work order not finished or cancelled), in need-by order, up to each plan's quantity
(`receive_into_plans`); what is left over (a supplier's minimum, a cancelled demand) is free stock for
any waiting demand.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.money import ZERO
from core.uow import UnitOfWork
from crm.orders.models import OPEN_STATES, SalesOrder
from inventory.allocation import PeggedSupply, holder_key
from inventory.reservations import Holder
from production.models import WorkOrder, WorkOrderState
from purchasing.models import PlanState, PurchaseOrderLine, PurchasePlanLine


def plan_holder(plan: PurchasePlanLine) -> Holder:
    """The demand a plan line is pegged to, as inventory names holders."""
    return Holder(sales_order_id=plan.sales_order_id, sales_order_line_id=plan.sales_order_line_id,
                  work_order_id=plan.work_order_id, work_order_component_id=plan.work_order_component_id)


def plan_supply(session: Session, product_id: int, warehouse_id: int) -> list[PeggedSupply]:
    """The plan lines of a product not yet received, each as supply pegged to its demand: an open line
    (which may be given up for stock in hand) in full, an ordered one for what is still to arrive."""
    rows = session.execute(
        select(PurchasePlanLine.id, PurchasePlanLine.qty, PurchasePlanLine.qty_received, PurchasePlanLine.state,
               PurchasePlanLine.sales_order_line_id, PurchasePlanLine.work_order_component_id)
        .where(PurchasePlanLine.product_id == product_id, PurchasePlanLine.warehouse_id == warehouse_id,
               PurchasePlanLine.state.in_([PlanState.OPEN.value, PlanState.ORDERED.value]))
        .order_by(PurchasePlanLine.id))
    found = []
    for plan_id, qty, received, state, line_id, component_id in rows:
        if component_id is None and line_id is None:
            continue
        demand = holder_key(Holder(sales_order_line_id=line_id, work_order_component_id=component_id))
        if state == PlanState.OPEN:
            found.append(PeggedSupply(demand, Decimal(qty), adjustable=Decimal(qty), rank=(0, -plan_id),
                                      give_up=partial(give_up_plan, plan_id=plan_id)))
        else:
            still = Decimal(qty) - Decimal(received or 0)
            if still > 0:
                found.append(PeggedSupply(demand, still))
    return found


def give_up_plan(uow: UnitOfWork, qty: Decimal, *, plan_id: int) -> Decimal:
    """Shrink an open plan line by up to `qty` (cancel it when nothing is left): stock in hand now covers
    that much of its demand. Returns what it gave up; a line no longer open, or one another transaction
    holds (being put on a purchase order right now), gives up nothing."""
    plan = uow.session.scalars(
        select(PurchasePlanLine).where(PurchasePlanLine.id == plan_id)
        .with_for_update(skip_locked=True, of=PurchasePlanLine.__table__)
        .execution_options(populate_existing=True)).first()
    if plan is None or plan.state != PlanState.OPEN or qty <= 0:
        return ZERO
    take = min(qty, plan.qty)
    if take >= plan.qty:
        plan.cancel()
    else:
        plan.qty -= take
    return take


def _live(session: Session, plans: list[PurchasePlanLine]) -> set[int]:
    """The plans whose demand is still open: a line of an order not cancelled (nor done), a component of
    a work order not finished or cancelled."""
    orders = {p.sales_order_id for p in plans if p.work_order_component_id is None and p.sales_order_id is not None}
    work_orders = {p.work_order_id for p in plans if p.work_order_component_id is not None}
    open_orders = set(session.scalars(select(SalesOrder.id).where(
        SalesOrder.id.in_(orders), SalesOrder.state.in_([s.value for s in OPEN_STATES])))) if orders else set()
    open_work_orders = set(session.scalars(select(WorkOrder.id).where(
        WorkOrder.id.in_(work_orders),
        WorkOrder.state.not_in([WorkOrderState.DONE.value, WorkOrderState.CANCELLED.value])))) if work_orders else set()
    return {p.id for p in plans
            if (p.work_order_id in open_work_orders if p.work_order_component_id is not None
                else p.sales_order_id in open_orders)}


def receive_into_plans(session: Session, line: PurchaseOrderLine, qty: Decimal) -> list[Holder]:
    """A receipt of `qty` on a purchase order line: it goes to the line's plans whose demand is still
    open, in need-by order, up to what each still awaits. Returns their demand, in that order, for the
    allocation to serve first; what no plan takes is free stock."""
    plans = list(session.scalars(
        select(PurchasePlanLine).where(PurchasePlanLine.purchase_order_line_id == line.id,
                                       PurchasePlanLine.state == PlanState.ORDERED)
        .order_by(PurchasePlanLine.need_by, PurchasePlanLine.id)))
    live, left, pegged = _live(session, plans), qty, []
    for plan in plans:
        if left <= 0:
            break
        take = min(plan.qty - (plan.qty_received or ZERO), left) if plan.id in live else ZERO
        if take > 0:
            plan.qty_received = (plan.qty_received or ZERO) + take
            left -= take
            pegged.append(plan_holder(plan))
    return pegged
