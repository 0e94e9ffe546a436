"""Work order execution: release, start (issue the reserved components to work in progress),
complete (finished goods into stock, reserved for the demand the work order is pegged to).

Production also tells inventory's allocation routine about the demand it holds: work order
components that still lack stock (`component_demand`), and keeps each component's reserved
quantity in step when inventory allocates to it (`sync_component_reservations`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import record_note
from core.errors import DomainError, Forbidden
from core.forms import load_input
from core.money import ZERO
from core.uow import UnitOfWork
from inventory import services as inventory
from inventory.allocation import WaitingDemand, allocate, lock_for_allocation
from inventory.events import StockAllocated
from inventory.models import MoveKind, Reservation, ReservationState
from inventory.reservations import Holder
from production.events import WorkOrdersCancelled
from production.models import NOT_STARTED, WorkOrder, WorkOrderComponent, WorkOrderState
from production.schemas import CompleteWorkOrderSchema

#: The role-matrix resource whose `update` right lets a user release a work order whose
#: components are not all reserved (the production manager's override).
OVERRIDE = "work_order_override"


def _work_order(uow: UnitOfWork, work_order_id: int) -> WorkOrder:
    uow.authorize("update", "work_order")
    return uow.get(WorkOrder, work_order_id, "work order", for_update=True)


def _missing(work_order: WorkOrder) -> dict[str, str]:
    return {str(c.product_id): str(c.shortfall) for c in work_order.components if c.shortfall > 0}


def release_work_order(uow: UnitOfWork, work_order_id: int, *, override_reason: str | None = None) -> WorkOrder:
    """Release a planned work order to the shop floor. Every component must be reserved, unless a
    manager overrides with a reason (recorded on the work order and in the audit log)."""
    work_order = _work_order(uow, work_order_id)
    reason = (override_reason or "").strip()
    if not work_order.components_reserved:
        if not reason:
            raise DomainError(f"Work order {work_order.number} cannot be released: not every component is "
                              f"reserved.", code="components_not_reserved",
                              details={"missing": _missing(work_order)})
        if not uow.can("update", OVERRIDE):
            raise Forbidden("Only a production manager (admin) may release a work order whose components "
                            "are not all reserved.")
    work_order.release()
    if not work_order.components_reserved:
        work_order.release_override = reason[:200]
        record_note(uow.session, work_order, f"Released without every component reserved: {reason}")
    uow.commit()
    return work_order


def start_work_order(uow: UnitOfWork, work_order_id: int) -> WorkOrder:
    """Start a released work order: its reserved components are issued (moved out of stock into
    work in progress, at their running average cost). Components not all reserved: 409."""
    work_order = _work_order(uow, work_order_id)
    if work_order.state == WorkOrderState.RELEASED and not work_order.components_reserved:
        raise DomainError(f"Work order {work_order.number} cannot start: not every component is reserved.",
                          code="components_not_reserved", details={"missing": _missing(work_order)})
    work_order.start()
    cost = ZERO
    for component in sorted(work_order.components, key=lambda c: c.product_id):
        qty = component.qty_required - component.qty_issued
        if qty <= 0:
            continue
        move = inventory.consume_reserved(
            uow, product_id=component.product_id, warehouse_id=work_order.warehouse_id, qty=qty,
            kind=MoveKind.ISSUE, work_order_component_id=component.id, reference=work_order.number)
        component.qty_issued += qty
        component.qty_reserved = max((component.qty_reserved or ZERO) - qty, ZERO)
        cost += qty * (move.unit_cost or ZERO)
    work_order.material_cost = (work_order.material_cost or ZERO) + cost
    uow.commit()
    return work_order


def complete_work_order(uow: UnitOfWork, work_order_id: int, *, qty: Decimal) -> WorkOrder:
    """Put `qty` finished goods into stock (partial completions allowed; the last one closes the work
    order) at the rolled-up component cost, and reserve them for the demand the work order is
    pegged to: the parent work order's component, or the sales order line. More than the work
    order still has to make is refused (409 `over_completion`).

    `qty` goes through `CompleteWorkOrderSchema` here as well as in the page and the API: a
    quantity that is not positive would take finished goods out of the ledger, so no caller (a
    benchmark, a script) may skip the schema's rule."""
    qty = load_input(CompleteWorkOrderSchema, {"qty": qty})["qty"]
    work_order = _work_order(uow, work_order_id)
    if work_order.state != WorkOrderState.IN_PROGRESS:
        raise DomainError(f"Work order {work_order.number} is {work_order.state}; only a started work order "
                          f"can be completed.", code="invalid_transition",
                          details={"from": str(work_order.state), "to": "done"})
    if qty > work_order.qty_open:
        raise DomainError(f"Work order {work_order.number} has {work_order.qty_open} left to make; "
                          f"{qty} cannot be completed.", code="over_completion",
                          fields={"qty": [f"At most {work_order.qty_open}."]},
                          details={"qty_open": str(work_order.qty_open)})
    unit_cost = unit_cost_of(work_order)
    lock_for_allocation(uow, work_order.warehouse_id, [work_order.product_id])  # before the balance it moves
    inventory.post_move(uow, product_id=work_order.product_id, warehouse_id=work_order.warehouse_id, qty=qty,
                        kind=MoveKind.PRODUCTION, reference=work_order.number, unit_cost=unit_cost)
    work_order.qty_done = (work_order.qty_done or ZERO) + qty
    if work_order.qty_open <= 0:
        work_order.complete()
    allocate(uow, product_id=work_order.product_id, warehouse_id=work_order.warehouse_id,
             pegged=[pegged_holder(uow.session, work_order)])
    uow.commit()
    return work_order


