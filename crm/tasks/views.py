"""Task pages: the list (with a form to add a task), one task with its buttons, and the done button
of the desk (htmx: it answers with the row's new state).

Views parse the form, call one service (or one read-only query) and render or redirect. Times typed
in the forms are China time (UTC+8), the business's clock."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.db import utcnow
from core.errors import DomainError, InvalidInput
from core.formatting import CHINA, china_time
from core.forms import load_form
from core.models import Customer, Role, User
from core.permissions import allowed_owner
from core.queries import paginate
from core.security import safe_next
from core.views import act, guard, load_or_abort, refusal
from core.web import can, get_session, get_uow, scoped
from crm.tasks import services
from crm.tasks.models import TaskSource, TaskState
from crm.tasks.schemas import CreateTaskSchema, RescheduleTaskSchema

bp = Blueprint("crm_tasks_web", __name__, template_folder="templates", url_prefix="/tasks")

STATE_LABELS = {TaskState.OPEN: _l("Open"), TaskState.DONE: _l("Done"), TaskState.CANCELLED: _l("Cancelled")}
SOURCE_LABELS = {TaskSource.MANUAL: _l("Entered by hand"), TaskSource.ACTIVITY_NEXT_STEP: _l("Next step of an activity"),
                 TaskSource.DORMANT_CUSTOMER: _l("Dormant customer"), TaskSource.STALLED_DEAL: _l("Stalled deal"),
                 TaskSource.LEAD_FOLLOW_UP: _l("Lead follow-up"), TaskSource.TICKET: _l("Ticket")}
DUE_FILTERS = {"today": _l("Due today or overdue"), "overdue": _l("Overdue")}


@bp.app_context_processor
def _labels():
    return {"task_state_label": lambda s: STATE_LABELS.get(s, s),
            "task_source_label": lambda s: SOURCE_LABELS.get(s, s),
            "china_time": china_time}


def _local(value: str | None) -> datetime | None | str:
    """A `datetime-local` form value read as China time; '' → None; unreadable → the text itself."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=CHINA)
    except ValueError:
        return value


def _owners() -> list[User]:
    users = get_session().scalars(select(User).where(User.active, User.role.in_(services.OWNERS))
                                  .order_by(User.username))
    return [u for u in users if allowed_owner(current_user, u)]


@bp.route("")
@login_required
def index():
    guard("read", "task")
    return _index_page()


def _index_page(values=None, errors=None, status: int = 200):
    """The list as the query string filters it, with the new-task form (as typed, with its field errors,
    when a create was refused)."""
    args = request.args
    filters = {"state": args.get("state") or None, "due": args.get("due") or None,
               "owner_id": args.get("owner_id", type=int), "customer_id": args.get("customer_id", type=int)}
    if filters["state"] not in (None, *STATE_LABELS) or filters["due"] not in (None, *DUE_FILTERS):
        abort(400)
    if filters["state"] is None and filters["due"] is None and not args.get("all"):
        filters["state"] = TaskState.OPEN.value
    now = utcnow()
    session = get_session()
    page = paginate(session, services.task_query(current_user, filters, now=now), args.get("page", 1, type=int))
    customers = (list(session.scalars(scoped(current_user, "customer", select(Customer), "update")
                                      .where(Customer.active).order_by(Customer.code).limit(500)))
                 if can(current_user, "create", "task") else [])
    return render_template("tasks/index.html", page=page, now=now, filters=filters, customers=customers,
                           owners=_owners() if can(current_user, "create", "task") else [],
                           states=STATE_LABELS, due_filters=DUE_FILTERS, values=values or {},
                           errors=errors or {}), status


@bp.route("", methods=["POST"])
@login_required
def create():
    guard("create", "task")
    form = request.form
    try:
        data = load_form(CreateTaskSchema, form, extra={
            "due_at": _local(form.get("due_at")), "remind_at": _local(form.get("remind_at")),
            "owner_id": form.get("owner_id", type=int) or current_user.id})
        with get_uow() as uow:
            task = services.create_task(uow, current_user, data)
    except DomainError as exc:
        flash(_("Not created: %(reason)s", reason=refusal(exc)), "error")
        if form.get("next"):
            return redirect(_back(url_for("crm_tasks_web.index")), 303)
        return _index_page(values=form, errors=exc.fields, status=422)
    flash(_("Task “%(title)s” created.", title=task.title), "success")
    return redirect(_back(url_for("crm_tasks_web.detail", task_id=task.id)), 303)


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


@bp.route("/<int:task_id>")
@login_required
def detail(task_id: int):
    guard("read", "task")
    return _detail_page(load_or_abort(services.get_task, task_id))


def _detail_page(task, **form):
    """One task's page, with the lead and opportunity it is about as their modules show them."""
    return render_template("tasks/detail.html", task=task, subjects=services.subjects_of(get_session(), task),
                           now=utcnow(), **form)


@bp.route("/<int:task_id>/complete", methods=["POST"])
@login_required
def complete(task_id: int):
    """The done button: from the desk (htmx) it answers with the finished row (or, when refused, the row
    as it is with the reason: htmx swaps only 2xx answers), otherwise it flashes and redirects."""
    guard("update", "task")
    if request.headers.get("HX-Request"):
        try:
            with get_uow() as uow:
                task = services.complete_task(uow, task_id)
        except DomainError as exc:
            if exc.status == 404:
                abort(404)
            return render_template("tasks/_row.html", task=load_or_abort(services.get_task, task_id),
                                   now=utcnow(), refusal=refusal(exc))  # htmx swaps 2xx answers only
        return render_template("tasks/_row.html", task=task, now=utcnow())
    return act(lambda: services.complete_task(get_uow(), task_id),
               lambda t: _("Task “%(title)s” done.", title=t.title),
               _back(url_for("crm_tasks_web.detail", task_id=task_id)))


@bp.route("/<int:task_id>/cancel", methods=["POST"])
@login_required
def cancel(task_id: int):
    guard("update", "task")
    return act(lambda: services.cancel_task(get_uow(), task_id),
               lambda t: _("Task “%(title)s” cancelled.", title=t.title),
               url_for("crm_tasks_web.detail", task_id=task_id))


@bp.route("/<int:task_id>/reschedule", methods=["POST"])
@login_required
def reschedule(task_id: int):
    guard("update", "task")
    form = request.form
    try:
        times = load_form(RescheduleTaskSchema, form, extra={"due_at": _local(form.get("due_at")),
                                                             "remind_at": _local(form.get("remind_at"))})
    except InvalidInput as exc:
        flash(refusal(exc), "error")
        return _detail_page(load_or_abort(services.get_task, task_id), values=form, errors=exc.fields), 422
    return act(lambda: services.reschedule_task(get_uow(), task_id, **times),
               lambda t: _("Task “%(title)s” moved to %(due)s.", title=t.title,
                           due=china_time(t.due_at)),
               url_for("crm_tasks_web.detail", task_id=task_id))


def tasks_today(user) -> list:
    """The desk's "my tasks today" (the desk lives in crm.leads and asks here)."""
    if user.role not in (Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN) or not can(user, "read", "task"):
        return []
    return services.my_tasks_today(get_session(), user)
