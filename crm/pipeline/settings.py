"""Configuring pipelines: a sales manager or admin creates pipelines and adds, renames, reprices,
reorders, changes the exit rules of and retires their stages; sales users read them.

Rules: each pipeline ends with its won (probability 1) and lost (probability 0) stages, which stay
last and cannot be changed beyond their name; it always keeps at least one active open stage; open
stages are numbered 1..n in order, won is n+1, lost n+2 (retired stages keep position 0 and their
history); a stage that still holds open opportunities cannot be retired. Bad input is refused field
by field and nothing is changed: each service loads its input through the schema of `crm.pipeline.schemas`
(the API's and the settings page's) and adds what the database says, so one refusal names every bad
field. Pipelines and stages are Audited, so every change is recorded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from core.errors import DomainError, InvalidInput
from core.forms import check_input
from core.uow import UnitOfWork
from crm.pipeline.models import Opportunity, OpportunityState, Pipeline, Stage
from crm.pipeline.schemas import CreatePipelineSchema, CreateStageSchema, UpdateStageSchema
from crm.pipeline.services import default_pipeline

RESOURCE = "pipeline_settings"
OPEN, WON, LOST = OpportunityState.OPEN.value, OpportunityState.WON.value, OpportunityState.LOST.value


def _authorize(uow: UnitOfWork, action: str) -> None:
    uow.authorize(action, RESOURCE)


def list_pipelines(uow: UnitOfWork) -> list[Pipeline]:
    """Every pipeline (the default one first, created on first use), with its stages."""
    _authorize(uow, "read")
    if uow.session.scalar(select(func.count()).select_from(Pipeline)) == 0:
        default_pipeline(uow)
        uow.commit()
    return list(uow.session.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.id)))


def get_pipeline(uow: UnitOfWork, pipeline_id: int) -> Pipeline:
    _authorize(uow, "read")
    found = uow.get(Pipeline, pipeline_id, "pipeline")
    return found


def _open_stages(pipeline: Pipeline) -> list[Stage]:
    return [s for s in pipeline.stages if s.active and s.outcome == OPEN]


def _position(value: int, count: int, errors: dict[str, list[str]]) -> int | None:
    """A place among the pipeline's `count` open places (the schema made it a whole number)."""
    if not 1 <= value <= count:
        errors["position"] = [f"A whole number from 1 to {count} (won and lost stay last)."]
        return None
    return value


def _renumber(pipeline: Pipeline, open_order: list[Stage]) -> None:
    """Open stages 1..n in the given order, then won and lost; retired stages 0."""
    terminal = sorted((s for s in pipeline.stages if s.active and s.outcome != OPEN),
                      key=lambda s: s.outcome != WON)
    for position, stage in enumerate([*open_order, *terminal], start=1):
        stage.position = position
    for stage in pipeline.stages:
        if not stage.active:
            stage.position = 0
    pipeline.stages.sort(key=lambda s: s.position)


def create_pipeline(uow: UnitOfWork, data: dict[str, Any]) -> Pipeline:
    """A new pipeline with one open stage (qualification, 10 %) and its won and lost stages; the
    manager then adds and adjusts the stages."""
    _authorize(uow, "create")
    values, errors = check_input(CreatePipelineSchema, data)
    name, code = values.get("name"), values.get("code")
    if name and uow.session.scalar(select(Pipeline.id).where(Pipeline.name == name)):
        errors["name"] = ["Another pipeline has this name."]
    if code and uow.session.scalar(select(Pipeline.id).where(Pipeline.code == code)):
        errors["code"] = ["Another pipeline has this code."]
    if errors:
        raise InvalidInput(errors)
    if uow.session.scalar(select(func.count()).select_from(Pipeline)) == 0:
        default_pipeline(uow)  # the default pipeline always exists beside the new one
    pipeline = Pipeline(name=name, code=code, is_default=False)
    for position, (stage_code, stage_name, probability, outcome) in enumerate((
            ("qualification", "Qualification", "0.10", OPEN), ("won", "Won", "1.00", WON),
            ("lost", "Lost", "0.00", LOST)), start=1):
        pipeline.stages.append(Stage(code=stage_code, name=stage_name, position=position, outcome=outcome,
                                     probability=Decimal(probability), exit_fields=[], active=True))
    uow.session.add(pipeline)
    uow.commit()
    return pipeline


