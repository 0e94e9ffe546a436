"""The dashboard, the pivot and the rows behind their numbers, as pages, on a hand-computed company.

Two reps in two teams (rep1 in T1, rep2 in T2) and a T1 sales manager; two product lines. PUMP (PUMPS,
price 100, cost 60), VALVE (VALVES, price 50, cost 30), VAT 13%, 30-day terms.
- O1, EAST (rep1, source trade_show), 2026-03-10: 2 PUMP + 3 VALVE = 350. Shipped 03-15 (cost 120 + 90),
  invoiced 03-20 (gross 395.50, due 04-19), paid 100.00 on 04-02 (57.14 on the PUMP line, 42.86 VALVE).
- O2, NORTH (rep2, source website, no region), 2026-04-05: 1 PUMP = 100, shipped 04-06 (cost 60).
- O4, EAST, 2026-04-12: 4 VALVE = 200, confirmed only.
- Targets for April, booked: rep1 400, rep2 200, product line VALVES 150.
- Leads: two captured in April and routed to rep1 (channel "Trade Show"), one of them converted (an
  opportunity); one routed to rep2 (UTM source baidu).

April against March (company): booked 300 / 350 (-14.3%), shipped 100 / 350, invoiced 0 / 350,
collected 100 / 0, margin 40 / 140; booked target 400 + 200 = 600, attainment 50%. Aging on 04-30: the
invoice's open 295.50 is 11 days late (1-30 days)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from core import services as core_services
from core.formatting import CHINA
from crm.leads import services as leads
from crm.leads.conversion import convert_lead
from finance.invoicing import services as invoicing
from finance.payments import services as payments
from reports import targets
from tests.conftest import make_user, uow_for
from tests.reports import builders
from tests.reports.builders import product_lines, stocked_product
from tests.web.test_forms import csrf_token, sign_in

D = Decimal
TODAY = datetime(2026, 5, 10, 9, 0, tzinfo=CHINA)


def cn(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=CHINA).astimezone(UTC)


@pytest.fixture
def company(db, clock):
    uow = uow_for(db)
    rep1 = make_user(db, "sales_rep", team="T1")
    rep2 = make_user(db, "sales_rep", team="T2")
    manager = make_user(db, "sales_manager", team="T1")
    rep1.full_name, rep2.full_name = "Wang Fang", "Zhao Lei"
    product_lines(db)
    products = {sku: stocked_product(uow, f"DW-{sku}", line, price, cost)
                for sku, line, price, cost in (("PUMP", "PUMPS", "100", "60"), ("VALVE", "VALVES", "50", "30"))}
    customers = {}
    for code, owner, region, source in (("EAST", rep1, "East", "trade_show"), ("NORTH", rep2, None, "website")):
        customer = core_services.create_customer(uow, {"code": f"DW-{code}", "name": code.title(),
                                                       "credit_limit": D("100000"), "owner_id": owner.id})
        customer.region, customer.source = region, source
        customers[code] = customer.id
    db.flush()

    def order(customer, on, lines):
        return builders.order(uow, customers[customer], on, {products[sku]: qty for sku, qty in lines})

    def ship(sales_order, on):
        return builders.ship(uow, sales_order, on)

    o1 = order("EAST", date(2026, 3, 10), [("PUMP", 2), ("VALVE", 3)])
    shipment = ship(o1, date(2026, 3, 15))
    invoice = invoicing.create_invoice(uow, {"sales_order_id": o1.id, "post": True}, on=date(2026, 3, 20))
    payment = payments.record_payment(uow, {"customer_id": customers["EAST"], "amount": D("100.00"),
                                            "date": date(2026, 4, 2)})
    payments.allocate(uow, payment.id, auto=True)
    o2 = order("NORTH", date(2026, 4, 5), [("PUMP", 1)])
    ship(o2, date(2026, 4, 6))
    o4 = order("EAST", date(2026, 4, 12), [("VALVE", 4)])
    for subject, amount in (({"rep_id": rep1.id}, "400"), ({"rep_id": rep2.id}, "200"),
                            ({"product_line": "VALVES"}, "150")):
        targets.set_target(uow, {"period": "2026-04", "basis": "booked", "amount": amount, **subject})

    leads.create_scoring_rule(uow, {"field": "industry", "value": "pumps", "points": 65, "label": "Pumps"})
    for region, rep in (("R1", rep1), ("R2", rep2)):
        leads.create_assignment_rule(uow, {"field": "region", "value": region, "user_id": rep.id})
    captured = []
    for day, region, extra in ((3, "R1", {"channel": "Trade Show"}), (4, "R1", {"channel": "Trade Show"}),
                               (5, "R2", {"utm_source": "baidu"})):
        captured.append(leads.capture_lead(uow, {"company": f"Lead Co {day}", "email": f"lead{day}@example.com",
                                                 "industry": "pumps", "region": region, **extra}, now=cn(4, day)))
    _, opportunity = convert_lead(uow_for(db, rep1), captured[0].id, now=cn(4, 8))
    assert [lead.owner_id for lead in captured] == [rep1.id, rep1.id, rep2.id]
    with clock.frozen_at(TODAY):
        yield {"rep1": rep1, "rep2": rep2, "manager": manager, "orders": (o1, o2, o4), "invoice": invoice,
               "shipment": shipment, "leads": captured, "opportunity": opportunity}


# --------------------------------------------------------------------------- helpers


def page_of(client, path: str, status: int = 200) -> str:
    answer = client.get(path)
    assert answer.status_code == status, answer.get_data(as_text=True)[:2000]
    return answer.get_data(as_text=True)


def signed_in(client, user):
    sign_in(client, user)
    return client


def kpi(html: str, measure: str) -> dict[str, str]:
    """The figures of one KPI tile: value, previous, change, target and attainment (None when absent)."""
    tile = re.search(rf'<article class="kpi" data-kpi="{measure}">(.*?)</article>', html, re.S).group(1)

    def part(name):
        found = re.search(rf"<[^>]*data-{name}[^>]*>([^<]*)<", tile)
        return unescape(found.group(1)).strip() if found else None

    link = re.search(r'href="([^"]+)" data-value', tile).group(1)
    return {"value": part("value"), "previous": part("previous"), "change": part("change"),
            "target": part("target"), "attainment": part("attainment"), "link": unescape(link)}


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def lines_total(html: str) -> str:
    return unescape(re.search(r"<p data-lines-total>([^<]*)</p>", html).group(1)).strip()


def pivot_table(html: str) -> dict[str, list[str]]:
    """The pivot's rows by their label: the figures as shown, the total last; "Totals" is the footer."""
    table = re.search(r'<table class="striped pivot".*?</table>', html, re.S).group(0)
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[unescape(cells[0])] = [unescape(cell) for cell in cells[1:]]
    return rows


