"""Sales targets: setting them (monthly, annual split by weights), refusals, who sets and reads what, the
attainment report against hand-computed sales entries, the behind-pace alert, the board page and one
target met through a real order confirmation.

The company: teams EAST (manager `east_mgr`, reps `alice` and `bob`) and WEST (manager `west_mgr`, rep
`carol`); product lines PUMPS and VALVES; one customer the hand-written sales entries hang on."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from core import services as core_services
from core.errors import DomainError, Forbidden, InvalidInput
from core.formatting import CHINA
from core.models import OutboxMessage
from reports import targets
from reports.models import SalesEntry
from reports.targets import SalesTarget, TargetAlert
from tests.conftest import ApiClient, make_user, ok, uow_for
from tests.reports.builders import product_lines
from tests.web.test_forms import csrf_token, field_error, sign_in

D = Decimal


@pytest.fixture
def company(db):
    users = {
        "admin": make_user(db, "admin"),
        "management": make_user(db, "management"),
        "finance": make_user(db, "finance"),
        "east_mgr": make_user(db, "sales_manager", team="EAST"),
        "alice": make_user(db, "sales_rep", team="EAST"),
        "bob": make_user(db, "sales_rep", team="EAST"),
        "west_mgr": make_user(db, "sales_manager", team="WEST"),
        "carol": make_user(db, "sales_rep", team="WEST"),
    }
    for name, user in users.items():
        user.full_name = name.replace("_", " ").title()  # "East Mgr", "Alice", ...
    product_lines(db)
    customer = core_services.create_customer(uow_for(db), {"code": "TG-CUST", "name": "Target Works"})
    db.flush()
    return {**users, "customer": customer}


def entry(db, company, *, measure: str, day: date, amount: str, rep=None, team: str | None = None,
          product_line: str | None = None) -> None:
    """One sales entry written by hand (as the report handlers would), for hand-computed actuals."""
    db.add(SalesEntry(measure=measure, day=day, document="sales_order", document_id=1, number="SO-TEST",
                      customer_id=company["customer"].id, source="direct", tier="B",
                      rep_id=rep.id if rep is not None else None,
                      team=team if team is not None else (rep.team if rep is not None else None),
                      product_line=product_line, amount=D(amount)))
    db.flush()


def as_user(db, user):
    return uow_for(db, user)


def api(client, user) -> ApiClient:
    return ApiClient(client, user)


def count_targets(db) -> int:
    return db.scalar(select(func.count(SalesTarget.id)))


# --------------------------------------------------------------------------- annual split


def test_an_annual_target_of_100000_is_8333_33_eleven_times_and_8333_37_in_december(db, company):
    made = targets.set_annual_targets(as_user(db, company["admin"]), {
        "year": 2027, "rep_id": company["alice"].id, "basis": "booked", "amount": "100000.00"})
    assert [(t.period, t.amount) for t in made] == (
        [(f"2027-{m:02d}", D("8333.33")) for m in range(1, 12)] + [("2027-12", D("8333.37"))])
    assert sum(t.amount for t in made) == D("100000.00")
    assert {(t.subject, t.subject_key, t.rep_id, t.basis) for t in made} == {
        ("rep", str(company["alice"].id), company["alice"].id, "booked")}


def test_an_annual_target_is_split_by_the_weights_and_december_takes_the_remainder(db, company):
    # 1000.00 over weights 3 (x11) and 4: 3/37 x 1000 = 81.081.. -> 81.08 each; December 1000 - 891.88
    made = targets.set_annual_targets(as_user(db, company["admin"]), {
        "year": 2027, "team": "EAST", "basis": "invoiced", "amount": "1000.00", "weights": [3] * 11 + [4]})
    assert [t.amount for t in made] == [D("81.08")] * 11 + [D("108.12")]
    # a seasonal year in decimal weights: 120000.00, January 0.5, December 2, the rest 1 (sum 12.5)
    made = targets.set_annual_targets(as_user(db, company["admin"]), {
        "year": 2027, "product_line": "PUMPS", "basis": "booked", "amount": "120000.00",
        "weights": ["0.5"] + ["1"] * 10 + ["2"]})
    assert [t.amount for t in made] == [D("4800.00")] + [D("9600.00")] * 10 + [D("19200.00")]


def test_an_annual_target_over_a_month_that_has_one_is_409_and_creates_nothing(db, company):
    admin = as_user(db, company["admin"])
    targets.set_target(admin, {"period": "2027-06", "rep_id": company["bob"].id, "basis": "collected",
                               "amount": "500"})
    before = count_targets(db)
    with pytest.raises(DomainError) as refused:
        targets.set_annual_targets(admin, {"year": 2027, "rep_id": company["bob"].id, "basis": "collected",
                                           "amount": "12000"})
    assert refused.value.status == 409 and refused.value.code == "target_exists"
    assert refused.value.details["periods"] == ["2027-06"]
    assert count_targets(db) == before
    # another basis is another target: the twelve are made
    assert len(targets.set_annual_targets(admin, {"year": 2027, "rep_id": company["bob"].id, "basis": "booked",
                                                  "amount": "12000"})) == 12


# --------------------------------------------------------------------------- the API: create, 409, 422


def test_a_second_target_for_the_same_month_subject_and_basis_is_409_and_patch_changes_it(client, db, company):
    admin = api(client, company["admin"])
    body = {"period": "2026-11", "rep_id": company["alice"].id, "basis": "booked", "amount": "30000"}
    made = ok(admin.post("/targets", json=body), 201)
    assert (made["period"], made["subject"], made["rep_id"], made["rep_name"], made["basis"], made["amount"]) == (
        "2026-11", "rep", company["alice"].id, company["alice"].display_name, "booked", "30000.00")
    again = admin.post("/targets", json={**body, "amount": "1"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "target_exists"
    assert ok(admin.post("/targets", json={**body, "basis": "invoiced"}), 201)["basis"] == "invoiced"
    changed = ok(admin.patch(f"/targets/{made['id']}", json={"amount": "32000.50"}))
    assert changed["amount"] == "32000.50" and changed["period"] == "2026-11"
    assert ok(admin.get(f"/targets/{made['id']}"))["amount"] == "32000.50"
    bad = admin.patch(f"/targets/{made['id']}", json={"amount": "-1"})
    assert bad.status_code == 422 and "amount" in bad.get_json()["error"]["fields"]
    assert ok(admin.get(f"/targets/{made['id']}"))["amount"] == "32000.50"


@pytest.mark.parametrize(("change", "field"), [
    ({"period": "2026-13"}, "period"),
    ({"period": "2026-1"}, "period"),
    ({"period": "November"}, "period"),
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "1,000"}, "amount"),
    ({"basis": "shipped"}, "basis"),
    ({"rep_id": 999999}, "rep_id"),
    ({"team": "NORTH"}, "team"),
    ({"product_line": "GEARS"}, "product_line"),
])
def test_bad_input_is_422_naming_the_field_and_creates_nothing(client, db, company, change, field):
    admin = api(client, company["admin"])
    subject = {"rep_id": company["alice"].id}
    if set(change) & {"team", "product_line"}:
        subject = {}
    before = count_targets(db)
    answer = admin.post("/targets", json={"period": "2026-11", "basis": "booked", "amount": "100",
                                          **subject, **change})
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    assert count_targets(db) == before


def test_a_target_names_exactly_one_subject_a_sales_user(client, db, company):
    admin = api(client, company["admin"])
    base = {"period": "2026-11", "basis": "booked", "amount": "100"}
    none = admin.post("/targets", json=base)
    assert none.status_code == 422
    assert set(none.get_json()["error"]["fields"]) == {"rep_id", "team", "product_line"}
    two = admin.post("/targets", json={**base, "rep_id": company["alice"].id, "team": "EAST"})
    assert two.status_code == 422 and set(two.get_json()["error"]["fields"]) == {"rep_id", "team"}
    finance_user = admin.post("/targets", json={**base, "rep_id": company["finance"].id})
    assert finance_user.status_code == 422 and "rep_id" in finance_user.get_json()["error"]["fields"]
    assert count_targets(db) == 0


@pytest.mark.parametrize("weights", [[1] * 11, [1] * 13, [1] * 11 + [-1], [0] * 12, ["a"] * 12])
def test_weights_must_be_twelve_non_negative_numbers_with_a_positive_sum(client, db, company, weights):
    answer = api(client, company["admin"]).post("/targets/annual", json={
        "year": 2027, "team": "EAST", "basis": "booked", "amount": "1200", "weights": weights})
    assert answer.status_code == 422 and "weights" in answer.get_json()["error"]["fields"]
    assert count_targets(db) == 0


def test_the_annual_api_answers_the_twelve_months(client, db, company):
    answer = ok(api(client, company["east_mgr"]).post("/targets/annual", json={
        "year": 2027, "rep_id": company["bob"].id, "basis": "collected", "amount": "100000.00"}), 201)
    assert [(t["period"], t["amount"]) for t in answer["items"]] == (
        [(f"2027-{m:02d}", "8333.33") for m in range(1, 12)] + [("2027-12", "8333.37")])


# --------------------------------------------------------------------------- who sets, who reads


def test_a_manager_sets_targets_for_the_team_and_its_reps_only(db, company):
    east = as_user(db, company["east_mgr"])
    assert targets.set_target(east, {"period": "2026-11", "rep_id": company["alice"].id, "basis": "booked",
                                      "amount": "100"}).rep_id == company["alice"].id
    assert targets.set_target(east, {"period": "2026-11", "team": "EAST", "basis": "booked",
                                     "amount": "100"}).team == "EAST"
    before = count_targets(db)
    for other in ({"rep_id": company["carol"].id}, {"team": "WEST"}, {"product_line": "PUMPS"}):
        with pytest.raises(Forbidden):
            targets.set_target(east, {"period": "2026-11", "basis": "booked", "amount": "100", **other})
    assert count_targets(db) == before


def test_reps_finance_and_management_may_not_set_targets(client, db, company):
    body = {"period": "2026-11", "rep_id": company["alice"].id, "basis": "booked", "amount": "100"}
    for who in ("alice", "finance", "management"):
        assert api(client, company[who]).post("/targets", json=body).status_code == 403
    assert api(client, company["west_mgr"]).post("/targets", json=body).status_code == 403
    assert count_targets(db) == 0


def _targets_for_everyone(db, company):
    admin = as_user(db, company["admin"])
    made = {}
    for key, subject in (("alice", {"rep_id": company["alice"].id}), ("bob", {"rep_id": company["bob"].id}),
                         ("carol", {"rep_id": company["carol"].id}), ("EAST", {"team": "EAST"}),
                         ("WEST", {"team": "WEST"}), ("PUMPS", {"product_line": "PUMPS"})):
        made[key] = targets.set_target(admin, {"period": "2026-11", "basis": "booked", "amount": "1000", **subject})
    return made


def test_each_role_lists_the_targets_in_its_scope(client, db, company):
    made = _targets_for_everyone(db, company)

    def listed(who, **query):
        return {item["id"] for item in ok(api(client, company[who]).get("/targets", query_string=query))["items"]}

    everything = {t.id for t in made.values()}
    assert listed("management") == listed("finance") == listed("admin") == everything
    assert listed("east_mgr") == {made["alice"].id, made["bob"].id, made["EAST"].id}
    assert listed("alice") == {made["alice"].id}
    assert listed("alice", rep_id=company["carol"].id) == set()  # another rep's: only own rows, here none
    assert listed("management", team="WEST") == {made["WEST"].id}
    assert listed("management", product_line="PUMPS", basis="booked", period="2026-11") == {made["PUMPS"].id}
    assert listed("management", period="2026-12") == set()
    page = ok(api(client, company["admin"]).get("/targets", query_string={"per_page": 2, "page": 2}))
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (6, 2, 2, 2)
    # a manager cannot see, so cannot change, another team's target; a rep cannot change their own
    assert api(client, company["west_mgr"]).patch(f"/targets/{made['alice'].id}",
                                                  json={"amount": "1"}).status_code == 404
    assert api(client, company["alice"]).patch(f"/targets/{made['alice'].id}", json={"amount": "1"}).status_code == 403
    assert ok(api(client, company["east_mgr"]).patch(f"/targets/{made['bob'].id}", json={"amount": "900"}))[
        "amount"] == "900.00"


# --------------------------------------------------------------------------- attainment


def test_attainment_by_rep_against_hand_written_sales_entries(client, db, company):
    admin = as_user(db, company["admin"])
    alice, bob, carol = company["alice"], company["bob"], company["carol"]
    targets.set_target(admin, {"period": "2026-11", "rep_id": alice.id, "basis": "booked", "amount": "10000"})
    targets.set_target(admin, {"period": "2026-11", "rep_id": bob.id, "basis": "booked", "amount": "5000"})
    targets.set_target(admin, {"period": "2026-11", "rep_id": carol.id, "basis": "booked", "amount": "0"})
    targets.set_target(admin, {"period": "2026-11", "rep_id": alice.id, "basis": "collected", "amount": "8000"})
    # alice, booked: 3000.00 + 4500.50 in November (7500.50); outside the month and other measures do not count
    entry(db, company, measure="booked", day=date(2026, 11, 1), amount="3000.00", rep=alice)
    entry(db, company, measure="booked", day=date(2026, 11, 30), amount="4500.50", rep=alice)
    entry(db, company, measure="booked", day=date(2026, 10, 31), amount="500.00", rep=alice)
    entry(db, company, measure="booked", day=date(2026, 12, 1), amount="999.00", rep=alice)
    entry(db, company, measure="invoiced", day=date(2026, 11, 5), amount="2000.00", rep=alice)
    entry(db, company, measure="collected", day=date(2026, 11, 6), amount="1000.00", rep=alice)
    # bob: 6000 booked against 5000 (over the target: gap 0), then a cancellation of 250
    entry(db, company, measure="booked", day=date(2026, 11, 10), amount="6250.00", rep=bob)
    entry(db, company, measure="booked", day=date(2026, 11, 12), amount="-250.00", rep=bob)
    entry(db, company, measure="booked", day=date(2026, 11, 12), amount="700.00", rep=carol)

    answer = ok(api(client, company["management"]).get("/reports/targets",
                                                        query_string={"period": "2026-11", "by": "rep"}))
    assert answer["period"] == "2026-11" and answer["by"] == "rep" and answer["as_of"]
    rows = {(r["rep_id"], r["basis"]): (r["rep_name"], r["target"], r["actual"], r["attainment"], r["gap"])
            for r in answer["rows"]}
    assert rows == {
        (alice.id, "booked"): (alice.display_name, "10000.00", "7500.50", "0.7501", "2499.50"),  # 0.75005 rounds up
        (alice.id, "collected"): (alice.display_name, "8000.00", "1000.00", "0.1250", "7000.00"),
        (bob.id, "booked"): (bob.display_name, "5000.00", "6000.00", "1.2000", "0.00"),
        (carol.id, "booked"): (carol.display_name, "0.00", "700.00", None, "0.00"),
    }
    only_booked = ok(api(client, company["admin"]).get("/reports/targets", query_string={
        "period": "2026-11", "by": "rep", "basis": "booked"}))["rows"]
    assert {(r["rep_id"], r["basis"]) for r in only_booked} == {(alice.id, "booked"), (bob.id, "booked"),
                                                                (carol.id, "booked")}
    # scope: a rep reads their own row, a manager the team's
    own = ok(api(client, alice).get("/reports/targets", query_string={"period": "2026-11"}))["rows"]
    assert {(r["rep_id"], r["basis"]) for r in own} == {(alice.id, "booked"), (alice.id, "collected")}
    team = ok(api(client, company["east_mgr"]).get("/reports/targets", query_string={"period": "2026-11"}))["rows"]
    assert {r["rep_id"] for r in team} == {alice.id, bob.id}


def test_attainment_by_team_and_by_product_line(client, db, company):
    admin = as_user(db, company["admin"])
    targets.set_target(admin, {"period": "2026-11", "team": "EAST", "basis": "invoiced", "amount": "20000"})
    targets.set_target(admin, {"period": "2026-11", "product_line": "PUMPS", "basis": "collected", "amount": "3000"})
    entry(db, company, measure="invoiced", day=date(2026, 11, 3), amount="4000.00", rep=company["alice"])
    entry(db, company, measure="invoiced", day=date(2026, 11, 4), amount="1000.25", rep=company["bob"])
    entry(db, company, measure="invoiced", day=date(2026, 11, 4), amount="9999.00", rep=company["carol"])  # WEST
    entry(db, company, measure="collected", day=date(2026, 11, 20), amount="1234.56", product_line="PUMPS")
    entry(db, company, measure="collected", day=date(2026, 11, 21), amount="99.00", product_line="VALVES")
    management = api(client, company["management"])
    teams = ok(management.get("/reports/targets", query_string={"period": "2026-11", "by": "team"}))["rows"]
    assert [(r["team"], r["basis"], r["target"], r["actual"], r["attainment"], r["gap"]) for r in teams] == [
        ("EAST", "invoiced", "20000.00", "5000.25", "0.2500", "14999.75")]
    lines = ok(management.get("/reports/targets", query_string={"period": "2026-11", "by": "product_line"}))["rows"]
    assert [(r["product_line"], r["product_line_name"], r["target"], r["actual"], r["attainment"], r["gap"])
            for r in lines] == [("PUMPS", "Pumps", "3000.00", "1234.56", "0.4115", "1765.44")]
    # a sales manager reads the team's own target, a rep no team target, nobody in sales a product line's
    assert len(ok(api(client, company["east_mgr"]).get("/reports/targets", query_string={
        "period": "2026-11", "by": "team"}))["rows"]) == 1
    assert ok(api(client, company["west_mgr"]).get("/reports/targets", query_string={
        "period": "2026-11", "by": "team"}))["rows"] == []
    assert ok(api(client, company["alice"]).get("/reports/targets", query_string={
        "period": "2026-11", "by": "product_line"}))["rows"] == []


@pytest.mark.parametrize(("query", "field"), [({"by": "region"}, "by"), ({"basis": "shipped"}, "basis"),
                                              ({"period": "2026-00"}, "period")])
def test_the_report_refuses_an_unknown_choice_by_name(client, db, company, query, field):
    answer = api(client, company["admin"]).get("/reports/targets", query_string=query)
    assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"]


def test_the_report_as_a_workbook(client, db, company):
    targets.set_target(as_user(db, company["admin"]), {"period": "2026-11", "rep_id": company["alice"].id,
                                                       "basis": "booked", "amount": "10000"})
    entry(db, company, measure="booked", day=date(2026, 11, 2), amount="2500.00", rep=company["alice"])
    answer = api(client, company["finance"]).get("/reports/targets.xlsx", query_string={"period": "2026-11"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0] == ["Sales rep", "Basis", "Target amount", "Actual amount", "Attainment", "Gap"]
    assert values[1][:2] == [company["alice"].display_name, "Booked amount"]
    assert [D(str(v)) for v in values[1][2:]] == [D("10000"), D("2500"), D("0.25"), D("7500")]


# --------------------------------------------------------------------------- behind pace


def _pace_company(db, company):
    """November (30 days): alice 30000 booked (expected by the 15th: 15000.00), 14999.99 so far; bob
    3000 booked, 1600.00 so far (on pace up to the 16th: 1600.00 expected); carol (WEST) 1000 booked, nothing so far; a December target."""
    admin = as_user(db, company["admin"])
    made = {key: targets.set_target(admin, {"period": "2026-11", "rep_id": company[key].id, "basis": "booked",
                                            "amount": amount})
            for key, amount in (("alice", "30000"), ("bob", "3000"), ("carol", "1000"))}
    targets.set_target(admin, {"period": "2026-12", "rep_id": company["alice"].id, "basis": "booked",
                               "amount": "99999"})
    entry(db, company, measure="booked", day=date(2026, 11, 3), amount="14999.99", rep=company["alice"])
    entry(db, company, measure="booked", day=date(2026, 11, 16), amount="5000.00", rep=company["alice"])  # later
    entry(db, company, measure="booked", day=date(2026, 11, 15), amount="1600.00", rep=company["bob"])
    return made


def _alerts(db, after: int = 0) -> list[dict]:
    return [m.payload for m in db.scalars(select(OutboxMessage).where(
        OutboxMessage.topic == "notify.user", OutboxMessage.id > after).order_by(OutboxMessage.id))]


def _last_message_id(db) -> int:
    return db.scalar(select(func.max(OutboxMessage.id))) or 0


def test_a_rep_behind_pace_mid_month_is_reported_to_the_team_managers_once(app, db, company, clock):
    made = _pace_company(db, company)
    make_user(db, "sales_manager", team="EAST").active = False  # an inactive manager hears nothing
    second_east = make_user(db, "sales_manager", team="EAST")
    db.flush()
    start = _last_message_id(db)
    celery = app.extensions["celery"]
    with app.app_context():
        with clock.frozen_at(datetime(2026, 11, 14, 23, 0, tzinfo=CHINA)):  # before the 15th: no check
            assert celery.tasks["reports.alert_behind_pace"].apply().get() == 0
        with clock.frozen_at(datetime(2026, 11, 15, 9, 0, tzinfo=CHINA)):
            assert celery.tasks["reports.alert_behind_pace"].apply().get() == 2  # alice and carol
        with clock.frozen_at(datetime(2026, 11, 16, 9, 0, tzinfo=CHINA)):
            again = celery.tasks["reports.alert_behind_pace"].apply().get()  # bob: 1600.00 of 1600.00
    db.expire_all()
    sent = _alerts(db, start)
    to_alice_managers = [m for m in sent if "14,999.99" in m["message"]]
    assert sorted(m["user_id"] for m in to_alice_managers) == sorted([company["east_mgr"].id, second_east.id])
    assert to_alice_managers[0]["message"] == (
        f"{company['alice'].display_name} is behind pace on the 2026-11 target (booked amount): 14,999.99 so far "
        "against 15,000.00 expected by day 15 of 30, for a target of 30,000.00.")
    assert to_alice_managers[0]["link"] == "/reports/targets?period=2026-11&by=rep"
    alert = db.scalar(select(TargetAlert).where(TargetAlert.target_id == made["alice"].id))
    assert (alert.day, alert.expected, alert.actual) == (date(2026, 11, 15), D("15000.00"), D("14999.99"))
    # carol (WEST, nothing sold) is reported on the 15th too, to west_mgr only; then nobody twice
    assert [m["user_id"] for m in sent if company["carol"].display_name in m["message"]] == [company["west_mgr"].id]
    assert again == 0
    assert db.scalar(select(func.count(TargetAlert.id))) == 2
    assert bob_not_alerted(db, made)


def bob_not_alerted(db, made) -> bool:
    return db.scalar(select(TargetAlert).where(TargetAlert.target_id == made["bob"].id)) is None


def test_expected_to_date_counts_the_days_elapsed_and_the_sales_up_to_today(db, company):
    made = _pace_company(db, company)
    uow = uow_for(db)
    # on the 20th alice's expected is 30000 x 20 / 30 = 20000.00 against 14999.99 + 5000.00 = 19999.99
    assert made["alice"].id in targets.alert_behind_pace(uow, today=date(2026, 11, 20))
    alert = db.scalar(select(TargetAlert).where(TargetAlert.target_id == made["alice"].id))
    assert (alert.expected, alert.actual) == (D("20000.00"), D("19999.99"))
    # bob on the 20th: expected 2000.00 against 1600.00: behind now, reported once
    assert bob_not_alerted(db, made) is False
    assert targets.alert_behind_pace(uow, today=date(2026, 11, 21)) == []


def test_the_alert_speaks_the_managers_language(app, db, company):
    _pace_company(db, company)
    company["east_mgr"].locale = "zh_CN"
    db.flush()
    start = _last_message_id(db)
    with app.app_context():
        targets.alert_behind_pace(uow_for(db), today=date(2026, 11, 15))
    message = next(m for m in _alerts(db, start) if m["user_id"] == company["east_mgr"].id)["message"]
    assert "落后" in message and "2026-11" in message and "14,999.99" in message and "15,000.00" in message
    english = next(m for m in _alerts(db, start) if m["user_id"] == company["west_mgr"].id)["message"]
    assert "is behind pace" in english


def test_the_daily_task_is_on_the_beat(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert {"task": "reports.alert_behind_pace", "schedule": 86400.0} in schedule.values()


# --------------------------------------------------------------------------- the board page


def test_the_board_shows_targets_against_actual_and_a_manager_adds_a_target(client, db, company):
    targets.set_target(as_user(db, company["admin"]), {"period": "2026-11", "rep_id": company["alice"].id,
                                                       "basis": "booked", "amount": "10000"})
    entry(db, company, measure="booked", day=date(2026, 11, 2), amount="2500.00", rep=company["alice"])
    sign_in(client, company["east_mgr"])
    page = client.get("/reports/targets?period=2026-11&by=rep")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert company["alice"].display_name in html and "10,000.00" in html and "2,500.00" in html
    assert "25%" in html and "7,500.00" in html
    token = csrf_token(client, "/reports/targets")
    form = {"csrf_token": token, "period": "2026-11", "basis": "booked", "subject": "rep",
            "rep_id": str(company["bob"].id)}
    refused = client.post("/reports/targets", data={**form, "amount": "-3"})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "amount") == "Must be at least 0."
    assert count_targets(db) == 1
    # the chosen subject counts: the team, though a rep is selected in the list too
    saved = client.post("/reports/targets", data={**form, "amount": "4000", "subject": "team", "team": "EAST"})
    assert saved.status_code == 303
    made = db.scalar(select(SalesTarget).where(SalesTarget.team == "EAST"))
    assert (made.period, made.basis, made.amount, made.rep_id) == ("2026-11", "booked", D("4000.00"), None)
    other = client.post("/reports/targets", data={**form, "amount": "1", "rep_id": str(company["carol"].id)})
    assert other.status_code == 403 and count_targets(db) == 2
    changed = client.post(f"/reports/targets/{made.id}/amount", data={"csrf_token": token, "amount": "4500"})
    assert changed.status_code == 303
    db.expire_all()
    assert db.get(SalesTarget, made.id).amount == D("4500.00")


def test_the_board_in_chinese(client, db, company):
    sign_in(client, company["management"])
    client.post("/language", data={"csrf_token": csrf_token(client, "/reports/targets"), "locale": "zh_CN",
                                   "next": "/reports/targets"})
    html = client.get("/reports/targets").get_data(as_text=True)
    assert "目标" in html and "实际" in html
    assert "New target" not in html and "新目标" not in html  # management reads, sets nothing


# --------------------------------------------------------------------------- through a real order


def test_a_confirmed_order_counts_toward_the_reps_booked_target(client, db, company):
    from crm.orders import services as orders

    uow = uow_for(db)
    alice = company["alice"]
    product = core_services.create_product(uow, {"sku": "TG-PUMP", "name": "Pump", "kind": "service",
                                                 "list_price": D("1200.00")})
    customer = core_services.create_customer(uow, {"code": "TG-ALICE", "name": "Alice's customer",
                                                   "credit_limit": D("100000"), "owner_id": alice.id})
    targets.set_target(as_user(db, company["admin"]), {"period": "2026-11", "rep_id": alice.id, "basis": "booked",
                                                       "amount": "10000"})
    order = orders.create_order(uow, {"customer_id": customer.id, "lines": [
        {"product_id": product.id, "qty": D(3)}]}, on=date(2026, 11, 9))
    orders.confirm_order(uow, order.id, on=date(2026, 11, 9))
    row = ok(api(client, company["management"]).get("/reports/targets", query_string={"period": "2026-11"}))[
        "rows"][0]
    assert (row["rep_id"], row["actual"], row["attainment"], row["gap"]) == (alice.id, "3600.00", "0.3600",
                                                                             "6400.00")


def test_invalid_input_reaches_the_service_the_same_way(db, company):
    with pytest.raises(InvalidInput) as refused:
        targets.set_target(as_user(db, company["admin"]), {"period": "2026-11", "rep_id": company["alice"].id,
                                                            "basis": "booked"})
    assert set(refused.value.fields) == {"amount"}