def add_stage(uow: UnitOfWork, pipeline_id: int, data: dict[str, Any]) -> Stage:
    """An open stage at `position` (1..n+1 among the open stages; at the end of them when not given)."""
    _authorize(uow, "create")
    pipeline = uow.get(Pipeline, pipeline_id, "pipeline")
    opens = _open_stages(pipeline)
    values, errors = check_input(CreateStageSchema, data)
    code = values.get("code")
    if code and any(s.code == code for s in pipeline.stages):
        errors["code"] = ["Another stage of this pipeline has this code."]
    position = (_position(values["position"], len(opens) + 1, errors) if values.get("position") is not None
                else len(opens) + 1)
    if errors:
        raise InvalidInput(errors)
    stage = Stage(code=code, name=values["name"], probability=values["probability"],
                  exit_fields=list(dict.fromkeys(values.get("exit_fields") or [])), outcome=OPEN, active=True,
                  position=0)
    pipeline.stages.append(stage)
    opens.insert(position - 1, stage)
    _renumber(pipeline, opens)
    uow.commit()
    return stage


def update_stage(uow: UnitOfWork, stage_id: int, data: dict[str, Any]) -> Stage:
    """Change a stage's name, probability, position among the open stages, exit fields, or retire
    (`active` false) or bring back (`active` true, at the end of the open stages) an open stage.
    Won and lost stages only take a new name."""
    _authorize(uow, "update")
    stage = uow.get(Stage, stage_id, "stage")
    pipeline = stage.pipeline
    values, errors = check_input(UpdateStageSchema, data)
    name = values.get("name")
    if stage.outcome != OPEN:
        for key in ("probability", "position", "exit_fields", "active"):
            if values.get(key) is not None:
                errors[key] = ["The won and lost stages stay last with probability 1 and 0; only their "
                               "name may change."]
        if errors:
            raise InvalidInput(errors)
        stage.name = name or stage.name
        uow.commit()
        return stage
    opens = _open_stages(pipeline)
    probability = values.get("probability")
    exits = list(dict.fromkeys(values["exit_fields"])) if values.get("exit_fields") is not None else None
    active = values.get("active")
    position = None
    if values.get("position") is not None:
        if not stage.active and active is not True:
            errors["position"] = ["A retired stage has no position; bring it back first."]
        else:
            count = len(opens) + (0 if stage.active else 1)
            position = _position(values["position"], count, errors)
    if errors:
        raise InvalidInput(errors)
    if active is False and stage.active:
        if len(opens) == 1:
            raise DomainError(f"The stage {stage.name} is the last open stage of the pipeline {pipeline.name}; "
                              "add another before retiring it.", code="last_open_stage")
        in_use = uow.session.scalar(select(func.count()).select_from(Opportunity).where(
            Opportunity.stage_id == stage.id, Opportunity.state == OPEN))
        if in_use:
            raise DomainError(f"The stage {stage.name} still holds {in_use} open opportunities; move them "
                              "first.", code="stage_in_use", details={"open_opportunities": in_use})
    if name is not None:
        stage.name = name
    if probability is not None:
        stage.probability = probability
    if exits is not None:
        stage.exit_fields = exits
    if active is False and stage.active:
        stage.active = False
        opens.remove(stage)
        _renumber(pipeline, opens)
    elif active is True and not stage.active:
        stage.active = True
        opens.append(stage)
    if position is not None and stage.active:
        opens.remove(stage)
        opens.insert(position - 1, stage)
    if stage.active:
        _renumber(pipeline, opens)
    uow.commit()
    return stage