def pivot_links(html: str) -> dict[str, list[str]]:
    table = re.search(r'<table class="striped pivot".*?</table>', html, re.S).group(0)
    links = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        label = re.sub(r"<[^>]+>", "", re.search(r"<th>(.*?)</th>", row, re.S).group(1)).strip()
        links[unescape(label)] = [unescape(href) for href in re.findall(r'href="([^"]+)"', row)]
    return links


# --------------------------------------------------------------------------- the dashboard


def test_management_reads_the_month_against_last_month_and_target(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    html = page_of(web, "/reports/dashboard?period=2026-04")
    assert kpi(html, "booked") | {"link": None} == {"value": "300.00", "previous": "350.00", "change": "-14.3%",
                                                     "target": "600.00", "attainment": "50%", "link": None}
    assert [kpi(html, m)["value"] for m in ("shipped", "invoiced", "collected", "margin")] == [
        "100.00", "0.00", "100.00", "40.00"]
    assert [kpi(html, m)["previous"] for m in ("shipped", "invoiced", "collected", "margin")] == [
        "350.00", "350.00", "0.00", "140.00"]
    assert kpi(html, "collected")["change"] == "—"  # nothing collected in March
    assert kpi(html, "shipped")["target"] is None and "No target" in html  # shipments have no targets
    # each KPI opens the lines behind it: the April booked lines add up to the tile
    assert query(kpi(html, "booked")["link"]) == {"date_from": "2026-04-01", "date_to": "2026-04-30",
                                                   "measure": "booked"}
    assert lines_total(page_of(web, kpi(html, "booked")["link"])) == "2 lines, total 300.00"
    # the aging on the period's last day: the invoice's open 295.50 is 11 days late
    aging = re.search(r'<table class="striped" id="aging-table">(.*?)</table>', html, re.S).group(1)
    assert re.search(r'data-bucket="1_30">.*?>295\.50</a>', aging, re.S)
    assert "Open: 295.50." in unescape(html)
    # the charts' data: revenue by month (twelve months up to April) and product line
    chart = re.search(r"data-chart='([^']*)' data-chart-name=\"revenue\"", html).group(1)
    assert '"categories": ["2025-05"' in unescape(chart) and '"2026-04"]' in unescape(chart)


def test_filters_change_every_number(client, db, company):
    web = signed_in(client, make_user(db, "finance"))
    pumps = page_of(web, "/reports/dashboard?period=2026-04&product_line=PUMPS")
    assert (kpi(pumps, "booked")["value"], kpi(pumps, "booked")["previous"], kpi(pumps, "booked")["change"]) == (
        "100.00", "200.00", "-50.0%")
    assert kpi(pumps, "booked")["target"] is None  # no target for the pumps
    assert query(kpi(pumps, "booked")["link"])["product_line"] == "PUMPS"
    assert "Leads have no product line" in pumps
    valves = page_of(web, "/reports/dashboard?period=2026-04&product_line=VALVES")
    assert (kpi(valves, "booked")["value"], kpi(valves, "booked")["target"],
            kpi(valves, "booked")["attainment"]) == ("200.00", "150.00", "133.33%")
    team = page_of(web, "/reports/dashboard?period=2026-04&team=T1")
    assert (kpi(team, "booked")["value"], kpi(team, "booked")["target"], kpi(team, "collected")["value"]) == (
        "200.00", "400.00", "100.00")
    funnel = re.search(r'<table class="striped" id="funnel-table">(.*?)</table>', team, re.S).group(1)
    assert re.search(r'data-step="leads">.*?>2</a>', funnel, re.S)  # rep1's two leads
    source = page_of(web, "/reports/dashboard?period=2026-04&source=website")
    assert (kpi(source, "booked")["value"], kpi(source, "booked")["target"]) == ("100.00", None)
    assert "Targets are not set by source" in source
    # a range of days: compared with as many days just before it
    span = page_of(web, "/reports/dashboard?date_from=2026-04-01&date_to=2026-04-10")
    assert (kpi(span, "booked")["value"], kpi(span, "booked")["previous"]) == ("100.00", "0.00")
    assert "Period: 2026-04-01 to 2026-04-10, compared with 2026-03-22 to 2026-03-31." in unescape(span)


def test_a_manager_sees_the_team_and_a_rep_themself(client, db, company):
    manager = signed_in(client, company["manager"])
    html = page_of(manager, "/reports/dashboard?period=2026-04")
    assert (kpi(html, "booked")["value"], kpi(html, "booked")["previous"], kpi(html, "booked")["target"]) == (
        "200.00", "350.00", "400.00")
    assert '<option value="T2"' not in html and '<option value="T1"' in html
    assert lines_total(page_of(manager, kpi(html, "shipped")["link"])) == "0 lines, total 0.00"
    client.post("/logout", data={})
    rep2 = signed_in(client.application.test_client(), company["rep2"])
    html = page_of(rep2, "/reports/dashboard?period=2026-04")
    assert (kpi(html, "booked")["value"], kpi(html, "booked")["target"], kpi(html, "booked")["attainment"]) == (
        "100.00", "200.00", "50%")
    assert 'name="team"' not in html  # a rep has no team to choose
    # asking for rep1's lines gives rep2 none of them
    assert lines_total(page_of(rep2, f"/reports/lines?measure=booked&date_from=2026-03-01&date_to=2026-04-30"
                                     f"&rep={company['rep1'].id}")) == "0 lines, total 0.00"


def test_warehouse_is_refused_and_a_stranger_signs_in_first(client, db, company):
    assert client.get("/reports/dashboard").status_code == 302
    assert "/login" in client.get("/reports/pivot").headers["Location"]
    web = signed_in(client, make_user(db, "warehouse"))
    for path in ("/reports/dashboard", "/reports/pivot", "/reports/pivot.xlsx", "/reports/lines?measure=booked",
                 "/reports/aging-invoices", "/reports/funnel-rows"):
        assert web.get(path).status_code == 403, path
    nav = page_of(web, "/")
    assert "/reports/dashboard" not in nav and "/reports/pivot" not in nav


def test_bad_filters_are_named_and_the_month_shown(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    html = page_of(web, "/reports/dashboard?period=2026-13")
    assert 'data-field="period"' in html and "Use a month as YYYY-MM." in html
    assert kpi(html, "booked")["value"] == "0.00"  # this month (May 2026): nothing booked yet
    html = page_of(web, "/reports/dashboard?date_from=2026-04-10")
    assert 'data-field="date_to"' in html
    assert web.get("/reports/lines?measure=profit").status_code == 422
    assert 'data-field="columns"' in page_of(web, "/reports/pivot?rows=month&columns=month")


# --------------------------------------------------------------------------- the pivot

PERIOD = "date_from=2026-03-01&date_to=2026-04-30"


def test_pivot_cells_and_totals(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    html = page_of(web, f"/reports/pivot?{PERIOD}&rows=product_line&columns=month&measure=booked")
    assert pivot_table(html) == {"Pumps": ["200.00", "100.00", "300.00"], "Valves": ["150.00", "200.00", "350.00"],
                                 "Totals": ["350.00", "300.00", "650.00"]}
    # orders: O1 reaches both lines in March, yet it is one order in March's total and in the grand total
    html = page_of(web, f"/reports/pivot?{PERIOD}&rows=product_line&columns=month&measure=orders")
    assert pivot_table(html) == {"Pumps": ["1", "1", "2"], "Valves": ["1", "1", "2"], "Totals": ["1", "2", "3"]}
    # each cell opens its lines, which add up to the cell
    html = page_of(web, f"/reports/pivot?{PERIOD}&rows=product_line&columns=month&measure=booked")
    pumps_march = pivot_links(html)["Pumps"][0]
    assert query(pumps_march) == {"date_from": "2026-03-01", "date_to": "2026-04-30", "measure": "booked",
                                  "product_line": "PUMPS", "month": "2026-03"}
    assert lines_total(page_of(web, pumps_march)) == "1 lines, total 200.00"
    assert lines_total(page_of(web, pivot_links(html)["Totals"][-1])) == "4 lines, total 650.00"
    # a missing value (NORTH has no region) is a row of its own, and its lines are those without one
    html = page_of(web, f"/reports/pivot?{PERIOD}&rows=region&columns=&measure=shipped")
    assert pivot_table(html) == {"East": ["350.00"], "No region": ["100.00"], "Totals": ["450.00"]}
    assert lines_total(page_of(web, pivot_links(html)["No region"][0])) == "1 lines, total 100.00"
    # margin: the shipped lines and the costs they took out
    html = page_of(web, f"/reports/pivot?{PERIOD}&rows=rep&columns=&measure=margin")
    assert pivot_table(html) == {company["rep1"].display_name: ["140.00"], company["rep2"].display_name: ["40.00"],
                                 "Totals": ["180.00"]}
    margin = page_of(web, pivot_links(html)["Totals"][0])
    assert lines_total(margin) == "6 lines, total 180.00"


def test_pivot_workbook(client, db, company):
    web = signed_in(client, make_user(db, "admin"))
    answer = web.get(f"/reports/pivot.xlsx?{PERIOD}&rows=product_line&columns=month&measure=booked")
    assert answer.status_code == 200 and answer.headers["Content-Disposition"].endswith(
        'filename="pivot-2026-03-01-2026-04-30.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0][0].startswith("Booked sales, 2026-03-01 to 2026-04-30 (")
    assert cells[1] == ["Product line / Month", "2026-03", "2026-04", "Totals"]
    assert [[row[0], *(D(str(v)) for v in row[1:])] for row in cells[2:]] == [
        ["Pumps", D("200"), D("100"), D("300")], ["Valves", D("150"), D("200"), D("350")],
        ["Totals", D("350"), D("300"), D("650")]]


# --------------------------------------------------------------------------- the rows behind the numbers


def test_lines_link_to_their_documents(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    o1 = company["orders"][0]
    html = page_of(web, "/reports/lines?measure=invoiced&date_from=2026-03-01&date_to=2026-03-31")
    assert lines_total(html) == "2 lines, total 350.00"
    assert f'href="/finance/invoices/{company["invoice"].id}">{company["invoice"].number}</a>' in html
    assert f'href="/sales-orders/{o1.id}">{o1.number}</a>' in html
    html = page_of(web, "/reports/lines?measure=shipped&date_from=2026-03-01&date_to=2026-03-31")
    assert f'href="/inventory/shipments/{company["shipment"].id}"' in html
    # a rep reads the order, not the invoice (finance's page)
    rep1 = signed_in(client.application.test_client(), company["rep1"])
    html = page_of(rep1, "/reports/lines?measure=invoiced&date_from=2026-03-01&date_to=2026-03-31")
    assert lines_total(html) == "2 lines, total 350.00"
    assert "/finance/invoices/" not in html and f'href="/sales-orders/{o1.id}"' in html


def test_aging_bucket_and_funnel_step_open_their_rows(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    html = page_of(web, "/reports/aging-invoices?as_of=2026-04-30&bucket=1_30")
    assert lines_total(html) == "1 invoices, open 295.50"
    assert company["invoice"].number in html
    assert lines_total(page_of(web, "/reports/aging-invoices?as_of=2026-04-30&bucket=31_60")) == \
        "0 invoices, open 0.00"
    assert lines_total(page_of(web, "/reports/aging-invoices?as_of=2026-04-30&team=T2")) == "0 invoices, open 0.00"
    html = page_of(web, "/reports/funnel-rows?date_from=2026-04-01&date_to=2026-04-30&step=leads&team=T1")
    assert lines_total(html) == "2 records"
    assert all(lead.number in html for lead in company["leads"][:2]) and company["leads"][2].number not in html
    html = page_of(web, "/reports/funnel-rows?date_from=2026-04-01&date_to=2026-04-30&step=opportunities"
                        "&source=trade_show")
    assert lines_total(html) == "1 records" and company["opportunity"].number in html
    html = page_of(web, "/reports/funnel-rows?date_from=2026-04-01&date_to=2026-04-30&step=leads&source=baidu")
    assert lines_total(html) == "1 records" and company["leads"][2].number in html


def test_the_pages_speak_chinese(client, db, company):
    web = signed_in(client, make_user(db, "management"))
    web.post("/language", data={"csrf_token": csrf_token(web, "/"), "locale": "zh_CN", "next": "/"})
    html = page_of(web, "/reports/dashboard?period=2026-04&product_line=VALVES")
    assert "经营看板" in html and "阀门" in html
    html = page_of(web, f"/reports/pivot?{PERIOD}&rows=product_line&columns=month&measure=booked")
    assert "透视分析" in html and "泵" in html
