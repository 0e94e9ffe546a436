"""The web UI of production: the work order list (filterable by sales order), the work order
fragment of the sales order page, and a work order's link for pages upstream that only know its id."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import NotFound
from core.views import NAV_EXTRA, guard
from core.web import get_session, get_uow
from production import queries, services
from production.models import WorkOrderState

bp = Blueprint("production_web", __name__, template_folder="templates", url_prefix="/production")

if not any(entry[0] == "production_web.work_orders" for entry in NAV_EXTRA):
    NAV_EXTRA.append(("production_web.work_orders", _l("Work orders"), ("read", "work_order")))

STATE_LABELS = {
    WorkOrderState.PLANNED: _l("Planned"), WorkOrderState.RELEASED: _l("Released"),
    WorkOrderState.IN_PROGRESS: _l("In progress"), WorkOrderState.DONE: _l("Done"),
    WorkOrderState.CANCELLED: _l("Cancelled"),
}


@bp.app_context_processor
def _labels():
    return {"work_order_state_label": lambda state: STATE_LABELS.get(state, state)}


@bp.route("/work-orders")
@login_required
def work_orders():
    guard("read", "work_order")
    sales_order = request.args.get("sales_order", "").strip()
    state = request.args.get("state") or None
    page = queries.work_orders(get_session(), current_user, sales_order=sales_order or None, state=state,
                               sales_order_id=request.args.get("sales_order_id", type=int),
                               page=request.args.get("page", 1, type=int))
    template = "production/_work_orders_table.html" if request.headers.get("HX-Request") \
        else "production/work_orders.html"
    return render_template(template, page=page, sales_order=sales_order, state=state, states=STATE_LABELS,
                           numbers={wo.id: wo.number for wo, _n in page.items})


@bp.route("/work-orders/fragment")
@login_required
def work_orders_fragment():
    """The work orders a sales order spawned, for the order page."""
    guard("read", "work_order")
    page = queries.work_orders(get_session(), current_user,
                               sales_order_id=request.args.get("sales_order_id", type=int), per_page=200)
    return render_template("production/_order_work_orders.html", page=page,
                           numbers={wo.id: wo.number for wo, _n in page.items})


@bp.route("/work-orders/<int:work_order_id>/link")
@login_required
def work_order_link(work_order_id: int):
    try:
        work_order = services.get_work_order(get_uow(), work_order_id)
    except NotFound:
        abort(404)
    return render_template("production/_work_order_link.html", wo=work_order)
