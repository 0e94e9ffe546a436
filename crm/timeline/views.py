"""The customer 360 page (the whole timeline with filters by kind and paging) and its short panel on
the customer page. Views parse the arguments, call the timeline service and render."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import Forbidden, InvalidInput, NotFound
from core.permissions import can
from core.views import add_detail_panel, guard, load_or_abort
from core.web import get_uow
from crm.leads.clock import CHINA
from crm.timeline import registry

bp = Blueprint("crm_timeline_web", __name__, template_folder="templates", url_prefix="/customers")

add_detail_panel("customer", "crm_timeline_web.panel", _l("Customer 360"), ("read", registry.RESOURCE),
                 "customer_id")
PANEL_SIZE = 5


def link(entry: registry.TimelineEntry) -> str | None:
    """The entry's own page, for roles that may open it."""
    if entry.endpoint is None or (entry.permission and not can(current_user, *entry.permission)):
        return None
    return url_for(entry.endpoint, **entry.params)


@bp.app_context_processor
def _helpers():
    return {"timeline_link": link, "timeline_kind_label": lambda kind: getattr(registry.SOURCES.get(kind), "label",
                                                                               kind),
            "timeline_time": lambda moment: moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")}


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
                           sources=registry.ordered_sources(), newest_first=newest_first)


@bp.route("/<int:customer_id>/timeline/panel")
@login_required
def panel(customer_id: int):
    """The customer page's panel: the latest entries and the way to the whole timeline."""
    guard("read", registry.RESOURCE)
    page = load_or_abort(lambda uow, cid: registry.customer_timeline(uow, cid, per_page=PANEL_SIZE), customer_id)
    return render_template("timeline/_panel.html", page=page, customer=page.customer)
