"""The rep's desk, the public pool, lead and opportunity pages, and the public lead form.

Views parse the form, call one service (or one read-only query) and render or redirect."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import queries as core_queries
from core.db import utcnow
from core.errors import DomainError, NotFound
from core.forms import form_input, load_form
from core.imports import ImportError_, read_table
from core.views import act, guard, load_or_abort, refusal
from core.web import get_session, get_uow
from crm.leads import conversion, imports, queries, services
from crm.leads.schemas import ConvertLeadSchema, CreateQuoteSchema, UpdateOpportunitySchema, WebFormLeadSchema
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


#: No form of the page was refused: `refused` names the form sent (`convert`, `activity`, `edit`, `quote`),
#: what was typed in it and the messages to show beside its fields.
NOT_REFUSED = {"form": None, "typed": {}, "errors": {}}


def _refused(form_key: str, exc: DomainError) -> dict:
    return {"form": form_key, "typed": request.form, "errors": exc.fields}


@bp.route("/<int:lead_id>")
@login_required
def lead_detail(lead_id: int):
    guard("read", "lead")
    return _lead_page(lead_id)


def _lead_page(lead_id: int, refused: dict | None = None, status: int = 200):
    uow = get_uow()
    lead = load_or_abort(services.get_lead, lead_id)
    return render_template("leads/lead_detail.html", lead=lead, now=utcnow(),
                           pipelines=pipeline_settings.list_pipelines(uow),
                           explanation=services.explain_score(uow, lead.id),
                           activities=pipeline.activities_of(uow, lead_id=lead.id), kinds=KIND_LABELS,
                           refused=refused or NOT_REFUSED), status


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
        data = load_form(ConvertLeadSchema, request.form)
        with get_uow() as uow:
            lead, opportunity = conversion.convert_lead(uow, lead_id, data)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_("Not converted: %(reason)s", reason=refusal(exc)), "error")
        if exc.fields:
            return _lead_page(lead_id, _refused("convert", exc), 422)
        return redirect(url_for("crm_leads_web.lead_detail", lead_id=lead_id), 303)
    flash(_("Lead %(number)s converted: customer, contact and opportunity %(opportunity)s created.",
            number=lead.number, opportunity=opportunity.number), "success")
    return redirect(url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity.id), 303)


@bp.route("/activity", methods=["POST"])
@login_required
def activity_log():
    guard("read", "lead")
    lead_id = request.form.get("lead_id", type=int)
    opportunity_id = request.form.get("opportunity_id", type=int) or 0
    back = (url_for("crm_leads_web.lead_detail", lead_id=lead_id) if lead_id
            else url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity_id))
    try:
        data = load_form(ActivityFormSchema, request.form)
        with get_uow() as uow:
            pipeline.log_activity(uow, data)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_("Not logged: %(reason)s", reason=refusal(exc)), "error")
        if exc.fields:
            refused = _refused("activity", exc)
            return (_lead_page(lead_id, refused, 422) if lead_id
                    else _opportunity_page(opportunity_id, refused, 422))
        return redirect(back, 303)
    flash(_("Activity logged."), "success")
    return redirect(back, 303)


# --------------------------------------------------------------------------- opportunities


@bp.route("/opportunities/<int:opportunity_id>")
@login_required
def opportunity_detail(opportunity_id: int):
    guard("read", "opportunity")
    return _opportunity_page(opportunity_id)


def _opportunity_page(opportunity_id: int, refused: dict | None = None, status: int = 200):
    uow = get_uow()
    opportunity = load_or_abort(pipeline.get_opportunity, opportunity_id)
    return render_template("leads/opportunity_detail.html", opportunity=opportunity,
                           stages=opportunity.stage.pipeline.active_stages, field_labels=FIELD_LABELS,
                           lost_reasons=LOST_LABELS, kinds=KIND_LABELS,
                           activities=pipeline.activities_of(uow, opportunity_id=opportunity.id),
                           quotes=lead_queries_quotes(opportunity.id), quote_rows=range(QUOTE_ROWS),
                           products=core_queries.products(get_session(), current_user, per_page=200).items,
                           refused=refused or NOT_REFUSED), status


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
    try:  # a field emptied on the form is cleared
        data = load_form(UpdateOpportunitySchema, request.form, blank_as_none=True)
        with get_uow() as uow:
            pipeline.update_opportunity(uow, opportunity_id, data)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_("Not saved: %(reason)s", reason=refusal(exc)), "error")
        if exc.fields:
            return _opportunity_page(opportunity_id, _refused("edit", exc), 422)
    else:
        flash(_("Opportunity saved."), "success")
    return redirect(url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity_id), 303)


# --------------------------------------------------------------------------- the public form


@public_bp.route("", methods=["GET", "POST"])
def web_form():
    """No sign-in: anyone may leave their details. A honeypot field and a per-address limit keep bots out.

    The form's fields are read as `WebFormLeadSchema` names them and handed to the service as typed, which
    turns away the honeypot and the over-limit address before it loads them through the capture schema:
    a bot learns nothing of the form's rules."""
    if request.method == "GET":
        return render_template("leads/web_form.html", values={}, errors={})
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data, _rows = form_input(WebFormLeadSchema, request.form)
    for key in ("utm_source", "utm_medium", "utm_campaign"):
        if request.args.get(key):
            data.setdefault(key, request.args[key])
    data.setdefault("channel", "website")
    try:
        with get_uow() as uow:
            services.capture_web_form(uow, data, address=request.remote_addr or "")
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
    try:  # the line rows are sent as lines-<row>-<field>; a row left blank is no line
        data = load_form(CreateQuoteSchema, request.form, extra={"opportunity_id": opportunity_id})
        with get_uow() as uow:
            quote = quotes.create_quote(uow, data)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(_("Not created: %(reason)s", reason=refusal(exc)), "error")
        if exc.fields:
            return _opportunity_page(opportunity_id, _refused("quote", exc), 422)
        return redirect(url_for("crm_leads_web.opportunity_detail", opportunity_id=opportunity_id), 303)
    flash(_("Quote %(label)s created as a draft.", label=quote.label), "success")
    return redirect(url_for("crm_leads_web.quote_detail", quote_id=quote.id), 303)


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
