"""Lead import from CSV and Excel (dry run, commit, row-by-row errors) and the bulk capture behind it,
which must decide exactly as capturing the same leads one by one does."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.errors import Forbidden
from core.imports import ImportError_, read_table
from core.models import Contact
from crm.leads import services
from crm.leads.bulk import capture_leads
from crm.leads.imports import import_leads
from crm.leads.models import Lead
from tests.conftest import api_as, make_user, uow_for

DATA = Path(__file__).resolve().parents[1] / "data"
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 China time


def rules(db):
    uow = uow_for(db)
    services.create_scoring_rule(uow, {"field": "industry", "value": "manufacturing", "points": 40,
                                       "label": "Manufacturing"})
    services.create_scoring_rule(uow, {"field": "company_size", "value": "200", "points": 25, "label": "200+"})
    services.create_scoring_rule(uow, {"field": "title", "operator": "contains", "value": "经理", "points": 30,
                                       "label": "Manager"})


def count(db, model=Lead) -> int:
    return db.scalar(select(func.count()).select_from(model))


def csv_rows():
    return read_table("leads.csv", (DATA / "leads.csv").read_bytes())


# --------------------------------------------------------------------------- the import


def test_a_dry_run_reports_each_row_with_its_errors_and_outcome_and_saves_nothing(db):
    rules(db)
    rep = make_user(db, "sales_rep")
    before = count(db)

    report = import_leads(uow_for(db), csv_rows(), commit=False, now=MONDAY_10)

    assert (report["committed"], report["total"], report["valid"], report["invalid"]) == (False, 7, 4, 3)
    by_row = {r["row"]: r for r in report["rows"]}
    assert by_row[4]["errors"] == [{"field": "email", "reason": "Not a valid e-mail address."}]
    assert by_row[5]["errors"] == [{"field": "phone", "reason": "Give a phone number or an e-mail address."}]
    assert [e["field"] for e in by_row[6]["errors"]] == ["company_size"]
    assert (by_row[2]["grade"], by_row[2]["status"], by_row[2]["owner_id"]) == ("A", "assigned", rep.id)
    assert (by_row[3]["grade"], by_row[8]["grade"], by_row[8]["status"]) == ("B", "C", "nurturing")
    assert count(db) == before


def test_a_commit_loads_the_valid_rows_scored_assigned_and_flags_a_repeat_within_the_file(db):
    rules(db)
    rep = make_user(db, "sales_rep")
    baosteel = core_services.create_customer(uow_for(db), {"code": "C-BG", "name": "上海宝钢股份有限公司"})

    report = import_leads(uow_for(db, rep), csv_rows(), commit=True, now=MONDAY_10)

    assert (report["committed"], report["created"], report["duplicates"]) == (True, 4, 2)
    by_row = {r["row"]: r for r in report["rows"]}
    first = db.scalar(select(Lead).where(Lead.number == by_row[2]["number"]))
    repeat = db.scalar(select(Lead).where(Lead.number == by_row[7]["number"]))
    assert (first.source, first.channel, first.utm_campaign, first.contact_name) == \
        ("import", "trade show", "pumps-2026", "王伟")
    assert (first.grade, first.score, first.owner_id, first.is_duplicate) == ("A", 95, rep.id, False)
    assert first.follow_up_due is not None
    assert (repeat.is_duplicate, repeat.duplicate_kind, repeat.duplicate_id, repeat.duplicate_on) == \
        (True, "lead", first.id, "company")
    assert by_row[7]["duplicate"]["row"] == 2
    assert by_row[8]["duplicate"] == {"kind": "customer", "id": baosteel.id, "matched_on": "company", "row": None}
    assert count(db) == 4  # the three bad rows changed nothing


def test_an_excel_file_with_chinese_headers_imports_like_a_csv(db):
    rules(db)
    make_user(db, "sales_rep")
    buffer = io.BytesIO()
    pd.DataFrame([
        {"公司名称": "苏州泵业有限公司", "联系人": "刘洋", "职务": "采购经理", "手机": "13700003003",
         "邮箱": "ly@szby.example", "行业": "manufacturing", "地区": "East China", "公司规模": "300", "渠道": "展会"},
        {"公司名称": "", "联系人": "", "职务": "", "手机": "", "邮箱": "", "行业": "", "地区": "", "公司规模": "",
         "渠道": "展会"},
    ]).to_excel(buffer, index=False)

    report = import_leads(uow_for(db), read_table("leads.xlsx", buffer.getvalue()), commit=True, now=MONDAY_10)

    assert (report["valid"], report["invalid"]) == (1, 1)
    lead = db.scalar(select(Lead).where(Lead.number == report["rows"][0]["number"]))
    assert (lead.company, lead.contact_name, lead.channel, lead.company_size, lead.grade) == \
        ("苏州泵业有限公司", "刘洋", "展会", 300, "A")


def test_a_file_without_any_known_column_is_refused_as_a_whole(db):
    with pytest.raises(ImportError_):
        import_leads(uow_for(db), [{"colour": "red", "weight": "3"}], commit=True, now=MONDAY_10)
    assert count(db) == 0


def test_a_role_that_may_not_capture_leads_may_not_import_them(db):
    with pytest.raises(Forbidden):
        import_leads(uow_for(db, make_user(db, "warehouse")), csv_rows(), commit=True, now=MONDAY_10)
    assert count(db) == 0


# --------------------------------------------------------------------------- bulk equals one by one


def _sample_leads() -> list[dict]:
    """Thirty leads: repeats among themselves (by e-mail, phone, Chinese and English company names),
    matches of a contact and a customer, all three grades, and a region with its own rule."""
    leads = []
    for n in range(30):
        company = ["宁波精工机械有限公司", "ACME Pumps Co., Ltd.", f"Firm {n} GmbH", "杭州远景科技（集团）股份有限公司",
                   f"公司{n}号有限公司"][n % 5]
        leads.append({
            "company": company, "contact_name": f"Person {n}", "title": "采购经理" if n % 3 == 0 else "Engineer",
            "phone": f"+86 139 0000 {1000 + n % 11:04d}" if n % 2 else None,
            "email": f"p{n % 13}@example.com" if n % 4 else f"buyer{n}@example.com",
            "industry": "manufacturing" if n % 2 == 0 else "retail", "company_size": [10, 250, 900][n % 3],
            "region": "West China" if n % 7 == 0 else "East China", "channel": "import"})
    leads[5]["email"] = "Li.Wei@WW.example"      # a contact's e-mail
    leads[9]["company"] = "上海宝钢（集团）股份有限公司"  # a customer's name, written differently
    return leads


def _decisions(db, ids: list[int]) -> list[tuple]:
    numbers = {i: n for i, n in db.execute(select(Lead.id, Lead.number))}
    out = []
    for lead_id in ids:
        lead = db.get(Lead, lead_id)
        link = numbers[lead.duplicate_id] if lead.duplicate_kind == "lead" else lead.duplicate_id
        out.append((lead.number, lead.score, lead.grade, lead.status, lead.owner_id, lead.assigned_by,
                    lead.follow_up_due, lead.is_duplicate, lead.duplicate_kind, link, lead.duplicate_on))
    return out


def test_bulk_capture_gives_the_same_grades_owners_and_duplicate_flags_as_one_by_one(db):
    rules(db)
    reps = [make_user(db, "sales_rep") for _ in range(3)]
    west = make_user(db, "sales_rep")
    services.create_assignment_rule(uow_for(db), {"field": "region", "value": "west china", "user_id": west.id})
    services.update_policy(uow_for(db), {"rep_capacity": 4})  # some reps fill up: their leads go round or to the pool
    customer = core_services.create_customer(uow_for(db), {"code": "C-WW", "name": "Wuxi Works",
                                                           "owner_id": reps[0].id})
    db.add(Contact(customer_id=customer.id, name="Li Wei", email="li.wei@ww.example"))
    core_services.create_customer(uow_for(db), {"code": "C-BG", "name": "上海宝钢股份有限公司"})
    earlier = services.capture_lead(uow_for(db), {"company": "Firm 3 Ltd", "email": "old@example.com"}, now=MONDAY_10)
    leads = _sample_leads()

    uow = uow_for(db)
    with uow.batch():
        ids = [services.capture_lead(uow, dict(data), source="import", now=MONDAY_10).id for data in leads]
        one_by_one = _decisions(db, ids)
    uow.rollback()
    assert db.get(Lead, earlier.id) is not None and count(db) == 1

    uow = uow_for(db)
    with uow.batch():
        outcomes = capture_leads(uow, [dict(data) for data in leads], source="import", now=MONDAY_10)
        in_bulk = _decisions(db, [o.lead.id for o in outcomes])
    uow.rollback()

    assert in_bulk == one_by_one
    kinds = {(d[8], d[10]) for d in in_bulk if d[7]}
    assert {("contact", "email"), ("customer", "company"), ("lead", "email"), ("lead", "company")} <= kinds
    assert {d[3] for d in in_bulk} == {"assigned", "nurturing", "pool"}
    assert any((d[5] or "").startswith("rule:") for d in in_bulk)


# --------------------------------------------------------------------------- API and page


def test_the_api_imports_a_file_with_a_dry_run_then_a_commit(client, db):
    rules(db)
    manager = api_as(client, db, "sales_manager")
    body = (DATA / "leads.csv").read_bytes()

    dry = manager.post("/leads/import", data={"file": (io.BytesIO(body), "leads.csv")},
                       content_type="multipart/form-data")
    assert dry.status_code == 200, dry.get_json()
    assert (dry.get_json()["committed"], dry.get_json()["invalid"]) == (False, 3)
    assert count(db) == 0
    done = manager.post("/leads/import?commit=true", data={"file": (io.BytesIO(body), "leads.csv")},
                        content_type="multipart/form-data")
    assert done.get_json()["committed"] is True and count(db) == 4
    refused = api_as(client, db, "finance").post("/leads/import", data={"file": (io.BytesIO(body), "l.csv")},
                                                 content_type="multipart/form-data")
    assert refused.status_code == 403
    broken = manager.post("/leads/import", data={"file": (io.BytesIO(b"\x00\x01garbage"), "l.xlsx")},
                          content_type="multipart/form-data")
    assert broken.status_code == 422 and broken.get_json()["error"]["code"] == "import_unreadable"
