"""Work orders as supply to come, so that inventory's allocation never counts supply twice
(`docs/supply.md`, `inventory.allocation`).

A work order not finished is supply pegged to the demand it serves: the sales order line, or its
parent's component. Production reports it through the registry's `supply_sources`
(`work_order_supply`), so stock that becomes available goes to that demand only for what the work
order does not bring. Stock in hand beats supply to come: when stock is left for a demand that a work
order not yet started (planned or released) covers, the work order shrinks, or is cancelled, by as
much as is reserved instead (`give_up_work_order`). Its components then need less, and each one's
cover comes down with it (`inventory.allocation.settle_cover`: an open plan line or a child work order
not started gives way first, then reservations go back to stock and are allocated again).

A work order never shrinks below its floor (`least_qty`): what its started children, its components'
purchase order lines and its issued components already commit, so no component is ever covered beyond
its need. A started work order is never shrunk by the allocation: what it makes is on its way, and
stock that arrives meanwhile stays free for other demand.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.audit import record_note
from core.money import QUANTUM_QTY, ZERO, round_qty
from core.uow import UnitOfWork
from inventory.allocation import PeggedSupply, holder_key, pegged_supply, settle_cover
from inventory.reservations import Holder, held_by
from production.events import WorkOrdersCancelled
from production.models import NOT_STARTED, Bom, WorkOrder, WorkOrderComponent, WorkOrderState

FINISHED = (WorkOrderState.DONE.value, WorkOrderState.CANCELLED.value)


def component_holder(work_order: WorkOrder, component: WorkOrderComponent) -> Holder:
    return Holder(sales_order_id=work_order.sales_order_id, work_order_id=work_order.id,
                  work_order_component_id=component.id)


# --------------------------------------------------------------------------- what the allocation reads


def work_order_supply(session: Session, product_id: int, warehouse_id: int) -> list[PeggedSupply]:
    """The work orders of a product not finished, each as supply pegged to the demand it serves: what
    it still has to make. One not started may be given up for stock in hand (planned before released)."""
    parent_component = aliased(WorkOrderComponent)
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.qty, WorkOrder.qty_done, WorkOrder.state, WorkOrder.sales_order_line_id,
               WorkOrder.parent_work_order_id, parent_component.id)
        .outerjoin(parent_component, (parent_component.work_order_id == WorkOrder.parent_work_order_id)
                   & (parent_component.product_id == WorkOrder.product_id))
        .where(WorkOrder.product_id == product_id, WorkOrder.warehouse_id == warehouse_id,
               WorkOrder.state.not_in(FINISHED))
        .order_by(WorkOrder.id))
    found = []
    for work_order_id, qty, done, state, line_id, parent_id, component_id in rows:
        still = Decimal(qty) - Decimal(done or 0)
        if still <= 0:
            continue
        if parent_id is not None:
            if component_id is None:
                continue
            demand = holder_key(Holder(work_order_id=parent_id, work_order_component_id=component_id))
        elif line_id is not None:
            demand = holder_key(Holder(sales_order_line_id=line_id))
        else:
            continue  # made for stock: pegged to no demand
        if state in NOT_STARTED:
            found.append(PeggedSupply(
                demand, still, adjustable=still, rank=(1 if state == WorkOrderState.PLANNED else 2, -work_order_id),
                give_up=partial(give_up_work_order, work_order_id=work_order_id),
                floor=partial(least_qty, work_order_id=work_order_id)))
        else:
            found.append(PeggedSupply(demand, still))
    return found


def components_reached(session: Session, warehouse_id: int, product_ids: set[int]) -> set[int]:
    """The components of the work orders not started that make these products: the products whose
    stock shrinking those work orders may give back (their balances are locked beforehand)."""
    if not product_ids:
        return set()
    return set(session.scalars(
        select(WorkOrderComponent.product_id).distinct()
        .join(WorkOrder, WorkOrder.id == WorkOrderComponent.work_order_id)
        .where(WorkOrder.product_id.in_(sorted(product_ids)), WorkOrder.warehouse_id == warehouse_id,
               WorkOrder.state.in_([s.value for s in NOT_STARTED]))))


# --------------------------------------------------------------------------- how far a work order can shrink


def _proportions(session: Session, work_order: WorkOrder) -> dict[int, tuple[Decimal, Decimal]]:
    """Per component product: (quantity, per output quantity) as the explosion used them (the work order's
    BOM, which is never edited: a new BOM replaces it); a component its BOM does not name keeps the
    proportion it has."""
    found: dict[int, tuple[Decimal, Decimal]] = {}
    bom = session.get(Bom, work_order.bom_id) if work_order.bom_id is not None else None
    if bom is not None:
        found = {line.component_id: (Decimal(line.qty), Decimal(bom.output_qty)) for line in bom.lines}
    for component in work_order.components:
        if component.product_id not in found:
            found[component.product_id] = (component.qty_required, work_order.qty)
    return found


def _required(qty: Decimal, proportion: tuple[Decimal, Decimal]) -> Decimal:
    per, output = proportion
    return round_qty(qty * per / output)


def _units_for(committed: Decimal, proportion: tuple[Decimal, Decimal]) -> Decimal:
    """The least quantity of the work order whose component need is at least `committed`."""
    per, output = proportion
    if per <= 0:
        return ZERO
    qty = (committed * output / per).quantize(QUANTUM_QTY, rounding=ROUND_CEILING)
    while _required(qty, proportion) < committed:
        qty += QUANTUM_QTY
    while qty > 0 and _required(qty - QUANTUM_QTY, proportion) >= committed:
        qty -= QUANTUM_QTY
    return qty


def least_qty(session: Session, *, work_order_id: int) -> Decimal:
    """The least a work order can come down to: a started one, what it still has to make; one not
    started, enough that each component still needs what is committed to it (issued, or coming from a
    started child work order or a purchase order line; a child not started counts with its own floor)."""
    work_order = session.get(WorkOrder, work_order_id)
    if work_order is None or work_order.state in FINISHED:
        return ZERO
    if work_order.started:
        return work_order.qty_open
    proportions = _proportions(session, work_order)
    least = ZERO
    for component in work_order.components:
        supply = pegged_supply(session, component.product_id, work_order.warehouse_id).get(
            holder_key(component_holder(work_order, component)), ())
        committed = (component.qty_issued or ZERO) + sum((s.least(session) for s in supply), ZERO)
        if committed > 0:
            least = max(least, _units_for(committed, proportions[component.product_id]))
    return min(least, work_order.qty)


# --------------------------------------------------------------------------- giving way to stock in hand


def give_up_work_order(uow: UnitOfWork, qty: Decimal, *, work_order_id: int) -> Decimal:
    """Shrink a work order not started by up to `qty` (cancel it when nothing is left), never below its
    floor, because stock in hand now covers that much of its demand; its components need less and give
    back what covered them beyond that. Returns what it gave up. A work order another transaction holds
    (being released, started or completed right now) is left alone: nothing is given up."""
    session = uow.session
    work_order = session.scalars(
        select(WorkOrder).where(WorkOrder.id == work_order_id)
        .with_for_update(skip_locked=True, of=WorkOrder.__table__)
        .execution_options(populate_existing=True)).first()
    if work_order is None or work_order.started or qty <= 0:
        return ZERO
    take = min(qty, work_order.qty - least_qty(session, work_order_id=work_order.id))
    if take <= 0:
        return ZERO
    proportions = _proportions(session, work_order)
    before, left = work_order.qty, work_order.qty - take
    if left > 0:
        work_order.qty = left
        record_note(session, work_order, f"Reduced from {before} to {left}: stock in hand covers the rest of "
                                         f"its demand.")
    else:
        work_order.cancel()
        record_note(session, work_order, "Cancelled: stock in hand covers its demand.")
    for component in sorted(work_order.components, key=lambda c: c.product_id):
        need = _required(left, proportions[component.product_id]) if left > 0 else ZERO
        if left > 0:
            component.qty_required = need
        holder = component_holder(work_order, component)
        settle_cover(uow, holder, product_id=component.product_id, warehouse_id=work_order.warehouse_id,
                     need=need - (component.qty_issued or ZERO))
        component.qty_reserved = sum((r.qty for r in held_by(uow, holder, product_id=component.product_id,
                                                             warehouse_id=work_order.warehouse_id)), ZERO)
    if left <= 0:
        uow.publish(WorkOrdersCancelled(work_order_ids=(work_order.id,)))
    return take
