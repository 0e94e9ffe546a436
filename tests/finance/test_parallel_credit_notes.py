"""Parallel credit notes, allocations and refunds on PostgreSQL: 6 clients, each with its own
connection, credit the same paid invoice, allocate and refund the same customer's money at the same
moment. The payments are locked first and the invoice after them (the order allocation uses): the
invoice is never credited beyond what it had, the payment never used twice, every stored total equals
its rows, and no client sees anything but a clean refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finance.invoicing import credit_notes
from finance.invoicing import services as invoicing
from finance.models import CreditNote, Invoice, Payment, PaymentAllocation, RefundPart
from finance.payments import refunds
from finance.payments import services as payments
from tests.finance.builders import ON, build_books, confirmed_order, ship
from tests.parallel import Clients, parallel_database, run_at_once

pytestmark = pytest.mark.postgres

CLIENTS = 6
D = Decimal
EXPECTED_REFUSALS = frozenset({"over_credit", "over_refund", "over_allocation", "nothing_to_allocate",
                               "nothing_to_credit", "not_creditable"})


def test_parallel_credit_notes_allocations_and_refunds_never_overdo_it(tmp_path):
    with parallel_database(tmp_path, CLIENTS) as database:
        with database.session() as session:
            uow = database.uow(session)
            books = build_books(uow)
            order = confirmed_order(uow, books.customer_id, [(books.a, 10)])
            ship(uow, order.id, [(books.a, 10)])
            invoice = invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True}, on=ON)  # 113.57
            invoice_id, line_id = invoice.id, invoice.lines[0].id
            other = confirmed_order(uow, books.customer_id, [(books.a, 2)])
            ship(uow, other.id, [(books.a, 2)])
            other_id = invoicing.create_invoice(uow, {"sales_order_id": other.id, "post": True}, on=ON).id  # 22.71
            payment_id = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D("120.00"),
                                                       "date": ON}).id
            payments.allocate(uow, payment_id, allocations=[{"invoice_id": invoice_id, "amount": D("113.57")}])

        clients = Clients(database, expected=EXPECTED_REFUSALS)
        attempts = [
            lambda u: credit_notes.create_credit_note(u, invoice_id, {
                "kind": "return", "lines": [{"invoice_line_id": line_id, "qty": D(3)}]}),
            lambda u: payments.allocate(u, payment_id, allocations=[{"invoice_id": other_id, "amount": D("9.00")}]),
            lambda u: refunds.record_refund(u, books.customer_id, {"amount": D("12.00")}),
        ]

        def client(index: int) -> None:
            for attempt in attempts[index % 3:] + attempts[:index % 3]:
                clients.attempt(f"client {index}", attempt)

        run_at_once(CLIENTS, client)
        assert clients.unexpected == []

        with database.session() as session:
            invoice = session.get(Invoice, invoice_id)
            notes = session.scalars(select(CreditNote)).all()
            assert len(notes) == 3  # 3 + 3 + 3 of 10 returned; the fourth and later were refused
            assert invoice.credited_amount == sum((n.total for n in notes), D(0))
            assert invoice.total + invoice.credited_amount == D("113.57")
            for inv in session.scalars(select(Invoice)):
                rows = session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
                                      .where(PaymentAllocation.invoice_id == inv.id))
                assert inv.paid_amount == rows <= inv.total
            payment = session.get(Payment, payment_id)
            allocated = session.scalar(select(func.sum(PaymentAllocation.amount))
                                       .where(PaymentAllocation.payment_id == payment_id))
            refunded = session.scalar(select(func.coalesce(func.sum(RefundPart.amount), 0))
                                      .where(RefundPart.payment_id == payment_id))
            assert (payment.allocated_amount, payment.refunded_amount) == (allocated, refunded)
            assert payment.unapplied >= 0
