"""Opportunities: the default pipeline, exit rules, lost reasons, closed opportunities, activities."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from core import services as core_services
from core.errors import DomainError, Forbidden, InvalidInput
from crm.pipeline import services as pipeline
from crm.pipeline.models import Activity
from tests.conftest import make_user, uow_for

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def opportunity_for(db, rep, **data):
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"C-{rep.id}-{len(data)}", "name": "Pump Co"})
    return pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Pumps", **data},
                                       now=NOW)


def test_the_default_pipeline_runs_from_qualification_to_won_with_rising_probability(db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep)

    stages = opportunity.stage.pipeline.stages
    assert [(s.code, s.probability) for s in stages] == [
        ("qualification", Decimal("0.1000")), ("needs_analysis", Decimal("0.2500")), ("quote", Decimal("0.5000")),
        ("negotiation", Decimal("0.7500")), ("won", Decimal("1.0000")), ("lost", Decimal("0.0000"))]
    assert (opportunity.number[:9], opportunity.owner_id, opportunity.stage.code) == ("OPP-2026-", rep.id,
                                                                                      "qualification")


def test_leaving_needs_analysis_for_the_quote_needs_budget_and_decision_maker_and_nothing_changes(db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep)
    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="needs_analysis", now=NOW)

    with pytest.raises(DomainError) as refused:
        pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="quote", now=NOW)

    assert (refused.value.status, refused.value.code) == (409, "exit_rule")
    assert set(refused.value.fields) == {"budget", "decision_maker"}
    db.refresh(opportunity)
    assert opportunity.stage.code == "needs_analysis"


def test_with_budget_and_decision_maker_filled_the_opportunity_reaches_the_quote(db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep)
    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="needs_analysis", now=NOW)
    pipeline.update_opportunity(uow_for(db, rep), opportunity.id, {"budget": Decimal("80000"),
                                                                   "decision_maker": "Mr Zhang, plant director"})

    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="quote", now=NOW)

    assert (opportunity.stage.code, opportunity.probability) == ("quote", Decimal("0.5000"))


def test_skipping_stages_checks_the_exit_rules_of_every_stage_passed_over(db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep, budget=Decimal("1000"), decision_maker="CEO")

    with pytest.raises(DomainError) as refused:
        pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="won", now=NOW)

    assert set(refused.value.fields) == {"amount"}  # the quote stage's exit rule
    assert opportunity.state == "open"


def test_an_opportunity_is_lost_only_with_a_reason_and_then_cannot_move(db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep)

    with pytest.raises(InvalidInput) as refused:
        pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="lost", now=NOW)
    assert set(refused.value.fields) == {"lost_reason"}

    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="lost", lost_reason="competitor", now=NOW)
    assert (opportunity.state, opportunity.lost_reason, opportunity.closed_at) == ("lost", "competitor", NOW)
    with pytest.raises(DomainError) as closed:
        pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="qualification", now=NOW)
    assert closed.value.code == "opportunity_closed"


def test_a_won_opportunity_is_closed_as_won(db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep, amount=Decimal("5000"), budget=Decimal("6000"), decision_maker="CEO")

    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_code="won", now=NOW)

    assert (opportunity.state, opportunity.closed_at, opportunity.probability) == ("won", NOW, Decimal("1.0000"))


def test_an_activity_on_an_opportunity_is_kept_with_its_next_step(db):
    rep = make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep)

    activity = pipeline.log_activity(uow_for(db, rep), {
        "kind": "visit", "opportunity_id": opportunity.id, "note": "Plant tour", "next_step": "Send the quote",
        "next_step_date": date(2026, 11, 25)}, now=NOW)

    assert (activity.user_id, activity.customer_id, activity.next_step_date) == (
        rep.id, opportunity.customer_id, date(2026, 11, 25))
    assert opportunity.last_activity_at == NOW
    assert pipeline.activities_of(uow_for(db, rep), opportunity_id=opportunity.id) == [activity]


def test_an_activity_of_an_unknown_kind_or_without_a_subject_is_refused(db):
    rep = make_user(db, "sales_rep")
    with pytest.raises(InvalidInput) as refused:
        pipeline.log_activity(uow_for(db, rep), {"kind": "fax"}, now=NOW)
    assert set(refused.value.fields) == {"kind", "lead_id"}
    assert db.query(Activity).count() == 0


def test_another_rep_cannot_move_or_see_my_opportunity(db):
    rep, other = make_user(db, "sales_rep"), make_user(db, "sales_rep")
    opportunity = opportunity_for(db, rep)

    from core.errors import NotFound

    with pytest.raises(NotFound):
        pipeline.move_opportunity(uow_for(db, other), opportunity.id, stage_code="needs_analysis", now=NOW)
    with pytest.raises(Forbidden):
        pipeline.create_opportunity(uow_for(db, make_user(db, "warehouse")),
                                    {"customer_id": opportunity.customer_id, "name": "x"}, now=NOW)
