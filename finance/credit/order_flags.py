"""What sales sees of an order's billing beyond crm's own invoiced and paid amounts: whether any of
its posted invoices is open past its due date (read-only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from finance.models import OPEN_INVOICE_STATES, Invoice


def overdue_by_order(session: Session, order_ids: Iterable[int], *, today: date) -> dict[int, Decimal]:
    """Per order (only those with any): the open amount of its invoices past due on `today`."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Invoice.sales_order_id, func.sum(Invoice.total - Invoice.paid_amount))
        .where(Invoice.sales_order_id.in_(ids), Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.due_date < today,
               Invoice.total > Invoice.paid_amount)
        .group_by(Invoice.sales_order_id))
    return {order_id: Decimal(amount) for order_id, amount in rows if amount and Decimal(amount) > 0}
