"""Credit exposure: what a customer owes and has committed to, gross.

    exposure = receivable (open invoices, gross, not yet paid)
             + unbilled   (confirmed orders not yet invoiced, gross)

`receivable` sums the open amounts of the posted invoices, and crm's
`invoiced_amount` (reported back when an invoice is posted) moves the invoiced
part of each order out of `unbilled`, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Customer
from core.money import CENT, ZERO
from crm.orders.models import OPEN_STATES, SalesOrder
from finance.models import OPEN_INVOICE_STATES, Invoice


@dataclass(frozen=True)
class CreditStatus:
    customer_id: int
    credit_limit: Decimal
    credit_hold: bool
    receivable: Decimal
    unbilled: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.receivable + self.unbilled

    @property
    def unlimited(self) -> bool:
        return not self.credit_limit or self.credit_limit <= 0

    @property
    def available_credit(self) -> Decimal | None:
        return None if self.unlimited else self.credit_limit - self.exposure


def receivable(session: Session, customer_id: int) -> Decimal:
    """Open receivable, gross: what the customer's posted invoices still have open."""
    stmt = select(func.coalesce(func.sum(Invoice.total - Invoice.paid_amount), 0)).where(
        Invoice.customer_id == customer_id, Invoice.state.in_(OPEN_INVOICE_STATES))
    return Decimal(session.scalar(stmt) or 0).quantize(CENT)


def unbilled(session: Session, customer_id: int, *, excluding_order_id: int | None = None) -> Decimal:
    """Confirmed (and shipping) orders' gross totals not yet invoiced (nor credited)."""
    stmt = select(func.coalesce(func.sum(
        SalesOrder.total - SalesOrder.credited_amount - SalesOrder.invoiced_amount), 0)).where(
        SalesOrder.customer_id == customer_id, SalesOrder.state.in_([s.value for s in OPEN_STATES]))
    if excluding_order_id is not None:
        stmt = stmt.where(SalesOrder.id != excluding_order_id)
    return Decimal(session.scalar(stmt) or 0).quantize(CENT)


def credit_status(session: Session, customer: Customer, *, excluding_order_id: int | None = None,
                  credit_limit: Decimal | None = None, credit_hold: bool | None = None) -> CreditStatus:
    """The customer's credit position (`credit_limit`/`credit_hold` override the loaded values
    with ones just read under a row lock)."""
    return CreditStatus(
        customer_id=customer.id,
        credit_limit=(customer.credit_limit if credit_limit is None else credit_limit) or ZERO,
        credit_hold=customer.credit_hold if credit_hold is None else credit_hold,
        receivable=receivable(session, customer.id),
        unbilled=unbilled(session, customer.id, excluding_order_id=excluding_order_id))
