"""The overdue alert of the home page and the overdue list, scoped by role: a sales rep sees the
invoices of their own customers, a sales manager the team's, finance all of them."""

from __future__ import annotations

import re

from core.models import Customer
from tests.conftest import make_user
from tests.finance.test_aging_reports import ledger  # noqa: F401  (the fixture)
from tests.web.test_forms import sign_in


def _alert(app, user) -> tuple[str | None, set[str]]:
    client = app.test_client()
    sign_in(client, user)
    home = client.get("/").get_data(as_text=True)
    found = re.search(r"Overdue invoices: (\d+)", home)
    listed = set(re.findall(r"INV-\d{4}-\d{5}", client.get("/finance/overdue").get_data(as_text=True)))
    return (found.group(1) if found else None), listed


def test_reps_see_their_customers_overdue_managers_their_teams_and_finance_all(app, db, ledger):  # noqa: F811
    books, made = ledger  # every invoice is past due today; FC1 has four open, FC2 one
    rep = make_user(db, "sales_rep", "east-rep", team="east")
    db.get(Customer, books.customer_id).owner_id = rep.id
    db.commit()
    fc1_open = {inv.number for day, inv in made.items() if day != "2026-01-10"}

    assert _alert(app, rep) == ("4", fc1_open)
    assert _alert(app, make_user(db, "sales_manager", "east-boss", team="east")) == ("4", fc1_open)
    assert _alert(app, make_user(db, "sales_manager", "west-boss", team="west")) == (None, set())
    assert _alert(app, make_user(db, "sales_rep", "west-rep", team="west")) == (None, set())
    count, listed = _alert(app, make_user(db, "finance"))
    assert count == "5" and fc1_open < listed and len(listed) == 5
