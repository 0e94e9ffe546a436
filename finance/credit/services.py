"""Finance services: credit control."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.audit import record_note
from core.db import utcnow
from core.errors import DomainError, NotFound
from core.forms import load_input
from core.models import Customer
from core.uow import UnitOfWork
from crm.orders.models import OrderState, SalesOrder
from finance.credit.exposure import CreditStatus, credit_status
from finance.models import CreditApproval, Invoice, Payment
from finance.schemas import ApproveCreditSchema


def customer_credit(uow: UnitOfWork, customer_id: int) -> CreditStatus:
    """A customer's limit, exposure and available credit (what the order entry page shows)."""
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    uow.authorize("read", "customer", customer)
    uow.authorize("read", "credit")
    return credit_status(uow.session, customer)


def approve_credit(uow: UnitOfWork, order_id: int, *, reason: str) -> CreditApproval:
    """Finance lets one draft order through the credit limit (not through a credit hold).
    The approval covers the order's current total; if the draft grows, it must be approved again."""
    uow.authorize("create", "credit_approval")
    order = uow.session.get(SalesOrder, order_id)
    if order is None:
        raise NotFound("sales order", order_id)
    reason = load_input(ApproveCreditSchema, {"reason": reason})["reason"]  # see finance.schemas
    if order.state != OrderState.DRAFT:
        raise DomainError(f"Order {order.number} is {order.state}; only a draft can be approved.",
                          code="not_draft")
    approval = uow.session.scalar(select(CreditApproval).where(CreditApproval.sales_order_id == order.id))
    if approval is None:
        approval = CreditApproval(sales_order_id=order.id, customer_id=order.customer_id)
        uow.session.add(approval)
    approval.approved_total = order.total
    approval.reason = reason.strip()
    approval.approved_by_id = uow.actor_id
    approval.approved_at = utcnow()
    record_note(uow.session, order, f"Credit approved over the limit up to {order.total}: {reason.strip()}",
                {"approved_total": [None, str(order.total)]})
    uow.commit()
    return approval


def _amounts(status: CreditStatus, total: Decimal) -> dict:
    shortfall = status.exposure + total - status.credit_limit
    return {"customer_id": status.customer_id, "credit_limit": str(status.credit_limit),
            "exposure": str(status.exposure), "receivable": str(status.receivable),
            "unbilled": str(status.unbilled), "order_total": str(total),
            "available_credit": str(status.credit_limit - status.exposure),
            "shortfall": str(max(shortfall, Decimal(0)))}


def check_order_credit(uow: UnitOfWork, *, order_id: int, customer_id: int, total: Decimal) -> None:
    """Refuse the confirmation of an order when the customer is on hold, or when its exposure
    plus this order would pass the credit limit (a limit of 0 means no limit) and finance has
    not approved this order. The customer row is locked first, so that two confirmations for
    one customer are checked one after the other and cannot both squeeze under the limit."""
    session = uow.session
    customer = session.get(Customer, customer_id)
    if not customer.credit_hold and (not customer.credit_limit or customer.credit_limit <= 0):
        return
    limit, hold = session.execute(select(Customer.credit_limit, Customer.credit_hold)
                                  .where(Customer.id == customer_id).with_for_update()).one()
    status = credit_status(session, customer, excluding_order_id=order_id, credit_limit=limit, credit_hold=hold)
    if status.credit_hold:
        raise DomainError(f"{customer.name} is on credit hold; no order can be confirmed.",
                          code="credit_hold", details=_amounts(status, total))
    if status.unlimited or status.exposure + total <= status.credit_limit:
        return
    approval = session.scalar(select(CreditApproval).where(CreditApproval.sales_order_id == order_id))
    if approval is not None and approval.approved_total >= total:
        approval.used_at = utcnow()
        return
    details = _amounts(status, total)
    raise DomainError(
        f"Credit limit exceeded: exposure {details['exposure']} plus this order {details['order_total']} "
        f"is over the limit {details['credit_limit']} by {details['shortfall']}.",
        code="credit_limit_exceeded", details=details)


def repoint_customer(uow: UnitOfWork, *, keep_id: int, drop_id: int) -> None:
    """Reaction to a customer merge (crm checked who may merge): the dropped customer's invoices,
    payments and credit approvals now belong to the kept one; each row is audited. The caller commits."""
    for model in (Invoice, Payment, CreditApproval):
        for row in uow.session.scalars(select(model).where(model.customer_id == drop_id).order_by(model.id)):
            row.customer_id = keep_id
