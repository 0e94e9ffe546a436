"""The locking and reservation primitives of inventory, shared by its services and its allocation.

Locking: every function that changes balances first locks the balance rows it needs in one statement
ordered by product id (`SELECT ... FOR UPDATE`), so that parallel transactions queue on the rows in the
same order and can never deadlock; a caller that will touch several products (the order explosion)
locks all of them up front with `lock_balances`. A reservation takes what is available on a locked
row for one `Holder` (a sales order line or a work order's component); `release_held` gives part of
what one holder holds back (a work order that shrank needs fewer components, `docs/supply.md`).

Both `inventory.services` (receipts, releases, adjustments) and `inventory.allocation` (who gets the
stock that became available) build on these, so neither needs the other's internals: services may call
allocation, and allocation imports only this module. No commit here: callers run in their own unit of
work."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.db import utcnow
from core.money import ZERO
from core.uow import UnitOfWork
from crm.orders import services as crm_services
from inventory.models import Reservation, ReservationState, StockBalance

# --------------------------------------------------------------------------- locks


def lock_balances(uow: UnitOfWork, warehouse_id: int, product_ids: Iterable[int]) -> dict[int, StockBalance]:
    """Lock the existing balance rows of these products in one warehouse, in product id order.
    A product without a balance row has nothing to reserve and needs no lock."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    stmt = (select(StockBalance)
            .where(StockBalance.warehouse_id == warehouse_id, StockBalance.product_id.in_(ids))
            .order_by(StockBalance.product_id)
            .with_for_update()
            .execution_options(populate_existing=True))
    return {balance.product_id: balance for balance in uow.session.scalars(stmt)}


# --------------------------------------------------------------------------- reservations


@dataclass(frozen=True)
class Holder:
    """Who holds a reservation: a sales order line, or a work order's component."""

    sales_order_id: int | None = None
    sales_order_line_id: int | None = None
    work_order_id: int | None = None
    work_order_component_id: int | None = None


def reserve_available(uow: UnitOfWork, balances: dict[int, StockBalance], *, product_id: int,
                      warehouse_id: int, qty: Decimal, holder: Holder) -> Decimal:
    """Reserve up to `qty` of what is available on the (already locked) balance row.
    Returns what was reserved; the rest is the caller's shortfall to plan."""
    balance = balances.get(product_id)
    if balance is None or qty <= 0:
        return ZERO
    if balance.warehouse_id != warehouse_id:
        raise ValueError("balance of another warehouse")
    take = min(qty, max(balance.available, ZERO))
    if take <= 0:
        return ZERO
    balance.reserved += take
    uow.session.add(Reservation(
        product_id=product_id, warehouse_id=warehouse_id, qty=take, state=ReservationState.ACTIVE.value,
        sales_order_id=holder.sales_order_id, sales_order_line_id=holder.sales_order_line_id,
        work_order_id=holder.work_order_id, work_order_component_id=holder.work_order_component_id))
    if holder.sales_order_line_id is not None and holder.work_order_id is None:
        crm_services.note_lines_reserved(uow, {holder.sales_order_line_id: take})
    return take


def held_by(uow: UnitOfWork, holder: Holder, *, product_id: int, warehouse_id: int) -> list[Reservation]:
    """The active reservations of one demand on one product, oldest first."""
    if holder.work_order_component_id is not None:
        whose = Reservation.work_order_component_id == holder.work_order_component_id
    else:
        whose = (Reservation.sales_order_line_id == holder.sales_order_line_id) & Reservation.work_order_id.is_(None)
    return list(uow.session.scalars(
        select(Reservation).where(whose, Reservation.product_id == product_id, Reservation.warehouse_id == warehouse_id,
                                  Reservation.state == ReservationState.ACTIVE).order_by(Reservation.id)))


def end_reservations(uow: UnitOfWork, reservations: Iterable[Reservation], qty: Decimal,
                     end: Callable[[Reservation], None]) -> Decimal:
    """End `reservations`, in the order given, until `qty` is covered (`end` releases or consumes one);
    the last one is split when only part of it goes, and the part kept stays an active reservation of the
    same holder. Returns the quantity ended (less than `qty` when they hold less)."""
    left = qty
    for reservation in reservations:
        if left <= 0:
            break
        end(reservation)
        if reservation.qty > left:
            uow.session.add(Reservation(
                product_id=reservation.product_id, warehouse_id=reservation.warehouse_id,
                qty=reservation.qty - left, state=ReservationState.ACTIVE.value,
                sales_order_id=reservation.sales_order_id, sales_order_line_id=reservation.sales_order_line_id,
                work_order_id=reservation.work_order_id, work_order_component_id=reservation.work_order_component_id))
        left -= min(left, reservation.qty)
    return qty - left


def release_held(uow: UnitOfWork, balances: dict[int, StockBalance], *, holder: Holder, product_id: int,
                 warehouse_id: int, qty: Decimal) -> Decimal:
    """Give back up to `qty` of what one demand holds of a product, on the (already locked) balance row:
    its newest reservations first, the last one split when only part of it goes (the part kept stays an
    active reservation). Returns what was released; handing the freed stock on is the caller's."""
    balance = balances.get(product_id)
    if balance is None or qty <= 0:
        return ZERO
    now = utcnow()
    released = end_reservations(uow, reversed(held_by(uow, holder, product_id=product_id, warehouse_id=warehouse_id)),
                                qty, lambda reservation: reservation.release(at=now))
    balance.reserved -= released
    if released > 0 and holder.sales_order_line_id is not None and holder.work_order_id is None:
        crm_services.note_lines_reserved(uow, {holder.sales_order_line_id: -released})
    return released
