"""Read-only helpers: balances, reservations (who holds the locks) and the ledger."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.permissions import scoped
from core.queries import Page, paginate
from inventory.models import Reservation, StockBalance, StockMove


def _filtered(stmt, model, **filters):
    for name, value in filters.items():
        if value is not None and value != "":
            stmt = stmt.where(getattr(model, name) == value)
    return stmt


def balances(session: Session, actor: User, *, page: int = 1, per_page: int = 25, product_id=None,
             warehouse_id=None) -> Page:
    stmt = _filtered(scoped(actor, "stock", select(StockBalance)), StockBalance,
                     product_id=product_id, warehouse_id=warehouse_id)
    return paginate(session, stmt.order_by(StockBalance.product_id, StockBalance.warehouse_id), page, per_page)


def reservations(session: Session, actor: User, *, page: int = 1, per_page: int = 25, product_id=None,
                 warehouse_id=None, sales_order_id=None, sales_order_line_id=None, work_order_id=None,
                 state=None) -> Page:
    stmt = _filtered(scoped(actor, "reservation", select(Reservation)), Reservation, product_id=product_id,
                     warehouse_id=warehouse_id, sales_order_id=sales_order_id,
                     sales_order_line_id=sales_order_line_id, work_order_id=work_order_id, state=state)
    return paginate(session, stmt.order_by(Reservation.id), page, per_page)


def moves(session: Session, actor: User, *, page: int = 1, per_page: int = 25, product_id=None,
          warehouse_id=None, kind=None) -> Page:
    stmt = _filtered(scoped(actor, "stock", select(StockMove)), StockMove, product_id=product_id,
                     warehouse_id=warehouse_id, kind=kind)
    return paginate(session, stmt.order_by(StockMove.id.desc()), page, per_page)
