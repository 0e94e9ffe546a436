"""The lead funnel by source and by rep, the stage history and the time in each stage, on a hand-computed
cohort (China days, November 2026).

Scoring: industry "pumps" 65 points (grade A), "valves" 40 (grade B), anything else C (nurturing, nobody
owns it). Regions route: R1 -> rep1, R2 -> rep2 (both team east); rep3 is in team west.
- L1 rep1, channel "Trade Show", A, created 11-01 00:10 (10-31 16:10 UTC). Converted; its quote (10 x 1000,
  untaxed 10000) submitted, accepted, the order confirmed; won 11-11 00:10: 10.0 days.
- L2 rep1, UTM source "Baidu", B, 11-05. Converted; quote v1 submitted (approved), superseded by v2 (a
  draft); lost.
- L3 rep2, channel "trade-show", A, 11-06 00:00. Converted; won 11-11 12:00 without a quote: 5.5 days.
- L4 rep2, neither channel nor UTM source (direct), A, 11-10: not converted.
- L5 nobody's (grade C), channel "Trade_Show", 11-20.
- Outside: L6 rep1 10-31 23:00 and L7 rep1 12-01 00:30 (11-30 16:30 UTC), China time.

By source: trade_show = L1, L3, L5; baidu = L2; direct = L4."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from core import services as core_services
from core.errors import DomainError
from core.formatting import CHINA
from core.models import Customer
from crm.leads import services as leads
from crm.leads.conversion import convert_lead
from crm.leads.sources import acquisition_source
from crm.orders import services as orders
from crm.pipeline import services as pipeline
from crm.pipeline.models import OpportunityStageChange, Stage
from crm.quotes import services as quotes
from crm.quotes.models import Quote
from inventory import services as inventory
from reports import funnel
from tests.conftest import ApiClient, api_as, make_user, ok, uow_for

D = Decimal
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def cn(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> datetime:
    """A moment of 2026 given in China time, in UTC as the suite's clock gives it."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA).astimezone(UTC)


def capture(db, *, at, industry="other", region=None, **data):
    return leads.capture_lead(uow_for(db), {"company": f"Co {data.get('channel')} {at.isoformat()}",
                                            "email": f"{abs(hash((at, region))) % 10**8}@example.com",
                                            "industry": industry, "region": region, **data}, now=at)


def win(db, rep, opportunity, at):
    pipeline.update_opportunity(uow_for(db, rep), opportunity.id, {
        "amount": D("10000"), "budget": D("12000"), "decision_maker": "Mr Li"})
    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="won", now=at)


@pytest.fixture
def cohort(db):
    uow = uow_for(db)
    rep1 = make_user(db, "sales_rep", team="east")
    rep2 = make_user(db, "sales_rep", team="east")
    rep3 = make_user(db, "sales_rep", team="west")
    manager = make_user(db, "sales_manager", team="east")
    leads.create_scoring_rule(uow, {"field": "industry", "value": "pumps", "points": 65, "label": "Pumps"})
    leads.create_scoring_rule(uow, {"field": "industry", "value": "valves", "points": 40, "label": "Valves"})
    for region, rep in (("R1", rep1), ("R2", rep2)):
        leads.create_assignment_rule(uow, {"field": "region", "value": region, "user_id": rep.id})
    product = core_services.create_product(uow, {"sku": "FN-PUMP", "name": "Pump", "kind": "buy",
                                                 "list_price": D("1000"), "tax_rate": D("0.13")})
    inventory.adjust_stock(uow, {"product_id": product.id, "qty": D(100), "reason": "opening stock"})

    l1 = capture(db, at=cn(1, 0, 10), industry="pumps", region="R1", channel="Trade Show")
    l2 = capture(db, at=cn(5), industry="valves", region="R1", utm_source="Baidu")
    l3 = capture(db, at=cn(6, 0), industry="pumps", region="R2", channel="trade-show")
    l4 = capture(db, at=cn(10), industry="pumps", region="R2")
    l5 = capture(db, at=cn(20), channel="Trade_Show")
    capture(db, at=cn(31, 23, month=10), industry="pumps", region="R1", channel="fair")
    capture(db, at=cn(1, 0, 30, month=12), industry="pumps", region="R1", channel="fair")

    _, o1 = convert_lead(uow_for(db, rep1), l1.id, now=cn(2))
    db.get(Customer, o1.customer_id).credit_limit = D("1000000")
    quote = quotes.create_quote(uow_for(db, rep1), {"opportunity_id": o1.id, "lines": [
        {"product_id": product.id, "qty": D("10")}]}, now=cn(3))
    quotes.submit_quote(uow_for(db, rep1), quote.id)
    quotes.accept_quote(uow_for(db, rep1), quote.id, on=date(2026, 11, 9))
    orders.confirm_order(uow_for(db, rep1), quote.sales_order_id, on=date(2026, 11, 9))
    win(db, rep1, o1, cn(11, 0, 10))

    _, o2 = convert_lead(uow_for(db, rep1), l2.id, now=cn(6))
    first = quotes.create_quote(uow_for(db, rep1), {"opportunity_id": o2.id, "lines": [
        {"product_id": product.id, "qty": D("3")}]}, now=cn(7))
    quotes.submit_quote(uow_for(db, rep1), first.id)
    quotes.new_version(uow_for(db, rep1), first.id, now=cn(8))
    pipeline.move_opportunity(uow_for(db, rep1), o2.id, stage_code="lost", lost_reason="price", now=cn(12))

    _, o3 = convert_lead(uow_for(db, rep2), l3.id, now=cn(7))
    win(db, rep2, o3, cn(11, 12))
    return {"reps": (rep1, rep2, rep3), "manager": manager, "leads": (l1, l2, l3, l4, l5),
            "opportunities": (o1, o2, o3)}


