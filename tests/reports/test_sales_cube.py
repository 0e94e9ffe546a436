"""The sales cube on a hand-computed company: every measure by every dimension, filters, scope per
role, the drill-down to the lines behind a cell, and the same answers after the roll-up into the cubes.

Two reps in two teams, two product lines. PUMP (PUMPS, price 100, cost 60), VALVE (VALVES, price 50,
cost 30), VAT 13%.
- O1, customer EAST (rep1, tier A, region East, source trade_show), 2026-03-10: 2 PUMP + 3 VALVE = 350.
  Shipped in full on 03-15 (cost 120 + 90), invoiced 03-20 (gross 226 + 169.50 = 395.50), paid 100.00 on
  04-02, shared over the invoice's lines by gross: 57.14 (PUMP) and 42.86 (VALVE).
- O2, customer NORTH (rep2, tier B, region North, source website), 2026-04-05: 1 PUMP = 100, shipped 04-06.
- O3, EAST, 2026-04-20: 1 VALVE, confirmed and cancelled: books nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, update

from core import services as core_services
from crm.orders import services as orders
from finance.invoicing import services as invoicing
from finance.models import PaymentAllocation
from finance.payments import services as payments
from reports import cube
from reports.models import SalesCubeMonth, SalesEntry
from tests.conftest import ApiClient, api_as, make_user, ok, uow_for
from tests.reports import builders
from tests.reports.builders import product_lines, stocked_product

D = Decimal
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-04-30"}


@pytest.fixture
def company(db):
    uow = uow_for(db)
    rep1 = make_user(db, "sales_rep", team="T1")
    rep2 = make_user(db, "sales_rep", team="T2")
    product_lines(db)
    products = {sku: stocked_product(uow, f"RC-{sku}", line, price, cost)
                for sku, line, price, cost in (("PUMP", "PUMPS", "100", "60"), ("VALVE", "VALVES", "50", "30"))}
    customers = {}
    for code, owner, tier, region, source in (("EAST", rep1, "A", "East", "trade_show"),
                                              ("NORTH", rep2, "B", "North", "website")):
        customer = core_services.create_customer(uow, {"code": f"RC-{code}", "name": code.title(),
                                                       "credit_limit": D("100000"), "owner_id": owner.id})
        customer.tier, customer.region, customer.source = tier, region, source
        customers[code] = customer.id
    db.flush()

    def order(customer, on, lines):
        return builders.order(uow, customers[customer], on, {products[sku]: qty for sku, qty in lines})

    def ship(sales_order, on):
        builders.ship(uow, sales_order, on)

    o1 = order("EAST", date(2026, 3, 10), [("PUMP", 2), ("VALVE", 3)])
    ship(o1, date(2026, 3, 15))
    invoice = invoicing.create_invoice(uow, {"sales_order_id": o1.id, "post": True}, on=date(2026, 3, 20))
    payment = payments.record_payment(uow, {"customer_id": customers["EAST"], "amount": D("100.00"),
                                            "date": date(2026, 4, 2)})
    payments.allocate(uow, payment.id, auto=True)
    o2 = order("NORTH", date(2026, 4, 5), [("PUMP", 1)])
    ship(o2, date(2026, 4, 6))
    o3 = order("EAST", date(2026, 4, 20), [("VALVE", 1)])
    orders.cancel_order(uow, o3.id)
    return {"rep1": rep1, "rep2": rep2, "products": products, "customers": customers, "invoice": invoice,
            "payment": payment, "orders": (o1, o2, o3)}


def _measures(row):
    return {key: row[key] for key in ("orders", "booked", "shipped", "cost", "margin", "invoiced", "collected")}


MARCH = {"orders": 1, "booked": "350.00", "shipped": "350.00", "cost": "210.00", "margin": "140.00",
         "invoiced": "350.00", "collected": "0.00"}
APRIL = {"orders": 1, "booked": "100.00", "shipped": "100.00", "cost": "60.00", "margin": "40.00",
         "invoiced": "0.00", "collected": "100.00"}
TOTALS = {"orders": 2, "booked": "450.00", "shipped": "450.00", "cost": "270.00", "margin": "180.00",
          "invoiced": "350.00", "collected": "100.00"}


def _report(api, **params):
    return ok(api.get("/reports/sales", query_string={**PERIOD, **params}))


def test_every_measure_by_month_and_the_totals(client, db, company):
    api = api_as(client, db, "management")
    answer = _report(api, by="month")
    assert [(row["month"], _measures(row)) for row in answer["rows"]] == [("2026-03", MARCH), ("2026-04", APRIL)]
    assert answer["totals"] == TOTALS
    assert answer["as_of"]


def test_by_product_line_an_order_counts_in_each_row_and_once_in_the_totals(client, db, company):
    api = api_as(client, db, "finance")
    rows = {row["product_line"]: _measures(row) for row in _report(api, by="product_line")["rows"]}
    assert rows == {
        "PUMPS": {"orders": 2, "booked": "300.00", "shipped": "300.00", "cost": "180.00", "margin": "120.00",
                  "invoiced": "200.00", "collected": "57.14"},
        "VALVES": {"orders": 1, "booked": "150.00", "shipped": "150.00", "cost": "90.00", "margin": "60.00",
                   "invoiced": "150.00", "collected": "42.86"},
    }
    assert _report(api, by="product_line")["totals"] == TOTALS
    # a filtered product line counts the orders that reach it
    assert _report(api, product_line="VALVES")["totals"]["orders"] == 1


def test_customer_and_rep_dimensions_and_filters(client, db, company):
    api = api_as(client, db, "admin")
    rep1, rep2 = company["rep1"], company["rep2"]
    answer = _report(api, by="source,tier,region,rep,team")
    assert [(r["source"], r["tier"], r["region"], r["rep_id"], r["rep_name"], r["team"], r["booked"])
            for r in answer["rows"]] == [
        ("trade_show", "A", "East", rep1.id, rep1.display_name, "T1", "350.00"),
        ("website", "B", "North", rep2.id, rep2.display_name, "T2", "100.00")]
    assert _report(api, tier="B")["totals"]["booked"] == "100.00"
    assert _report(api, rep=rep1.id, by="month")["rows"][0]["collected"] == "0.00"
    assert _report(api, source="trade_show", month="2026-04")["totals"]["collected"] == "100.00"


def test_a_rep_sees_only_their_own_and_a_manager_the_team(client, db, company):
    rep2 = ApiClient(client, company["rep2"])
    assert [row["rep_id"] for row in _report(rep2, by="rep")["rows"]] == [company["rep2"].id]
    assert _report(rep2, rep=company["rep1"].id)["rows"] == []
    own = api_as(client, db, "sales_rep")  # a rep with no orders
    assert _report(own, by="rep")["rows"] == []
    manager = api_as(client, db, "sales_manager", team="T1")
    rows = _report(manager, by="rep")["rows"]
    assert [row["rep_id"] for row in rows] == [company["rep1"].id]
    # asking for another rep gives nothing beyond the scope
    assert _report(manager, rep=company["rep2"].id)["rows"] == []
    assert _report(manager, rep=company["rep2"].id)["totals"]["booked"] == "0.00"
    assert api_as(client, db, "warehouse").get("/reports/sales").status_code == 403


def test_the_cell_drills_down_to_its_lines(client, db, company):
    api = api_as(client, db, "management")
    page = ok(api.get("/reports/sales/lines", query_string={
        **PERIOD, "measure": "collected", "month": "2026-04", "product_line": "PUMPS"}))
    assert page["total"] == 1
    assert page["items"][0]["number"] == company["payment"].number
    assert page["items"][0]["amount"] == "57.14"
    assert page["items"][0]["date"] == "2026-04-02"
    margin = ok(api.get("/reports/sales/lines", query_string={**PERIOD, "measure": "margin", "month": "2026-03"}))
    assert margin["total"] == 4
    assert sum(D(item["amount"]) for item in margin["items"]) == D("140.00")
    booked = ok(api.get("/reports/sales/lines", query_string={**PERIOD, "measure": "booked",
                                                              "per_page": 2, "page": 1}))
    # O3 booked and taken back, O2, O1's two lines
    assert booked["total"] == 5 and len(booked["items"]) == 2
    assert sum(D(item["amount"]) for item in booked["items"]) == D("0")  # O3's line and its cancellation


def test_answers_are_the_same_after_the_roll_up_and_across_partial_months(client, db, company):
    api = api_as(client, db, "management")
    partial = {"date_from": "2026-03-12", "date_to": "2026-04-05"}
    before = ok(api.get("/reports/sales", query_string={**partial, "by": "month,product_line"}))
    by_month = _report(api, by="month")
    assert cube.pending(db) > 0
    refreshed = ok(api.post("/reports/refresh"))
    assert refreshed["rolled_up"] > 0
    assert cube.pending(db) == 0
    after = ok(api.get("/reports/sales", query_string={**partial, "by": "month,product_line"}))
    assert after["rows"] == before["rows"] and after["totals"] == before["totals"]
    assert _report(api, by="month")["rows"] == by_month["rows"]
    # O1 was booked on 03-10, before the range; its shipment on 03-15 is inside; O2 booked on 04-05
    assert before["totals"]["booked"] == "100.00"
    assert before["totals"]["shipped"] == "350.00"
    assert before["totals"]["collected"] == "100.00"
    # new entries after the roll-up are counted on top of the cubes
    allocation = db.scalars(select(PaymentAllocation).where(
        PaymentAllocation.payment_id == company["payment"].id)).one()
    payments.undo_allocation(uow_for(db), company["payment"].id, allocation.id)
    assert _report(api)["totals"]["collected"] == "0.00"
    assert db.scalar(select(func.count()).select_from(SalesEntry).where(SalesEntry.cubed.is_(False))) == 2


def test_refresh_is_for_management_and_admin(client, db, company):
    assert api_as(client, db, "sales_manager").post("/reports/refresh").status_code == 403


@pytest.mark.parametrize(("params", "field"), [
    ({"by": "colour"}, "by"),
    ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "date_from"),
    ({"month": "2026-13"}, "month"),
    ({"date_to": "2026-02-30"}, "date_to"),
])
def test_bad_arguments_name_the_field(client, db, params, field):
    answer = api_as(client, db, "management").get("/reports/sales", query_string=params)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


def test_drill_down_needs_a_known_measure(client, db):
    answer = api_as(client, db, "management").get("/reports/sales/lines", query_string={"measure": "profit"})
    assert answer.status_code == 422
    assert "measure" in answer.get_json()["error"]["fields"]


def test_the_workbook_holds_the_rows_and_the_totals(client, db, company):
    api = api_as(client, db, "management")
    answer = api.get("/reports/sales.xlsx", query_string={**PERIOD, "by": "month"})
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][:3] == ["Month", "Orders", "Booked sales"]
    assert values[1][:3] == ["2026-03", 1, 350]
    assert values[3][:3] == ["Totals", 2, 450]


def test_the_beat_rolls_the_entries_up(app, db, company, client):
    celery = app.extensions["celery"]
    assert any(entry["task"] == "reports.roll_up_sales" and entry["schedule"] <= 60
               for entry in celery.conf.beat_schedule.values())
    api = api_as(client, db, "management")
    before = _report(api, by="month,product_line,rep")
    waiting = cube.pending(db)
    with app.app_context():
        assert celery.tasks["reports.roll_up_sales"].apply().get() == waiting
        assert celery.tasks["reports.roll_up_sales"].apply().get() == 0
    assert cube.pending(db) == 0
    after = _report(api, by="month,product_line,rep")
    assert after["rows"] == before["rows"] and after["totals"] == before["totals"]


def test_rebuilding_the_cubes_from_the_entries_gives_the_same_answers(app, db, company, client):
    api = api_as(client, db, "management")
    before = _report(api, by="month,product_line,source")
    cube.roll_up(db)
    db.execute(update(SalesCubeMonth).values(booked=0))  # a damaged cube
    assert _report(api, by="month,product_line,source")["totals"] != before["totals"]
    assert cube.rebuild(db) == 0
    assert _report(api, by="month,product_line,source") | {"as_of": None} == before | {"as_of": None}
