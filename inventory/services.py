"""Inventory services: the only code that changes moves, balances and reservations.

Locking and reserving go through `inventory.reservations` (balance rows locked in product id order,
so parallel transactions never deadlock); stock that becomes available (a receipt, a released lock, a
positive adjustment) is handed to `inventory.allocation`, which builds on the same primitives. Since
allocating may shrink work orders and give back their components' stock, an act that puts stock in
first locks every balance that may touch (`lock_for_allocation`), in product order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import DomainError, InvalidInput
from core.models import Product, ProductKind, Warehouse
from core.money import ZERO
from core.uow import UnitOfWork
from crm.orders import services as crm_services
from inventory.allocation import allocate, allocate_freed, lock_for_allocation
from inventory.events import StockMoved
from inventory.models import MoveKind, Reservation, ReservationState, StockBalance, StockMove
from inventory.reservations import Holder, end_reservations, held_by, lock_balances


def _authorize(uow: UnitOfWork, action: str, resource: str) -> None:
    uow.authorize(action, resource)


def default_warehouse_id(session: Session) -> int:
    found = session.scalar(select(Warehouse.id).where(Warehouse.is_default.is_(True)).order_by(Warehouse.id))
    if found is None:
        raise DomainError("There is no default warehouse.", code="no_default_warehouse")
    return found


# --------------------------------------------------------------------------- locks


def _balance_for_update(uow: UnitOfWork, product_id: int, warehouse_id: int) -> StockBalance:
    """The locked balance row of one product, created first when it does not exist yet."""
    session = uow.session
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = StockBalance.__table__
    session.execute(insert(table).values(product_id=product_id, warehouse_id=warehouse_id, on_hand=ZERO,
                                         reserved=ZERO).on_conflict_do_nothing(
        index_elements=[table.c.product_id, table.c.warehouse_id]))
    return lock_balances(uow, warehouse_id, [product_id])[product_id]


# --------------------------------------------------------------------------- reservations


def _release(uow: UnitOfWork, reservations: list[Reservation]) -> list[Reservation]:
    if not reservations:
        return []
    by_warehouse: dict[int, set[int]] = defaultdict(set)
    for reservation in reservations:
        by_warehouse[reservation.warehouse_id].add(reservation.product_id)
    balances: dict[tuple[int, int], StockBalance] = {}
    for warehouse_id in sorted(by_warehouse):  # the freed stock is allocated next: lock what that may touch
        for product_id, balance in lock_for_allocation(uow, warehouse_id, by_warehouse[warehouse_id]).items():
            balances[(product_id, warehouse_id)] = balance
    now = utcnow()
    line_changes: dict[int, Decimal] = defaultdict(Decimal)
    for reservation in reservations:
        reservation.release(at=now)
        balances[(reservation.product_id, reservation.warehouse_id)].reserved -= reservation.qty
        if reservation.sales_order_line_id is not None and reservation.work_order_id is None:
            line_changes[reservation.sales_order_line_id] -= reservation.qty
    crm_services.note_lines_reserved(uow, dict(line_changes))
    return reservations


def lock_order_stock(uow: UnitOfWork, sales_order_id: int) -> None:
    """Lock, in product order and in one go, every balance that an order's active reservations
    hold (its lines' and its work orders') and that allocating their freed stock may touch, before a
    cancellation releases them in steps."""
    rows = uow.session.execute(
        select(Reservation.warehouse_id, Reservation.product_id).distinct()
        .where(Reservation.sales_order_id == sales_order_id, Reservation.state == ReservationState.ACTIVE))
    by_warehouse: dict[int, set[int]] = defaultdict(set)
    for warehouse_id, product_id in rows:
        by_warehouse[warehouse_id].add(product_id)
    for warehouse_id in sorted(by_warehouse):
        lock_for_allocation(uow, warehouse_id, by_warehouse[warehouse_id])


def release_order_line_reservations(uow: UnitOfWork, sales_order_id: int) -> list[Reservation]:
    """Release the reservations that an order's lines hold (not those of its work orders)."""
    found = list(uow.session.scalars(
        select(Reservation).where(Reservation.sales_order_id == sales_order_id,
                                  Reservation.work_order_id.is_(None),
                                  Reservation.state == ReservationState.ACTIVE)
        .order_by(Reservation.product_id, Reservation.id)))
    return _release_and_allocate(uow, found)


