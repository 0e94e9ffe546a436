"""CSV and Excel import of customers and products: dry run, commit, re-import."""

import io
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from core.imports import IMPORTERS, read_table, run_import
from core.models import Customer, Product
from tests.conftest import api_as, make_user, uow_for

DATA = Path(__file__).resolve().parents[1] / "data"


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def _rows(name="customers.csv"):
    path = DATA / name
    return read_table(path.name, path.read_bytes())


def test_a_dry_run_reports_every_row_with_row_number_field_and_reason_and_saves_nothing(db):
    before = _count(db, Customer)
    report = run_import(uow_for(db), IMPORTERS["customers"], _rows(), commit=False)
    assert report["committed"] is False
    assert (report["total"], report["valid"], report["invalid"]) == (7, 2, 5)
    by_row = {r["row"]: r for r in report["rows"]}
    assert by_row[2]["action"] == "create" and by_row[3]["action"] == "create"
    assert {"field": "credit_limit", "reason": "Not a valid number."} in by_row[4]["errors"]
    assert by_row[5]["errors"] == [{"field": "code", "reason": "Missing data for required field."}]
    assert by_row[6]["errors"][0]["field"] == "owner"
    assert by_row[7]["errors"] == [{"field": "code", "reason": "This value appears twice in the file."}]
    assert {e["field"] for e in by_row[8]["errors"]} == {"tier", "payment_terms_days"}
    assert _count(db, Customer) == before


def test_a_commit_loads_only_the_valid_rows_and_reimporting_updates_them(db):
    report = run_import(uow_for(db), IMPORTERS["customers"], _rows(), commit=True)
    assert report["committed"] and report["created"] == 2
    loaded = {c.code: c for c in db.scalars(select(Customer).where(Customer.code.like("IMP-%")))}
    assert set(loaded) == {"IMP-001", "IMP-002"}
    assert loaded["IMP-001"].tags == ["water", "export"]
    assert loaded["IMP-002"].name == "宁波进口机械有限公司"

    changed = [dict(r, name="Renamed Pumps Co.") if r["code"] == "IMP-001" else r for r in _rows()]
    again = run_import(uow_for(db), IMPORTERS["customers"], changed, commit=True)
    assert again["created"] == 0 and again["updated"] == 2
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.code.like("IMP-%"))) == 2
    assert db.scalar(select(Customer.name).where(Customer.code == "IMP-001")) == "Renamed Pumps Co."


def test_an_excel_file_of_products_is_read_and_supplier_codes_resolved(db, client):
    admin = api_as(client, db, "admin")
    admin.post("/suppliers", json={"code": "S-MOT", "name": "Motors"})
    frame = pd.DataFrame([
        {"sku": "X-1", "name": "Motor 1 kW", "kind": "buy", "list_price": "100.50", "default_supplier": "S-MOT"},
        {"sku": "X-2", "name": "Pump", "kind": "make", "list_price": "-3", "default_supplier": ""},
        {"sku": "X-3", "name": "Seal", "kind": "buy", "list_price": "2", "default_supplier": "NOPE"},
    ])
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    answer = admin.post("/imports/products?commit=true",
                        data={"file": (io.BytesIO(buffer.getvalue()), "products.xlsx")},
                        content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert (report["valid"], report["invalid"], report["committed"]) == (1, 2, True)
    assert report["rows"][1]["errors"] == [{"field": "list_price", "reason": "Must be at least 0."}]
    assert report["rows"][2]["errors"][0]["field"] == "default_supplier"
    product = db.scalar(select(Product).where(Product.sku == "X-1"))
    assert str(product.list_price) == "100.5000" and product.default_supplier.code == "S-MOT"
    assert db.scalar(select(func.count()).select_from(Product).where(Product.sku.in_(["X-2", "X-3"]))) == 0


def test_an_unreadable_file_is_a_clear_422(client, db):
    admin = api_as(client, db, "admin")
    answer = admin.post("/imports/customers", data={"file": (io.BytesIO(b"\x00\x01garbage"), "c.xlsx")},
                        content_type="multipart/form-data")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "import_unreadable"


def test_a_role_that_may_not_create_customers_may_not_import_them(client, db):
    warehouse = api_as(client, db, "warehouse")
    answer = warehouse.post("/imports/customers", data={"file": (io.BytesIO(b"code,name\nA,B\n"), "c.csv")},
                            content_type="multipart/form-data")
    assert answer.status_code == 403


def test_a_sales_rep_import_makes_the_rep_the_owner(db):
    rep = make_user(db, "sales_rep")
    rows = [{"code": "OWN-1", "name": "Owned"}]
    report = run_import(uow_for(db, rep), IMPORTERS["customers"], rows, commit=True)
    assert report["created"] == 1
    assert db.scalar(select(Customer.owner_id).where(Customer.code == "OWN-1")) == rep.id
