"""RFM segmentation on a known data set: five customers whose scores come out 1 to 5, one segment
each; what does not count (drafts, cancelled orders, orders after the day, orders outside the
window); the dormant-customer job (stage, one follow-up task, waking up); scope and rights."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import services as core_services
from core.models import Warehouse
from crm.orders.models import SalesOrder, SalesOrderLine
from crm.segments import rfm
from crm.segments.models import CustomerRfm
from crm.tasks.models import Task
from tests.conftest import api_as, make_user, uow_for
from tests.web.test_forms import sign_in

D = Decimal
AS_OF = date(2026, 3, 31)
# customer: [(days before AS_OF, gross amount, paid, state)]
DATA = {
    "A": [(5, "1000.00", "1000.00", "confirmed"), (30, "1000.00", "1000.00", "shipped"),
          (60, "1000.00", "1000.00", "done"), (90, "1000.00", "0", "confirmed"), (120, "1000.00", "0", "confirmed"),
          (1, "90000.00", "0", "draft"), (2, "90000.00", "0", "cancelled"), (-3, "90000.00", "0", "confirmed")],
    "B": [(15, "200.00", "0", "confirmed")],
    "C": [(150, "800.00", "800.00", "confirmed"), (160, "800.00", "0", "confirmed"),
          (170, "800.00", "0", "confirmed"), (175, "800.00", "0", "confirmed")],
    "D": [(100, "150.00", "0", "confirmed"), (140, "150.00", "0", "confirmed")],
    "E": [(200, "50.00", "0", "confirmed"), (400, "7000.00", "7000.00", "done")],
}


def _order(db, customer_id: int, product_id: int, *, on: date, gross: str, paid: str, state: str) -> None:
    """An order as the order services leave it (two lines that add up to `gross`); RFM only reads orders."""
    warehouse = db.scalar(select(Warehouse).order_by(Warehouse.id).limit(1))
    gross_d = D(gross)
    first = (gross_d / 2).quantize(D("0.01"))
    number = f"SOT{customer_id}-{on:%y%m%d}{state[:2]}"
    order = SalesOrder(number=number, customer_id=customer_id,
                       warehouse_id=warehouse.id, state=state, order_date=on, requested_date=on,
                       untaxed=gross_d, tax=D(0), total=gross_d, invoiced_amount=D(0), paid_amount=D(paid))
    for position, amount in enumerate((first, gross_d - first), start=1):
        order.lines.append(SalesOrderLine(position=position, product_id=product_id, qty=D(1), unit_price=amount,
                                          discount=D(0), tax_rate=D(0), untaxed=amount, tax=D(0), total=amount,
                                          reserved_qty=D(0), shipped_qty=D(0)))
    db.add(order)
    db.flush()


@pytest.fixture
def book(db):
    """The five customers of DATA, B and E owned by a rep, the others by a colleague of the same team;
    returns {letter: customer} and the rep."""
    rep = make_user(db, "sales_rep", team="seg")
    colleague = make_user(db, "sales_rep", team="seg")
    uow = uow_for(db)
    product = core_services.create_product(uow, {"sku": "SEG-P", "name": "Widget", "kind": "buy",
                                                 "list_price": D("1"), "tax_rate": D("0")})
    customers = {}
    for letter, orders in DATA.items():
        customers[letter] = core_services.create_customer(uow, {
            "code": f"SEG-{letter}", "name": f"Segment {letter} Ltd",
            "owner_id": rep.id if letter in ("E", "B") else colleague.id})
        for days, gross, paid, state in orders:
            _order(db, customers[letter].id, product.id, on=AS_OF - timedelta(days=days), gross=gross, paid=paid,
                   state=state)
    return customers, rep


def test_scores_and_segments_of_a_known_data_set(db, book):
    customers, _rep = book
    frame = rfm.compute(db, as_of=AS_OF, dormant_days=180).set_index("customer_id")
    row = {letter: frame.loc[c.id] for letter, c in customers.items()}

    assert {k: v["recency_days"] for k, v in row.items()} == {"A": 5, "B": 15, "C": 150, "D": 100, "E": 200}
    assert {k: v["frequency"] for k, v in row.items()} == {"A": 5, "B": 1, "C": 4, "D": 2, "E": 1}
    assert row["A"]["monetary"] == D("5000.00") and row["A"]["paid"] == D("3000.00")
    assert row["E"]["monetary"] == D("50.00") and row["E"]["paid"] == D("0.00")  # the 400-day order is outside
    assert {k: (v["r_score"], v["f_score"], v["m_score"]) for k, v in row.items()} == {
        "A": (5, 5, 5), "B": (4, 2, 2), "C": (2, 4, 4), "D": (3, 3, 3), "E": (1, 2, 1)}
    assert {k: v["segment"] for k, v in row.items()} == {
        "A": "high_value", "B": "new", "C": "at_risk", "D": "needs_attention", "E": "dormant"}


def test_a_longer_dormant_limit_keeps_the_customer_out_of_dormant(db, book):
    customers, _rep = book
    frame = rfm.compute(db, as_of=AS_OF, dormant_days=365).set_index("customer_id")

    assert frame.loc[customers["E"].id, "segment"] == "needs_attention"


def test_refresh_marks_the_dormant_customer_and_gives_its_owner_one_follow_up_task(db, book):
    customers, rep = book
    e = customers["E"]

    first = rfm.refresh(uow_for(db), as_of=AS_OF, dormant_days=180)
    assert first.customers == 5 and first.became_dormant == (e.id,)
    assert first.by_segment["dormant"] == 1 and first.by_segment["high_value"] == 1
    db.refresh(e)
    assert e.lifecycle_stage == "dormant"
    tasks = list(db.scalars(select(Task).where(Task.customer_id == e.id)))
    assert [(t.owner_id, t.source, t.state) for t in tasks] == [(rep.id, "dormant_customer", "open")]
    stored = db.get(CustomerRfm, e.id)
    assert (stored.segment, stored.recency_days, stored.as_of) == ("dormant", 200, AS_OF)

    again = rfm.refresh(uow_for(db), as_of=AS_OF, dormant_days=180)
    assert again.became_dormant == ()
    assert len(list(db.scalars(select(Task).where(Task.customer_id == e.id)))) == 1
    assert db.scalar(select(CustomerRfm.segment).where(CustomerRfm.customer_id == e.id)) == "dormant"

    product_id = db.scalar(select(SalesOrderLine.product_id).limit(1))
    _order(db, e.id, product_id, on=AS_OF - timedelta(days=1), gross="10.00", paid="0", state="confirmed")
    woke = rfm.refresh(uow_for(db), as_of=AS_OF, dormant_days=180)
    assert woke.woke_up == (e.id,)
    db.refresh(e)
    assert e.lifecycle_stage == "won"
    assert len(list(db.scalars(select(Task).where(Task.customer_id == e.id)))) == 1


def test_a_rep_sees_the_segments_of_their_own_customers_only_and_may_not_recompute(client, db, book):
    customers, rep = book
    rfm.refresh(uow_for(db), as_of=AS_OF, dormant_days=180)
    manager = api_as(client, db, "sales_manager", team="seg")

    seen = manager.get("/customer-segments?per_page=50").get_json()
    assert {i["customer_code"] for i in seen["items"]} >= {f"SEG-{x}" for x in "ABCDE"}
    row = next(i for i in seen["items"] if i["customer_code"] == "SEG-A")
    assert (row["monetary"], row["paid"], row["segment"]) == ("5000.00", "3000.00", "high_value")
    dormant = manager.get("/customer-segments?segment=dormant").get_json()["items"]
    assert [i["customer_code"] for i in dormant] == ["SEG-E"]
    assert manager.get("/customer-segments?segment=nonsense").status_code == 422

    from tests.conftest import ApiClient

    as_rep = ApiClient(client, rep)
    assert {i["customer_code"] for i in as_rep.get("/customer-segments").get_json()["items"]} == {"SEG-B", "SEG-E"}
    assert as_rep.post("/customer-segments/refresh").status_code == 403
    assert api_as(client, db, "warehouse").get("/customer-segments").status_code == 403


def test_the_segments_page_lists_a_segment_and_recomputes_on_the_button(client, db, book):
    customers, _rep = book
    rfm.refresh(uow_for(db), as_of=AS_OF, dormant_days=180)
    sign_in(client, make_user(db, "sales_manager", team="seg"))

    page = client.get("/segments?segment=at_risk").get_data(as_text=True)
    assert 'data-customer="SEG-C"' in page and 'data-customer="SEG-A"' not in page
    assert client.get("/segments?segment=bogus").status_code == 400

    from tests.web.test_forms import csrf_token

    answer = client.post("/segments/refresh", data={"csrf_token": csrf_token(client, "/segments")})
    assert answer.status_code == 303
    # recomputed as of today: every one of the five is now far in the past, so dormant
    page = client.get("/segments?segment=dormant").get_data(as_text=True)
    assert all(f'data-customer="SEG-{x}"' in page for x in "ABCDE")
