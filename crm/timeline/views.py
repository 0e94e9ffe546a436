"""The customer 360 page (the whole timeline with filters by kind and paging) and its short panel on
the customer page. Views parse the arguments, call the timeline service and render."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from core.errors import Forbidden, InvalidInput, NotFound
from core.formatting import china_time
from core.models import Customer
from core.registry import current_registry
from core.views import guard
from core.web import get_uow, in_scope
from crm.timeline import registry

bp = Blueprint("crm_timeline_web", __name__, template_folder="templates", url_prefix="/customers")

PANEL_SIZE = 5


@bp.app_context_processor
def _helpers():
    return {"timeline_link": lambda entry: registry.link(entry, current_user),
            "timeline_kind_label": lambda kind: getattr(current_registry().timeline_sources.get(kind), "label", kind),
            "timeline_time": china_time}


@bp.route("/<int:customer_id>/timeline")
@login_required
def customer(customer_id: int):
    guard("read", registry.RESOURCE)
    args = request.args
    chosen = [k for k in args.getlist("kind") if k]
    newest_first = args.get("order", "desc") != "asc"
    try:
        page = registry.customer_timeline(get_uow(), customer_id, kinds=chosen, page=args.get("page", 1, type=int),
                                          per_page=50, newest_first=newest_first)
    except InvalidInput:
        abort(400)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    return render_template("timeline/customer.html", page=page, customer=page.customer, chosen=chosen,
                           sources=registry.ordered_sources(current_registry()), newest_first=newest_first)


@bp.route("/<int:customer_id>/timeline/panel")
@login_required
def panel(customer_id: int):
    """The customer page's panel: the latest entries and the way to the whole timeline."""
    guard("read", registry.RESOURCE)
    uow = get_uow()
    try:
        page = registry.customer_timeline(uow, customer_id, per_page=PANEL_SIZE)
    except NotFound:
        # A rep reads the customers of the unowned pool, but their timelines belong to an owner: the
        # customer page still shows this panel, which must say so rather than stay at "Loading…".
        customer = uow.session.get(Customer, customer_id)
        if customer is None or not in_scope(current_user, "read", "customer", customer):
            abort(404)
        return render_template("timeline/_panel_closed.html")
    return render_template("timeline/_panel.html", page=page, customer=page.customer)
