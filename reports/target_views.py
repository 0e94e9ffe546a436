"""The attainment board: a month's targets against actual by rep, team or product line, with a form to set
a target (admin, sales managers) and to change a target's amount. Views parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.errors import DomainError
from core.formatting import china_time, money
from core.forms import form_input
from core.models import ProductLine, Role, User
from core.permissions import SALES
from core.views import act, guard, refusal
from core.web import can, current_locale, get_session, get_uow
from reports import targets
from reports.workbook import workbook_response

bp = Blueprint("reports_targets_web", __name__, template_folder="templates", url_prefix="/reports")


def _choices() -> dict:
    """Whom the signed-in user may set targets for: a manager the team's sales users and the team; admin
    every active sales user, every team and every product line."""
    if not can(current_user, "create", targets.RESOURCE):
        return {}
    session = get_session()
    users = select(User).where(User.active.is_(True), User.role.in_(list(SALES))).order_by(User.username)
    if current_user.role == Role.SALES_MANAGER:
        if not current_user.team:
            return {"reps": [current_user], "teams": [], "product_lines": []}
        return {"reps": list(session.scalars(users.where(User.team == current_user.team))),
                "teams": [current_user.team], "product_lines": []}
    teams = session.scalars(select(User.team).where(User.team.is_not(None), User.role.in_(list(SALES)))
                            .distinct().order_by(User.team))
    return {"reps": list(session.scalars(users)), "teams": [t for t in teams if t],
            "product_lines": list(session.scalars(select(ProductLine).where(ProductLine.active.is_(True))
                                                  .order_by(ProductLine.code)))}


def _args() -> dict:
    return {"period": request.args.get("period") or None, "by": request.args.get("by") or None,
            "basis": request.args.get("basis") or None}


def _report() -> dict:
    """The board the query string asks for; an unreadable choice is flashed and this month's board shown."""
    try:
        with get_uow() as uow:
            return targets.attainment(uow, _args())
    except DomainError as exc:
        flash(refusal(exc), "error")
        return targets.attainment(get_uow(), {})


@bp.route("/targets")
@login_required
def board():
    guard("read", targets.RESOURCE)
    return _board()


def _board(values=None, errors=None, status: int = 200):
    report = _report()
    return render_template("reports/targets.html", report=report, choices=_choices(), values=values or {},
                           errors=errors or {}, bases=targets.BASIS_LABELS, subjects=targets.SUBJECT_LABELS,
                           locale=current_locale(), as_of=china_time(report["as_of"]),
                           may_change=can(current_user, "update", targets.RESOURCE)), status


@bp.route("/targets", methods=["POST"])
@login_required
def create():
    guard("create", targets.RESOURCE)
    form = request.form
    data, _rows = form_input(targets.CreateTargetFormSchema, form)
    chosen = targets.SUBJECT_FIELDS.get(form.get("subject") or "", "rep_id")
    data = {key: value for key, value in data.items() if key not in targets.SUBJECT_NAMES or key == chosen}
    try:
        with get_uow() as uow:
            target = targets.set_target(uow, data)
    except DomainError as exc:
        flash(_("Not saved: %(reason)s", reason=refusal(exc)), "error")
        return _board(values=form, errors=exc.fields, status=exc.status)
    flash(_("Target of %(period)s saved.", period=target.period), "success")
    return redirect(url_for(".board", period=target.period, by=target.subject), 303)


@bp.route("/targets/<int:target_id>/amount", methods=["POST"])
@login_required
def change(target_id: int):
    guard("update", targets.RESOURCE)
    back = url_for(".board", period=request.form.get("period") or None, by=request.form.get("by") or None,
                   basis=request.form.get("basis") or None)
    return act(lambda: targets.change_target(get_uow(), target_id, {"amount": request.form.get("amount", "")}),
               lambda target: _("Target of %(period)s changed to %(amount)s.", period=target.period,
                                amount=money(target.amount)), back)


@bp.route("/targets.xlsx")
@login_required
def workbook():
    guard("read", targets.RESOURCE)
    report = _report()
    return workbook_response(targets.attainment_workbook(report), f"targets-{report['period']}.xlsx")
