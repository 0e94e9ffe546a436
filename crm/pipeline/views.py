"""The pipeline pages: the board (drag a card to another stage, or use its move form), the weighted
forecast, and the sales manager's team view with its lists. Views parse, call one service or one
read-only query, and render; a move answers JSON to the board's script and redirects otherwise."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.db import utcnow
from core.errors import DomainError, NotFound
from core.forms import load_form
from core.views import act, guard, load_or_abort, refusal
from core.web import can, get_session, get_uow
from crm.pipeline import forecast as forecasting
from crm.pipeline import queries
from crm.pipeline import services as pipeline
from crm.pipeline import settings as pipeline_settings
from crm.pipeline.labels import FIELD_LABELS, LOST_LABELS, stage_label, template_helpers
from crm.pipeline.models import EXIT_FIELDS
from crm.pipeline.schemas import CreatePipelineSchema, CreateStageSchema, UpdateStageSchema

bp = Blueprint("crm_pipeline_web", __name__, template_folder="templates", url_prefix="/pipeline")

LIST_TITLES = {"leads": _l("Open leads"), "overdue": _l("Overdue follow-ups"), "claims": _l("Pool claims this week"),
               "opportunities": _l("Open opportunities"), "stalled": _l("Stalled deals"),
               "activities": _l("Activities this week")}


def _stalled_hours() -> int:
    return current_app.config["SETTINGS"].stalled_deal_hours


def idle_label(idle: timedelta) -> str:
    hours = int(idle.total_seconds() // 3600)
    if hours < 1:
        return _("under an hour")
    if hours < 48:
        return _("%(hours)s h", hours=hours)
    return _("%(days)s d", days=hours // 24)


@bp.app_context_processor
def _helpers():
    return {"idle_label": idle_label, **template_helpers()}


# --------------------------------------------------------------------------- the board


@bp.route("/board")
@login_required
def board():
    guard("read", "opportunity")
    session = get_session()
    found = queries.pipeline_for(session, request.args.get("pipeline_id", type=int))
    owner_id = request.args.get("owner_id", type=int)
    members = queries.team_members(session, current_user) if can(current_user, "read", "team_view") else []
    columns = (queries.board(session, current_user, found, now=utcnow(), stalled_hours=_stalled_hours(),
                             owner_id=owner_id) if found is not None else [])
    return render_template("pipeline/board.html", columns=columns, pipeline=found, owner_id=owner_id,
                           members=members, lost_reasons=LOST_LABELS, stalled_hours=_stalled_hours(),
                           can_move=can(current_user, "update", "opportunity"),
                           pipelines=queries.pipelines(session),
                           can_configure=can(current_user, "update", "pipeline_settings"))


def _move_refusal(exc: DomainError) -> str:
    if exc.code == "exit_rule":
        return _("Not moved: fill in %(fields)s first.",
                 fields=", ".join(str(FIELD_LABELS.get(f, f)) for f in exc.fields))
    if "lost_reason" in (exc.fields or {}):
        return _("Not moved: choose a lost reason in the card's move form first.")
    return _("Not moved: %(reason)s", reason=refusal(exc))


def _moved(opportunity) -> str:
    return _("Opportunity %(number)s is now in the stage %(stage)s.", number=opportunity.number,
             stage=stage_label(opportunity.stage))


@bp.route("/board/move", methods=["POST"])
@login_required
def board_move():
    """Move one card: the board's script asks for JSON (the card goes back on a refusal); the
    card's own form (no script, keyboard) gets a flash message and the board again."""
    guard("update", "opportunity")
    opportunity_id = request.form.get("opportunity_id", type=int) or 0

    def move():
        return pipeline.move_opportunity(get_uow(), opportunity_id, stage_id=request.form.get("stage_id", type=int),
                                         lost_reason=request.form.get("lost_reason") or None)

    if request.accept_mimetypes.best != "application/json":
        back = url_for(".board", owner_id=request.form.get("owner_id", type=int),
                       pipeline_id=request.form.get("pipeline_id", type=int))
        return act(move, _moved, back, refuse=_move_refusal)
    try:
        with get_uow():  # the scope of the move: a refusal leaves nothing of it in the session
            opportunity = move()
    except NotFound:
        return jsonify(ok=False, message=_("No such opportunity.")), 404
    except DomainError as exc:
        return jsonify(ok=False, code=exc.code, message=_move_refusal(exc), fields=exc.fields), exc.status
    return jsonify(ok=True, message=_moved(opportunity), stage_id=opportunity.stage_id, state=opportunity.state)


