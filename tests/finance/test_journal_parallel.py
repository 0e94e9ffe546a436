"""The journal under parallel clients on PostgreSQL: each client ships an order of the same two
products, invoices it, and records and allocates a payment, at the same moment. The journal's number
counter is taken last in each transaction, so no client deadlocks or fails; the entry numbers are
unique and without gaps, and the journal agrees with the books afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core import services as core_services
from finance.invoicing import services as invoicing
from finance.journal.booking import check
from finance.journal.models import JournalEntry
from finance.payments import services as payments
from inventory import services as inventory
from tests.finance.builders import ON, confirmed_order, ship
from tests.parallel import Clients, parallel_database, run_at_once

pytestmark = pytest.mark.postgres

CLIENTS = 6
D = Decimal


def test_parallel_shipments_invoices_and_payments_book_a_journal_that_agrees(tmp_path):
    with parallel_database(tmp_path, CLIENTS) as database:
        with database.session() as session:
            uow = database.uow(session)
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

        clients = Clients(database)  # no refusal is expected: every client's work goes through

        def book(uow, customer_id: int, order_id: int) -> None:
            ship(uow, order_id, [(p, 7) for p in products])
            invoicing.create_invoice(uow, {"sales_order_id": order_id, "post": True, "invoice_date": ON})
            payment = payments.record_payment(uow, {"customer_id": customer_id, "amount": D("200.00"),
                                                    "date": ON, "method": "cash"})
            payments.allocate(uow, payment.id, auto=True)

        run_at_once(CLIENTS, lambda index: clients.attempt(f"client {index}", lambda uow: book(uow, *work[index])))
        assert clients.unexpected == []

        with database.session() as session:
            numbers = sorted(int(n.rsplit("-", 1)[1]) for n in session.scalars(select(JournalEntry.number)))
            # 2 opening stock moves, then per client 2 shipped moves, 1 invoice, 1 payment, 1 allocation
            assert numbers == list(range(1, 2 + CLIENTS * 5 + 1))
            assert check(session) == []
