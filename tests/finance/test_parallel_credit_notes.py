"""Parallel credit notes, allocations and refunds on PostgreSQL: 6 clients, each with its own
connection, credit the same paid invoice, allocate and refund the same customer's money at the same
moment. The payments are locked first and the invoice after them (the order allocation uses): the
invoice is never credited beyond what it had, the payment never used twice, every stored total equals
its rows, and no client sees anything but a clean refusal."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.db import make_engine
from core.errors import DomainError
from core.uow import UnitOfWork
from finance import credit_notes, invoicing, payments, refunds
from finance.models import CreditNote, Invoice, Payment, PaymentAllocation, RefundPart
from tests.conftest import fresh_database, settings_for
from tests.finance.builders import ON, build_books, confirmed_order, ship

pytestmark = pytest.mark.postgres

CLIENTS = 6
D = Decimal
EXPECTED_REFUSALS = {"over_credit", "over_refund", "over_allocation", "nothing_to_allocate", "nothing_to_credit",
                     "not_creditable"}


def test_parallel_credit_notes_allocations_and_refunds_never_overdo_it(tmp_path):
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url, pool_size=CLIENTS + 2, max_overflow=2)
        app = create_app(settings_for(url, tmp_path), engine=engine)
        events = app.extensions["events"]
        factory = app.extensions["db"].sessionmaker
        with factory() as session:
            uow = UnitOfWork(session, events=events)
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

        start = threading.Barrier(CLIENTS)
        unexpected: list[str] = []

        def client(index: int) -> None:
            start.wait()
            attempts = [
                lambda u: credit_notes.create_credit_note(u, invoice_id, {
                    "kind": "return", "lines": [{"invoice_line_id": line_id, "qty": D(3)}]}),
                lambda u: payments.allocate(u, payment_id, allocations=[{"invoice_id": other_id, "amount": D("9.00")}]),
                lambda u: refunds.record_refund(u, books.customer_id, {"amount": D("12.00")}),
            ]
            for attempt in attempts[index % 3:] + attempts[:index % 3]:
                with factory() as session:
                    try:
                        attempt(UnitOfWork(session, events=events))
                    except DomainError as exc:
                        if exc.code not in EXPECTED_REFUSALS:
                            unexpected.append(f"client {index}: {exc.code} {exc.message}")
                    except Exception as exc:  # noqa: BLE001 - every other failure is what this test looks for
                        unexpected.append(f"client {index}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
        assert unexpected == []

        with factory() as session:
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
