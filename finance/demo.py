"""Demo finance: the demo sales orders shipped, invoiced and (partly) paid, a payment plan, a bank account
ready for a statement import, and the customer segments computed.

Runs last (finance is the last domain module), after `crm.demo.load_orders`. Everything goes through the
services, so the journal, the order's billing state and the audit follow. Loading twice changes nothing:
the demo bank account is the marker, and the whole load is one transaction."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select

from core import clock
from core.models import User
from core.uow import UnitOfWork
from crm.demo import ORDER_REFERENCE, acting
from crm.orders.models import SalesOrder
from crm.segments import rfm
from finance.bank import services as bank
from finance.bank.models import BankAccount
from finance.invoicing import services as invoicing
from finance.models import Invoice
from finance.payments import services as payments
from finance.plans import services as plans
from inventory import shipping

ACCOUNT_NUMBER = "6222021001098765432"
#: The column names of an ICBC statement export (see tests/data/bank_statement_sample.csv).
ICBC_MAPPING = {"date": "交易日期", "credit": "收入金额", "debit": "支出金额", "counterparty": "对方户名",
                "reference": "附言", "line_id": "流水号", "currency": "币种"}


def _orders(uow: UnitOfWork) -> dict[int, SalesOrder]:
    found = {}
    for n in range(1, 13):
        order = uow.session.scalar(select(SalesOrder).where(SalesOrder.customer_reference == ORDER_REFERENCE.format(n)))
        if order is not None:
            found[n] = order
    return found


def _ship(uow: UnitOfWork, order: SalesOrder, on: date) -> bool:
    if not any(line.reserved_qty > 0 for line in order.lines):
        return False
    shipment = shipping.create_shipment(uow, {"sales_order_id": order.id}, on=on)
    shipping.ship_shipment(uow, shipment.id, on=on)
    return True


def _pay(uow: UnitOfWork, invoice: Invoice, amount, on: date) -> None:
    payment = payments.record_payment(uow, {"customer_id": invoice.customer_id, "amount": amount, "date": on,
                                            "reference": invoice.number})
    payments.allocate(uow, payment.id, auto=True)


def load_finance(uow: UnitOfWork) -> str:
    if uow.session.scalar(select(BankAccount.id).where(BankAccount.account_number == ACCOUNT_NUMBER)):
        return ""
    users = {u.username: u for u in uow.session.scalars(select(User))}
    orders = _orders(uow)
    today = clock.today()
    invoices: dict[int, Invoice] = {}
    with acting(uow, users.get("warehouse")):
        shipped = [n for n in range(1, 11) if n in orders and _ship(uow, orders[n], orders[n].order_date
                                                                      + timedelta(days=7))]
    with acting(uow, users.get("finance")):
        for n in shipped:
            if n == 10:  # shipped, waiting to be invoiced
                continue
            invoices[n] = invoicing.create_invoice(uow, {"sales_order_id": orders[n].id, "post": True,
                                                         "invoice_date": orders[n].order_date + timedelta(days=7)})
        paid_on = {n: min(today, inv.due_date) for n, inv in invoices.items()}
        for n in (1, 4, 6, 8):  # paid in full
            if n in invoices:
                _pay(uow, invoices[n], invoices[n].total, paid_on[n])
        if 2 in invoices:  # partly paid
            _pay(uow, invoices[2], (invoices[2].total / 2).quantize(invoices[2].total), paid_on[2])
        if 3 in invoices:  # paid too much: the rest stays on the customer's account as an advance
            _pay(uow, invoices[3], invoices[3].total + 1000, paid_on[3])
        # 5 and 7 stay open past their due date; 9 is open and not due yet
        if 11 in orders:
            plans.set_payment_plan(uow, orders[11].id, {"template": "30/70"}, on=orders[11].order_date)
        bank.create_bank_account(uow, {"name": "ICBC basic account", "account_number": ACCOUNT_NUMBER,
                                       "mapping": ICBC_MAPPING})
    dormant = current_app.config["SETTINGS"].dormant_after_days if has_app_context() else rfm.DEFAULT_DORMANT_DAYS
    rfm.refresh(uow, as_of=today, dormant_days=dormant)
    return (f"{len(shipped)} orders shipped, {len(invoices)} invoiced, payments and a payment plan recorded, "
            "a bank account and the customer segments.")