def counts(row) -> tuple:
    return (row.leads, row.qualified, row.converted, row.opportunities, row.quoted, row.won, row.lost,
            row.won_amount, row.avg_cycle_days)


# --------------------------------------------------------------------------- the source rule


@pytest.mark.parametrize(("channel", "utm_source", "source"), [
    ("Trade Show", "baidu", "trade_show"), (" trade-show ", None, "trade_show"), ("Trade__Show", None, "trade_show"),
    (None, "Baidu", "baidu"), ("  ", "Google Ads", "google_ads"), (None, None, "direct"), ("", "", "direct"),
    ("展会", None, "展会"), ("x" * 90, None, "x" * 80)])
def test_a_leads_source_is_its_channel_else_its_utm_source_else_direct_as_a_slug(channel, utm_source, source):
    assert acquisition_source(channel, utm_source) == source


# --------------------------------------------------------------------------- funnel


def test_the_funnel_by_source_counts_each_step_of_the_novembers_leads_in_china_days(db, cohort):
    answer = funnel.funnel(uow_for(db), date_from=date(2026, 11, 1), date_to=date(2026, 11, 30), by="source")

    rows = {row.source: row for row in answer.rows}
    assert [row.source for row in answer.rows] == ["baidu", "direct", "trade_show"]
    assert counts(rows["trade_show"]) == (3, 2, 2, 2, 1, 2, 0, D("10000.00"), D("7.8"))  # (10 + 5.5) / 2
    assert counts(rows["baidu"]) == (1, 1, 1, 1, 1, 0, 1, D("0"), None)  # the superseded quote was approved
    assert counts(rows["direct"]) == (1, 1, 0, 0, 0, 0, 0, D("0"), None)
    assert counts(answer.totals) == (5, 4, 3, 3, 2, 2, 1, D("10000.00"), D("7.8"))
    assert rows["trade_show"].conversion == {"qualified": D("0.6667"), "converted": D("1.0000"),
                                             "opportunities": D("1.0000"), "quoted": D("0.5000"),
                                             "won": D("2.0000")}  # L3 was won without a quote
    assert rows["direct"].conversion == {"qualified": D("1.0000"), "converted": D("0.0000"), "opportunities": None,
                                         "quoted": None, "won": None}
    assert answer.totals.conversion == {"qualified": D("0.8000"), "converted": D("0.7500"),
                                        "opportunities": D("1.0000"), "quoted": D("0.6667"), "won": D("1.0000")}


def test_the_funnel_by_rep_gives_each_owner_a_row_and_the_unowned_leads_one_last(db, cohort):
    rep1, rep2, _ = cohort["reps"]

    answer = funnel.funnel(uow_for(db), date_from=date(2026, 11, 1), date_to=date(2026, 11, 30), by="rep")

    assert [(row.rep_id, row.rep_name) for row in answer.rows] == [
        (rep1.id, rep1.display_name), (rep2.id, rep2.display_name), (None, "")]
    assert [counts(row) for row in answer.rows] == [
        (2, 2, 2, 2, 2, 1, 1, D("10000.00"), D("10.0")),
        (2, 2, 1, 1, 0, 1, 0, D("0"), D("5.5")),
        (1, 0, 0, 0, 0, 0, 0, D("0"), None)]