def cancel_work_order(uow: UnitOfWork, work_order_id: int) -> WorkOrder:
    """Cancel a work order that has not started: its locks are released (and the stock allocated to
    other waiting demand) and its purchase plans cancelled. A started work order: 409."""
    work_order = _work_order(uow, work_order_id)
    work_order.cancel()
    inventory.release_work_order_reservations(uow, [work_order.id])
    for component in work_order.components:
        component.qty_reserved = ZERO
    uow.publish(WorkOrdersCancelled(work_order_ids=(work_order.id,)))
    uow.commit()
    return work_order


def unit_cost_of(work_order: WorkOrder) -> Decimal:
    """The rolled-up cost of one finished unit: the components issued over the quantity to make;
    the product's standard cost when nothing with a cost was issued."""
    if work_order.material_cost and work_order.material_cost > 0:
        return (work_order.material_cost / work_order.qty).quantize(Decimal("0.0001"))
    return work_order.product.standard_cost


def pegged_holder(session: Session, work_order: WorkOrder) -> Holder:
    """The demand a work order's output serves: its parent's component, or its sales order line."""
    if work_order.parent_work_order_id is not None:
        component_id = session.scalar(select(WorkOrderComponent.id).where(
            WorkOrderComponent.work_order_id == work_order.parent_work_order_id,
            WorkOrderComponent.product_id == work_order.product_id))
        return Holder(sales_order_id=work_order.sales_order_id,
                      work_order_id=work_order.parent_work_order_id,
                      work_order_component_id=component_id)
    return Holder(sales_order_id=work_order.sales_order_id,
                  sales_order_line_id=work_order.sales_order_line_id)


# --------------------------------------------------------------------------- demand held by production


def _reserved_by_component():
    return (select(Reservation.work_order_component_id.label("component_id"),
                   func.sum(Reservation.qty).label("qty"))
            .where(Reservation.state == ReservationState.ACTIVE, Reservation.work_order_component_id.is_not(None))
            .group_by(Reservation.work_order_component_id).subquery())


def component_demand(session: Session, product_id: int, warehouse_id: int) -> list[WaitingDemand]:
    """Components of work orders not yet started that still lack stock (required minus what their
    active reservations hold minus what was issued), needed by the work order's start date."""
    held = _reserved_by_component()
    rows = session.execute(
        select(WorkOrderComponent.id, WorkOrderComponent.qty_required, WorkOrderComponent.qty_issued,
               func.coalesce(held.c.qty, 0), WorkOrder.id, WorkOrder.sales_order_id, WorkOrder.start_date)
        .join(WorkOrder, WorkOrder.id == WorkOrderComponent.work_order_id)
        .outerjoin(held, held.c.component_id == WorkOrderComponent.id)
        .where(WorkOrderComponent.product_id == product_id, WorkOrder.warehouse_id == warehouse_id,
               WorkOrder.state.in_([s.value for s in NOT_STARTED])))
    found = []
    for component_id, required, issued, reserved, wo_id, order_id, start in rows:
        lack = Decimal(required) - Decimal(issued or 0) - Decimal(reserved or 0)
        if lack > 0:
            found.append(WaitingDemand(Holder(sales_order_id=order_id, work_order_id=wo_id,
                                              work_order_component_id=component_id), lack, start))
    return found


def sync_component_reservations(uow: UnitOfWork, event: StockAllocated) -> None:
    """Inventory reserved stock for some components: their reserved quantity follows the locks."""
    ids = sorted(set(event.work_order_component_ids))
    held = dict(uow.session.execute(
        select(Reservation.work_order_component_id, func.sum(Reservation.qty))
        .where(Reservation.work_order_component_id.in_(ids), Reservation.state == ReservationState.ACTIVE)
        .group_by(Reservation.work_order_component_id)).all())
    for component in uow.session.scalars(select(WorkOrderComponent).where(WorkOrderComponent.id.in_(ids))):
        component.qty_reserved = Decimal(held.get(component.id) or 0)


def work_order_due_dates(session: Session, sales_order_line_ids: list[int]) -> dict[int, date]:
    """The due date of the open work orders pegged to sales order lines (the latest per line)."""
    if not sales_order_line_ids:
        return {}
    rows = session.execute(
        select(WorkOrder.sales_order_line_id, func.max(WorkOrder.due_date))
        .where(WorkOrder.sales_order_line_id.in_(sales_order_line_ids), WorkOrder.parent_work_order_id.is_(None),
               WorkOrder.state.not_in([WorkOrderState.DONE.value, WorkOrderState.CANCELLED.value]))
        .group_by(WorkOrder.sales_order_line_id))
    return {line_id: due for line_id, due in rows}
