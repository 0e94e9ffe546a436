"""Finance's reactions to other modules' events; they run inside the caller's transaction."""

from __future__ import annotations

from core.uow import UnitOfWork
from crm.events import CustomersMerged, SalesOrderConfirmed, SalesOrderShipped
from finance.credit import services
from finance.plans import services as plans


def check_credit(uow: UnitOfWork, event: SalesOrderConfirmed) -> None:
    """A refusal raises, and the whole confirmation (reservations, plans) rolls back."""
    services.check_order_credit(uow, order_id=event.order_id, customer_id=event.customer_id, total=event.total)


def follow_merged_customer(uow: UnitOfWork, event: CustomersMerged) -> None:
    """Invoices, payments and credit approvals of a merged-away customer follow the kept one."""
    services.repoint_customer(uow, keep_id=event.keep_id, drop_id=event.drop_id)


def invoice_deposits(uow: UnitOfWork, event: SalesOrderConfirmed) -> None:
    """An order with a payment plan: its installments due on confirmation are invoiced now."""
    plans.on_order_confirmed(uow, event.order_id)


def invoice_delivery_installments(uow: UnitOfWork, event: SalesOrderShipped) -> None:
    """An order with a payment plan, now fully shipped (or its services marked delivered): its installments
    on delivery are invoiced."""
    plans.on_order_shipped(uow, event.order_id, on=event.on)