def test_a_won_opportunitys_draft_or_cancelled_order_is_not_won_amount(db, cohort):
    quote = db.scalar(select(Quote).where(Quote.opportunity_id == cohort["opportunities"][0].id))
    orders.cancel_order(uow_for(db), quote.sales_order_id)

    answer = funnel.funnel(uow_for(db), date_from=date(2026, 11, 1), date_to=date(2026, 11, 30), by="source")

    assert (answer.totals.won, answer.totals.won_amount) == (2, D("0"))


def test_a_sales_manager_sees_the_teams_leads_and_a_rep_only_their_own(db, cohort):
    rep1, rep2, rep3 = cohort["reps"]
    period = {"date_from": date(2026, 11, 1), "date_to": date(2026, 11, 30), "by": "rep"}

    team = funnel.funnel(uow_for(db, cohort["manager"]), **period)
    own = funnel.funnel(uow_for(db, rep1), **period)
    other = funnel.funnel(uow_for(db, rep1), rep_id=rep2.id, **period)
    west = funnel.funnel(uow_for(db, rep3), **period)
    one = funnel.funnel(uow_for(db, cohort["manager"]), rep_id=rep2.id, **period)

    assert [row.rep_id for row in team.rows] == [rep1.id, rep2.id] and team.totals.leads == 4
    assert [(row.rep_id, row.leads) for row in own.rows] == [(rep1.id, 2)]
    assert (other.rows, other.totals.leads) == ([], 0)
    assert (west.rows, west.totals.leads) == ([], 0)
    assert [(row.rep_id, row.leads) for row in one.rows] == [(rep2.id, 2)]


def test_the_funnel_api_answers_in_strings_and_refuses_bad_input_naming_the_field(client, db, cohort):
    api = api_as(client, db, "management")

    body = ok(api.get("/reports/funnel", query_string={**NOVEMBER, "by": "source"}))

    assert body["by"] == "source" and body["as_of"]
    trade = next(row for row in body["rows"] if row["source"] == "trade_show")
    assert trade == {"source": "trade_show", "leads": 3, "qualified": 2, "converted": 2, "opportunities": 2,
                     "quoted": 1, "won": 2, "lost": 0, "won_amount": "10000.00", "avg_cycle_days": "7.8",
                     "conversion": {"qualified": "0.6667", "converted": "1.0000", "opportunities": "1.0000",
                                    "quoted": "0.5000", "won": "2.0000"}}
    assert body["totals"]["leads"] == 5 and "source" not in body["totals"]
    by_rep = ok(api.get("/reports/funnel", query_string={**NOVEMBER, "by": "rep"}))
    assert by_rep["rows"][-1]["rep_id"] is None and by_rep["rows"][-1]["avg_cycle_days"] is None
    for query, field in (({**NOVEMBER, "by": "region"}, "by"),
                         ({"date_from": "2026-12-01", "date_to": "2026-11-01"}, "date_from"),
                         ({"date_from": "2026-13-01"}, "date_from"), ({"date_to": "yesterday"}, "date_to")):
        answer = api.get("/reports/funnel", query_string=query)
        assert answer.status_code == 422, query
        assert field in answer.get_json()["error"]["fields"], answer.get_json()
    assert api_as(client, db, "warehouse").get("/reports/funnel").status_code == 403


def test_the_funnel_workbook_has_a_row_per_source_and_the_totals(client, db, cohort):
    api = api_as(client, db, "management")

    answer = api.get("/reports/funnel.xlsx", query_string={**NOVEMBER, "by": "source"})

    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert [row[0] for row in rows] == ["baidu", "direct", "trade_show", "Total"]
    assert rows[2][1:10] == [3, 2, 2, 2, 1, 2, 0, 10000, 7.8]
    assert rows[3][1:8] == [5, 4, 3, 3, 2, 2, 1]


# --------------------------------------------------------------------------- stage history and time in stages


