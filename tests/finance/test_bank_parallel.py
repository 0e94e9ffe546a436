"""Parallel confirmation of one bank line on PostgreSQL: 6 clients, each with its own connection,
confirm (or split, or turn into a payment) the same line at the same moment. The line row is locked
first: exactly one wins, every other client gets `line_closed`, and exactly one payment exists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from finance.bank import services as bank
from finance.bank.models import StatementLine
from finance.models import Invoice, Payment
from tests.finance.test_bank import SAMPLE, Scene
from tests.parallel import Clients, parallel_database, run_at_once

pytestmark = pytest.mark.postgres

CLIENTS = 6


def test_a_line_confirmed_by_parallel_clients_is_reconciled_once(tmp_path):
    with parallel_database(tmp_path, CLIENTS) as database:
        with database.session() as session:
            uow = database.uow(session)
            scene = Scene(uow)
            statement = bank.import_statement(uow, scene.account.id, SAMPLE).statement
            line_id = session.scalar(select(StatementLine.id).where(StatementLine.statement_id == statement.id,
                                                                    StatementLine.row_number == 5))
            invoice_id = scene.invoices[1].id
            customer_id = scene.customers["HD"]
            payments_before = session.scalar(select(func.count()).select_from(Payment))

        clients = Clients(database, expected=frozenset({"line_closed"}))
        acts = [lambda uow: bank.confirm_line(uow, line_id),
                lambda uow: bank.split_line(uow, line_id, [{"invoice_id": invoice_id, "amount": Decimal("100.00")}]),
                lambda uow: bank.create_payment_from_line(uow, line_id, customer_id=customer_id)]
        run_at_once(CLIENTS, lambda index: clients.attempt(f"client {index}", acts[index % 3], done="reconciled"))
        assert clients.unexpected == []
        assert sorted(clients.outcomes) == ["line_closed"] * (CLIENTS - 1) + ["reconciled"]

        with database.session() as session:
            line = session.get(StatementLine, line_id)
            assert line.state == "reconciled"
            assert session.scalar(select(func.count()).select_from(Payment)) == payments_before + 1
            payment = session.get(Payment, line.payment_id)
            assert payment.amount == Decimal("113.57") and payment.allocated_amount == sum(
                (a.amount for a in payment.allocations), Decimal(0))
            invoice = session.get(Invoice, invoice_id)
            assert invoice.paid_amount == payment.allocated_amount
