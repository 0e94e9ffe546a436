"""Stalled-deal alerts (once per stall, to the owner's managers, with a follow-up task for the owner;
a controllable clock) and the weighted forecast by close month and by rep (known numbers, Decimal,
role-scoped)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import services as core_services
from core.errors import Forbidden, InvalidInput
from core.models import OutboxMessage
from crm.pipeline import alerts, forecast
from crm.pipeline import services as pipeline
from crm.tasks.models import Task
from tests.conftest import make_user, uow_for

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
D = Decimal


def opportunity_for(db, rep, name="Pumps", **data):
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"C-{rep.id}-{name}", "name": f"{name} Co"})
    return pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": name, **data}, now=NOW)


def notes(db, after: int = 0) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notify.user", OutboxMessage.id > after)
                           .order_by(OutboxMessage.id)))


def last_id(db) -> int:
    return max((m.id for m in notes(db)), default=0)


# --------------------------------------------------------------------------- stalled deals


def test_a_deal_without_activity_for_48_hours_alerts_the_reps_managers_once(db):
    rep = make_user(db, "sales_rep", team="stall-east")
    manager = make_user(db, "sales_manager", team="stall-east")
    make_user(db, "sales_manager", team="stall-west")
    opportunity = opportunity_for(db, rep)
    before = last_id(db)

    assert alerts.alert_stalled_deals(uow_for(db), now=NOW + timedelta(hours=47, minutes=59)) == []
    assert alerts.alert_stalled_deals(uow_for(db), now=NOW + timedelta(hours=48)) == [opportunity.id]
    assert alerts.alert_stalled_deals(uow_for(db), now=NOW + timedelta(days=9)) == []  # the same stall

    sent = notes(db, before)
    assert [m.payload["user_id"] for m in sent] == [manager.id]
    assert opportunity.number in sent[0].payload["message"] and "2 d 0 h" in sent[0].payload["message"]
    assert sent[0].payload["link"] == f"/leads/opportunities/{opportunity.id}"
    assert opportunity.stalled_alerted_at == NOW + timedelta(hours=48)
    tasks = db.scalars(select(Task).where(Task.opportunity_id == opportunity.id)).all()
    assert [(t.owner_id, t.source, t.state, t.due_at) for t in tasks] == [
        (rep.id, "stalled_deal", "open", NOW + timedelta(hours=72))]


def test_after_new_activity_the_deal_alerts_again_only_when_it_stalls_again(db):
    rep = make_user(db, "sales_rep", team="stall-north")
    make_user(db, "sales_manager", team="stall-north")
    opportunity = opportunity_for(db, rep)
    alerts.alert_stalled_deals(uow_for(db), now=NOW + timedelta(hours=50))
    worked = NOW + timedelta(hours=60)
    pipeline.log_activity(uow_for(db, rep), {"kind": "call", "opportunity_id": opportunity.id, "note": "Still keen"},
                          now=worked)
    before = last_id(db)

    assert alerts.alert_stalled_deals(uow_for(db), now=worked + timedelta(hours=47)) == []
    assert alerts.alert_stalled_deals(uow_for(db), now=worked + timedelta(hours=48)) == [opportunity.id]
    assert len(notes(db, before)) == 1


def test_the_stall_period_is_configurable_and_closed_deals_never_stall(db):
    rep = make_user(db, "sales_rep", team="stall-south")
    make_user(db, "sales_manager", team="stall-south")
    open_one = opportunity_for(db, rep, "Open")
    lost = opportunity_for(db, rep, "Lost")
    pipeline.move_opportunity(uow_for(db, rep), lost.id, stage_code="lost", lost_reason="price", now=NOW)

    assert alerts.alert_stalled_deals(uow_for(db), now=NOW + timedelta(hours=24), hours=24) == [open_one.id]
    assert open_one.is_stalled(now=NOW + timedelta(hours=24), hours=24)
    assert not lost.is_stalled(now=NOW + timedelta(days=30), hours=24)


def test_the_beat_schedule_runs_the_stalled_deal_task_and_the_setting_defaults_to_48_hours(app):
    from core.config import Settings

    schedule = app.extensions["celery"].conf.beat_schedule
    assert any(entry["task"] == "crm.alert_stalled_deals" for entry in schedule.values())
    assert "crm.alert_stalled_deals" in app.extensions["celery"].tasks
    assert Settings.from_env({"SECRET_KEY": "x"}).stalled_deal_hours == 48
    assert Settings.from_env({"SECRET_KEY": "x", "STALLED_DEAL_HOURS": "72"}).stalled_deal_hours == 72


# --------------------------------------------------------------------------- the weighted forecast


def forecast_data(db):
    """Rep 1: 100,000.00 at quote (50%) closing 2026-12, 33,333.33 at qualification (10%) closing
    2026-12, 80,000 at negotiation (75%) closing 2027-01; rep 2 (another team): 10,000 at needs
    analysis (25%) without a close date; a won and an amount-less deal."""
    rep1 = make_user(db, "sales_rep", team="fc-east")
    rep2 = make_user(db, "sales_rep", team="fc-west")
    manager = make_user(db, "sales_manager", team="fc-east")
    ready = {"budget": D("1"), "decision_maker": "CEO"}
    big = opportunity_for(db, rep1, "Big", amount=D("100000.00"), expected_close_date=date(2026, 12, 10), **ready)
    pipeline.move_opportunity(uow_for(db, rep1), big.id, stage_code="quote", now=NOW)
    opportunity_for(db, rep1, "Odd", amount=D("33333.33"), expected_close_date=date(2026, 12, 31))
    late = opportunity_for(db, rep1, "Late", amount=D("80000"), expected_close_date=date(2027, 1, 5), **ready)
    pipeline.move_opportunity(uow_for(db, rep1), late.id, stage_code="negotiation", now=NOW)
    other = opportunity_for(db, rep2, "Other", amount=D("10000"))
    pipeline.move_opportunity(uow_for(db, rep2), other.id, stage_code="needs_analysis", now=NOW)
    won = opportunity_for(db, rep2, "Won", amount=D("5000"), **ready)
    pipeline.move_opportunity(uow_for(db, rep2), won.id, stage_code="won", now=NOW)
    opportunity_for(db, rep2, "NoAmount", expected_close_date=date(2026, 12, 1))
    return rep1, rep2, manager


def rows(result):
    return [(r.key, r.count, r.amount, r.weighted) for r in result.rows]


def test_the_forecast_by_month_weighs_each_open_deal_by_its_stage_probability(db):
    forecast_data(db)
    admin = make_user(db, "admin")

    result = forecast.weighted_forecast(uow_for(db, admin), group="month")

    # 2026-12: 100,000 x 0.50 + 33,333.33 x 0.10 (3,333.333 -> 3,333.33) + no amount (0)
    assert rows(result) == [("2026-12", 3, D("133333.33"), D("53333.33")),
                            ("2027-01", 1, D("80000.00"), D("60000.00")),
                            (None, 1, D("10000.00"), D("2500.00"))]
    assert (result.totals.count, result.totals.amount, result.totals.weighted) == (5, D("223333.33"), D("115833.33"))
    assert all(isinstance(r.weighted, Decimal) for r in result.rows)


def test_the_forecast_by_rep_is_scoped_a_rep_sees_their_own_and_a_manager_the_team(db):
    rep1, rep2, manager = forecast_data(db)

    by_rep = forecast.weighted_forecast(uow_for(db, make_user(db, "management")), group="rep")
    mine = forecast.weighted_forecast(uow_for(db, rep2), group="rep")
    team = forecast.weighted_forecast(uow_for(db, manager), group="rep")

    assert {r.key: (r.count, r.weighted) for r in by_rep.rows} == {rep1.id: (3, D("113333.33")),
                                                                   rep2.id: (2, D("2500.00"))}
    assert rows(mine) == [(rep2.id, 2, D("10000.00"), D("2500.00"))]
    assert rows(team) == [(rep1.id, 3, D("213333.33"), D("113333.33"))]


def test_the_forecast_refuses_an_unknown_grouping_and_roles_without_opportunities(db):
    with pytest.raises(InvalidInput):
        forecast.weighted_forecast(uow_for(db, make_user(db, "admin")), group="week")
    with pytest.raises(Forbidden):
        forecast.weighted_forecast(uow_for(db, make_user(db, "warehouse")), group="month")
