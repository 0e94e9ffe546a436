"""Parallel allocations of one payment on PostgreSQL: 8 clients, each with its own connection,
allocate the same payment by hand and automatically at the same moment. The payment row is locked
first, the invoices after it in id order: the payment is never over-allocated, every stored total
equals the sum of its allocation rows, and no client sees anything but a clean refusal."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.orders.models import SalesOrder
from finance.invoicing import services as invoicing
from finance.models import Invoice, Payment, PaymentAllocation
from finance.payments import services as payments
from tests.finance.builders import ON, build_books, confirmed_order, ship
from tests.parallel import Clients, parallel_database, run_at_once

pytestmark = pytest.mark.postgres

CLIENTS = 8
D = Decimal
EXPECTED_REFUSALS = frozenset({"over_allocation", "nothing_to_allocate"})


def test_parallel_allocations_of_one_payment_never_over_allocate(tmp_path):
    with parallel_database(tmp_path, CLIENTS) as database:
        with database.session() as session:
            uow = database.uow(session)
            books = build_books(uow)
            invoice_ids = []
            for _ in range(CLIENTS):
                order = confirmed_order(uow, books.customer_id, [(books.a, 3)])
                ship(uow, order.id, [(books.a, 3)])
                invoice_ids.append(invoicing.create_invoice(uow, {"sales_order_id": order.id, "post": True},
                                                            on=ON).id)  # 34.07 each
            payment_id = payments.record_payment(uow, {"customer_id": books.customer_id, "amount": D("100.00"),
                                                       "date": ON}).id

        clients = Clients(database, expected=EXPECTED_REFUSALS)

        def client(index: int) -> None:
            attempts = [{"allocations": [{"invoice_id": invoice_ids[index], "amount": D("30.00")}]},
                        {"auto": True},
                        {"allocations": [{"invoice_id": invoice_ids[(index + 1) % CLIENTS], "amount": D("4.07")}]}]
            for attempt in attempts:
                clients.attempt(f"client {index}", lambda uow, a=attempt: payments.allocate(uow, payment_id, **a),
                                done="allocated")

        run_at_once(CLIENTS, client)
        assert clients.unexpected == []
        assert "allocated" in clients.outcomes and set(clients.outcomes) & EXPECTED_REFUSALS

        with database.session() as session:
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
