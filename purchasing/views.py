"""The web UI of purchasing: the purchase plan list (filterable by sales order, with "create purchase
orders" for the open lines), the plan fragment of the sales order page, purchase orders (list, detail,
confirm, cancel, printed PDF), and the warehouse's receipts to book with the receive form.

Receiving lives here, not in inventory, because the purchase order it books against is purchasing's;
the stock moves and the allocation of what came in are the receive service's business."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import DomainError, InvalidInput
from core.forms import load_input
from core.models import Warehouse
from core.pdf import DEFAULT_COMPANY
from core.views import act, guard, load_or_abort, refusal
from core.web import can, get_session, get_uow
from crm.orders import services as crm_services
from purchasing import queries, services
from purchasing.documents import PurchaseOrderData, PurchaseOrderLineData, render_purchase_order
from purchasing.models import PlanState, PurchaseOrder, PurchaseOrderLine, PurchaseOrderState
from purchasing.schemas import OrderFromPlansSchema, ReceivePurchaseOrderSchema

bp = Blueprint("purchasing_web", __name__, template_folder="templates", url_prefix="/purchasing")

# A quantity typed as zero on the receive form ("0", "0.00"): that line did not arrive this time.
_TYPED_ZERO = re.compile(r"^[+-]?(0[0,]*(\.0*)?|\.0+)$")

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


# --------------------------------------------------------------------------- purchase orders and receipts

ORDER_STATE_LABELS = {
    PurchaseOrderState.DRAFT: _l("Draft"), PurchaseOrderState.CONFIRMED: _l("Confirmed"),
    PurchaseOrderState.PARTIALLY_RECEIVED: _l("Partially received"), PurchaseOrderState.RECEIVED: _l("Received"),
    PurchaseOrderState.CANCELLED: _l("Cancelled"),
}
RECEIVABLE = (PurchaseOrderState.CONFIRMED.value, PurchaseOrderState.PARTIALLY_RECEIVED.value)


@bp.app_context_processor
def _order_labels():
    return {"purchase_order_state_label": lambda state: ORDER_STATE_LABELS.get(state, state)}


def _load_order(order_id: int) -> PurchaseOrder:
    return load_or_abort(services.get_purchase_order, order_id)


@bp.route("/plans/order", methods=["POST"])
@login_required
def plans_order():
    """Draft purchase orders from the open plan lines ticked on the plan list (or all open ones)."""
    guard("create", "purchase_order")
    try:
        ticked = load_input(OrderFromPlansSchema, {"plan_ids": request.form.getlist("plan_id")})["plan_ids"]
        orders = services.create_orders_from_plans(get_uow(), ticked or None)
    except DomainError as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("purchasing_web.plans", state=PlanState.OPEN.value), 303)
    flash(_("Draft purchase orders created (%(num)s): %(numbers)s.", num=len(orders),
            numbers=", ".join(o.number for o in orders)), "success")
    if len(orders) == 1:
        return redirect(url_for("purchasing_web.order_detail", order_id=orders[0].id), 303)
    return redirect(url_for("purchasing_web.orders", state=PurchaseOrderState.DRAFT.value), 303)


@bp.route("/orders")
@login_required
def orders():
    guard("read", "purchase_order")
    state = request.args.get("state") or None
    page = queries.purchase_orders(get_session(), current_user, state=state,
                                   page=request.args.get("page", 1, type=int))
    template = "purchasing/_orders_table.html" if request.headers.get("HX-Request") else "purchasing/orders.html"
    return render_template(template, page=page, state=state, states=ORDER_STATE_LABELS)


@bp.route("/receipts")
@login_required
def receipts():
    """The warehouse's list of confirmed purchase orders with goods still to come in."""
    guard("create", "goods_receipt")
    session = get_session()
    waiting = [order for state in RECEIVABLE
               for order in queries.purchase_orders(session, current_user, state=state, per_page=200).items]
    waiting.sort(key=lambda o: (min((line.expected_date for line in o.lines if line.qty_open > 0),
                                    default=o.order_date), o.id))
    return render_template("purchasing/receipts.html", orders=waiting)


@bp.route("/orders/<int:order_id>")
@login_required
def order_detail(order_id: int):
    guard("read", "purchase_order")
    order = _load_order(order_id)
    return render_template("purchasing/order_detail.html", order=order,
                           warehouse=get_session().get(Warehouse, order.warehouse_id),
                           receivable=order.state in RECEIVABLE and can(current_user, "create", "goods_receipt"))


