"""Configuring pipelines: a sales manager or admin creates pipelines and adds, renames, reprices,
reorders, changes the exit rules of and retires their stages; sales users read them.

Rules: each pipeline ends with its won (probability 1) and lost (probability 0) stages, which stay
last and cannot be changed beyond their name; it always keeps at least one active open stage; open
stages are numbered 1..n in order, won is n+1, lost n+2 (retired stages keep position 0 and their
history); a stage that still holds open opportunities cannot be retired. Bad input is refused field
by field and nothing is changed. Pipelines and stages are Audited, so every change is recorded."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from core.errors import DomainError, InvalidInput
from core.permissions import authorize
from core.uow import UnitOfWork
from crm.pipeline.models import EXIT_FIELDS, Opportunity, OpportunityState, Pipeline, Stage
from crm.pipeline.services import default_pipeline

RESOURCE = "pipeline_settings"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OPEN, WON, LOST = OpportunityState.OPEN.value, OpportunityState.WON.value, OpportunityState.LOST.value


def _authorize(uow: UnitOfWork, action: str) -> None:
    authorize(uow.actor, action, RESOURCE)


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


def _text(data: dict[str, Any], key: str, limit: int, errors: dict[str, list[str]], *, required: bool) -> str | None:
    value = data.get(key)
    if value is None or not str(value).strip():
        if required:
            errors[key] = ["Required."]
        return None
    value = str(value).strip()
    if len(value) > limit:
        errors[key] = [f"At most {limit} characters."]
    return value


def _code(data: dict[str, Any], errors: dict[str, list[str]]) -> str | None:
    code = _text(data, "code", 40, errors, required=True)
    if code is not None and "code" not in errors and not CODE.match(code):
        errors["code"] = ["Lower-case letters, digits and _, starting with a letter."]
    return code


def _probability(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        probability = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors["probability"] = ["A number from 0 to 1, e.g. 0.25."]
        return None
    if not probability.is_finite() or not Decimal(0) <= probability <= Decimal(1):
        errors["probability"] = ["A number from 0 to 1, e.g. 0.25."]
        return None
    if probability != probability.quantize(Decimal("0.0001")):
        errors["probability"] = ["At most four decimal places."]
        return None
    return probability


def _exit_fields(value: Any, errors: dict[str, list[str]]) -> list[str] | None:
    if not isinstance(value, list | tuple) or not all(isinstance(f, str) for f in value):
        errors["exit_fields"] = [f"A list of fields among {', '.join(EXIT_FIELDS)}."]
        return None
    unknown = [f for f in value if f not in EXIT_FIELDS]
    if unknown:
        errors["exit_fields"] = [f"Unknown fields: {', '.join(unknown)}; use {', '.join(EXIT_FIELDS)}."]
        return None
    return list(dict.fromkeys(value))


def _open_stages(pipeline: Pipeline) -> list[Stage]:
    return [s for s in pipeline.stages if s.active and s.outcome == OPEN]


def _position(value: Any, count: int, errors: dict[str, list[str]]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= count:
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
    errors: dict[str, list[str]] = {}
    name = _text(data, "name", 120, errors, required=True)
    code = _code(data, errors)
    if name and "name" not in errors and uow.session.scalar(select(Pipeline.id).where(Pipeline.name == name)):
        errors["name"] = ["Another pipeline has this name."]
    if code and "code" not in errors and uow.session.scalar(select(Pipeline.id).where(Pipeline.code == code)):
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
    errors: dict[str, list[str]] = {}
    code = _code(data, errors)
    name = _text(data, "name", 120, errors, required=True)
    if code and "code" not in errors and any(s.code == code for s in pipeline.stages):
        errors["code"] = ["Another stage of this pipeline has this code."]
    probability = _probability(data.get("probability"), errors) if data.get("probability") is not None else None
    if data.get("probability") is None:
        errors["probability"] = ["Required."]
    exits = _exit_fields(data.get("exit_fields") or [], errors)
    position = (_position(data["position"], len(opens) + 1, errors) if data.get("position") is not None
                else len(opens) + 1)
    if errors:
        raise InvalidInput(errors)
    stage = Stage(code=code, name=name, probability=probability, exit_fields=exits, outcome=OPEN, active=True,
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
    errors: dict[str, list[str]] = {}
    name = _text(data, "name", 120, errors, required=False) if "name" in data else None
    if "name" in data and name is None and "name" not in errors:
        errors["name"] = ["Required."]
    if stage.outcome != OPEN:
        for key in ("probability", "position", "exit_fields", "active"):
            if key in data and data[key] is not None:
                errors[key] = ["The won and lost stages stay last with probability 1 and 0; only their "
                               "name may change."]
        if errors:
            raise InvalidInput(errors)
        stage.name = name or stage.name
        uow.commit()
        return stage
    opens = _open_stages(pipeline)
    probability = _probability(data["probability"], errors) if data.get("probability") is not None else None
    exits = _exit_fields(data["exit_fields"], errors) if data.get("exit_fields") is not None else None
    active = data.get("active")
    if active is not None and not isinstance(active, bool):
        errors["active"] = ["true or false."]
    position = None
    if data.get("position") is not None:
        if not stage.active and active is not True:
            errors["position"] = ["A retired stage has no position; bring it back first."]
        else:
            count = len(opens) + (0 if stage.active else 1)
            position = _position(data["position"], count, errors)
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
