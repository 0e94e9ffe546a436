"""The web UI of payment plans: the plan panel on the order page (set from a template or by hand,
mark the order accepted, remove the plan), and finance's list of installments with their status."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import clock
from core.forms import load_input
from core.views import act, guard, load_or_abort
from core.web import can, get_session, get_uow, in_scope
from crm.orders.models import SalesOrder
from finance.plans import services as plans
from finance.plans.models import InstallmentStatus, InstallmentTrigger
from finance.plans.schemas import SetPaymentPlanSchema

bp = Blueprint("finance_plans_web", __name__, template_folder="../templates", url_prefix="/finance/payment-plans")

TRIGGER_LABELS = {
    InstallmentTrigger.ON_CONFIRMATION: _l("On confirmation"), InstallmentTrigger.ON_DELIVERY: _l("On delivery"),
    InstallmentTrigger.AFTER_ACCEPTANCE: _l("After acceptance"), InstallmentTrigger.ON_DATE: _l("On a fixed date"),
}
STATUS_LABELS = {
    InstallmentStatus.PLANNED: _l("Planned"), InstallmentStatus.INVOICED: _l("Invoiced"),
    InstallmentStatus.PARTIALLY_PAID: _l("Partially paid"), InstallmentStatus.PAID: _l("Paid"),
    InstallmentStatus.CANCELLED: _l("Cancelled"),
}
TEMPLATE_LABELS = {
    "30/60/10": _l("deposit on confirmation, then on delivery, then after acceptance"),
    "30/70": _l("deposit on confirmation, then on delivery"),
    "50/50": _l("deposit on confirmation, then on delivery"),
    "100/delivery": _l("all on delivery"),
}
#: Rows of the hand-made plan form.
FORM_ROWS = 4

@bp.app_context_processor
def _plan_labels():
    return {"trigger_label": lambda value: TRIGGER_LABELS.get(value, value),
            "installment_status_label": lambda value: STATUS_LABELS.get(value, value)}


def _may_change(order: SalesOrder) -> bool:
    return can(current_user, "update", "payment_plan") and in_scope(current_user, "update", "sales_order", order)


@bp.route("/fragment")
@login_required
def fragment():
    """The order's plan for the order page, with the forms for those who may change it."""
    guard("read", "payment_plan")
    order_id = request.args.get("sales_order_id", type=int)
    if order_id is None:
        abort(404)
    order, plan = load_or_abort(plans.find_plan, order_id)
    view = plans.plan_view(order, plan, today=clock.today()) if plan is not None else None
    changeable = _may_change(order)
    return render_template(
        "finance/_payment_plan.html", order=order, plan=plan, view=view, changeable=changeable,
        editable=changeable and plans.terms_open(get_session(), order), templates=TEMPLATE_LABELS,
        triggers=TRIGGER_LABELS, rows=range(FORM_ROWS),
        acceptable=changeable and plan is not None and plan.accepted_on is None
        and order.state in plans.DELIVERED_ORDER_STATES,
        may_read_invoices=can(current_user, "read", "invoice"))


def _plan_section(order_id: int) -> str:
    return url_for("crm_web.order_detail", order_id=order_id) + "#payment-plan"


def _back(order_id: int):
    return redirect(_plan_section(order_id), 303)


#: The form's input of each `InstallmentInputSchema` field, per row: `<input>-<row>`.
ROW_INPUTS = {"label": "label", "percent": "percent", "amount": "amount", "trigger": "trigger", "days_after": "days",
              "due_date": "date"}


def _rows(form) -> dict[str, dict]:
    """The hand-made installments of the form as `InstallmentInputSchema` input, by row number: the rows
    with a percentage or an amount typed (a percentage may end in %), blanks left out."""
    rows = {}
    for index in range(FORM_ROWS):
        typed = {field: form.get(f"{name}-{index}", "").strip() for field, name in ROW_INPUTS.items()}
        typed["percent"] = typed["percent"].removesuffix("%").strip()
        if typed["percent"] or typed["amount"]:
            rows[str(index)] = {field: value for field, value in typed.items() if value}
    return rows


@bp.route("/<int:order_id>", methods=["POST"])
@login_required
def set_plan(order_id: int):
    """Set the plan from a template, or from the rows typed in."""
    guard("update", "payment_plan")
    template = request.form.get("template") or None
    rows = {} if template else _rows(request.form)

    def call():
        data = load_input(SetPaymentPlanSchema, {"template": template} if template else
                          {"installments": list(rows.values())}, row_keys={"installments": list(rows)})
        return plans.set_payment_plan(get_uow(), order_id, data)
    return act(call,
               lambda plan: _("Payment plan saved: %(count)s installments.", count=len(plan.installments)),
               _plan_section(order_id))


@bp.route("/<int:order_id>/accept", methods=["POST"])
@login_required
def accept(order_id: int):
    guard("update", "payment_plan")
    return act(lambda: plans.accept_order(get_uow(), order_id),
               lambda plan: _("Order accepted on %(day)s.", day=plan.accepted_on.isoformat()), _plan_section(order_id))


@bp.route("/<int:order_id>/remove", methods=["POST"])
@login_required
def remove(order_id: int):
    guard("update", "payment_plan")
    return act(lambda: plans.remove_payment_plan(get_uow(), order_id),
               lambda _removed: _("Payment plan removed: the order is invoiced as it ships."), _plan_section(order_id))


@bp.route("/installments")
@login_required
def installments():
    """Finance's list of installments: status, due date, invoice and what is open, overdue first."""
    guard("read", "invoice")
    status = request.args.get("status") or None
    overdue = request.args.get("overdue") == "1"
    page = plans.installments_page(get_session(), current_user, status=status, overdue=overdue,
                                   page=request.args.get("page", 1, type=int))
    return render_template("finance/installments.html", page=page, status=status, overdue=overdue,
                           statuses=STATUS_LABELS)