# --------------------------------------------------------------------------- pipeline settings


def _settings_page(refused: dict | None = None, status: int = 200):
    """The pipelines with their stages; `refused` names the form sent (`pipeline`, `add-stage-<id>`,
    `stage-<id>`) with what was typed and its field errors, shown beside its fields."""
    found = load_or_abort(pipeline_settings.list_pipelines)
    return render_template("pipeline/settings.html", pipelines=found, exit_fields=EXIT_FIELDS,
                           field_labels=FIELD_LABELS, can_configure=can(current_user, "update", "pipeline_settings"),
                           refused=refused or {"form": None, "typed": {}, "errors": {}}), status


def _configure(form_key: str, schema, call, success):
    """One settings form: loaded through the API's schema (a stage form sends `exit_fields_sent` so that
    no ticked box means no exit fields), then the settings service. A refusal naming fields shows the
    page again with the messages beside that form's fields; any other refusal is flashed."""
    form = request.form
    extra = {"exit_fields": form.getlist("exit_fields")} if form.get("exit_fields_sent") else None
    try:
        data = load_form(schema, form, extra=extra)
        with get_uow() as uow:
            record = call(uow, data)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(refusal(exc), "error")
        if not exc.fields:
            return redirect(url_for(".settings"), 303)
        return _settings_page({"form": form_key, "typed": form, "errors": exc.fields}, 422)
    flash(success(record), "success")
    return redirect(url_for(".settings"), 303)


@bp.route("/settings")
@login_required
def settings():
    """The pipelines with their stages; a sales manager or admin edits them here."""
    guard("read", "pipeline_settings")
    return _settings_page()


@bp.route("/settings/pipelines", methods=["POST"])
@login_required
def settings_create_pipeline():
    guard("create", "pipeline_settings")
    return _configure("pipeline", CreatePipelineSchema, pipeline_settings.create_pipeline,
                      lambda p: _("Pipeline %(name)s created.", name=p.name))


@bp.route("/settings/pipelines/<int:pipeline_id>/stages", methods=["POST"])
@login_required
def settings_add_stage(pipeline_id: int):
    guard("create", "pipeline_settings")
    return _configure(f"add-stage-{pipeline_id}", CreateStageSchema,
                      lambda uow, data: pipeline_settings.add_stage(uow, pipeline_id, data),
                      lambda s: _("Stage %(name)s added.", name=s.name))


@bp.route("/settings/stages/<int:stage_id>", methods=["POST"])
@login_required
def settings_update_stage(stage_id: int):
    guard("update", "pipeline_settings")
    return _configure(f"stage-{stage_id}", UpdateStageSchema,
                      lambda uow, data: pipeline_settings.update_stage(uow, stage_id, data),
                      lambda s: _("Stage %(name)s saved.", name=s.name))


# --------------------------------------------------------------------------- the forecast


@bp.route("/forecast")
@login_required
def forecast():
    guard("read", "opportunity")
    group = request.args.get("group", "month")
    if group not in forecasting.GROUPS:
        abort(400)
    result = load_or_abort(lambda uow: forecasting.weighted_forecast(uow, group=group))
    return render_template("pipeline/forecast.html", forecast=result, group=group)


# --------------------------------------------------------------------------- the team view


@bp.route("/team")
@login_required
def team():
    guard("read", "team_view")
    session = get_session()
    reps = queries.team_members(session, current_user)
    lists = queries.rep_lists(session, reps, now=utcnow(), stalled_hours=_stalled_hours())
    return render_template("pipeline/team.html", reps=reps, lists=lists, titles=LIST_TITLES,
                           stalled_hours=_stalled_hours())


@bp.route("/team/<int:rep_id>/<kind>")
@login_required
def team_list(rep_id: int, kind: str):
    guard("read", "team_view")
    if kind not in queries.LISTS:
        abort(404)
    session = get_session()
    rep = next((u for u in queries.team_members(session, current_user) if u.id == rep_id), None)
    if rep is None:
        abort(404)
    now = utcnow()
    lists = queries.rep_lists(session, [rep], now=now, stalled_hours=_stalled_hours())[rep.id]
    return render_template("pipeline/team_list.html", rep=rep, kind=kind, title=LIST_TITLES[kind],
                           items=getattr(lists, kind), now=now)
