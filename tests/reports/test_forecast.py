"""Forecast against actual: the monthly snapshot of each rep's weighted pipeline (frozen clock, China days,
idempotent per month and rep, taken by the daily beat task) and its accuracy against what was booked.

Snapshot of December 2026, taken 12-01 00:05 China time (11-30 16:05 UTC):
- rep1: O1 10000 in qualification (0.10), closing 12-15: 1000.00; O2 20000 in quote (0.50), 12-31:
  10000.00; O5 3333.33 in qualification, 12-20: 333.333 -> 333.33; O3 (closing in January) and O4 (lost)
  do not count: 11333.33 over 3 opportunities.
- rep2: O6 without an amount, 12-10: 0.00 over 1. rep3 and the manager: nothing, 0.00 over 0."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from core import services as core_services
from core.errors import Forbidden, InvalidInput
from core.formatting import CHINA
from crm.pipeline import services as pipeline
from reports import forecast
from reports.forecast import ForecastSnapshot
from reports.models import SalesEntry
from tests.conftest import ApiClient, api_as, make_user, ok, uow_for

D = Decimal
DEC_1 = datetime(2026, 12, 1, 0, 5, tzinfo=CHINA).astimezone(UTC)  # 11-30 16:05 UTC


@pytest.fixture
def sales(db):
    return {"rep1": make_user(db, "sales_rep", team="fc-east"), "rep2": make_user(db, "sales_rep", team="fc-east"),
            "rep3": make_user(db, "sales_rep", team="fc-west"),
            "manager": make_user(db, "sales_manager", team="fc-east")}


def opportunity(db, rep, name, *, close, amount=None, stage="qualification", lost=False):
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"FC-{rep.id}-{name}", "name": name})
    made = pipeline.create_opportunity(uow_for(db, rep), {
        "customer_id": customer.id, "name": name, "amount": amount, "expected_close_date": close,
        "budget": D("1"), "decision_maker": "Wang"}, now=DEC_1)
    if stage != "qualification":
        pipeline.move_opportunity(uow_for(db, rep), made.id, stage_code=stage, now=DEC_1)
    if lost:
        pipeline.move_opportunity(uow_for(db, rep), made.id, stage_code="lost", lost_reason="price", now=DEC_1)
    return made


@pytest.fixture
def pipelines(db, sales):
    rep1, rep2 = sales["rep1"], sales["rep2"]
    opportunity(db, rep1, "O1", close=date(2026, 12, 15), amount=D("10000"))
    opportunity(db, rep1, "O2", close=date(2026, 12, 31), amount=D("20000"), stage="quote")
    opportunity(db, rep1, "O3", close=date(2027, 1, 10), amount=D("5000"))
    opportunity(db, rep1, "O4", close=date(2026, 12, 5), amount=D("8000"), lost=True)
    opportunity(db, rep1, "O5", close=date(2026, 12, 20), amount=D("3333.33"))
    opportunity(db, rep2, "O6", close=date(2026, 12, 10))
    return sales


def snapshots(db, month="2026-12") -> dict[int, tuple[Decimal, int]]:
    return {s.rep_id: (s.weighted, s.opportunities) for s in db.scalars(
        select(ForecastSnapshot).where(ForecastSnapshot.month == month))}


# --------------------------------------------------------------------------- snapshots


def test_the_first_run_in_a_china_month_freezes_each_sales_users_weighted_pipeline(db, clock, pipelines):
    s = pipelines

    with clock.frozen_at(DEC_1):
        written = forecast.snapshot_current_month(uow_for(db), today=clock.today())

    assert {w.month for w in written} == {"2026-12"}
    assert snapshots(db) == {s["rep1"].id: (D("11333.33"), 3), s["rep2"].id: (D("0.00"), 1),
                             s["rep3"].id: (D("0.00"), 0), s["manager"].id: (D("0.00"), 0)}
    assert {w.taken_at for w in written} == {DEC_1}


def test_later_runs_of_the_month_change_nothing_and_a_new_rep_is_added_only_when_asked(db, clock, pipelines):
    s = pipelines
    with clock.frozen_at(DEC_1):
        forecast.snapshot_current_month(uow_for(db), today=clock.today())
    opportunity(db, s["rep1"], "O7", close=date(2026, 12, 24), amount=D("50000"))
    rep4 = make_user(db, "sales_rep", team="fc-east")

    with clock.frozen_at(datetime(2026, 12, 2, 9, 0, tzinfo=CHINA)):
        again = forecast.snapshot_current_month(uow_for(db), today=clock.today())
    assert again == [] and snapshots(db)[s["rep1"].id] == (D("11333.33"), 3)

    added = forecast.snapshot_forecast(uow_for(db), "2026-12")

    assert [(w.rep_id, w.weighted) for w in added] == [(rep4.id, D("0.00"))]
    assert snapshots(db)[s["rep1"].id] == (D("11333.33"), 3) and len(snapshots(db)) == 5


def test_a_snapshot_taken_on_the_last_evening_of_november_utc_belongs_to_december(db, clock, pipelines):
    with clock.frozen_at(DEC_1):
        assert clock.now().date() == date(2026, 11, 30)
        forecast.snapshot_current_month(uow_for(db), today=clock.today())

    assert snapshots(db, "2026-11") == {}
    assert snapshots(db)[pipelines["rep1"].id] == (D("11333.33"), 3)


def test_the_beat_task_runs_daily_and_snapshots_the_current_month(app, db, clock, pipelines):
    celery = app.extensions["celery"]
    entry = next(e for e in celery.conf.beat_schedule.values() if e["task"] == "reports.snapshot_forecast")
    assert entry["schedule"] == 86400.0

    with clock.frozen_at(DEC_1), app.app_context():
        written = celery.tasks["reports.snapshot_forecast"].apply().get()
        again = celery.tasks["reports.snapshot_forecast"].apply().get()

    assert (written, again) == (4, 0)
    assert snapshots(db)[pipelines["rep1"].id] == (D("11333.33"), 3)


def test_only_the_system_management_and_admin_take_snapshots_and_a_bad_month_is_refused(db, sales):
    with pytest.raises(Forbidden):
        forecast.snapshot_forecast(uow_for(db, sales["manager"]), "2026-12")
    with pytest.raises(InvalidInput) as refused:
        forecast.snapshot_forecast(uow_for(db), "2026-13")
    assert list(refused.value.fields) == ["month"]
    assert snapshots(db) == {}


# --------------------------------------------------------------------------- forecast against actual


def snap(db, rep, month, weighted):
    db.add(ForecastSnapshot(month=month, rep_id=rep.id, weighted=D(weighted), opportunities=1))


def booked(db, rep, day, amount, *, customer_id):
    db.add(SalesEntry(measure="booked", day=day, document="sales_order", document_id=1, number="SO-X",
                      customer_id=customer_id, source="direct", tier="B", rep_id=rep.id if rep else None,
                      team=None, amount=D(amount)))


@pytest.fixture
def history(db, sales):
    """rep1: Jun 1000/900 (0.9000), Jul 1000/1500 (0.5000), Aug 1000/2500 (0.0000, clipped), Sep 0/400 (none),
    Oct 3000/1000 + 2000 (1.0000), Nov 1200/1300 - 300 (1 - 200/1200 = 0.8333); May and December outside.
    Mean (0.9 + 0.5 + 0 + 1 + 0.8333) / 5 = 0.64666 -> 0.6467; forecast 7200, booked 9300.
    rep2: Nov 2000 / nothing booked: 0.0000. rep3: Nov nothing forecast, 700 booked: accuracy none."""
    rep1, rep2, rep3 = sales["rep1"], sales["rep2"], sales["rep3"]
    customer = core_services.create_customer(uow_for(db), {"code": "FC-HIST", "name": "History Co"}).id
    for month, weighted in (("2026-05", "500"), ("2026-06", "1000"), ("2026-07", "1000"), ("2026-08", "1000"),
                            ("2026-09", "0"), ("2026-10", "3000"), ("2026-11", "1200")):
        snap(db, rep1, month, weighted)
    snap(db, rep2, "2026-11", "2000")
    for day, amount in ((date(2026, 5, 31), "9999"), (date(2026, 6, 1), "900"), (date(2026, 7, 15), "1500"),
                        (date(2026, 8, 31), "2500"), (date(2026, 9, 9), "400"), (date(2026, 10, 1), "1000"),
                        (date(2026, 10, 31), "2000"), (date(2026, 11, 3), "1300"), (date(2026, 11, 20), "-300"),
                        (date(2026, 12, 1), "5000")):
        booked(db, rep1, day, amount, customer_id=customer)
    booked(db, rep3, date(2026, 11, 11), "700", customer_id=customer)
    booked(db, None, date(2026, 11, 11), "123", customer_id=customer)
    db.flush()
    return sales


def test_accuracy_per_rep_and_month_over_the_last_six_full_months(db, history):
    rep1, rep2, rep3 = history["rep1"], history["rep2"], history["rep3"]

    answer = forecast.forecast_accuracy(uow_for(db), months=6, today=date(2026, 12, 5))

    assert answer.months == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    rows = [(r.rep_id, r.month, r.forecast, r.booked, r.accuracy) for r in answer.rows]
    assert rows == [
        (rep1.id, "2026-06", D("1000"), D("900"), D("0.9000")),
        (rep1.id, "2026-07", D("1000"), D("1500"), D("0.5000")),
        (rep1.id, "2026-08", D("1000"), D("2500"), D("0.0000")),
        (rep1.id, "2026-09", D("0"), D("400"), None),
        (rep1.id, "2026-10", D("3000"), D("3000"), D("1.0000")),
        (rep1.id, "2026-11", D("1200"), D("1000"), D("0.8333")),
        (rep2.id, "2026-11", D("2000"), D("0"), D("0.0000")),
        (rep3.id, "2026-11", D("0"), D("700"), None)]
    reps = {r.rep_id: (r.months, r.forecast, r.booked, r.mean_accuracy) for r in answer.reps}
    assert reps == {rep1.id: (5, D("7200"), D("9300"), D("0.6467")), rep2.id: (1, D("2000"), D("0"), D("0.0000")),
                    rep3.id: (0, D("0"), D("700"), None)}


def test_until_and_months_choose_the_window(db, history):
    answer = forecast.forecast_accuracy(uow_for(db), months=2, until="2026-07", today=date(2026, 12, 5))

    assert [(r.month, r.accuracy) for r in answer.rows] == [("2026-06", D("0.9000")), ("2026-07", D("0.5000"))]
    assert [r.mean_accuracy for r in answer.reps] == [D("0.7000")]


def test_a_manager_reads_the_teams_reps_and_a_rep_their_own_only(db, history):
    rep1, rep2 = history["rep1"], history["rep2"]

    team = forecast.forecast_accuracy(uow_for(db, history["manager"]), today=date(2026, 12, 5))
    own = forecast.forecast_accuracy(uow_for(db, rep1), today=date(2026, 12, 5))
    other = forecast.forecast_accuracy(uow_for(db, rep1), rep_id=rep2.id, today=date(2026, 12, 5))

    assert [r.rep_id for r in team.reps] == [rep1.id, rep2.id]
    assert {r.rep_id for r in own.rows} == {rep1.id} and len(own.rows) == 6
    assert (other.rows, other.reps) == ([], [])


def test_the_forecast_api_answers_strings_and_refuses_bad_months(client, db, clock, history):
    rep1 = history["rep1"]
    api = api_as(client, db, "finance")

    with clock.frozen_at(datetime(2026, 12, 5, 9, 0, tzinfo=CHINA)):
        body = ok(api.get("/reports/forecast", query_string={"months": 6}))
        sheet = api.get("/reports/forecast.xlsx")
        mine = ok(ApiClient(client, rep1).get("/reports/forecast"))

    assert body["months"][-1] == "2026-11" and body["as_of"]
    assert body["rows"][5] == {"rep_id": rep1.id, "rep_name": rep1.display_name, "month": "2026-11",
                               "forecast": "1200.00", "booked": "1000.00", "accuracy": "0.8333"}
    assert body["rows"][3]["accuracy"] is None
    rep_row = next(r for r in body["reps"] if r["rep_id"] == rep1.id)
    assert rep_row == {"rep_id": rep1.id, "rep_name": rep1.display_name, "months": 5, "forecast": "7200.00",
                       "booked": "9300.00", "mean_accuracy": "0.6467"}
    assert {r["rep_id"] for r in mine["rows"]} == {rep1.id}
    workbook = openpyxl.load_workbook(io.BytesIO(sheet.data)).active
    assert [c.value for c in next(workbook.iter_rows(min_row=8, max_row=8))][1:5] == ["2026-11", 1200, 1000,
                                                                                      0.8333]
    for query, field in (({"months": 0}, "months"), ({"months": 25}, "months"), ({"until": "2026-13"}, "until"),
                         ({"rep_id": "x"}, "rep_id")):
        answer = api.get("/reports/forecast", query_string=query)
        assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"], query