def _release_and_allocate(uow: UnitOfWork, reservations: list[Reservation]) -> list[Reservation]:
    """Release locks, then hand the freed stock to the demand still waiting for it."""
    released = _release(uow, reservations)
    if released:
        allocate_freed(uow, [(r.product_id, r.warehouse_id) for r in released])
    return released


def release_work_order_reservations(uow: UnitOfWork, work_order_ids: Iterable[int]) -> list[Reservation]:
    ids = sorted(set(work_order_ids))
    if not ids:
        return []
    found = list(uow.session.scalars(
        select(Reservation).where(Reservation.work_order_id.in_(ids),
                                  Reservation.state == ReservationState.ACTIVE)
        .order_by(Reservation.product_id, Reservation.id)))
    return _release_and_allocate(uow, found)


def consume_reserved(uow: UnitOfWork, *, product_id: int, warehouse_id: int, qty: Decimal, kind: MoveKind,
                     sales_order_line_id: int | None = None, work_order_component_id: int | None = None,
                     reference: str | None = None, reason: str | None = None) -> StockMove:
    """Take `qty` of the stock a demand holds out of the warehouse: its reservations (oldest first)
    are consumed (the last one split when only part of it goes) and a move out is posted at the
    running average cost. More than the demand holds is refused (409 `not_reserved`)."""
    holder = Holder(sales_order_line_id=sales_order_line_id, work_order_component_id=work_order_component_id)
    balance = _balance_for_update(uow, product_id, warehouse_id)
    held = held_by(uow, holder, product_id=product_id, warehouse_id=warehouse_id)
    total = sum((r.qty for r in held), ZERO)
    if qty > total:
        raise DomainError(f"Only {total} is reserved; {qty} cannot be taken out.", code="not_reserved",
                          details={"product_id": product_id, "reserved": str(total), "qty": str(qty)})
    now = utcnow()
    end_reservations(uow, held, qty, lambda reservation: reservation.consume(at=now))
    balance.reserved -= qty
    if work_order_component_id is None and sales_order_line_id is not None:
        crm_services.note_lines_reserved(uow, {sales_order_line_id: -qty})
    move, _balance = post_move(uow, product_id=product_id, warehouse_id=warehouse_id, qty=-qty, kind=kind,
                               reference=reference, reason=reason)
    return move


# --------------------------------------------------------------------------- moves


def average_cost(session: Session, product_id: int, warehouse_id: int) -> Decimal:
    """The running average unit cost of what came in (moves in with a cost), else the standard cost."""
    qty, value = session.execute(
        select(func.sum(StockMove.qty), func.sum(StockMove.qty * StockMove.unit_cost))
        .where(StockMove.product_id == product_id, StockMove.warehouse_id == warehouse_id,
               StockMove.qty > 0, StockMove.unit_cost.is_not(None))).one()
    if qty and Decimal(qty) > 0 and value is not None:
        return (Decimal(value) / Decimal(qty)).quantize(Decimal("0.0001"))
    product = session.get(Product, product_id)
    return product.standard_cost if product is not None else ZERO


def post_move(uow: UnitOfWork, *, product_id: int, warehouse_id: int, qty: Decimal, kind: MoveKind,
              reason: str | None = None, reference: str | None = None,
              unit_cost: Decimal | None = None) -> tuple[StockMove, StockBalance]:
    """Append a move to the ledger and apply it to the balance in the same transaction.
    Stock may not fall below what is reserved (nor below zero). Every move carries a unit cost:
    the caller's (purchase price, rolled-up cost), else the running average cost (standard cost
    when nothing has come in with a cost yet). The move is announced (`StockMoved`): every way
    stock moves comes through here."""
    if qty == 0:
        raise InvalidInput({"qty": ["A stock move cannot be zero."]})
    balance = _balance_for_update(uow, product_id, warehouse_id)
    if balance.on_hand + qty < balance.reserved:
        raise DomainError(
            "This would leave less stock on hand than is reserved.", code="insufficient_stock",
            details={"product_id": product_id, "warehouse_id": warehouse_id, "on_hand": str(balance.on_hand),
                     "reserved": str(balance.reserved), "available": str(balance.available), "qty": str(qty)})
    if unit_cost is None:
        unit_cost = average_cost(uow.session, product_id, warehouse_id)
    move = StockMove(product_id=product_id, warehouse_id=warehouse_id, qty=qty, kind=kind.value, reason=reason,
                     reference=reference, unit_cost=unit_cost, created_by_id=uow.actor_id)
    uow.session.add(move)
    balance.on_hand += qty
    uow.session.flush()  # the move's id, for the event
    uow.publish(StockMoved(move_id=move.id, product_id=product_id, warehouse_id=warehouse_id, qty=move.qty,
                           unit_cost=move.unit_cost, kind=move.kind, reason=move.reason, reference=move.reference,
                           moved_at=move.created_at))
    return move, balance


