"""Operations and cash reports on small hand-computed companies built through the services: backlog,
late orders, on time in full, stock value, slow movers, late purchase and work orders; collections per
week, receivable, overdue and DSO per month; filters, scope per role, and the workbooks read back
against the JSON. Today is Monday 2026-06-15 (China time) throughout.

The plant (`plant`): rep1 (team T1) owns customer EAST, rep2 (team T2) owns NORTH. Products, opening
stock on 2026-01-05: PUMP (PUMPS, 100 at cost 60, 100 pcs), VALVE (VALVES, 50 at 30, 100), OLDPART
(VALVES, 40 at 20, 5), GEAR (no line, 10 at 7.50, 10). Orders (untaxed):
- G EAST 01-20, wants 02-01: 1 OLDPART, shipped 02-01: on time (February).
- A EAST 05-01, wants 05-10: 2 PUMP + 2 VALVE = 300, shipped 05-08: on time (May).
- B NORTH 05-02, wants 05-05: 1 PUMP = 100, shipped 05-20: late (May).
- H NORTH 05-25, wants 05-31: 1 VALVE = 50, shipped 06-01 07:00 China time (05-31 23:00 UTC): a June
  shipment, one day late.
- C EAST 06-01, wants 06-10: 4 PUMP + 2 VALVE = 500; 1 PUMP shipped 06-05, open 300 + 100 = 400: late 5 days.
- D NORTH 06-10, wants 06-30: 1 VALVE = 50, open.
- E EAST a draft and F NORTH confirmed then cancelled, both wanted 06-01: neither counts.
Backlog C and D: 2 orders, 450.00; late: C, 400.00.
Stock: PUMP 100 - 4 = 96 pcs, 6000 - 240 = 5760.00; VALVE 97, 3000 - 90 = 2910.00; OLDPART 4, 80.00;
GEAR 10, 75.00. Per line: PUMPS 5760.00, VALVES 2990.00, no line 75.00.
Slow movers (nothing out since 2026-03-18): OLDPART (last issue 02-01, 80.00), GEAR (never, 75.00)."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import event, select

from core import services as core_services
from core.formatting import CHINA
from core.models import Product, ProductLine
from crm.orders import services as orders
from finance.invoicing import credit_notes
from finance.invoicing import services as invoicing
from finance.journal.booking import stock_valuation
from finance.payments import services as payments
from finance.queries import aging_rows
from inventory import services as inventory
from inventory import shipping
from purchasing import services as purchasing
from reports import operations
from tests.conftest import ApiClient, api_as, make_user, ok, uow_for
from tests.flows.worked_example import build_worked_example, pump_order
from tests.reports import builders
from tests.reports.builders import product_lines, stocked_product

D = Decimal
TODAY = date(2026, 6, 15)


def at(day: date, hour: int = 10) -> datetime:
    """A moment of a China-time day."""
    return datetime.combine(day, time(hour), CHINA)


NOW = at(TODAY, 9)


def day(text: str) -> date:
    return date.fromisoformat(text)


# --------------------------------------------------------------------------- the plant


@pytest.fixture
def plant(db, clock):
    uow = uow_for(db)
    rep1 = make_user(db, "sales_rep", team="T1")
    rep2 = make_user(db, "sales_rep", team="T2")
    product_lines(db)
    with clock.frozen_at(at(day("2026-01-05"))):
        products = {sku: stocked_product(uow, f"OP-{sku}", line, price, cost, stock) for sku, line, price, cost, stock in (
            ("PUMP", "PUMPS", "100", "60", 100), ("VALVE", "VALVES", "50", "30", 100),
            ("OLDPART", "VALVES", "40", "20", 5), ("GEAR", None, "10", "7.5", 10))}
    customers = {}
    for code, owner in (("EAST", rep1), ("NORTH", rep2)):
        customers[code] = core_services.create_customer(uow, {"code": f"OP-{code}", "name": code.title(),
                                                              "credit_limit": D("100000"), "owner_id": owner.id}).id

    def order(customer, on, wants, lines, *, confirm=True):
        with clock.frozen_at(at(day(on))):
            return builders.order(uow, customers[customer], day(on), {products[sku]: qty for sku, qty in lines},
                                  requested=day(wants), confirm=confirm)

    def ship(sales_order, on, lines=None, hour=10):
        with clock.frozen_at(at(day(on), hour)):
            builders.ship(uow, sales_order, day(on), {products[sku]: qty for sku, qty in lines or ()})

    g = order("EAST", "2026-01-20", "2026-02-01", [("OLDPART", 1)])
    ship(g, "2026-02-01")
    a = order("EAST", "2026-05-01", "2026-05-10", [("PUMP", 2), ("VALVE", 2)])
    b = order("NORTH", "2026-05-02", "2026-05-05", [("PUMP", 1)])
    ship(a, "2026-05-08")
    ship(b, "2026-05-20")
    h = order("NORTH", "2026-05-25", "2026-05-31", [("VALVE", 1)])
    ship(h, "2026-06-01", hour=7)
    c = order("EAST", "2026-06-01", "2026-06-10", [("PUMP", 4), ("VALVE", 2)])
    ship(c, "2026-06-05", [("PUMP", 1)])
    d = order("NORTH", "2026-06-10", "2026-06-30", [("VALVE", 1)])
    order("EAST", "2026-06-11", "2026-06-01", [("PUMP", 1)], confirm=False)
    f = order("NORTH", "2026-06-11", "2026-06-01", [("VALVE", 1)])
    with clock.frozen_at(at(day("2026-06-12"))):
        orders.cancel_order(uow, f.id)
    return {"rep1": rep1, "rep2": rep2, "products": products, "customers": customers,
            "orders": {"A": a, "B": b, "C": c, "D": d, "G": g, "H": h}}


def report(client, db, clock, role, path="/reports/operations", status=200, user_team=None, **params):
    """The answer to a user of `role` (of team `user_team`) asking `path` with `params`, today."""
    with clock.frozen_at(NOW):
        api = api_as(client, db, role, team=user_team)
        return ok(api.get(path, query_string=params), status)


def otif_months(answer) -> dict:
    return {row["month"]: (row["orders_shipped"], row["on_time_in_full"], row["rate"])
            for row in answer["otif"] if row["orders_shipped"]}


# --------------------------------------------------------------------------- orders


def test_the_backlog_is_the_untaxed_value_of_what_confirmed_orders_still_have_to_ship(client, db, clock, plant):
    answer = report(client, db, clock, "management")
    assert answer["backlog"] == {"orders": 2, "amount": "450.00"}
    c = plant["orders"]["C"]
    assert answer["late_orders"] == {"orders": 1, "amount": "400.00", "items": [
        {"order_id": c.id, "number": c.number, "customer_code": "OP-EAST", "customer": "East",
         "requested_date": "2026-06-10", "days_late": 5, "amount": "400.00"}]}
    assert answer["today"] == "2026-06-15" and answer["as_of"]


def test_on_time_in_full_counts_orders_by_the_china_day_their_last_shipment_left(client, db, clock, plant):
    answer = report(client, db, clock, "management")
    assert [row["month"] for row in answer["otif"]] == [f"2025-{m:02d}" for m in range(7, 13)] + [
        f"2026-{m:02d}" for m in range(1, 7)]
    # H left at 07:00 on June 1st China time (still May 31st in UTC): a June shipment, a day late
    assert otif_months(answer) == {"2026-02": (1, 1, "1.0000"), "2026-05": (2, 1, "0.5000"),
                                   "2026-06": (1, 0, "0.0000")}
    assert answer["otif"][0] == {"month": "2025-07", "orders_shipped": 0, "on_time_in_full": 0, "rate": None}


def test_stock_value_per_product_line_is_the_ledgers_and_agrees_with_the_journals_valuation(client, db, clock, plant):
    answer = report(client, db, clock, "warehouse")
    assert answer["stock_value"] == [{"product_line": "PUMPS", "value": "5760.00"},
                                     {"product_line": "VALVES", "value": "2990.00"},
                                     {"product_line": None, "value": "75.00"}]
    lines = dict(db.execute(select(Product.id, Product.product_line)).all())
    by_line: dict = {}
    for product_id, value in stock_valuation(db).items():
        by_line[lines[product_id]] = by_line.get(lines[product_id], D(0)) + value
    assert {row["product_line"]: D(row["value"]) for row in answer["stock_value"]} == by_line


def test_slow_movers_have_stock_and_nothing_shipped_or_issued_for_90_days(client, db, clock, plant):
    answer = report(client, db, clock, "management")
    products = plant["products"]
    assert answer["slow_movers"] == [
        {"product_id": products["OLDPART"], "sku": "OP-OLDPART", "name": "Oldpart", "on_hand": "4.0000",
         "value": "80.00", "last_issue": "2026-02-01"},
        {"product_id": products["GEAR"], "sku": "OP-GEAR", "name": "Gear", "on_hand": "10.0000", "value": "75.00",
         "last_issue": None}]


def test_a_product_line_narrows_every_part_to_its_products(client, db, clock, plant):
    pumps = report(client, db, clock, "management", product_line="PUMPS")
    assert pumps["backlog"] == {"orders": 1, "amount": "300.00"}
    assert (pumps["late_orders"]["orders"], pumps["late_orders"]["amount"]) == (1, "300.00")
    assert pumps["late_orders"]["items"][0]["amount"] == "300.00"
    assert otif_months(pumps) == {"2026-05": (2, 1, "0.5000")}
    assert pumps["stock_value"] == [{"product_line": "PUMPS", "value": "5760.00"}]
    assert pumps["slow_movers"] == []
    valves = report(client, db, clock, "management", product_line="VALVES")
    assert valves["backlog"] == {"orders": 2, "amount": "150.00"}
    assert [row["sku"] for row in valves["slow_movers"]] == ["OP-OLDPART"]


def test_a_team_narrows_the_orders_to_its_reps(client, db, clock, plant):
    south = report(client, db, clock, "finance", team="T2")
    assert south["backlog"] == {"orders": 1, "amount": "50.00"}
    assert south["late_orders"] == {"orders": 0, "amount": "0.00", "items": []}
    assert otif_months(south) == {"2026-05": (1, 0, "0.0000"), "2026-06": (1, 0, "0.0000")}
    assert south["stock_value"] is not None  # stock belongs to no team


def test_an_unknown_product_line_is_refused_naming_the_field(client, db, clock, plant):
    body = report(client, db, clock, "management", status=422, product_line="NOPE")
    assert list(body["error"]["fields"]) == ["product_line"]


# --------------------------------------------------------------------------- scope


def test_a_sales_rep_sees_only_their_orders_and_no_stock_or_supply(client, db, clock, plant):
    with clock.frozen_at(NOW):
        rep1 = ok(ApiClient(client, plant["rep1"]).get("/reports/operations"))
        rep2 = ok(ApiClient(client, plant["rep2"]).get("/reports/operations"))
    assert rep1["backlog"] == {"orders": 1, "amount": "400.00"}
    assert rep1["late_orders"]["orders"] == 1
    assert otif_months(rep1) == {"2026-02": (1, 1, "1.0000"), "2026-05": (1, 1, "1.0000")}
    assert rep2["backlog"] == {"orders": 1, "amount": "50.00"} and rep2["late_orders"]["items"] == []
    for answer in (rep1, rep2):
        assert (answer["stock_value"], answer["slow_movers"], answer["late_purchase_orders"],
                answer["late_work_orders"]) == (None, None, None, None)
    # naming the other team changes nothing of what a rep may see: nothing of theirs is in it
    with clock.frozen_at(NOW):
        assert ok(ApiClient(client, plant["rep1"]).get("/reports/operations?team=T2"))["backlog"]["orders"] == 0


def test_a_sales_manager_sees_the_teams_orders(client, db, clock, plant):
    answer = report(client, db, clock, "sales_manager", user_team="T1")
    assert answer["backlog"] == {"orders": 1, "amount": "400.00"}
    assert answer["stock_value"] is None


def test_purchasing_and_production_read_operations_but_not_cash(client, db, clock, plant):
    purchasing_view = report(client, db, clock, "purchasing")
    assert purchasing_view["late_purchase_orders"] == {"count": 0, "items": []}
    assert purchasing_view["backlog"] == {"orders": 2, "amount": "450.00"}
    report(client, db, clock, "production", path="/reports/cash", status=403)


# --------------------------------------------------------------------------- purchasing and production


def test_late_purchase_orders_and_work_orders_are_those_past_their_date_and_not_finished(client, db, clock):
    """The worked example's pump order (10 pumps, 2 in stock) confirmed on 05-20 for 06-01: work orders
    PUMP 8 (due 06-01) and HOUSING 7 (due 05-29); purchase orders made the same day: S1 for MOTOR
    expected 05-30 (lead 10 days), S2 for STEEL expected 05-27 (7 days). STEEL arrives in full; MOTOR
    does not. PUMP is in line PUMPS."""
    uow = uow_for(db)
    db.add(ProductLine(code="PUMPS", name="Pumps"))
    db.flush()
    with clock.frozen_at(at(day("2026-05-20"))):
        example = build_worked_example(uow, prefix="LT-")
        db.get(Product, example.products["PUMP"]).product_line = "PUMPS"
        order = pump_order(uow, example, 10, requested=day("2026-06-01"))
        orders.confirm_order(uow, order.id, on=day("2026-05-20"))
        made = purchasing.create_orders_from_plans(uow, on=day("2026-05-20"))
        for purchase_order in made:
            purchasing.confirm_purchase_order(uow, purchase_order.id)
    by_supplier = {po.supplier_id: po for po in made}
    motor_po, steel_po = by_supplier[example.suppliers["S1"]], by_supplier[example.suppliers["S2"]]
    with clock.frozen_at(at(day("2026-05-27"))):
        purchasing.receive_purchase_order(uow, steel_po.id, [{"product_id": example.products["STEEL"],
                                                              "qty": steel_po.lines[0].qty}])
    answer = report(client, db, clock, "production")
    assert answer["late_purchase_orders"] == {"count": 1, "items": [
        {"purchase_order_id": motor_po.id, "number": motor_po.number, "supplier_code": "LT-S1",
         "supplier": "Supplier S1", "expected_date": "2026-05-30", "days_late": 16, "late_lines": 1}]}
    work = answer["late_work_orders"]
    assert work["count"] == 2
    assert [(row["sku"], row["qty"], row["due_date"], row["days_late"], row["state"]) for row in work["items"]] == [
        ("LT-HOUSING", "7.0000", "2026-05-29", 17, "planned"), ("LT-PUMP", "8.0000", "2026-06-01", 14, "planned")]
    pumps = report(client, db, clock, "production", product_line="PUMPS")
    assert pumps["late_work_orders"]["count"] == 1 and pumps["late_purchase_orders"]["count"] == 0


def test_the_report_is_a_fixed_number_of_grouped_queries_whatever_the_data(db, clock, plant):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with clock.frozen_at(NOW):
            operations.operations_report(uow_for(db), {})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # backlog and late orders (2), on time in full, stock value, slow movers, purchase orders (2), work orders (2);
    # on PostgreSQL `as_of` asks whether it reads a replica
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "pg_is_in_recovery" not in s]
    assert len(reads) == 9


# --------------------------------------------------------------------------- workbooks


def _sheet_rows(book, title):
    return [row for row in book[title].iter_rows(min_row=3, values_only=True)]


def _num(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_the_operations_workbook_holds_the_figures_of_the_json(client, db, clock, plant):
    answer = report(client, db, clock, "management")
    with clock.frozen_at(NOW):
        api = api_as(client, db, "management")
        response = api.get("/reports/operations.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Operations", "Late orders", "On time in full", "Stock value", "Slow movers",
                               "Late purchase orders", "Late work orders"]
    summary = _sheet_rows(book, "Operations")
    assert [(label, count) for label, count, _amount in summary] == [
        ("Order backlog", 2), ("Late orders", 1), ("Late purchase orders", 0), ("Late work orders", 0)]
    assert _num(summary[0][2]) == D(answer["backlog"]["amount"])
    assert _num(summary[1][2]) == D(answer["late_orders"]["amount"])
    late = _sheet_rows(book, "Late orders")
    item = answer["late_orders"]["items"][0]
    assert [(n, code, requested.date().isoformat(), days, _num(amount)) for n, code, _c, requested, days, amount in late] \
        == [(item["number"], "OP-EAST", item["requested_date"], 5, D(item["amount"]))]
    otif = _sheet_rows(book, "On time in full")
    assert [(m, s, o, None if r is None else Decimal(str(r)).quantize(D("0.0001"))) for m, s, o, r in otif] == [
        (row["month"], row["orders_shipped"], row["on_time_in_full"], None if row["rate"] is None else D(row["rate"]))
        for row in answer["otif"]]
    assert [(line, _num(value)) for line, value in _sheet_rows(book, "Stock value")] == [
        (row["product_line"], D(row["value"])) for row in answer["stock_value"]]
    assert [(sku, Decimal(str(qty)), _num(value)) for sku, _name, qty, value, _last in _sheet_rows(book, "Slow movers")] \
        == [(row["sku"], D(row["on_hand"]), D(row["value"])) for row in answer["slow_movers"]]


def test_a_sales_reps_workbook_leaves_out_what_they_do_not_see(client, db, clock, plant):
    with clock.frozen_at(NOW):
        response = ApiClient(client, plant["rep1"]).get("/reports/operations.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Operations", "Late orders", "On time in full"]
    assert [(label, count) for label, count, _amount in _sheet_rows(book, "Operations")] == [
        ("Order backlog", 1), ("Late orders", 1)]


# --------------------------------------------------------------------------- cash


@pytest.fixture
def books(db, clock):
    """EAST (rep1, T1) and NORTH (rep2, T2), 30-day terms, PUMP at 100 + 13% VAT.
    Invoices: I1 EAST 2 PUMP = 226.00 on 04-10 (due 05-10); I2 NORTH 113.00 on 05-20 (due 06-19); I3 EAST
    113.00 on 06-02 (due 07-02), less a credit note of 11.30 (10.00 + VAT) on 06-03: 101.70.
    Payments: EAST 100.00 on 05-12 applied to I1; NORTH 13.00 on 06-09 applied to I2; EAST 50.00 on 06-15
    not applied (it lowers nothing in the aging)."""
    uow = uow_for(db)
    rep1 = make_user(db, "sales_rep", team="T1")
    rep2 = make_user(db, "sales_rep", team="T2")
    pump = core_services.create_product(uow, {"sku": "CB-PUMP", "name": "Pump", "kind": "buy",
                                              "list_price": D("100"), "standard_cost": D("60"), "tax_rate": D("0.13")})
    with clock.frozen_at(at(day("2026-03-01"))):
        inventory.adjust_stock(uow, {"product_id": pump.id, "qty": D(50), "reason": "opening stock"})
    customers = {code: core_services.create_customer(uow, {
        "code": f"CB-{code}", "name": code.title(), "credit_limit": D("100000"), "payment_terms_days": 30,
        "owner_id": owner.id}).id for code, owner in (("EAST", rep1), ("NORTH", rep2))}

    def invoice(customer, qty, ordered, shipped, invoiced):
        with clock.frozen_at(at(day(ordered))):
            made = orders.create_order(uow, {"customer_id": customers[customer], "lines": [
                {"product_id": pump.id, "qty": D(qty)}]}, on=day(ordered))
            orders.confirm_order(uow, made.id, on=day(ordered))
        with clock.frozen_at(at(day(shipped))):
            shipment = shipping.create_shipment(uow, {"sales_order_id": made.id}, on=day(shipped))
            shipping.ship_shipment(uow, shipment.id, on=day(shipped))
        with clock.frozen_at(at(day(invoiced))):
            return invoicing.create_invoice(uow, {"sales_order_id": made.id, "invoice_date": day(invoiced),
                                                  "post": True}, on=day(invoiced))

    def pay(customer, amount, on, invoice=None):
        with clock.frozen_at(at(day(on))):
            payment = payments.record_payment(uow, {"customer_id": customers[customer], "amount": D(amount),
                                                    "date": day(on)})
            if invoice is not None:
                payments.allocate(uow, payment.id, allocations=[{"invoice_id": invoice.id, "amount": D(amount)}])

    i1 = invoice("EAST", 2, "2026-04-01", "2026-04-05", "2026-04-10")
    pay("EAST", "100.00", "2026-05-12", i1)
    i2 = invoice("NORTH", 1, "2026-05-15", "2026-05-18", "2026-05-20")
    i3 = invoice("EAST", 1, "2026-05-28", "2026-05-30", "2026-06-02")
    with clock.frozen_at(at(day("2026-06-03"))):
        credit_notes.create_credit_note(uow, i3.id, {"kind": "price_correction", "credit_date": day("2026-06-03"),
                                                     "lines": [{"invoice_line_id": i3.lines[0].id,
                                                                "amount": D("10.00")}]})
    pay("NORTH", "13.00", "2026-06-09", i2)
    with clock.frozen_at(at(TODAY, 8)):
        pay("EAST", "50.00", "2026-06-15")
    assert (i1.total, i2.total, i3.total) == (D("226.00"), D("113.00"), D("101.70"))
    return {"rep1": rep1, "rep2": rep2, "customers": customers}


def weeks_with_money(answer) -> dict:
    return {row["week_start"]: row["amount"] for row in answer["collected_by_week"] if row["amount"] != "0.00"}


def test_cash_collected_per_iso_week_receivable_overdue_and_dso_per_month(client, db, clock, books):
    answer = report(client, db, clock, "finance", path="/reports/cash", months=3)
    weeks = [row["week_start"] for row in answer["collected_by_week"]]
    assert len(weeks) == 12 and weeks[0] == "2026-03-30" and weeks[-1] == "2026-06-15"
    assert weeks_with_money(answer) == {"2026-05-11": "100.00", "2026-06-08": "13.00", "2026-06-15": "50.00"}
    # open: I1 126.00 (overdue since 05-10), I2 100.00, I3 101.70
    assert (answer["receivable"], answer["overdue"]) == ("327.70", "126.00")
    assert answer["dso_by_month"] == [
        # April: 226.00 owed, 226.00 billed in the 90 days: 90 days
        {"month": "2026-04", "month_end": "2026-04-30", "receivable": "226.00", "sales": "226.00", "dso": "90.0"},
        # May: 339.00 billed - 100.00 applied on 05-12 = 239.00; sales 339.00: 239 / 339 x 90 = 63.45
        {"month": "2026-05", "month_end": "2026-05-31", "receivable": "239.00", "sales": "339.00", "dso": "63.5"},
        # today: 452.00 - 11.30 credited - 113.00 applied = 327.70; sales 226 + 113 + 101.70 = 440.70 -> 66.92
        {"month": "2026-06", "month_end": "2026-06-15", "receivable": "327.70", "sales": "440.70", "dso": "66.9"},
    ]


def test_this_months_dso_and_receivable_are_the_aging_reports(client, db, clock, books):
    answer = report(client, db, clock, "management", path="/reports/cash", months=1)
    with clock.frozen_at(NOW):
        _rows, totals = aging_rows(db, as_of=TODAY)
    assert (D(answer["receivable"]), D(answer["dso_by_month"][-1]["dso"])) == (totals.total, totals.dso)


def test_cash_scope_follows_the_customers_owner(client, db, clock, books):
    with clock.frozen_at(NOW):
        east = ok(ApiClient(client, books["rep1"]).get("/reports/cash?months=1"))
        north = ok(ApiClient(client, books["rep2"]).get("/reports/cash?months=1"))
    assert (east["receivable"], east["overdue"]) == ("227.70", "126.00")
    assert weeks_with_money(east) == {"2026-05-11": "100.00", "2026-06-15": "50.00"}
    # NORTH: 100.00 owed of 113.00 billed in the window: 100 / 113 x 90 = 79.65
    assert (north["receivable"], north["overdue"], north["dso_by_month"][-1]["dso"]) == ("100.00", "0.00", "79.6")
    team = report(client, db, clock, "sales_manager", path="/reports/cash", user_team="T2", months=1)
    assert team["receivable"] == "100.00"
    filtered = report(client, db, clock, "management", path="/reports/cash", months=1, team="T1")
    assert filtered["receivable"] == "227.70"


def test_bad_week_and_month_counts_are_refused_naming_each_field(client, db, clock, books):
    body = report(client, db, clock, "finance", path="/reports/cash", status=422, weeks=0, months=37)
    assert set(body["error"]["fields"]) == {"weeks", "months"}


def test_the_cash_workbook_holds_the_figures_of_the_json(client, db, clock, books):
    answer = report(client, db, clock, "finance", path="/reports/cash", months=3)
    with clock.frozen_at(NOW):
        response = api_as(client, db, "finance").get("/reports/cash.xlsx?months=3")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Cash", "Collected per week", "DSO per month"]
    assert [(label, _num(amount)) for label, amount in _sheet_rows(book, "Cash")] == [
        ("Receivable", D(answer["receivable"])), ("Overdue", D(answer["overdue"]))]
    assert [(week.date().isoformat(), _num(amount)) for week, amount in _sheet_rows(book, "Collected per week")] == [
        (row["week_start"], D(row["amount"])) for row in answer["collected_by_week"]]
    assert [(month, _num(receivable), _num(sales), Decimal(str(dso)).quantize(D("0.1")))
            for month, receivable, sales, dso in _sheet_rows(book, "DSO per month")] == [
        (row["month"], D(row["receivable"]), D(row["sales"]), D(row["dso"])) for row in answer["dso_by_month"]]
