"""The report dimensions in the customer and product imports: `source` and `industry`, `product_line`,
checked as for a record typed by hand, each refused row reported with its column and reason."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core import services
from core.models import Customer, Product
from tests.conftest import api_as, ok, uow_for
from tests.web.conftest import compile_catalogs


@pytest.fixture(scope="module", autouse=True)
def chinese_catalog() -> None:
    """A source may be typed as its Chinese label: the import reads the compiled catalog."""
    compile_catalogs()


def upload(api, kind: str, csv: str, *, commit: bool) -> dict:
    answer = api.post(f"/imports/{kind}?commit={'true' if commit else 'false'}",
                      data={"file": (io.BytesIO(csv.encode("utf-8")), f"{kind}.csv")},
                      content_type="multipart/form-data")
    return ok(answer)


def test_customer_sources_are_read_as_codes_or_labels_and_an_unknown_one_is_a_reported_row(client, db):
    admin = api_as(client, db, "admin")
    csv = ("code,name,source,industry\n"
           "SRC-1,Fair Co,展会,chemical\n"
           "SRC-2,Web Co,Website,\n"
           "SRC-3,Plain Co,,mining\n"
           "SRC-4,Market Co,b2b-marketplace,hvac\n"
           "SRC-5,Typo Co,webiste,paper\n")

    report = upload(admin, "customers", csv, commit=True)

    assert (report["valid"], report["invalid"], report["committed"]) == (4, 1, True)
    refused = report["rows"][4]
    assert (refused["row"], refused["key"], refused["action"]) == (6, "SRC-5", "error")
    assert [e["field"] for e in refused["errors"]] == ["source"]
    assert "webiste" in refused["errors"][0]["reason"]
    loaded = {c.code: (c.source, c.industry) for c in db.scalars(select(Customer).where(Customer.code.like("SRC-%")))}
    assert loaded == {"SRC-1": ("trade_show", "chemical"), "SRC-2": ("website", None), "SRC-3": ("direct", "mining"),
                      "SRC-4": ("b2b_marketplace", "hvac")}


def test_a_reimport_changes_a_customers_source_and_keeps_it_when_the_column_is_empty(client, db):
    admin = api_as(client, db, "admin")
    upload(admin, "customers", "code,name,source\nRE-1,Again Co,referral\nRE-2,Other Co,cold_call\n", commit=True)

    report = upload(admin, "customers", "code,name,source\nRE-1,Again Co,partner\nRE-2,Other Co,\n", commit=True)

    assert report["updated"] == 2
    assert dict(db.execute(select(Customer.code, Customer.source).where(Customer.code.like("RE-%"))).all()) == {
        "RE-1": "partner", "RE-2": "cold_call"}


def test_product_lines_are_read_by_code_and_an_unknown_one_is_a_reported_row(client, db):
    services.create_product_line(uow_for(db), {"code": "PUMPS", "name": "Pumps"})
    services.create_product_line(uow_for(db), {"code": "VALVES", "name": "Valves"})
    admin = api_as(client, db, "admin")
    csv = ("sku,name,kind,product_line\n"
           "IMP-P1,Pump,make,PUMPS\n"
           "IMP-V1,Valve,buy,valves\n"
           "IMP-N1,Nut,buy,\n"
           "IMP-X1,Gadget,buy,GADGETS\n")

    dry = upload(admin, "products", csv, commit=False)
    report = upload(admin, "products", csv, commit=True)

    assert (dry["valid"], dry["invalid"], dry["committed"]) == (3, 1, False)
    assert report["rows"][3]["errors"] == [{"field": "product_line", "reason": "No product line with code 'GADGETS'."}]
    loaded = dict(db.execute(select(Product.sku, Product.product_line).where(Product.sku.like("IMP-%"))).all())
    assert loaded == {"IMP-P1": "PUMPS", "IMP-V1": "VALVES", "IMP-N1": None}
