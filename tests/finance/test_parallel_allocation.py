"""Parallel allocations of one payment on PostgreSQL: 8 clients, each with its own connection,
allocate the same payment by hand and automatically at the same moment. The payment row is locked
first, the invoices after it in id order: the payment is never over-allocated, every stored total
equals the sum of its allocation rows, and no client sees anything but a clean refusal."""

from __future__ import annotations

import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.app import create_app
from core.db import make_engine
from core.errors import DomainError
from core.uow import UnitOfWork
from crm.models import SalesOrder
from finance import invoicing, payments
from finance.models import Invoice, Payment, PaymentAllocation
from tests.conftest import fresh_database, settings_for
from tests.finance.builders import ON, build_books, confirmed_order, ship

pytestmark = pytest.mark.postgres

CLIENTS = 8
D = Decimal
EXPECTED_REFUSALS = {"over_allocation", "nothing_to_allocate"}


def test_parallel_allocations_of_one_payment_never_over_allocate(tmp_path):
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url, pool_size=CLIENTS + 2, max_overflow=2)
        app = create_app(settings_for(url, tmp_path), engine=engine)
        events = app.extensions["events"]
        factory = app.extensions["db"].sessionmaker
        with factory() as session:
            uow = UnitOfWork(session, events=events)
            books = build_books(uow)
            invoice_ids = []
            for _ in range(CLIENTS):
                order = confirmed_order(uow, books.customer_id, [(books.a, 3)])
                ship(uow, order.id, [(books.a, 3)])
                invoice_ids.append(invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True},
                                                            on=ON).id)  # 34.07 each
            payment_id = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D("100.00"),
                                                       "date": ON}).id

        start = threading.Barrier(CLIENTS)
        outcomes: list[str] = []
        unexpected: list[str] = []
        lock = threading.Lock()

        def client(index: int) -> None:
            start.wait()
            attempts = [{"allocations": [{"invoice_id": invoice_ids[index], "amount": D("30.00")}]},
                        {"auto": True},
                        {"allocations": [{"invoice_id": invoice_ids[(index + 1) % CLIENTS], "amount": D("4.07")}]}]
            for attempt in attempts:
                with factory() as session:
                    try:
                        payments.allocate(UnitOfWork(session, events=events), payment_id, **attempt)
                        result = "allocated"
                    except DomainError as exc:
                        result = exc.code
                        if exc.code not in EXPECTED_REFUSALS:
                            unexpected.append(f"client {index}: {exc.code} {exc.message}")
                    except Exception as exc:  # noqa: BLE001 - every other failure is what this test looks for
                        result = "error"
                        unexpected.append(f"client {index}: {type(exc).__name__}: {exc}")
                with lock:
                    outcomes.append(result)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
        assert unexpected == []
        assert "allocated" in outcomes and set(outcomes) & EXPECTED_REFUSALS

        with factory() as session:
            payment = session.get(Payment, payment_id)
            rows = list(session.scalars(select(PaymentAllocation)))
            assert payment.allocated_amount == sum((r.amount for r in rows), D(0))
            assert payment.allocated_amount == payment.amount  # the race used it all, and not a cent more
            per_invoice: dict[int, Decimal] = defaultdict(Decimal)
            for row in rows:
                per_invoice[row.invoice_id] += row.amount
            per_order: dict[int, Decimal] = defaultdict(Decimal)
            for invoice in session.scalars(select(Invoice)):
                assert invoice.paid_amount == per_invoice[invoice.id] <= invoice.total
                expected = "posted" if invoice.paid_amount == 0 else (
                    "paid" if invoice.paid_amount == invoice.total else "partially_paid")
                assert invoice.state == expected
                per_order[invoice.sales_order_id] += invoice.paid_amount
            for order in session.scalars(select(SalesOrder)):
                assert order.paid_amount == per_order[order.id]
        engine.dispose()
