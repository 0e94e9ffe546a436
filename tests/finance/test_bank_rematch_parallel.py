"""Matching a statement again while clerks work on it, on PostgreSQL: 6 clients at the same moment, half
matching the month-end statement again, half confirming its suggested line. The statement and its open
lines are locked by a run: the confirmed line stays reconciled (a run never writes over it), it is
reconciled once, and the invoice posted after the import is claimed by one line only."""

from __future__ import annotations

import pytest

from finance.bank import services as bank
from finance.bank.models import StatementLine
from tests.finance.test_bank_rematch import MonthEnd
from tests.parallel import Clients, parallel_database, run_at_once

pytestmark = pytest.mark.postgres

CLIENTS = 6


def test_runs_and_a_confirmation_at_the_same_moment_leave_one_consistent_outcome(tmp_path):
    with parallel_database(tmp_path, CLIENTS) as database:
        with database.session() as session:
            month_end = MonthEnd(session, database.uow(session))
            statement_id = month_end.statement.id
            rows = {row: line.id for row, line in month_end.rows.items()}
            inv4, inv7 = month_end.scene.invoices[4].id, month_end.inv7.id

        clients = Clients(database, expected=frozenset({"line_closed"}))
        acts = [lambda uow: bank.rematch_statement(uow, statement_id),
                lambda uow: bank.confirm_line(uow, rows[3], invoice_ids=[inv4])]
        run_at_once(CLIENTS, lambda index: clients.attempt(f"client {index}", acts[index % 2],
                                                           done="rematched" if index % 2 == 0 else "reconciled"))
        assert clients.unexpected == []
        assert sorted(clients.outcomes) == ["line_closed"] * 2 + ["reconciled"] + ["rematched"] * 3

        with database.session() as session:
            lines = {row: session.get(StatementLine, ident) for row, ident in rows.items()}
            assert lines[3].state == "reconciled" and lines[3].payment_id is not None
            assert (lines[4].state, lines[4].invoice_ids) == ("matched", [inv7])
            assert (lines[5].state, lines[5].invoice_ids) == ("unmatched", [])
