"""Configuring pipelines: create a pipeline, add, reorder, reprice and retire stages, exit field and
probability validation (field by field, nothing changed), won and lost stay last, the last open stage
and a stage holding open opportunities cannot be retired, rights, the audit trail, opportunities in a
chosen pipeline, and the forecast following a changed probability."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import services as core_services
from core.errors import DomainError, Forbidden, InvalidInput
from core.models import AuditEntry
from crm.pipeline import forecast as forecasting
from crm.pipeline import services as pipeline
from crm.pipeline import settings
from crm.pipeline.models import Opportunity, Stage
from tests.conftest import make_user, uow_for

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
D = Decimal


def codes(found) -> list[tuple[str, int]]:
    return [(s.code, s.position) for s in found.stages if s.active]


def projects(db, manager):
    return settings.create_pipeline(uow_for(db, manager), {"name": "Projects", "code": "projects"})


def test_a_new_pipeline_has_one_open_stage_then_won_and_lost_and_the_default_stays(db):
    manager = make_user(db, "sales_manager")

    created = projects(db, manager)

    assert (created.name, created.code, created.is_default) == ("Projects", "projects", False)
    assert [(s.code, s.position, s.probability, s.outcome) for s in created.stages] == [
        ("qualification", 1, D("0.1000"), "open"), ("won", 2, D("1.0000"), "won"), ("lost", 3, D("0.0000"), "lost")]
    listed = settings.list_pipelines(uow_for(db, make_user(db, "sales_rep")))
    assert [p.code for p in listed] == ["default", "projects"]


def test_a_pipeline_needs_a_unique_name_and_a_clean_code(db):
    manager = make_user(db, "sales_manager")
    projects(db, manager)

    with pytest.raises(InvalidInput) as refused:
        settings.create_pipeline(uow_for(db, manager), {"name": "Projects", "code": "Bad Code"})

    assert set(refused.value.fields) == {"name", "code"}
    with pytest.raises(InvalidInput) as again:
        settings.create_pipeline(uow_for(db, manager), {"name": "Other", "code": "projects"})
    assert set(again.value.fields) == {"code"}


def test_stages_are_added_in_place_and_reordered_while_won_and_lost_stay_last(db):
    manager = make_user(db, "sales_manager")
    found = projects(db, manager)

    settings.add_stage(uow_for(db, manager), found.id, {"code": "tender", "name": "Tender", "probability": D("0.6"),
                                                        "exit_fields": ["amount"]})
    survey = settings.add_stage(uow_for(db, manager), found.id, {"code": "survey", "name": "Site survey",
                                                                 "probability": "0.3", "position": 2})

    assert codes(found) == [("qualification", 1), ("survey", 2), ("tender", 3), ("won", 4), ("lost", 5)]
    settings.update_stage(uow_for(db, manager), survey.id, {"position": 1, "name": "Survey first"})
    assert codes(found) == [("survey", 1), ("qualification", 2), ("tender", 3), ("won", 4), ("lost", 5)]
    assert survey.name == "Survey first"


def test_probability_and_exit_fields_are_checked_field_by_field_and_nothing_changes(db):
    manager = make_user(db, "sales_manager")
    found = projects(db, manager)
    first = found.stages[0]

    with pytest.raises(InvalidInput) as refused:
        settings.add_stage(uow_for(db, manager), found.id, {"code": "x", "name": "X", "probability": D("1.5"),
                                                            "exit_fields": ["budget", "colour"], "position": 9})
    assert set(refused.value.fields) == {"probability", "exit_fields", "position"}
    assert "colour" in refused.value.fields["exit_fields"][0]

    with pytest.raises(InvalidInput) as update:
        settings.update_stage(uow_for(db, manager), first.id, {"name": "Renamed", "probability": "much",
                                                               "exit_fields": ["nope"]})
    assert set(update.value.fields) == {"probability", "exit_fields"}
    db.expire_all()
    assert (first.name, first.probability, len(found.stages)) == ("Qualification", D("0.1000"), 3)


def test_won_and_lost_keep_their_probability_and_place(db):
    manager = make_user(db, "sales_manager")
    won = next(s for s in projects(db, manager).stages if s.outcome == "won")

    with pytest.raises(InvalidInput) as refused:
        settings.update_stage(uow_for(db, manager), won.id, {"probability": "0.9", "position": 1, "active": False})

    assert set(refused.value.fields) == {"probability", "position", "active"}
    assert settings.update_stage(uow_for(db, manager), won.id, {"name": "Signed"}).name == "Signed"


def test_a_stage_with_open_opportunities_cannot_be_retired_and_the_last_open_stage_stays(db):
    manager = make_user(db, "sales_manager")
    rep = make_user(db, "sales_rep")
    found = projects(db, manager)
    first = found.stages[0]
    customer = core_services.create_customer(uow_for(db, rep), {"code": "PS-1", "name": "Pipe Co"})
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Pipes",
                                                                 "pipeline_id": found.id}, now=NOW)
    assert (opportunity.pipeline_id, opportunity.stage_id) == (found.id, first.id)

    with pytest.raises(DomainError) as last:
        settings.update_stage(uow_for(db, manager), first.id, {"active": False})
    assert (last.value.status, last.value.code) == (409, "last_open_stage")

    second = settings.add_stage(uow_for(db, manager), found.id, {"code": "offer", "name": "Offer",
                                                                 "probability": "0.5"})
    with pytest.raises(DomainError) as in_use:
        settings.update_stage(uow_for(db, manager), first.id, {"active": False})
    assert (in_use.value.status, in_use.value.code) == (409, "stage_in_use")
    db.expire_all()
    assert first.active is True

    pipeline.move_opportunity(uow_for(db, rep), opportunity.id, stage_id=second.id, now=NOW)
    settings.update_stage(uow_for(db, manager), first.id, {"active": False})

    assert (first.active, first.position) == (False, 0)
    assert codes(found) == [("offer", 1), ("won", 2), ("lost", 3)]
    newer = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "More pipes",
                                                           "pipeline_id": found.id}, now=NOW)
    assert newer.stage_id == second.id
    with pytest.raises(InvalidInput):
        pipeline.move_opportunity(uow_for(db, rep), newer.id, stage_id=first.id, now=NOW)


def test_an_unknown_pipeline_is_refused_when_opening_an_opportunity(db):
    rep = make_user(db, "sales_rep")
    customer = core_services.create_customer(uow_for(db, rep), {"code": "PS-2", "name": "Valve Co"})

    with pytest.raises(InvalidInput) as refused:
        pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "V",
                                                       "pipeline_id": 999}, now=NOW)

    assert set(refused.value.fields) == {"pipeline_id"}
    assert db.scalar(select(Opportunity.id)) is None


def test_sales_reps_read_pipelines_but_only_managers_and_admin_change_them(db):
    rep = make_user(db, "sales_rep")
    found = projects(db, make_user(db, "admin"))

    assert settings.get_pipeline(uow_for(db, rep), found.id).code == "projects"
    with pytest.raises(Forbidden):
        settings.create_pipeline(uow_for(db, rep), {"name": "Mine", "code": "mine"})
    with pytest.raises(Forbidden):
        settings.add_stage(uow_for(db, rep), found.id, {"code": "x", "name": "X", "probability": "0.2"})
    with pytest.raises(Forbidden):
        settings.update_stage(uow_for(db, rep), found.stages[0].id, {"probability": "0.9"})
    with pytest.raises(Forbidden):
        settings.list_pipelines(uow_for(db, make_user(db, "warehouse")))


def test_stage_changes_are_audited(db):
    manager = make_user(db, "sales_manager")
    found = projects(db, manager)

    settings.update_stage(uow_for(db, manager), found.stages[0].id, {"probability": "0.2"})

    entries = db.scalars(select(AuditEntry).where(AuditEntry.entity == "Stage",
                                                AuditEntry.entity_id == str(found.stages[0].id))).all()
    assert any(e.action == "update" and e.user_id == manager.id for e in entries)


def test_the_weighted_forecast_follows_a_changed_stage_probability(db):
    manager = make_user(db, "sales_manager")
    rep = make_user(db, "sales_rep")
    customer = core_services.create_customer(uow_for(db, rep), {"code": "PS-3", "name": "Pump Co"})
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {
        "customer_id": customer.id, "name": "Pumps", "amount": D("10000"),
        "expected_close_date": date(2026, 12, 15)}, now=NOW)
    assert forecasting.weighted_forecast(uow_for(db, rep)).totals.weighted == D("1000.00")

    settings.update_stage(uow_for(db, manager), opportunity.stage_id, {"probability": D("0.35")})

    db.expire_all()
    assert db.get(Stage, opportunity.stage_id).probability == D("0.3500")
    assert forecasting.weighted_forecast(uow_for(db, rep)).totals.weighted == D("3500.00")
