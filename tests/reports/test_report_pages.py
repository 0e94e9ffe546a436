"""The pages of operations and cash, forecast against actual and the funnel, on a hand-computed company
built through the services. Today is Monday 2026-06-15 (China time) throughout.

rep1 "Wang Fang" (team T1) owns customer EAST, rep2 "Zhao Lei" (T2) owns NORTH; 30-day terms, VAT 13%.
Products, opening stock on 2026-01-05: PUMP (PUMPS, 100 at cost 60, 100 pcs), VALVE (VALVES, 50 at 30,
100), OLDPART (VALVES, 40 at 20, 5). Orders (untaxed):
- A EAST 05-01, wants 05-10: 2 PUMP = 200, shipped 05-08 (on time); invoiced 05-12: 226.00, due 06-11.
- B NORTH 05-02, wants 05-05: 1 PUMP = 100, shipped 05-20 (late); invoiced 05-25: 113.00, due 06-24.
- C EAST 06-01, wants 06-10: 4 PUMP + 2 VALVE = 500; 1 PUMP shipped 06-05: open 300 + 100 = 400, 5 days late.
- D NORTH 06-10, wants 06-30: 1 VALVE = 50, open.
Backlog C and D: 2 orders, 450.00; late: C, 400.00. On time in full, May: 2 shipped, 1 on time (50%).
Stock: PUMP 96 x 60 = 5760.00; VALVES: VALVE 3000.00 + OLDPART 100.00 = 3100.00. Slow movers (nothing out in
90 days): VALVE 3000.00 and OLDPART 100.00, neither ever issued.
Cash: EAST paid 100.00 on 06-08 against A. Receivable 126.00 + 113.00 = 239.00, overdue 126.00 (A); DSO in
June: 239 / 339 x 90 = 63.45 -> 63.5; at May's end 339 / 339 x 90 = 90.0. EAST: 126.00 owed, all overdue.
Forecast snapshots: rep1 April 100, May 250; rep2 May 200. Booked: rep1 May 200 (A), rep2 May 100 (B).
April and May: rep1 0% and 80% (1 - 50 / 250), mean 40%; rep2 50%.
Leads (scored A, routed R1 -> rep1, R2 -> rep2): L1 R1 "Trade Show" 06-02 10:00, converted 06-03 10:00 and
won 06-08 10:00 without a quote (6.0 days from the lead, 5.0 days in qualification); L2 R1 "Trade Show"
06-04; L3 R2 UTM "baidu" 06-05."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from core import services as core_services
from core.formatting import CHINA
from core.models import Product
from crm.leads import services as leads
from crm.leads.conversion import convert_lead
from crm.orders import services as orders
from crm.pipeline import services as pipeline
from finance.invoicing import services as invoicing
from finance.payments import services as payments
from purchasing import services as purchasing
from reports.forecast import ForecastSnapshot
from tests.conftest import make_user, uow_for
from tests.flows.worked_example import build_worked_example, pump_order
from tests.reports import builders
from tests.reports.builders import product_lines, stocked_product
from tests.web.test_forms import csrf_token, sign_in

D = Decimal
TODAY = date(2026, 6, 15)
JUNE = "date_from=2026-06-01&date_to=2026-06-15"


def at(day: date, hour: int = 10) -> datetime:
    """A moment of a China-time day."""
    return datetime.combine(day, time(hour), CHINA)


def cn(month: int, day: int, hour: int = 10) -> datetime:
    return at(date(2026, month, day), hour).astimezone(UTC)


def day(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def company(db, clock):
    uow = uow_for(db)
    rep1 = make_user(db, "sales_rep", team="T1")
    rep2 = make_user(db, "sales_rep", team="T2")
    rep1.full_name, rep2.full_name = "Wang Fang", "Zhao Lei"
    product_lines(db)
    with clock.frozen_at(at(day("2026-01-05"))):
        products = {sku: stocked_product(uow, f"RP-{sku}", line, price, cost, stock) for sku, line, price, cost, stock in (
            ("PUMP", "PUMPS", "100", "60", 100), ("VALVE", "VALVES", "50", "30", 100),
            ("OLDPART", "VALVES", "40", "20", 5))}
    customers = {code: core_services.create_customer(uow, {
        "code": f"RP-{code}", "name": code.title(), "credit_limit": D("100000"), "payment_terms_days": 30,
        "owner_id": owner.id}).id for code, owner in (("EAST", rep1), ("NORTH", rep2))}

    def order(customer, on, wants, lines):
        with clock.frozen_at(at(day(on))):
            return builders.order(uow, customers[customer], day(on), {products[sku]: qty for sku, qty in lines},
                                  requested=day(wants))

    def ship(sales_order, on, lines=None):
        with clock.frozen_at(at(day(on))):
            builders.ship(uow, sales_order, day(on), {products[sku]: qty for sku, qty in lines or ()})

    def invoice(sales_order, on):
        with clock.frozen_at(at(day(on))):
            return invoicing.create_invoice(uow, {"sales_order_id": sales_order.id, "invoice_date": day(on),
                                                  "post": True}, on=day(on))

    a = order("EAST", "2026-05-01", "2026-05-10", [("PUMP", 2)])
    b = order("NORTH", "2026-05-02", "2026-05-05", [("PUMP", 1)])
    ship(a, "2026-05-08")
    invoice_a = invoice(a, "2026-05-12")
    ship(b, "2026-05-20")
    invoice_b = invoice(b, "2026-05-25")
    c = order("EAST", "2026-06-01", "2026-06-10", [("PUMP", 4), ("VALVE", 2)])
    ship(c, "2026-06-05", [("PUMP", 1)])
    d = order("NORTH", "2026-06-10", "2026-06-30", [("VALVE", 1)])
    with clock.frozen_at(at(day("2026-06-08"))):
        payment = payments.record_payment(uow, {"customer_id": customers["EAST"], "amount": D("100.00"),
                                                "date": day("2026-06-08")})
        payments.allocate(uow, payment.id, allocations=[{"invoice_id": invoice_a.id, "amount": D("100.00")}])
    assert (invoice_a.total, invoice_b.total) == (D("226.00"), D("113.00"))

    for rep, month, weighted in ((rep1, "2026-04", "100"), (rep1, "2026-05", "250"), (rep2, "2026-05", "200")):
        db.add(ForecastSnapshot(month=month, rep_id=rep.id, weighted=D(weighted), opportunities=1,
                                taken_at=cn(int(month[5:]), 1, 0)))

    leads.create_scoring_rule(uow, {"field": "industry", "value": "pumps", "points": 65, "label": "Pumps"})
    for region, rep in (("R1", rep1), ("R2", rep2)):
        leads.create_assignment_rule(uow, {"field": "region", "value": region, "user_id": rep.id})
    captured = [leads.capture_lead(uow, {"company": f"Lead Co {when}", "email": f"lead{when}@example.com",
                                         "industry": "pumps", "region": region, **extra}, now=cn(6, when))
                for when, region, extra in ((2, "R1", {"channel": "Trade Show"}), (4, "R1", {"channel": "Trade Show"}),
                                            (5, "R2", {"utm_source": "baidu"}))]
    _, won = convert_lead(uow_for(db, rep1), captured[0].id, now=cn(6, 3))
    pipeline.update_opportunity(uow_for(db, rep1), won.id, {"amount": D("1000"), "budget": D("1200"),
                                                             "decision_maker": "Mr Li"})
    pipeline.move_opportunity(uow_for(db, rep1), won.id, stage_code="won", now=cn(6, 8))
    db.flush()
    with clock.frozen_at(at(TODAY, 9)):
        yield {"rep1": rep1, "rep2": rep2, "orders": {"A": a, "B": b, "C": c, "D": d}, "leads": captured,
               "opportunity": won, "products": products, "customers": customers,
               "invoices": {"A": invoice_a, "B": invoice_b}}


# --------------------------------------------------------------------------- reading the pages


def signed_in(client, user):
    sign_in(client, user)
    return client


def page_of(client, path: str, status: int = 200) -> str:
    answer = client.get(path)
    assert answer.status_code == status, answer.get_data(as_text=True)[:2000]
    return answer.get_data(as_text=True)


def text(fragment: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def kpi(html: str, name: str) -> str | None:
    found = re.search(rf'<article class="kpi" data-kpi="{name}">.*?<p class="kpi-value"[^>]*>(.*?)</p>', html, re.S)
    return text(found.group(1)) if found else None


def kpi_link(html: str, name: str) -> str | None:
    found = re.search(rf'<article class="kpi" data-kpi="{name}">.*?<p class="kpi-value"[^>]*>(.*?)</p>', html, re.S)
    link = re.search(r'href="([^"]+)"', found.group(1)) if found else None
    return unescape(link.group(1)) if link else None


def table(html: str, table_id: str) -> str:
    return re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)


def rows(html: str, table_id: str, attribute: str) -> dict[str, list[str]]:
    """The table's body rows by the value of their `data-<attribute>`: each cell's text."""
    found = {}
    for key, row in re.findall(rf'<tr data-{attribute}="([^"]*)"[^>]*>(.*?)</tr>', table(html, table_id), re.S):
        found[unescape(key)] = [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
    return found


def links(html: str, table_id: str, attribute: str) -> dict[str, list[str]]:
    found = {}
    for key, row in re.findall(rf'<tr data-{attribute}="([^"]*)"[^>]*>(.*?)</tr>', table(html, table_id), re.S):
        found[unescape(key)] = [unescape(href) for href in re.findall(r'href="([^"]+)"', row)]
    return found


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def total_line(html: str) -> str:
    return text(re.search(r"<p data-lines-total>(.*?)</p>", html, re.S).group(1))


# --------------------------------------------------------------------------- operations and cash


def test_management_reads_backlog_late_orders_otif_stock_and_cash(client, db, company):
    web = signed_in(client, make_user(db, "management"))

    html = page_of(web, "/reports/operations")

    c = company["orders"]["C"]
    assert (kpi(html, "backlog"), kpi(html, "late_orders")) == ("450.00", "400.00")
    assert "2 orders, untaxed value still to ship" in html and "1 orders past the requested date" in html
    assert rows(html, "late-orders-table", "number") == {
        c.number: [c.number, "RP-EAST — East", "2026-06-10", "5", "400.00"]}
    assert links(html, "late-orders-table", "number")[c.number] == [f"/sales-orders/{c.id}"]
    otif = rows(html, "otif-table", "month")
    assert len(otif) == 12 and otif["2026-05"] == ["2026-05", "2", "1", "50%"]
    assert otif["2026-06"] == ["2026-06", "0", "0", "—"]
    assert rows(html, "stock-value-table", "line") == {"PUMPS": ["Pumps", "5,760.00"],
                                                       "VALVES": ["Valves", "3,100.00"]}
    products = company["products"]
    assert rows(html, "slow-movers-table", "sku") == {"RP-VALVE": ["RP-VALVE", "Valve", "100", "3,000.00", "Never"],
                                                      "RP-OLDPART": ["RP-OLDPART", "Oldpart", "5", "100.00", "Never"]}
    assert links(html, "slow-movers-table", "sku")["RP-OLDPART"] == [
        f"/inventory/stock?product_id={products['OLDPART']}"]
    assert (kpi(html, "receivable"), kpi(html, "overdue")) == ("239.00", "126.00")
    weeks = rows(html, "collected-table", "week")
    assert len(weeks) == 12 and weeks["2026-06-08"] == ["2026-06-08", "100.00"]
    assert {amount for _week, amount in weeks.values()} == {"0.00", "100.00"}
    dso = rows(html, "dso-table", "month")
    assert dso["2026-05"] == ["2026-05", "2026-05-31", "339.00", "339.00", "90.0"]
    assert dso["2026-06"] == ["2026-06", "2026-06-15", "239.00", "339.00", "63.5"]
    assert 'data-chart-name="otif"' in html and 'data-chart-name="collected"' in html


def test_the_receivable_opens_its_invoices_and_the_overdue_finances_overdue_list(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    html = page_of(web, "/reports/operations")

    receivable, overdue = kpi_link(html, "receivable"), kpi_link(html, "overdue")

    assert query(receivable) == {"as_of": "2026-06-15"}
    assert total_line(page_of(web, receivable)) == "2 invoices, open 239.00"
    assert overdue == "/finance/overdue"
    overdue_list = page_of(web, overdue)
    assert company["invoices"]["A"].number in overdue_list and company["invoices"]["B"].number not in overdue_list


def test_a_product_line_and_a_team_narrow_the_page(client, db, company):
    web = signed_in(client, make_user(db, "management"))

    pumps = page_of(web, "/reports/operations?product_line=PUMPS")
    team = page_of(web, "/reports/operations?team=T2")

    assert (kpi(pumps, "backlog"), kpi(pumps, "late_orders")) == ("300.00", "300.00")
    assert rows(pumps, "stock-value-table", "line") == {"PUMPS": ["Pumps", "5,760.00"]}
    assert "Invoices are not split by product line" in pumps and kpi(pumps, "receivable") == "239.00"
    assert (kpi(team, "backlog"), kpi(team, "late_orders"), kpi(team, "receivable")) == ("50.00", "0.00", "113.00")
    assert query(kpi_link(team, "receivable")) == {"as_of": "2026-06-15", "team": "T2"}
    assert kpi_link(team, "overdue") is None  # finance's overdue list knows no team
    assert 'formaction="/reports/operations.xlsx"' in team and '<option value="T2" selected>' in team


def test_an_unknown_product_line_is_named_and_the_whole_report_shown(client, db, company):
    web = signed_in(client, make_user(db, "management"))

    html = page_of(web, "/reports/operations?product_line=NOPE")

    assert 'data-field="product_line"' in html and "There is no product line NOPE." in html
    assert kpi(html, "backlog") == "450.00"


def test_a_sales_rep_sees_their_own_orders_and_customers_only(client, db, company):
    web = signed_in(client, company["rep1"])

    html = page_of(web, "/reports/operations")

    c, d = company["orders"]["C"], company["orders"]["D"]
    assert (kpi(html, "backlog"), kpi(html, "late_orders")) == ("400.00", "400.00")
    assert list(rows(html, "late-orders-table", "number")) == [c.number] and d.number not in html
    assert rows(html, "otif-table", "month")["2026-05"] == ["2026-05", "1", "1", "100%"]
    assert (kpi(html, "receivable"), kpi(html, "overdue")) == ("126.00", "126.00")
    assert 'id="stock-value"' not in html and 'id="slow-movers"' not in html and 'name="team"' not in html


def test_warehouse_gets_the_operations_page_without_cash(client, db, company):
    web = signed_in(client, make_user(db, "warehouse"))

    html = page_of(web, "/reports/operations")

    assert rows(html, "stock-value-table", "line")["VALVES"] == ["Valves", "3,100.00"]
    assert kpi(html, "receivable") is None and 'id="cash"' not in html and "/reports/cash.xlsx" not in html
    assert 'formaction="/reports/operations.xlsx"' in html
    assert web.get("/reports/cash.xlsx").status_code == 403
    for path in ("/reports/forecast", "/reports/funnel"):
        assert web.get(path).status_code == 403, path
    nav = page_of(web, "/")
    assert 'href="/reports/operations"' in nav and 'href="/reports/forecast"' not in nav


def test_a_stranger_signs_in_first(client, db, company):
    for path in ("/reports/operations", "/reports/operations.xlsx", "/reports/cash.xlsx", "/reports/forecast",
                 "/reports/funnel"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path


def test_late_purchase_and_work_orders_link_to_their_pages(client, db, clock):
    """The worked example's pump order (10 pumps, 2 in stock) confirmed on 05-20 for 06-01: work orders
    PUMP 8 (due 06-01) and HOUSING 7 (due 05-29); purchase orders S1 for MOTOR expected 05-30 and S2 for
    STEEL expected 05-27, neither received: both late on 06-15."""
    uow = uow_for(db)
    with clock.frozen_at(at(day("2026-05-20"))):
        example = build_worked_example(uow, prefix="RL-")
        order = pump_order(uow, example, 10, requested=day("2026-06-01"))
        orders.confirm_order(uow, order.id, on=day("2026-05-20"))
        made = purchasing.create_orders_from_plans(uow, on=day("2026-05-20"))
        for purchase_order in made:
            purchasing.confirm_purchase_order(uow, purchase_order.id)
    web = signed_in(client, make_user(db, "production"))

    with clock.frozen_at(at(TODAY, 9)):
        html = page_of(web, "/reports/operations")

    by_supplier = {po.supplier_id: po for po in made}
    steel, motor = by_supplier[example.suppliers["S2"]], by_supplier[example.suppliers["S1"]]
    assert rows(html, "late-purchase-orders-table", "number") == {
        steel.number: [steel.number, "Supplier S2", "2026-05-27", "19", "1"],
        motor.number: [motor.number, "Supplier S1", "2026-05-30", "16", "1"]}
    assert links(html, "late-purchase-orders-table", "number")[motor.number] == [f"/purchasing/orders/{motor.id}"]
    work = rows(html, "late-work-orders-table", "number")
    assert [cells[1:] for cells in work.values()] == [
        ["RL-HOUSING — Housing", "7", "0", "2026-05-29", "17", "Planned"],
        ["RL-PUMP — Pump", "8", "0", "2026-06-01", "14", "Planned"]]
    for number, (href,) in links(html, "late-work-orders-table", "number").items():
        assert href.startswith(f"/production/work-orders?sales_order_id={order.id}#wo-"), number
    assert db.get(Product, example.products["PUMP"]).sku in html


def test_the_workbooks_hold_the_pages_figures(client, db, company):
    web = signed_in(client, make_user(db, "finance"))

    pumps = web.get("/reports/operations.xlsx?product_line=PUMPS")
    cash = web.get("/reports/cash.xlsx?team=T2")

    assert pumps.status_code == 200 and pumps.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(pumps.data))
    summary = [row for row in book["Operations"].iter_rows(min_row=3, values_only=True)]
    assert summary[:2] == [("Order backlog", 1, 300), ("Late orders", 1, 300)]
    assert [row for row in book["Stock value"].iter_rows(min_row=3, values_only=True)] == [("PUMPS", 5760)]
    book = openpyxl.load_workbook(io.BytesIO(cash.data))
    assert [row for row in book["Cash"].iter_rows(min_row=3, values_only=True)] == [("Receivable", 113),
                                                                                    ("Overdue", 0)]
    assert web.get("/reports/operations.xlsx?product_line=NOPE").status_code == 422


def test_a_sales_reps_workbook_leaves_out_stock(client, db, company):
    web = signed_in(client, company["rep2"])

    answer = web.get("/reports/operations.xlsx")

    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["Operations", "Late orders", "On time in full"]
    assert [row[:2] for row in book["Operations"].iter_rows(min_row=3, values_only=True)] == [
        ("Order backlog", 1), ("Late orders", 0)]


# --------------------------------------------------------------------------- forecast against actual


def test_forecast_against_booked_per_rep_and_month_with_each_reps_mean(client, db, company):
    rep1, rep2 = company["rep1"], company["rep2"]
    web = signed_in(client, make_user(db, "management"))

    html = page_of(web, "/reports/forecast?until=2026-05&months=2")

    assert rows(html, "reps-table", "rep") == {str(rep1.id): ["Wang Fang", "350.00", "200.00", "2", "40%"],
                                               str(rep2.id): ["Zhao Lei", "200.00", "100.00", "1", "50%"]}
    months = [[text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
              for row in re.findall(r"<tr data-rep[^>]*>(.*?)</tr>", table(html, "forecast-table"), re.S)]
    assert months == [["Wang Fang", "2026-04", "100.00", "0.00", "0%"],
                      ["Wang Fang", "2026-05", "250.00", "200.00", "80%"],
                      ["Zhao Lei", "2026-05", "200.00", "100.00", "50%"]]
    assert 'data-chart-name="forecast"' in html


def test_each_booked_figure_opens_the_sales_lines_behind_it(client, db, company):
    rep1 = company["rep1"]
    web = signed_in(client, make_user(db, "management"))
    html = page_of(web, "/reports/forecast?until=2026-05&months=2")
    may = re.search(rf'<tr data-rep="{rep1.id}" data-month="2026-05">.*?href="([^"]+)"', html, re.S).group(1)
    total = links(html, "reps-table", "rep")[str(rep1.id)][0]

    assert query(unescape(may)) == {"rep": str(rep1.id), "month": "2026-05", "measure": "booked"}
    assert total_line(page_of(web, unescape(may))) == "1 lines, total 200.00"
    assert query(total) == {"rep": str(rep1.id), "date_from": "2026-04-01", "date_to": "2026-05-31",
                            "measure": "booked"}
    assert total_line(page_of(web, total)) == "1 lines, total 200.00"


def test_a_rep_reads_only_their_own_forecast_and_bad_months_are_named(client, db, company):
    rep1, rep2 = company["rep1"], company["rep2"]
    web = signed_in(client, rep2)

    html = page_of(web, "/reports/forecast?until=2026-05&months=2")
    refused = page_of(web, "/reports/forecast?until=2026-13&months=0")

    assert list(rows(html, "reps-table", "rep")) == [str(rep2.id)] and "Wang Fang" not in html
    assert str(rep1.id) not in re.findall(r'data-rep="(\d+)"', html)
    assert 'data-field="until"' in refused and 'data-field="months"' in refused


# --------------------------------------------------------------------------- funnel and time in stage


def test_the_funnel_by_source_with_rates_and_each_count_opening_its_rows(client, db, company):
    web = signed_in(client, make_user(db, "management"))

    html = page_of(web, f"/reports/funnel?{JUNE}&by=source")

    funnel = rows(html, "funnel-table", "row")
    # leads, then qualified, converted, opportunities, quoted and won each over its rate against the step
    # before; lost, won amount, days to win
    assert funnel["trade_show"] == ["Trade show", "2", "2 100%", "1 50%", "1 100%", "0 0%", "1 —", "0", "0.00",
                                    "6.0"]
    assert funnel["baidu"] == ["baidu", "1", "1 100%", "0 0%", "0 —", "0 —", "0 —", "0", "0.00", "—"]
    assert funnel["totals"] == ["Totals", "3", "3 100%", "1 33.33%", "1 100%", "0 0%", "1 —", "0", "0.00", "6.0"]
    converted = links(html, "funnel-table", "row")["trade_show"][2]
    assert query(converted) == {"date_from": "2026-06-01", "date_to": "2026-06-15", "source": "trade_show",
                                "step": "converted"}
    opened = page_of(web, converted)
    assert total_line(opened) == "1 records" and company["leads"][0].number in opened
    assert rows(html, "stage-times-table", "stage")["qualification"][1:] == ["1", "1", "0", "5.0"]


def test_the_funnel_by_rep_opens_each_reps_leads(app, client, db, company):
    rep1, rep2 = company["rep1"], company["rep2"]
    manager = signed_in(client, make_user(db, "sales_manager", team="T1"))
    management = signed_in(app.test_client(), make_user(db, "management"))

    html = page_of(manager, f"/reports/funnel?{JUNE}&by=rep")
    company_view = page_of(management, f"/reports/funnel?{JUNE}&by=rep")

    assert list(rows(html, "funnel-table", "row")) == [str(rep1.id), "totals"]
    assert rows(html, "funnel-table", "row")[str(rep1.id)][:7] == ["Wang Fang", "2", "2 100%", "1 50%", "1 100%", "0 0%", "1 —"]
    leads_link = links(company_view, "funnel-table", "row")[str(rep2.id)][0]
    assert query(leads_link)["rep"] == str(rep2.id)
    opened = page_of(management, leads_link)
    assert total_line(opened) == "1 records" and company["leads"][2].number in opened
    assert "Sales rep: Zhao Lei" in opened


def test_a_bad_range_is_named_and_the_default_period_shown(client, db, company):
    web = signed_in(client, make_user(db, "management"))

    backwards = page_of(web, "/reports/funnel?date_from=2026-06-15&date_to=2026-06-01")
    unknown = page_of(web, "/reports/funnel?by=region")

    assert 'data-field="date_from"' in backwards and "The first day comes after the last day." in backwards
    assert 'data-field="by"' in unknown and "Use source or rep." in unknown
    for html in (backwards, unknown):
        assert rows(html, "funnel-table", "row")["totals"][1] == "3"  # the twelve months up to today


# --------------------------------------------------------------------------- language and menu


def test_the_pages_speak_chinese(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    web.post("/language", data={"csrf_token": csrf_token(web, "/"), "locale": "zh_CN", "next": "/"})

    operations = page_of(web, "/reports/operations?product_line=VALVES")
    forecast = page_of(web, "/reports/forecast?until=2026-05&months=2")
    funnel = page_of(web, f"/reports/funnel?{JUNE}")

    assert "未交订单" in operations and "阀门" in operations and "呆滞库存" in operations and "每周回款" in operations
    assert "预测与实际对比" in forecast and "各代表平均准确率" in forecast
    assert "销售漏斗" in funnel and "各阶段停留时间" in funnel and "展会" in funnel
    nav = page_of(web, "/")
    assert ">运营<" in nav and ">预测与实际<" in nav and ">销售漏斗<" in nav