def adjust_stock(uow: UnitOfWork, data: dict) -> StockMove:
    """A stock adjustment (opening stock, count difference, damage): a signed move with a reason.

    `data` is `AdjustStockSchema`'s output (a non-zero quantity, a reason); here only what needs the
    database is checked: the product and warehouse exist and the product is stocked."""
    _authorize(uow, "create", "stock_adjustment")
    errors: dict[str, list[str]] = {}
    product = uow.session.get(Product, data.get("product_id"))
    if product is None:
        errors["product_id"] = [f"No product with id {data.get('product_id')}."]
    elif product.kind == ProductKind.SERVICE:
        errors["product_id"] = [f"{product.sku} is a service and has no stock."]
    warehouse_id = data.get("warehouse_id")
    if warehouse_id is not None and uow.session.get(Warehouse, warehouse_id) is None:
        errors["warehouse_id"] = [f"No warehouse with id {warehouse_id}."]
    if errors:
        raise InvalidInput(errors)
    warehouse_id = warehouse_id or default_warehouse_id(uow.session)
    if data["qty"] > 0:  # the new stock is allocated next: lock what that may touch, in product order
        lock_for_allocation(uow, warehouse_id, [product.id])
    move, _balance = post_move(uow, product_id=product.id, warehouse_id=warehouse_id,
                               qty=data["qty"], kind=MoveKind.ADJUSTMENT, reason=data["reason"].strip(),
                               reference=data.get("reference"),
                               unit_cost=product.standard_cost if data["qty"] > 0 else None)
    if data["qty"] > 0:
        allocate(uow, product_id=product.id, warehouse_id=warehouse_id)
    uow.commit()
    return move


def balance_of(session: Session, product_id: int, warehouse_id: int) -> StockBalance | None:
    return session.scalar(select(StockBalance).where(StockBalance.product_id == product_id,
                                                     StockBalance.warehouse_id == warehouse_id))


# --------------------------------------------------------------------------- the ledger check


@dataclass(frozen=True)
class Mismatch:
    product_id: int
    warehouse_id: int
    field: str
    balance: Decimal
    ledger: Decimal

    def __str__(self) -> str:
        return (f"product {self.product_id} warehouse {self.warehouse_id}: {self.field} is {self.balance} "
                f"but the ledger says {self.ledger}")


def check_ledger(session: Session) -> list[Mismatch]:
    """Compare every balance with the moves and the active reservations; empty when they agree."""
    moves = {(p, w): q for p, w, q in session.execute(
        select(StockMove.product_id, StockMove.warehouse_id, func.sum(StockMove.qty))
        .group_by(StockMove.product_id, StockMove.warehouse_id))}
    locks = {(p, w): q for p, w, q in session.execute(
        select(Reservation.product_id, Reservation.warehouse_id, func.sum(Reservation.qty))
        .where(Reservation.state == ReservationState.ACTIVE)
        .group_by(Reservation.product_id, Reservation.warehouse_id))}
    balances = {(b.product_id, b.warehouse_id): b for b in session.scalars(select(StockBalance))}
    found = []
    for key in sorted(set(moves) | set(locks) | set(balances)):
        balance = balances.get(key)
        on_hand = balance.on_hand if balance else ZERO
        reserved = balance.reserved if balance else ZERO
        if Decimal(on_hand) != Decimal(moves.get(key) or 0):
            found.append(Mismatch(key[0], key[1], "on_hand", on_hand, Decimal(moves.get(key) or 0)))
        if Decimal(reserved) != Decimal(locks.get(key) or 0):
            found.append(Mismatch(key[0], key[1], "reserved", reserved, Decimal(locks.get(key) or 0)))
    return found
