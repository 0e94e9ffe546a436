"""The report dimensions on the pages: a customer's source (a pick list in the user's language) and
industry, a product's product line, and the product lines page of those who keep master data."""

from __future__ import annotations

import re

from sqlalchemy import select

from core import services
from core.models import Customer, Product, ProductLine
from tests.conftest import make_user, uow_for
from tests.web.test_forms import count, csrf_token, field_error, sign_in, unique


def options(html: str, name: str) -> list[tuple[str, str]]:
    """The (value, label) options of the select named `name`."""
    select_html = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html.group(1))


def to_chinese(client) -> None:
    answer = client.post("/language", data={"csrf_token": csrf_token(client, "/"), "locale": "zh_CN", "next": "/"})
    assert answer.status_code == 302


def test_the_customer_form_offers_the_sources_in_the_users_language_and_saves_source_and_industry(client, db):
    rep = make_user(db, "sales_rep")
    services.create_customer(uow_for(db), {"code": unique("LD"), "name": "From a lead", "source": "wechat"},
                             any_source=True)
    sign_in(client, rep)
    to_chinese(client)

    offered = options(client.get("/customers/new").get_data(as_text=True), "source")
    code = unique("SRC")
    answer = client.post("/customers/new", data={
        "csrf_token": csrf_token(client, "/customers/new"), "code": code, "name": "Fair Ltd",
        "source": "trade_show", "industry": "chemical", "active": "1"})

    assert offered == [("direct", "直接"), ("website", "官网"), ("trade_show", "展会"), ("referral", "客户推荐"),
                       ("b2b_marketplace", "B2B平台"), ("cold_call", "陌生拜访"), ("advertising", "广告"),
                       ("social_media", "社交媒体"), ("partner", "合作伙伴"), ("wechat", "wechat")]
    assert answer.status_code == 302
    customer = db.scalar(select(Customer).where(Customer.code == code))
    assert (customer.source, customer.industry) == ("trade_show", "chemical")
    detail = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert re.search(r"<th>来源</th><td>\s*展会\s*</td>", detail)
    assert re.search(r"<th>行业</th><td>\s*chemical\s*</td>", detail)


def test_a_forged_source_in_the_customer_form_is_a_field_error_and_writes_nothing(client, db):
    sign_in(client, make_user(db, "sales_rep"))
    code = unique("SRC")

    answer = client.post("/customers/new", data={
        "csrf_token": csrf_token(client, "/customers/new"), "code": code, "name": "Forged Ltd",
        "source": "invented", "active": "1"})

    assert answer.status_code == 422
    assert "invented" in field_error(answer.get_data(as_text=True), "source")
    assert count(db, select(Customer).where(Customer.code == code)) == 0


def test_the_product_form_picks_a_product_line_and_the_detail_page_names_it(client, db):
    services.create_product_line(uow_for(db), {"code": "PUMPS", "name": "Pumps", "name_zh": "泵"})
    services.create_product_line(uow_for(db), {"code": "OLD", "name": "Old", "active": False})
    sign_in(client, make_user(db, "purchasing"))
    sku = unique("SKU")

    offered = options(client.get("/products/new").get_data(as_text=True), "product_line")
    answer = client.post("/products/new", data={
        "csrf_token": csrf_token(client, "/products/new"), "sku": sku, "name": "Pump DN50", "kind": "make",
        "product_line": "PUMPS", "active": "1"})

    assert offered == [("", "—"), ("OLD", "OLD — Old (retired)"), ("PUMPS", "PUMPS — Pumps")]
    assert answer.status_code == 302
    product = db.scalar(select(Product).where(Product.sku == sku))
    assert product.product_line == "PUMPS"
    detail = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert re.search(r"<th>Product line</th><td>\s*PUMPS — Pumps\s*</td>", detail)
    to_chinese(client)
    assert "PUMPS — 泵" in client.get(f"/products/{product.id}").get_data(as_text=True)


def test_a_keeper_of_master_data_finds_the_product_lines_page_in_the_menu_and_adds_a_line(client, db):
    sign_in(client, make_user(db, "production"))

    home = client.get("/").get_data(as_text=True)
    added = client.post("/product-lines", data={"csrf_token": csrf_token(client, "/product-lines"),
                                                "code": "VALVES", "name": "Valves", "name_zh": "阀门"})
    page = client.get("/product-lines").get_data(as_text=True)

    assert 'href="/product-lines"' in home
    assert added.status_code == 303 and added.headers["Location"].endswith("/product-lines")
    assert "Product line VALVES added." in page
    assert re.search(r'<tr data-line="VALVES">\s*<td><a [^>]*>VALVES</a></td>\s*<td>Valves</td><td>阀门</td>', page)
    line = db.scalar(select(ProductLine).where(ProductLine.code == "VALVES"))
    assert (line.name, line.name_zh, line.active) == ("Valves", "阀门", True)


def test_a_duplicate_product_line_code_shows_a_field_error_and_writes_nothing(client, db):
    services.create_product_line(uow_for(db), {"code": "MOTORS", "name": "Motors"})
    sign_in(client, make_user(db, "admin"))

    answer = client.post("/product-lines", data={"csrf_token": csrf_token(client, "/product-lines"),
                                                 "code": "motors", "name": "More motors"})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert field_error(html, "code") == "A product line with this code already exists."
    assert 'value="More motors"' in html
    assert db.scalars(select(ProductLine.name)).all() == ["Motors"]


def test_a_sales_rep_has_no_product_lines_in_the_menu_and_may_not_add_one(client, db):
    sign_in(client, make_user(db, "sales_rep"))

    home = client.get("/").get_data(as_text=True)
    refused = client.post("/product-lines", data={"csrf_token": csrf_token(client, "/product-lines"),
                                                  "code": "X", "name": "X"})

    assert 'href="/product-lines"' not in home
    assert refused.status_code == 403
    assert count(db, select(ProductLine)) == 0
