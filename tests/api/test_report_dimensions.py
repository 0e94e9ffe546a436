"""The report dimensions kept in the master data, through the API: product lines (`/product-lines`), a
product's `product_line`, a customer's acquisition `source` and `industry`."""

from __future__ import annotations

from sqlalchemy import func, select

from core import services
from core.models import Customer, Product, ProductLine
from tests.conftest import api_as, make_user, ok, uow_for


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def a_line(db, code: str, name: str = "", name_zh: str = "", active: bool = True) -> ProductLine:
    return services.create_product_line(uow_for(db), {"code": code, "name": name or code.title(),
                                                      "name_zh": name_zh, "active": active})


# --------------------------------------------------------------------------- product lines


def test_product_lines_are_created_by_those_who_keep_products_and_listed_by_code_for_everyone(client, db):
    purchasing = api_as(client, db, "purchasing")

    created = ok(purchasing.post("/product-lines", json={"code": "VALVES", "name": "Valves", "name_zh": "阀门"}), 201)
    ok(api_as(client, db, "production").post("/product-lines", json={"code": "MOTORS", "name": "Motors"}), 201)

    assert {k: created[k] for k in ("code", "name", "name_zh", "active")} == {
        "code": "VALVES", "name": "Valves", "name_zh": "阀门", "active": True}
    listed = ok(api_as(client, db, "sales_rep").get("/product-lines"))
    assert [(line["code"], line["name_zh"]) for line in listed["items"]] == [("MOTORS", ""), ("VALVES", "阀门")]
    assert (listed["total"], listed["page"]) == (2, 1)


def test_a_role_that_does_not_keep_products_may_not_create_a_product_line(client, db):
    answer = api_as(client, db, "sales_manager").post("/product-lines", json={"code": "PUMPS", "name": "Pumps"})

    assert answer.status_code == 403
    assert count(db, ProductLine) == 0


def test_a_second_product_line_with_the_same_code_in_any_letter_case_is_a_422_naming_the_code(client, db):
    admin = api_as(client, db, "admin")
    ok(admin.post("/product-lines", json={"code": "PUMPS", "name": "Pumps"}), 201)

    answer = admin.post("/product-lines", json={"code": "pumps", "name": "Other pumps"})

    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"code": ["A product line with this code already exists."]}
    assert db.scalars(select(ProductLine.name)).all() == ["Pumps"]


def test_a_product_line_without_a_name_or_with_a_bad_code_is_a_422_naming_each_field(client, db):
    answer = api_as(client, db, "admin").post("/product-lines", json={"code": "PUMPS 2"})

    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"code", "name"}
    assert count(db, ProductLine) == 0


def test_a_product_line_is_renamed_and_retired_but_keeps_its_code(client, db):
    admin = api_as(client, db, "admin")
    line = a_line(db, "SPARES", "Spares")

    changed = ok(admin.patch(f"/product-lines/{line.id}", json={"name_zh": "备件", "active": False}))
    refused = admin.patch(f"/product-lines/{line.id}", json={"code": "PARTS"})

    assert (changed["code"], changed["name_zh"], changed["active"]) == ("SPARES", "备件", False)
    assert refused.status_code == 422 and "code" in refused.get_json()["error"]["fields"]
    assert db.scalar(select(ProductLine.code).where(ProductLine.id == line.id)) == "SPARES"


# --------------------------------------------------------------------------- a product's line


def test_a_product_takes_a_product_line_by_its_code_in_any_case_and_shows_it(client, db):
    admin = api_as(client, db, "admin")
    a_line(db, "PUMPS")
    a_line(db, "SERVICE")

    created = ok(admin.post("/products", json={"sku": "CP-50", "name": "Centrifugal pump", "kind": "make",
                                                "product_line": "pumps"}), 201)
    moved = ok(admin.patch(f"/products/{created['id']}", json={"product_line": "SERVICE"}))
    read = ok(admin.get(f"/products/{created['id']}"))
    cleared = ok(admin.patch(f"/products/{created['id']}", json={"product_line": None}))

    assert created["product_line"] == "PUMPS"
    assert moved["product_line"] == read["product_line"] == "SERVICE"
    assert cleared["product_line"] is None


def test_an_unknown_product_line_is_a_422_naming_the_field_and_writes_nothing(client, db):
    admin = api_as(client, db, "admin")
    a_line(db, "PUMPS")
    kept = ok(admin.post("/products", json={"sku": "CP-65", "name": "Pump", "kind": "make", "product_line": "PUMPS"}),
              201)

    created = admin.post("/products", json={"sku": "X-1", "name": "Gadget", "kind": "buy", "product_line": "GADGETS"})
    patched = admin.patch(f"/products/{kept['id']}", json={"product_line": "GADGETS", "name": "Renamed"})

    for answer in (created, patched):
        assert answer.status_code == 422
        assert answer.get_json()["error"]["fields"] == {"product_line": ["No product line with code 'GADGETS'."]}
    assert count(db, Product, Product.sku == "X-1") == 0
    assert db.scalar(select(Product.name).where(Product.id == kept["id"])) == "Pump"


