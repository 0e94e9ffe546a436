"""The web UI of the warehouse: the stock-and-locks page (search a product: its balance in
each warehouse and who holds its locks) and the locks fragment of the sales order page.

Work orders live downstream in production, so a lock held by a work order names it through
production's own small link fragment (htmx), not by reading production's tables here."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import queries as core_queries
from core import services as core_services
from core.errors import NotFound
from core.models import Product
from core.permissions import can
from core.views import NAV_EXTRA, guard
from core.web import get_session, get_uow
from inventory import queries

bp = Blueprint("inventory_web", __name__, template_folder="templates", url_prefix="/inventory")

if not any(entry[0] == "inventory_web.stock" for entry in NAV_EXTRA):
    NAV_EXTRA.append(("inventory_web.stock", _l("Stock and locks"), ("read", "stock")))


@bp.route("/stock")
@login_required
def stock():
    guard("read", "stock")
    session = get_session()
    q = request.args.get("q", "").strip()
    product_id = request.args.get("product_id", type=int)
    matches = core_queries.products(session, current_user, q=q, per_page=20).items if q else []
    if product_id is None and q:
        exact = [p for p in matches if p.sku.lower() == q.lower()]
        if exact or len(matches) == 1:
            product_id = (exact or matches)[0].id
    product = None
    if product_id is not None:
        try:
            product = core_services.get_record(get_uow(), Product, product_id, "product")
        except NotFound:
            product = None
    balances = queries.product_balances(session, current_user, product.id) if product else []
    show_locks = can(current_user, "read", "reservation")
    locks = queries.active_locks(session, current_user, product_id=product.id) if product and show_locks else []
    template = "inventory/_stock_result.html" if request.headers.get("HX-Request") else "inventory/stock.html"
    return render_template(template, q=q, matches=matches, product=product, balances=balances, locks=locks,
                           show_locks=show_locks)


@bp.route("/locks/fragment")
@login_required
def reservations_fragment():
    """The stock a sales order holds (its lines' and its work orders' locks), for the order page."""
    guard("read", "reservation")
    locks = queries.active_locks(get_session(), current_user,
                                 sales_order_id=request.args.get("sales_order_id", type=int))
    return render_template("inventory/_order_locks.html", locks=locks)
