"""The web UI of purchasing: the purchase plan list (filterable by sales order) and the plan
fragment of the sales order page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.views import NAV_EXTRA, guard
from core.web import get_session
from purchasing import queries
from purchasing.models import PlanState

bp = Blueprint("purchasing_web", __name__, template_folder="templates", url_prefix="/purchasing")

if not any(entry[0] == "purchasing_web.plans" for entry in NAV_EXTRA):
    NAV_EXTRA.append(("purchasing_web.plans", _l("Purchase plans"), ("read", "purchase_plan")))

STATE_LABELS = {PlanState.OPEN: _l("Open"), PlanState.ORDERED: _l("Ordered"), PlanState.CANCELLED: _l("Cancelled")}


@bp.app_context_processor
def _labels():
    return {"plan_state_label": lambda state: STATE_LABELS.get(state, state)}


@bp.route("/plans")
@login_required
def plans():
    guard("read", "purchase_plan")
    sales_order = request.args.get("sales_order", "").strip()
    state = request.args.get("state") or None
    page = queries.plan_lines(get_session(), current_user, sales_order=sales_order or None, state=state,
                              sales_order_id=request.args.get("sales_order_id", type=int),
                              page=request.args.get("page", 1, type=int))
    template = "purchasing/_plans_table.html" if request.headers.get("HX-Request") else "purchasing/plans.html"
    return render_template(template, page=page, sales_order=sales_order, state=state, states=STATE_LABELS)


@bp.route("/plans/fragment")
@login_required
def plans_fragment():
    """The purchase plan lines a sales order spawned (for it and its work orders), for the order page."""
    guard("read", "purchase_plan")
    page = queries.plan_lines(get_session(), current_user,
                              sales_order_id=request.args.get("sales_order_id", type=int), per_page=200)
    return render_template("purchasing/_order_plans.html", page=page)