@bp.route("/orders/<int:order_id>/confirm", methods=["POST"])
@login_required
def order_confirm(order_id: int):
    guard("update", "purchase_order")
    return act(lambda: services.confirm_purchase_order(get_uow(), order_id),
               lambda order: _("Purchase order %(number)s is confirmed and can be sent to the supplier.",
                               number=order.number),
               url_for("purchasing_web.order_detail", order_id=order_id))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@login_required
def order_cancel(order_id: int):
    guard("update", "purchase_order")
    return act(lambda: services.cancel_purchase_order(get_uow(), order_id),
               lambda order: _("Purchase order %(number)s is cancelled; its plan lines are open again.",
                               number=order.number),
               url_for("purchasing_web.order_detail", order_id=order_id))


def _receipt_rows(form) -> dict[str, dict[str, str]]:
    """The receive form as `ReceivePurchaseOrderSchema` lines, by form key: one per quantity typed
    (`qty-<product id>`); blank or a typed zero means not this time."""
    return {key: {"product_id": key.removeprefix("qty-"), "qty": raw.strip()} for key, raw in form.items()
            if key.startswith("qty-") and key.removeprefix("qty-").isdigit() and raw.strip()
            and not _TYPED_ZERO.match(raw.strip())}


@bp.route("/orders/<int:order_id>/receive", methods=["POST"])
@login_required
def order_receive(order_id: int):
    """Book a goods receipt: the quantities that arrived, per line (partial receipts allowed)."""
    guard("create", "goods_receipt")
    rows = _receipt_rows(request.form)
    back = url_for("purchasing_web.order_detail", order_id=order_id)
    if not rows:
        flash(_("Enter the quantity that arrived on at least one line."), "error")
        return redirect(back, 303)
    try:
        lines = load_input(ReceivePurchaseOrderSchema, {"lines": list(rows.values())},
                           row_keys={"lines": list(rows)})["lines"]
    except InvalidInput as exc:
        refused = exc.fields.get("lines", {})
        flash(" ".join(" ".join([_("“%(value)s” is not a quantity.", value=rows[key]["qty"]),
                                 *(refused[key].get("qty", []) if isinstance(refused[key], dict) else [])])
                       for key in rows if key in refused), "error")
        return redirect(back, 303)
    return act(lambda: services.receive_purchase_order(get_uow(), order_id, lines,
                                                       tolerance=current_app.config["SETTINGS"].receipt_tolerance),
               lambda order: _("Receipt booked on %(number)s; the goods are in stock and allocated to the "
                               "waiting orders.", number=order.number),
               back)


def purchase_order_data(order: PurchaseOrder, warehouse: Warehouse | None) -> PurchaseOrderData:
    """The purchase order as the printed document needs it (plain data, no ORM objects)."""
    return PurchaseOrderData(
        number=order.number, state=str(ORDER_STATE_LABELS.get(order.state, order.state)), order_date=order.order_date,
        supplier_code=order.supplier.code, supplier_name=order.supplier.name,
        warehouse=f"{warehouse.code} — {warehouse.name}" if warehouse else "", currency=order.currency,
        total=order.total, company=current_app.config.get("COMPANY_NAME", DEFAULT_COMPANY),
        lines=[PurchaseOrderLineData(position=line.position, sku=line.product.sku, name=line.product.name,
                                     uom=line.product.uom, qty=line.qty, unit_price=line.unit_price,
                                     amount=line.amount, expected_date=line.expected_date,
                                     qty_received=line.qty_received) for line in order.lines])


@bp.route("/orders/<int:order_id>.pdf")
@login_required
def order_pdf(order_id: int):
    guard("read", "purchase_order")
    order = _load_order(order_id)
    pdf = render_purchase_order(purchase_order_data(order, get_session().get(Warehouse, order.warehouse_id)))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{order.number}.pdf"'})


@bp.route("/order-lines/<int:line_id>")
@login_required
def order_of_line(line_id: int):
    """The purchase order a plan line was ordered on (plans only know the order line)."""
    guard("read", "purchase_order")
    line = get_session().get(PurchaseOrderLine, line_id)
    if line is None:
        abort(404)
    return redirect(url_for("purchasing_web.order_detail", order_id=line.order_id))


# --------------------------------------------------------------------------- the order page's expected dates


@bp.route("/expected-dates/fragment")
@login_required
def expected_dates_fragment():
    """When what each line of a sales order still lacks is expected, from the supply pegged to it
    (work order due date, purchase order line date, or the plan's need-by date): out-of-band swaps
    into the progress table of the order page, which crm renders without knowing about supply."""
    guard("read", "sales_order")
    order = load_or_abort(crm_services.get_order, request.args.get("sales_order_id", type=int))
    dates = queries.expected_dates(get_session(), [line.id for line in order.lines])
    return render_template("purchasing/_expected_dates.html", order=order, dates=dates)
