"""The confirmation of an order like order 1 stays within its SQL statement budget (≤ 41):
BOM trees and balances are loaded set-based, not one query per component. The 41st is the one
multi-row insert of the order's sales entries, which keeps the management reports exact in the act's
own transaction."""

from __future__ import annotations

from sqlalchemy import event

from crm.orders import services as crm
from tests.flows.worked_example import build_worked_example, pump_order

BUDGET = 41


def test_confirming_order_1_takes_at_most_41_statements(db, uow):
    example = build_worked_example(uow)
    order = pump_order(uow, example, 10)
    db.expunge_all()  # start cold, as a request would
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            seen.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        crm.confirm_order(uow, order.id)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert 0 < len(seen) <= BUDGET, "\n".join(s.splitlines()[0] for s in seen)
