"""The rep's desk, the public pool, lead and opportunity pages, and the public lead form.

Views parse the form, call one service (or one read-only query) and render or redirect."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError

from core import queries as core_queries
from core.db import utcnow
from core.errors import DomainError, NotFound
from core.imports import ImportError_, read_table
from core.views import act, guard, load_or_abort
from core.web import get_session, get_uow
from crm.leads import conversion, imports, queries, services
from crm.leads.schemas import ConvertLeadSchema, CreateQuoteSchema, WebFormLeadSchema
from crm.pipeline import services as pipeline
from crm.pipeline import settings as pipeline_settings
from crm.pipeline.labels import FIELD_LABELS, KIND_LABELS, LOST_LABELS, stage_label
from crm.pipeline.schemas import ActivityFormSchema
from crm.quotes import services as quotes

bp = Blueprint("crm_leads_web", __name__, template_folder="templates", url_prefix="/leads")
public_bp = Blueprint("crm_public_web", __name__, template_folder="templates", url_prefix="/contact-us")

STATUS_LABELS = {"new": _l("New"), "assigned": _l("Assigned"), "pool": _l("In the public pool"),
                 "nurturing": _l("Nurturing"), "converted": _l("Converted"), "disqualified": _l("Disqualified")}
QUOTE_ROWS = 3


@bp.app_context_processor
def _labels():
    return {"lead_status_label": lambda s: STATUS_LABELS.get(s, s)}


# --------------------------------------------------------------------------- desk and pool


@bp.route("/desk")
@login_required
def desk():
    guard("read", "lead")
    session = get_session()
    leads = queries.my_leads(session, current_user)
    now = utcnow()
    by_grade = {grade: [lead for lead in leads if lead.grade == grade] for grade in ("A", "B", "C")}
    from crm.tasks.views import tasks_today

    return render_template("leads/desk.html", by_grade=by_grade, now=now,
                           opportunities=queries.my_opportunities(session, current_user),
                           tasks_today=tasks_today(current_user))


@bp.route("/pool")
@login_required
def pool():
    guard("read", "lead")
    page = queries.pool(get_session(), current_user, page=request.args.get("page", 1, type=int))
    return render_template("leads/pool.html", page=page)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def lead_import():
    """Upload a CSV or Excel file of leads: a dry run reports every row, loading keeps the valid ones."""
    guard("create", "lead")
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a CSV or Excel file."), "error")
        else:
            try:
                with get_uow() as uow:
                    rows = read_table(upload.filename, upload.read())
                    report = imports.import_leads(uow, rows, commit=request.form.get("commit") == "1")
                if report["committed"]:
                    flash(_("%(n)s leads loaded.", n=report["created"]), "success")
                else:
                    flash(_("Dry run: nothing was saved."), "info")
            except ImportError_ as exc:
                flash(exc.message, "error")
    return render_template("leads/import.html", report=report)


@bp.route("/<int:lead_id>")
@login_required
def lead_detail(lead_id: int):
    guard("read", "lead")
    uow = get_uow()
    lead = load_or_abort(services.get_lead, lead_id)
    return render_template("leads/lead_detail.html", lead=lead, now=utcnow(),
                           pipelines=pipeline_settings.list_pipelines(uow),
                           explanation=services.explain_score(uow, lead.id),
                           activities=pipeline.activities_of(uow, lead_id=lead.id), kinds=KIND_LABELS)


@bp.route("/<int:lead_id>/claim", methods=["POST"])
@login_required
def lead_claim(lead_id: int):
    guard("update", "lead")
    try:
        with get_uow() as uow:
            lead = services.claim_lead(uow, lead_id)
        flash(_("Lead %(number)s is yours now; follow it up by the deadline.", number=lead.number), "success")
        return redirect(url_for("crm_leads_web.lead_detail", lead_id=lead.id), 303)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_claim_refusal(exc), "error")
        return redirect(url_for("crm_leads_web.pool"), 303)


def _claim_refusal(exc: DomainError) -> str:
    if exc.code == "claim_limit_reached":
        return _("Not claimed: you already hold %(held)s open leads and the limit is %(limit)s.",
                 held=exc.details.get("held"), limit=exc.details.get("limit"))
    if exc.code == "forbidden":
        return _("Not claimed: this lead belongs to another sales rep.")
    if exc.code == "not_in_pool":
        return _("Not claimed: this lead is no longer in the public pool.")
    return exc.message


@bp.route("/<int:lead_id>/convert", methods=["POST"])
@login_required
def lead_convert(lead_id: int):
    guard("update", "lead")
    try:
        data = ConvertLeadSchema().load({k: v for k, v in request.form.items() if v.strip()})
        with get_uow() as uow:
            lead, opportunity = conversion.convert_lead(uow, lead_id, data)
        flash(_("Lead %(number)s converted: customer, contact and opportunity %(opportunity)s created.",
                number=lead.number, opportunity=opportunity.number), "success")
        return redirect(url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity.id), 303)
    except NotFound:
        abort(404)
    except ValidationError as exc:
        flash(_("Not converted: %(reason)s", reason=exc.messages), "error")
    except DomainError as exc:
        flash(_("Not converted: %(reason)s", reason=exc.message), "error")
    return redirect(url_for("crm_leads_web.lead_detail", lead_id=lead_id), 303)


@bp.route("/activity", methods=["POST"])
@login_required
def activity_log():
    guard("read", "lead")
    form = {k: v for k, v in request.form.items() if v.strip()}
    back = (url_for("crm_leads_web.lead_detail", lead_id=form["lead_id"]) if form.get("lead_id", "").isdigit()
            else url_for("crm_leads_web.opportunity_detail", opportunity_id=form.get("opportunity_id", 0)))
    try:
        with get_uow() as uow:
            pipeline.log_activity(uow, ActivityFormSchema().load(form))
        flash(_("Activity logged."), "success")
    except ValidationError as exc:
        flash(_("Not logged: %(reason)s", reason=exc.messages), "error")
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_("Not logged: %(reason)s", reason=exc.message), "error")
    return redirect(back, 303)


# --------------------------------------------------------------------------- opportunities


@bp.route("/opportunities/<int:opportunity_id>")
@login_required
def opportunity_detail(opportunity_id: int):
    guard("read", "opportunity")
    uow = get_uow()
    opportunity = load_or_abort(pipeline.get_opportunity, opportunity_id)
    return render_template("leads/opportunity_detail.html", opportunity=opportunity,
                           stages=opportunity.stage.pipeline.active_stages, field_labels=FIELD_LABELS,
                           lost_reasons=LOST_LABELS, kinds=KIND_LABELS,
                           activities=pipeline.activities_of(uow, opportunity_id=opportunity.id),
                           quotes=lead_queries_quotes(opportunity.id), quote_rows=range(QUOTE_ROWS),
                           products=core_queries.products(get_session(), current_user, per_page=200).items)


def lead_queries_quotes(opportunity_id: int):
    return queries.quotes_of(get_session(), current_user, opportunity_id)


@bp.route("/opportunities/<int:opportunity_id>/move", methods=["POST"])
@login_required
def opportunity_move(opportunity_id: int):
    guard("update", "opportunity")
    return act(lambda: pipeline.move_opportunity(get_uow(), opportunity_id,
                                                 stage_id=request.form.get("stage_id", type=int),
                                                 lost_reason=request.form.get("lost_reason") or None),
               lambda opportunity: _("Opportunity %(number)s is now in the stage %(stage)s.",
                                     number=opportunity.number,
                                     stage=stage_label(opportunity.stage)),
               url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity_id), refuse=_move_refusal)


def _move_refusal(exc: DomainError) -> str:
    if exc.code == "exit_rule":
        return _("Not moved: fill in %(fields)s first.",
                 fields=", ".join(str(FIELD_LABELS.get(f, f)) for f in exc.fields))
    return _("Not moved: %(reason)s", reason=exc.message)


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["POST"])
@login_required
def opportunity_edit(opportunity_id: int):
    guard("update", "opportunity")
    from crm.leads.schemas import UpdateOpportunitySchema

    fields = ("amount", "budget", "decision_maker", "expected_close_date")
    data = {k: (request.form.get(k, "").strip() or None) for k in fields if k in request.form}
    try:
        with get_uow() as uow:
            pipeline.update_opportunity(uow, opportunity_id, UpdateOpportunitySchema().load(data))
        flash(_("Opportunity saved."), "success")
    except ValidationError as exc:
        flash(_("Not saved: %(reason)s", reason=exc.messages), "error")
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_("Not saved: %(reason)s", reason=exc.message), "error")
    return redirect(url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity_id), 303)


# --------------------------------------------------------------------------- the public form


@public_bp.route("", methods=["GET", "POST"])
def web_form():
    """No sign-in: anyone may leave their details. A honeypot field and a per-address limit keep bots out."""
    if request.method == "GET":
        return render_template("leads/web_form.html", values={}, errors={})
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data = {k: v for k, v in values.items() if v.strip()}
    for key in ("utm_source", "utm_medium", "utm_campaign"):
        data.setdefault(key, request.args.get(key) or None)
    data = {k: v for k, v in data.items() if v is not None}
    data.setdefault("channel", "website")
    try:
        with get_uow() as uow:
            services.capture_web_form(uow, WebFormLeadSchema().load(data), address=request.remote_addr or "")
    except ValidationError as exc:
        return render_template("leads/web_form.html", values=values, errors=exc.messages), 422
    except services.SpamRejected:  # a filled honeypot gets the answer a person gets: the bot learns nothing
        return render_template("leads/web_form_thanks.html")
    except services.RateLimited:
        return render_template("leads/web_form.html", values=values, errors={},
                               refusal=_("Too many messages from your address; please try again later.")), 429
    except DomainError as exc:
        return render_template("leads/web_form.html", values=values, errors=exc.fields), 422
    return render_template("leads/web_form_thanks.html")


# --------------------------------------------------------------------------- quotes

QUOTE_STATE_LABELS = {"draft": _l("Draft"), "pending_approval": _l("Waiting for approval"),
                      "approved": _l("Approved"), "accepted": _l("Accepted"), "rejected": _l("Rejected"),
                      "superseded": _l("Superseded")}
QUOTE_ACTIONS = {
    "submit": (quotes.submit_quote, _l("Quote %(label)s submitted.")),
    "approve": (quotes.approve_quote, _l("Quote %(label)s approved.")),
    "send-back": (quotes.send_back_quote, _l("Quote %(label)s sent back to draft.")),
    "accept": (quotes.accept_quote, _l("Quote %(label)s accepted: a draft sales order was created.")),
    "reject": (quotes.reject_quote, _l("Quote %(label)s marked as declined.")),
    "new-version": (quotes.new_version, _l("New version %(label)s created.")),
}


@bp.app_context_processor
def _quote_labels():
    return {"quote_state_label": lambda s: QUOTE_STATE_LABELS.get(s, s)}


@bp.route("/opportunities/<int:opportunity_id>/quotes", methods=["POST"])
@login_required
def quote_new(opportunity_id: int):
    guard("create", "quote")
    lines = []
    for key in range(QUOTE_ROWS):
        row = {f: request.form.get(f"lines-{key}-{f}", "").strip() for f in ("product_id", "qty", "discount")}
        if row["product_id"] or row["qty"]:
            lines.append({k: v for k, v in row.items() if v})
    try:
        data = CreateQuoteSchema().load({"opportunity_id": opportunity_id, "lines": lines})
        with get_uow() as uow:
            quote = quotes.create_quote(uow, data)
        flash(_("Quote %(label)s created as a draft.", label=quote.label), "success")
        return redirect(url_for("crm_leads_web.quote_detail", quote_id=quote.id), 303)
    except ValidationError as exc:
        flash(_("Not created: %(reason)s", reason=exc.messages), "error")
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_("Not created: %(reason)s", reason=exc.fields or exc.message), "error")
    return redirect(url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity_id), 303)


@bp.route("/quotes/<int:quote_id>")
@login_required
def quote_detail(quote_id: int):
    guard("read", "quote")
    return render_template("leads/quote_detail.html", quote=load_or_abort(quotes.get_quote, quote_id))


@bp.route("/quotes/<int:quote_id>.pdf")
@login_required
def quote_pdf(quote_id: int):
    """The quote printed in Chinese and English, for the customer."""
    guard("read", "quote")
    name, pdf = load_or_abort(lambda uow: quotes.print_quote(
        uow, quote_id, company=current_app.config.get("COMPANY_NAME") or None))
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/quotes/<int:quote_id>/<action>", methods=["POST"])
@login_required
def quote_action(quote_id: int, action: str):
    guard("read", "quote")
    if action not in QUOTE_ACTIONS:
        abort(404)
    call, message = QUOTE_ACTIONS[action]
    try:
        with get_uow() as uow:
            quote = call(uow, quote_id)
        flash(message % {"label": quote.label}, "success")
        return redirect(url_for("crm_leads_web.quote_detail", quote_id=quote.id), 303)
    except NotFound:
        abort(404)
    except DomainError as exc:
        if exc.code == "approval_required":
            flash(_("Not accepted: a discount above the threshold waits for a sales manager's approval."), "error")
        else:
            flash(exc.message, "error")
    return redirect(url_for("crm_leads_web.quote_detail", quote_id=quote_id), 303)
