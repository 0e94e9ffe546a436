"""Parallel confirmation of one bank line on PostgreSQL: 6 clients, each with its own connection,
confirm (or split, or turn into a payment) the same line at the same moment. The line row is locked
first: exactly one wins, every other client gets `line_closed`, and exactly one payment exists."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.db import make_engine
from core.errors import DomainError
from core.uow import UnitOfWork
from finance import bank
from finance.bank_models import StatementLine
from finance.models import Invoice, Payment
from tests.conftest import fresh_database, settings_for
from tests.finance.test_bank import SAMPLE, Scene

pytestmark = pytest.mark.postgres

CLIENTS = 6


def test_a_line_confirmed_by_parallel_clients_is_reconciled_once(tmp_path):
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url, pool_size=CLIENTS + 2, max_overflow=2)
        app = create_app(settings_for(url, tmp_path), engine=engine)
        events = app.extensions["events"]
        factory = app.extensions["db"].sessionmaker
        with factory() as session:
            uow = UnitOfWork(session, events=events)
            scene = Scene(uow)
            statement = bank.import_statement(uow, scene.account.id, SAMPLE).statement
            line_id = session.scalar(select(StatementLine.id).where(StatementLine.statement_id == statement.id,
                                                                    StatementLine.row_number == 5))
            invoice_id = scene.invoices[1].id
            customer_id = scene.customers["HD"]
            payments_before = session.scalar(select(func.count()).select_from(Payment))

        start = threading.Barrier(CLIENTS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def client(index: int) -> None:
            start.wait()
            with factory() as session:
                uow = UnitOfWork(session, events=events)
                try:
                    if index % 3 == 0:
                        bank.confirm_line(uow, line_id)
                    elif index % 3 == 1:
                        bank.split_line(uow, line_id, [{"invoice_id": invoice_id, "amount": Decimal("100.00")}])
                    else:
                        bank.create_payment_from_line(uow, line_id, customer_id=customer_id)
                    result = "reconciled"
                except DomainError as exc:
                    uow.rollback()
                    result = exc.code
                except Exception as exc:  # noqa: BLE001 - anything else is what this test looks for
                    result = f"error {type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
        assert sorted(outcomes) == ["line_closed"] * (CLIENTS - 1) + ["reconciled"]

        with factory() as session:
            line = session.get(StatementLine, line_id)
            assert line.state == "reconciled"
            assert session.scalar(select(func.count()).select_from(Payment)) == payments_before + 1
            payment = session.get(Payment, line.payment_id)
            assert payment.amount == Decimal("113.57") and payment.allocated_amount == sum(
                (a.amount for a in payment.allocations), Decimal(0))
            invoice = session.get(Invoice, invoice_id)
            assert invoice.paid_amount == payment.allocated_amount
        engine.dispose()
