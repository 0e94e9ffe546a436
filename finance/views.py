"""The web UI of credit control on the sales order page: the customer's limit, exposure and
available credit (a fragment), and finance's approval of one order over the limit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core.errors import DomainError, Forbidden, InvalidInput, NotFound
from core.views import guard
from core.web import get_session, get_uow
from finance import services

bp = Blueprint("finance_web", __name__, template_folder="templates", url_prefix="/finance")


@bp.route("/credit/fragment")
@login_required
def credit_fragment():
    """A customer's credit, for the order page; with the approval form for finance on a draft."""
    guard("read", "credit")
    customer_id = request.args.get("customer_id", type=int)
    try:
        status = services.customer_credit(get_uow(), customer_id)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    return render_template("finance/_credit.html", status=status,
                           sales_order_id=request.args.get("sales_order_id", type=int),
                           draft=request.args.get("state", "draft") == "draft")


@bp.route("/credit-approvals", methods=["POST"])
@login_required
def approve_credit():
    """Finance lets one draft order through the credit limit, with a reason."""
    guard("create", "credit_approval")
    order_id = request.form.get("sales_order_id", type=int)
    if order_id is None:
        abort(400)
    try:
        approval = services.approve_credit(get_uow(), order_id, reason=request.form.get("reason", ""))
        flash(_("Approved over the credit limit up to %(total)s. The order can now be confirmed.",
                total=f"{approval.approved_total:,.2f}"), "success")
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        get_session().rollback()
        if "reason" in exc.fields:
            flash(_("Give a reason for the approval; nothing was approved."), "error")
        else:
            flash(exc.message, "error")
    except DomainError as exc:
        get_session().rollback()
        flash(exc.message, "error")
    return redirect(url_for("crm_web.order_detail", order_id=order_id), 303)
