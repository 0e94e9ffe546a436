"""Read-only helpers: balances, reservations (who holds the locks) and the ledger."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.models import Product, User, Warehouse
from core.queries import Page, paginate
from core.registry import permissions_of
from crm.orders.models import OrderState, SalesOrder, SalesOrderLine
from inventory.models import Reservation, ReservationState, Shipment, StockBalance, StockMove


def _filtered(stmt, model, **filters):
    for name, value in filters.items():
        if value is not None and value != "":
            stmt = stmt.where(getattr(model, name) == value)
    return stmt


def balances(session: Session, actor: User, *, page: int = 1, per_page: int = 25, product_id=None,
             warehouse_id=None) -> Page:
    stmt = _filtered(permissions_of(session).scoped(actor, "stock", select(StockBalance)), StockBalance,
                     product_id=product_id, warehouse_id=warehouse_id)
    return paginate(session, stmt.order_by(StockBalance.product_id, StockBalance.warehouse_id), page, per_page)


def reservations(session: Session, actor: User, *, page: int = 1, per_page: int = 25, product_id=None,
                 warehouse_id=None, sales_order_id=None, sales_order_line_id=None, work_order_id=None,
                 state=None) -> Page:
    stmt = _filtered(permissions_of(session).scoped(actor, "reservation", select(Reservation)), Reservation, product_id=product_id,
                     warehouse_id=warehouse_id, sales_order_id=sales_order_id,
                     sales_order_line_id=sales_order_line_id, work_order_id=work_order_id, state=state)
    return paginate(session, stmt.order_by(Reservation.id), page, per_page)


def moves(session: Session, actor: User, *, page: int = 1, per_page: int = 25, product_id=None,
          warehouse_id=None, kind=None) -> Page:
    stmt = _filtered(permissions_of(session).scoped(actor, "stock", select(StockMove)), StockMove, product_id=product_id,
                     warehouse_id=warehouse_id, kind=kind)
    return paginate(session, stmt.order_by(StockMove.id.desc()), page, per_page)


# --------------------------------------------------------------------------- the stock-and-locks page (web UI)


def product_balances(session: Session, actor: User, product_id: int) -> list[tuple[StockBalance, object]]:
    """One product's balance in each warehouse, with the warehouse: (balance, warehouse) by warehouse code."""
    stmt = (permissions_of(session).scoped(actor, "stock", select(StockBalance, Warehouse))
            .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
            .where(StockBalance.product_id == product_id).order_by(Warehouse.code))
    return [tuple(row) for row in session.execute(stmt)]


def active_locks(session: Session, actor: User, *, product_id: int | None = None,
                 sales_order_id: int | None = None, limit: int = 500) -> list[tuple]:
    """Who holds the stock: active reservations with their product, warehouse and sales order
    (number), oldest first: (reservation, product, warehouse, order number or None)."""
    stmt = (permissions_of(session).scoped(actor, "reservation", select(Reservation, Product, Warehouse, SalesOrder.number))
            .join(Product, Product.id == Reservation.product_id)
            .join(Warehouse, Warehouse.id == Reservation.warehouse_id)
            .outerjoin(SalesOrder, SalesOrder.id == Reservation.sales_order_id)
            .where(Reservation.state == ReservationState.ACTIVE.value))
    if product_id is not None:
        stmt = stmt.where(Reservation.product_id == product_id)
    if sales_order_id is not None:
        stmt = stmt.where(Reservation.sales_order_id == sales_order_id)
    stmt = stmt.order_by(Reservation.product_id, Reservation.id).limit(limit)
    return [tuple(row) for row in session.execute(stmt)]


def shipments(session: Session, actor: User, *, page: int = 1, per_page: int = 25, sales_order_id=None,
              state=None) -> Page:
    """Shipments (pick lists, shipped and backorders), newest first."""
    stmt = _filtered(permissions_of(session).scoped(actor, "shipment", select(Shipment)), Shipment, sales_order_id=sales_order_id,
                     state=state)
    return paginate(session, stmt.order_by(Shipment.id.desc()), page, per_page)


# --------------------------------------------------------------------------- the shipping desk


def orders_ready_to_ship(session: Session, actor: User, *, limit: int = 200) -> list[SalesOrder]:
    """Open orders with stock reserved for them, the one wanted first on top."""
    reserved = exists().where(SalesOrderLine.order_id == SalesOrder.id, SalesOrderLine.reserved_qty > 0)
    return list(session.scalars(
        permissions_of(session).scoped(actor, "sales_order", select(SalesOrder))
        .where(SalesOrder.state.in_([OrderState.CONFIRMED.value, OrderState.PARTIALLY_SHIPPED.value]), reserved)
        .order_by(SalesOrder.requested_date, SalesOrder.id).limit(limit)))


def orders_of(session: Session, shipments: list) -> dict[int, SalesOrder]:
    """The sales orders of some shipments, in one query."""
    ids = {s.sales_order_id for s in shipments}
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(SalesOrder).where(SalesOrder.id.in_(ids)))}


def backorder_of(session: Session, shipment_id: int) -> Shipment | None:
    """The pick list that took over what a partial shipment left behind, if any."""
    return session.scalar(select(Shipment).where(Shipment.backorder_of_id == shipment_id))
