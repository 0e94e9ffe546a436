"""Thin tests of the HTML pages through Flask's test client: status codes,
field errors, flash messages, what each role sees, and the language switch.

CSRF protection stays on: every POST carries the token read from the page,
like a browser does, and one test proves a POST without it is refused."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from core import services
from core.models import Customer, Product
from tests.conftest import PASSWORD, make_user, uow_for

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no csrf_token input on {path} (status {page.status_code})"
    return found.group(1)


def sign_in(client, user) -> None:
    answer = client.post("/login", data={"csrf_token": csrf_token(client), "username": user.username,
                                         "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<small class="field-error" data-field="{name}">([^<]*)</small>', html)
    return found.group(1) if found else None


def count(db, stmt) -> int:
    return db.scalar(select(func.count()).select_from(stmt.subquery()))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


# --------------------------------------------------------------------------- session


def test_a_post_without_csrf_token_is_refused_and_does_not_sign_in(client, db):
    user = make_user(db, "sales_rep")

    answer = client.post("/login", data={"username": user.username, "password": PASSWORD})

    assert answer.status_code == 400
    assert "not sent from this site" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous: sent to the login page


def test_a_wrong_password_shows_the_error_with_401(client, db):
    user = make_user(db, "sales_rep")

    answer = client.post("/login", data={"csrf_token": csrf_token(client), "username": user.username,
                                         "password": "not-the-password"})

    assert answer.status_code == 401
    assert "Unknown username or wrong password." in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302


# --------------------------------------------------------------------------- customers


def test_a_sales_rep_sees_no_credit_fields_and_a_forged_credit_limit_is_ignored(client, db):
    rep = make_user(db, "sales_rep")
    sign_in(client, rep)

    form = client.get("/customers/new").get_data(as_text=True)
    assert 'name="code"' in form and 'name="name"' in form
    assert 'name="credit_limit"' not in form
    assert 'name="credit_hold"' not in form

    code = unique("NEG")
    answer = client.post("/customers/new", data={
        "csrf_token": csrf_token(client, "/customers/new"), "code": code, "name": "Negative Credit Ltd",
        "tier": "B", "credit_limit": "-500", "credit_hold": "1", "active": "1"})

    assert answer.status_code == 302
    customer = db.scalar(select(Customer).where(Customer.code == code))
    assert customer is not None
    assert customer.owner_id == rep.id
    assert customer.credit_limit == 0  # the field a rep may not edit was dropped, not stored
    assert customer.credit_hold is False


def test_a_duplicate_customer_code_shows_a_field_error_and_writes_nothing(client, db):
    rep = make_user(db, "sales_rep")
    code = unique("DUP")
    services.create_customer(uow_for(db), {"code": code, "name": "First Ltd", "owner_id": rep.id})
    sign_in(client, rep)

    answer = client.post("/customers/new", data={
        "csrf_token": csrf_token(client, "/customers/new"), "code": code, "name": "Second Ltd", "active": "1"})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert field_error(html, "code") == "A customer with this code already exists."
    assert f'value="{code}"' in html  # the form keeps what was typed
    assert "Please correct the marked fields; nothing was saved." in html
    assert count(db, select(Customer).where(Customer.code == code)) == 1
    assert count(db, select(Customer).where(Customer.name == "Second Ltd")) == 0


def test_a_customer_list_longer_than_a_page_links_to_the_next_and_previous_page(client, db):
    rep = make_user(db, "sales_rep")
    prefix = unique("PG")
    for i in range(27):
        services.create_customer(uow_for(db), {"code": f"{prefix}-{i:02d}", "name": f"Pager {i}", "owner_id": rep.id})
    sign_in(client, rep)

    first = client.get(f"/customers?q={prefix}")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "27 records, page 1 of 2" in html
    assert f"q={prefix}&amp;page=2" in html and "Next" in html

    second = client.get(f"/customers?q={prefix}&page=2")
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert "27 records, page 2 of 2" in html
    assert "Previous" in html and "Next →" not in html


def test_a_refused_customer_form_gives_back_the_tags_as_typed_not_as_a_list(client, db):
    sign_in(client, make_user(db, "sales_rep"))
    token = csrf_token(client, "/customers/new")

    empty = client.post("/customers/new", data={"csrf_token": token, "code": "", "name": "No Code Ltd",
                                                "tags": ""}).get_data(as_text=True)
    typed = client.post("/customers/new", data={"csrf_token": token, "code": "", "name": "No Code Ltd",
                                                "tags": "vip，east, gears"}).get_data(as_text=True)

    assert field_error(empty, "code") == "Missing data for required field."
    assert re.search(r'name="tags" type="text"\s+value=""', empty)  # not "[]", which a re-save would store
    assert re.search(r'name="tags" type="text"\s+value="vip, east, gears"', typed)


# --------------------------------------------------------------------------- products


def test_a_malformed_decimal_in_the_product_form_shows_a_field_error_and_writes_nothing(client, db):
    admin = make_user(db, "admin")
    sign_in(client, admin)
    sku = unique("SKU")

    answer = client.post("/products/new", data={
        "csrf_token": csrf_token(client, "/products/new"), "sku": sku, "name": "Bolt M8",
        "kind": "buy", "list_price": "12.3.4", "active": "1"})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert field_error(html, "list_price") == "Not a valid number."
    assert field_error(html, "sku") is None
    assert count(db, select(Product).where(Product.sku == sku)) == 0


# --------------------------------------------------------------------------- roles


def test_a_warehouse_user_has_no_customers_in_the_menu_and_is_refused_the_list(client, db):
    sign_in(client, make_user(db, "warehouse"))

    home = client.get("/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert 'href="/products"' in html  # the menu is there ...
    assert 'href="/customers"' not in html  # ... without Customers
    assert ">Customers<" not in html

    refused = client.get("/customers")
    assert refused.status_code == 403
    assert "Your role does not allow this page." in refused.get_data(as_text=True)


# --------------------------------------------------------------------------- language


def test_switching_the_language_to_chinese_renders_the_next_page_in_chinese(client, db):
    rep = make_user(db, "sales_rep")
    services.create_customer(uow_for(db), {"code": unique("ZH"), "name": "Hangzhou Gears Ltd",
                                              "owner_id": rep.id})
    sign_in(client, rep)
    english = client.get("/customers").get_data(as_text=True)
    assert "<h1>Customers</h1>" in english and "<th>Credit limit</th>" in english

    switched = client.post("/language", data={"csrf_token": csrf_token(client, "/customers"),
                                              "locale": "zh_CN", "next": "/customers"})
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith("/customers")

    chinese = client.get("/customers").get_data(as_text=True)
    assert '<html lang="zh-CN"' in chinese
    assert "<h1>客户</h1>" in chinese
    assert "<th>名称</th>" in chinese and "<th>信用额度</th>" in chinese
    assert "新建客户" in chinese and "退出" in chinese
    assert '<option value="zh_CN" selected>简体中文</option>' in chinese  # the selector shows the choice
    assert "Hangzhou Gears Ltd" in chinese
    assert "Credit limit" not in chinese
