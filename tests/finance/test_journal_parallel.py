"""The journal under parallel clients on PostgreSQL: each client ships an order of the same two
products, invoices it, and records and allocates a payment, at the same moment. The journal's number
counter is taken last in each transaction, so no client deadlocks or fails; the entry numbers are
unique and without gaps, and the journal agrees with the books afterwards."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import services as core_services
from core.app import create_app
from core.db import make_engine
from core.uow import UnitOfWork
from finance import invoicing, payments
from finance.journal import check
from finance.journal_models import JournalEntry
from inventory import services as inventory
from tests.conftest import fresh_database, settings_for
from tests.finance.builders import ON, confirmed_order, ship

pytestmark = pytest.mark.postgres

CLIENTS = 6
D = Decimal


def test_parallel_shipments_invoices_and_payments_book_a_journal_that_agrees(tmp_path):
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url, pool_size=CLIENTS + 2, max_overflow=2)
        app = create_app(settings_for(url, tmp_path), engine=engine)
        events = app.extensions["events"]
        factory = app.extensions["db"].sessionmaker
        with factory() as session:
            uow = UnitOfWork(session, events=events)
            products = [core_services.create_product(uow, {
                "sku": f"JP{i}", "name": f"Part {i}", "kind": "buy", "list_price": D("10.05"),
                "standard_cost": D("3.3333"), "tax_rate": D("0.13")}).id for i in range(2)]
            for product_id in products:
                inventory.adjust_stock(uow, {"product_id": product_id, "qty": D(1000), "reason": "opening stock"})
            work = []
            for index in range(CLIENTS):
                customer = core_services.create_customer(uow, {"code": f"JPC{index}", "name": f"Client {index}"})
                order = confirmed_order(uow, customer.id, [(p, 7) for p in products])
                work.append((customer.id, order.id))

        start = threading.Barrier(CLIENTS)
        failures: list[str] = []

        def client(index: int) -> None:
            customer_id, order_id = work[index]
            start.wait()
            try:
                with factory() as session:
                    uow = UnitOfWork(session, events=events)
                    ship(uow, order_id, [(p, 7) for p in products])
                    invoicing.create_invoice(uow, {"sales_order_id": order_id, "post": True, "invoice_date": ON})
                    payment = payments.record_payment(uow, {"customer_id": customer_id, "amount": D("200.00"),
                                                            "date": ON, "method": "cash"})
                    payments.allocate(uow, payment.id, auto=True)
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                failures.append(f"client {index}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
        assert failures == []

        with factory() as session:
            numbers = sorted(int(n.rsplit("-", 1)[1]) for n in session.scalars(select(JournalEntry.number)))
            # 2 opening stock moves, then per client 2 shipped moves, 1 invoice, 1 payment, 1 allocation
            assert numbers == list(range(1, 2 + CLIENTS * 5 + 1))
            assert check(session) == []
        engine.dispose()
