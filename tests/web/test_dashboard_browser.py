"""The sales dashboard in headless Chromium: management filters it by product line and clicks a bar of
the revenue chart (Apache ECharts, drawn by reports.js from the page's data) through to the order lines
behind it and on to the order; in English and in Chinese. The page runs under the app's
Content-Security-Policy and the browser refuses nothing.

The set-up of `tests/web/live.py`: the real app on a free port, a fresh SQLite database filled through
the services, dated from today: customer DB-EAST (rep Wang Fang) ordered 2 pumps and 3 valves on the 10th
of last month; this month (on its first day) DB-NORTH (rep Zhao Lei) ordered 1 pump and DB-EAST 4
valves. Pumps sell at 100, valves at 50."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from core import clock, services
from core.models import ProductLine
from crm.orders import services as crm
from inventory import services as inventory
from tests.conftest import PASSWORD
from tests.web.live import live_fixtures, sign_in

pytestmark = pytest.mark.browser

D = Decimal


def seed(uow) -> dict:
    services.create_user(uow, {"username": "zhou.min", "password": PASSWORD, "role": "management",
                               "full_name": "Zhou Min"})
    reps = {name: services.create_user(uow, {"username": name, "password": PASSWORD, "role": "sales_rep",
                                             "full_name": full, "team": team})
            for name, full, team in (("wang.fang", "Wang Fang", "East"), ("zhao.lei", "Zhao Lei", "North"))}
    uow.session.add_all([ProductLine(code="PUMPS", name="Pumps", name_zh="泵"),
                         ProductLine(code="VALVES", name="Valves", name_zh="阀门")])
    uow.session.flush()
    products = {}
    for sku, line, price in (("PUMP", "PUMPS", "100"), ("VALVE", "VALVES", "50")):
        product = services.create_product(uow, {"sku": f"DB-{sku}", "name": sku.title(), "kind": "buy",
                                                "list_price": D(price), "standard_cost": D(price) * D("0.6")})
        product.product_line = line
        inventory.adjust_stock(uow, {"product_id": product.id, "qty": D(100), "reason": "opening stock"})
        products[sku] = product.id
    customers = {}
    for code, rep, source in (("EAST", "wang.fang", "trade_show"), ("NORTH", "zhao.lei", "website")):
        customer = services.create_customer(uow, {"code": f"DB-{code}", "name": f"{code.title()} Works",
                                                  "credit_limit": D("100000"), "owner_id": reps[rep].id})
        customer.source = source
        customers[code] = customer.id
    uow.commit()
    this_month = clock.today().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=10)

    def order(customer, on, lines):
        made = crm.create_order(uow, {"customer_id": customers[customer], "lines": [
            {"product_id": products[sku], "qty": D(qty)} for sku, qty in lines]}, on=on)
        return crm.confirm_order(uow, made.id, on=on).number

    numbers = {"last_east": order("EAST", last_month, [("PUMP", 2), ("VALVE", 3)]),
               "north": order("NORTH", this_month, [("PUMP", 1)]),
               "east": order("EAST", this_month, [("VALVE", 4)])}
    return {"numbers": numbers, "this_month": this_month.strftime("%Y-%m"),
            "last_month": last_month.strftime("%Y-%m")}


live_suite, page = live_fixtures(seed, height=1000)


def bar_position(page, chart: str, month: str) -> tuple[float, float]:
    """The middle of the first series' bar of `month` in the chart, in the page's coordinates (the
    chart is scrolled into view first)."""
    return page.evaluate("""([name, month]) => {
        const element = document.querySelector(`[data-chart-name="${name}"]`);
        element.scrollIntoView({block: "center"});
        const chart = echarts.getInstanceByDom(element);
        const option = chart.getOption();
        const index = option.xAxis[0].data.indexOf(month);
        const value = option.series[0].data[index].value;
        const [x, y] = chart.convertToPixel({seriesIndex: 0}, [index, value / 2]);
        const box = element.getBoundingClientRect();
        return [box.left + x, box.top + y];
    }""", [chart, month])


def refusals(page) -> list[str]:
    """What the browser refused under the policy, and any script error on the page."""
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_management_filters_by_product_line_and_clicks_a_bar_through_to_the_orders(live_suite, page, language):
    from playwright.sync_api import expect

    seeded = live_suite.seeded
    numbers, this_month = seeded["numbers"], seeded["this_month"]
    zh = language == "zh_CN"
    words = {"dashboard": "经营看板" if zh else "Dashboard", "pumps": "泵" if zh else "Pumps",
             "valves": "阀门" if zh else "Valves", "apply": "应用" if zh else "Apply",
             "product_line": "产品线" if zh else "Product line",
             "lines": "共 1 行，合计 100.00" if zh else "1 lines, total 100.00"}
    refused = refusals(page)
    sign_in(page, "zhou.min")
    if zh:
        page.wait_for_load_state("load")  # app.js has bound the auto-submit, even on a busy machine
        page.locator("select[name=locale]").select_option("zh_CN")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.locator("header.topbar").get_by_role("link", name=words["dashboard"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["dashboard"])
    revenue = page.locator('[data-chart-name="revenue"]')
    expect(revenue).to_have_attribute("data-drawn", "true")
    expect(page.locator('[data-kpi="booked"] [data-value]')).to_have_text("300.00")  # 100 + 200 this month
    expect(revenue.locator("svg")).to_contain_text(words["valves"])  # both lines in the legend

    page.get_by_label(words["product_line"], exact=True).select_option(label=words["pumps"])
    page.get_by_role("button", name=words["apply"]).click()
    expect(page.locator('[data-kpi="booked"] [data-value]')).to_have_text("100.00")
    expect(page.locator('[data-kpi="booked"] [data-previous]')).to_have_text("200.00")
    expect(revenue).to_have_attribute("data-drawn", "true")
    series = page.evaluate("""() => echarts.getInstanceByDom(document.querySelector('[data-chart-name="revenue"]'))
                                      .getOption().series.map(s => s.name)""")
    assert series == [words["pumps"]]  # the filter reached the chart, named in the reader's language

    x, y = bar_position(page, "revenue", this_month)
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"/reports/lines\?"))
    asked = {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}
    assert {key: asked.get(key) for key in ("month", "product_line", "measure")} == {
        "month": this_month, "product_line": "PUMPS", "measure": "booked"}
    expect(page.locator("[data-lines-total]")).to_have_text(words["lines"])
    rows = page.locator("#lines tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("DB-NORTH")
    expect(rows.first.locator("[data-amount]")).to_have_text("100.00")
    rows.first.get_by_role("link", name=numbers["north"]).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(numbers["north"])
    assert refused == []