def test_a_retired_product_line_keeps_its_products_but_takes_no_new_one(client, db):
    admin = api_as(client, db, "admin")
    line = a_line(db, "OLD")
    kept = ok(admin.post("/products", json={"sku": "OLD-1", "name": "Old pump", "kind": "buy", "product_line": "OLD"}),
              201)
    ok(admin.patch(f"/product-lines/{line.id}", json={"active": False}))

    renamed = admin.patch(f"/products/{kept['id']}", json={"name": "Old pump, renamed", "product_line": "OLD"})
    new = admin.post("/products", json={"sku": "OLD-2", "name": "Another", "kind": "buy", "product_line": "OLD"})

    assert ok(renamed)["product_line"] == "OLD"
    assert new.status_code == 422 and list(new.get_json()["error"]["fields"]) == ["product_line"]
    assert count(db, Product, Product.sku == "OLD-2") == 0


def test_products_are_filtered_by_product_line(client, db):
    admin = api_as(client, db, "admin")
    a_line(db, "PUMPS")
    a_line(db, "VALVES")
    for sku, line in (("P-1", "PUMPS"), ("V-1", "VALVES"), ("P-2", "PUMPS"), ("N-1", None)):
        ok(admin.post("/products", json={"sku": sku, "name": sku, "kind": "buy", "product_line": line}), 201)

    listed = ok(admin.get("/products?product_line=PUMPS"))

    assert [p["sku"] for p in listed["items"]] == ["P-1", "P-2"]


# --------------------------------------------------------------------------- a customer's source and industry


def test_a_customer_entered_by_hand_is_direct_unless_a_source_of_the_pick_list_is_given(client, db):
    admin = api_as(client, db, "admin")

    plain = ok(admin.post("/customers", json={"code": "D1", "name": "Plain Ltd"}), 201)
    fair = ok(admin.post("/customers", json={"code": "D2", "name": "Fair Ltd", "source": "Trade Show",
                                             "industry": "chemical"}), 201)
    read = ok(admin.get(f"/customers/{fair['id']}"))

    assert (plain["source"], plain["industry"]) == ("direct", None)
    assert (read["source"], read["industry"]) == ("trade_show", "chemical")


def test_a_source_neither_on_the_pick_list_nor_in_use_is_a_422_naming_the_field(client, db):
    admin = api_as(client, db, "admin")
    customer = ok(admin.post("/customers", json={"code": "W1", "name": "Known Ltd", "source": "website"}), 201)

    created = admin.post("/customers", json={"code": "W2", "name": "Typo Ltd", "source": "websiet"})
    patched = admin.patch(f"/customers/{customer['id']}", json={"source": "websiet", "industry": "mining"})
    blank = admin.patch(f"/customers/{customer['id']}", json={"source": None})

    for answer in (created, patched, blank):
        assert answer.status_code == 422
        assert list(answer.get_json()["error"]["fields"]) == ["source"]
    assert "websiet" in created.get_json()["error"]["fields"]["source"][0]
    assert count(db, Customer, Customer.code == "W2") == 0
    assert db.scalar(select(Customer.source).where(Customer.id == customer["id"])) == "website"
    assert db.scalar(select(Customer.industry).where(Customer.id == customer["id"])) is None


def test_a_source_a_converted_lead_brought_may_be_picked_for_another_customer(client, db):
    services.create_customer(uow_for(db), {"code": "L1", "name": "From a lead", "source": "WeChat"}, any_source=True)
    rep = api_as(client, db, "sales_rep")

    created = ok(rep.post("/customers", json={"code": "L2", "name": "Also WeChat", "source": "wechat"}), 201)

    assert created["source"] == "wechat"
    assert db.scalar(select(Customer.source).where(Customer.code == "L1")) == "wechat"


def test_a_customers_source_and_industry_are_changed_and_filtered_on(client, db):
    rep = make_user(db, "sales_rep")
    admin = api_as(client, db, "admin")
    first = ok(admin.post("/customers", json={"code": "F1", "name": "One", "owner_id": rep.id}), 201)
    ok(admin.post("/customers", json={"code": "F2", "name": "Two", "source": "referral"}), 201)

    changed = ok(admin.patch(f"/customers/{first['id']}", json={"source": "referral", "industry": "hvac"}))
    referred = ok(admin.get("/customers?source=referral"))
    hvac = ok(admin.get("/customers?industry=hvac"))

    assert (changed["source"], changed["industry"]) == ("referral", "hvac")
    assert [c["code"] for c in referred["items"]] == ["F1", "F2"]
    assert [c["code"] for c in hvac["items"]] == ["F1"]