def test_opening_and_every_move_of_an_opportunity_are_kept_in_its_stage_history(db, cohort):
    rep1 = cohort["reps"][0]
    o1 = cohort["opportunities"][0]
    stages = {s.id: s.code for s in db.scalars(select(Stage))}

    changes = db.scalars(select(OpportunityStageChange).where(OpportunityStageChange.opportunity_id == o1.id)
                         .order_by(OpportunityStageChange.id)).all()

    assert [(stages.get(c.from_stage_id), stages[c.to_stage_id], c.changed_at, c.by_id) for c in changes] == [
        (None, "qualification", cn(2), rep1.id), ("qualification", "won", cn(11, 0, 10), rep1.id)]


def test_a_refused_move_or_a_move_to_the_same_stage_writes_no_history(db):
    rep = make_user(db, "sales_rep")
    customer = core_services.create_customer(uow_for(db, rep), {"code": "FN-SAME", "name": "Same Co"})
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "X"}, now=cn(1))

    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="qualification", now=cn(2))
    with pytest.raises(DomainError, match="budget"):
        pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="quote", now=cn(3))

    history = db.scalars(select(OpportunityStageChange.to_stage_id).where(
        OpportunityStageChange.opportunity_id == opportunity.id)).all()
    assert history == [opportunity.stage_id]


def test_the_time_in_each_stage_averages_the_stays_of_the_opportunities_that_left_it(db):
    """A: qualification 2 days, needs analysis 3 days, back to qualification 1 day, needs analysis since.
    B: qualification 4.5 days, then lost. C: in qualification (never left). D: opened in October."""
    rep = make_user(db, "sales_rep", team="stages")
    customer = core_services.create_customer(uow_for(db, rep), {"code": "FN-ST", "name": "Stage Co"})

    def opened(name, at):
        return pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": name,
                                                              "budget": D("1"), "decision_maker": "Li"}, now=at)

    def move(opportunity, code, at, **kw):
        pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code=code, now=at, **kw)

    a, b = opened("A", cn(2)), opened("B", cn(3))
    opened("C", cn(4))
    move(a, "needs_analysis", cn(4))
    move(a, "qualification", cn(7))
    move(a, "needs_analysis", cn(8))
    move(b, "lost", cn(3) + timedelta(days=4, hours=12), lost_reason="timing")
    d = opened("D", cn(20, month=10))
    move(d, "needs_analysis", cn(21, month=10))

    answer = funnel.stage_times(uow_for(db, rep), date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))

    assert answer.opportunities == 3
    assert [(r.stage_code, r.entered, r.left, r.in_stage, r.avg_days) for r in answer.rows] == [
        ("qualification", 3, 2, 1, D("3.8")),  # A 2 + 1 days, B 4.5 days: 7.5 / 2 = 3.75
        ("needs_analysis", 1, 0, 1, None)]


def test_the_stage_times_api_answers_days_as_strings(client, db, cohort):
    api = api_as(client, db, "admin")

    body = ok(api.get("/reports/stage-times", query_string=NOVEMBER))

    assert body["opportunities"] == 3 and body["as_of"]
    qualification = body["rows"][0]
    assert (qualification["stage_code"], qualification["entered"], qualification["left"],
            qualification["in_stage"]) == ("qualification", 3, 3, 0)
    # O1 11-02 10:00 to 11-11 00:10 (8.5903 d), O2 11-06 10:00 to 11-12 10:00 (6 d), O3 11-07 10:00 to
    # 11-11 12:00 (4.0833 d): 18.6736 / 3 = 6.22
    assert qualification["avg_days"] == "6.2"
    assert api.get("/reports/stage-times.xlsx", query_string=NOVEMBER).status_code == 200
    bad = api.get("/reports/stage-times", query_string={"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert bad.status_code == 422 and "date_from" in bad.get_json()["error"]["fields"]


def test_a_rep_reading_the_funnel_through_the_api_naming_another_rep_gets_no_rows_of_theirs(client, db, cohort):
    rep1, rep2, _ = cohort["reps"]

    body = ok(ApiClient(client, rep1).get("/reports/funnel", query_string={**NOVEMBER, "by": "rep",
                                                                            "rep_id": rep2.id}))

    assert body["rows"] == [] and body["totals"]["leads"] == 0


def test_the_cohort_is_read_in_china_days(db, cohort):
    answer = funnel.funnel(uow_for(db), date_from=date(2026, 10, 31), date_to=date(2026, 10, 31))
    december = funnel.funnel(uow_for(db), date_from=date(2026, 12, 1), date_to=date(2026, 12, 1))

    assert [(row.source, row.leads) for row in answer.rows] == [("fair", 1)]
    assert [(row.source, row.leads) for row in december.rows] == [("fair", 1)]
