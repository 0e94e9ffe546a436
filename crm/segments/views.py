"""The customer segments page: counts per segment, the customers of one segment with their scores,
and a button to recompute now."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.queries import paginate
from core.views import act, guard
from core.web import can, get_session, get_uow
from crm.segments import services

bp = Blueprint("crm_segments_web", __name__, template_folder="templates", url_prefix="/segments")

LABELS = {"high_value": _l("High value"), "loyal": _l("Loyal"), "promising": _l("Promising"), "new": _l("New"),
          "needs_attention": _l("Needs attention"), "at_risk": _l("At risk"), "dormant": _l("Dormant")}


@bp.app_context_processor
def _labels():
    return {"segment_label": lambda s: LABELS.get(s, s)}


@bp.route("")
@login_required
def index():
    guard("read", "customer_segment")
    segment = request.args.get("segment") or None
    if segment not in (None, *services.SEGMENTS):
        abort(400)
    stmt = services.segment_query(current_user, segment=segment)
    page = paginate(get_session(), stmt, request.args.get("page", 1, type=int))
    return render_template("segments/index.html", page=page, segment=segment, labels=LABELS,
                           counts=services.counts(get_uow()),
                           may_refresh=can(current_user, "update", "customer_segment"))


@bp.route("/refresh", methods=["POST"])
@login_required
def refresh():
    guard("update", "customer_segment")
    from flask_babel import gettext as _

    return act(lambda: services.refresh(get_uow()),
               lambda result: _("Segments recomputed for %(count)s customers.", count=result.customers),
               url_for(".index"))
