"""The web UI of the warehouse: the stock-and-locks page (search a product: its balance in
each warehouse and who holds its locks), the locks fragment of the sales order page, and shipping:
the orders ready to ship, their pick lists (shipments in draft, backorders among them), shipping a
pick list and its printed delivery note. Goods receipt books against purchase orders, so its pages
live in purchasing.

Work orders live downstream in production, so a lock held by a work order is named through the app
registry's `work_order_links`, which production fills, not by reading production's tables here."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core import queries as core_queries
from core import services as core_services
from core.errors import DomainError, NotFound
from core.forms import load_form
from core.models import Product, Warehouse
from core.pdf import DEFAULT_COMPANY
from core.registry import current_registry
from core.views import act, guard, load_or_abort, refusal
from core.web import can, get_session, get_uow, scoped
from crm.orders.models import SalesOrder
from inventory import queries, shipping
from inventory.documents import DeliveryLineData, DeliveryNoteData, render_delivery_note
from inventory.models import Shipment, ShipmentState
from inventory.schemas import CreateShipmentSchema

bp = Blueprint("inventory_web", __name__, template_folder="templates", url_prefix="/inventory")

SHIPMENT_STATE_LABELS = {ShipmentState.DRAFT: _l("To pick"), ShipmentState.SHIPPED: _l("Shipped"),
                         ShipmentState.CANCELLED: _l("Cancelled")}


@bp.app_context_processor
def _shipment_labels():
    return {"shipment_state_label": lambda state: SHIPMENT_STATE_LABELS.get(state, state)}


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
                           show_locks=show_locks, readable_orders=_readable_orders(session, locks),
                           work_orders=_work_order_links(session, locks))


def _work_order_links(session, locks) -> dict[int, tuple[str, str]]:
    """The number and link of each work order holding one of the locks, for those the reader may see."""
    ids = {r.work_order_id for r, *_rest in locks if r.work_order_id}
    links: dict[int, tuple[str, str]] = {}
    for resolve in current_registry().work_order_links.values() if ids else ():
        links.update(resolve(session, current_user, ids))
    return links


def _readable_orders(session, locks) -> set[int]:
    """The ids of the locks' sales orders that the reader may open: a lock can belong to another team's
    order, whose number is shown without a link the reader would only be refused behind."""
    ids = {r.sales_order_id for r, *_rest in locks if r.sales_order_id}
    if not ids or not can(current_user, "read", "sales_order"):
        return set()
    return set(session.scalars(scoped(current_user, "sales_order", select(SalesOrder.id))
                               .where(SalesOrder.id.in_(ids))))


@bp.route("/locks/fragment")
@login_required
def reservations_fragment():
    """The stock a sales order holds (its lines' and its work orders' locks), for the order page."""
    guard("read", "reservation")
    session = get_session()
    locks = queries.active_locks(session, current_user, sales_order_id=request.args.get("sales_order_id", type=int))
    return render_template("inventory/_order_locks.html", locks=locks, work_orders=_work_order_links(session, locks))


# --------------------------------------------------------------------------- shipping


@bp.route("/shipping")
@login_required
def shipping_desk():
    """Orders with stock reserved and not shipped, and the pick lists waiting to be shipped."""
    guard("create", "shipment")
    session = get_session()
    ready = queries.orders_ready_to_ship(session, current_user)
    picking = queries.shipments(session, current_user, state=ShipmentState.DRAFT.value, per_page=200).items
    pending = {s.sales_order_id: s for s in picking}
    shipped = queries.shipments(session, current_user, state=ShipmentState.SHIPPED.value, per_page=10).items
    orders = queries.orders_of(session, picking + shipped)
    return render_template("inventory/shipping.html", ready=ready, picking=picking, shipped=shipped, orders=orders,
                           pending=pending)


@bp.route("/shipments", methods=["POST"])
@login_required
def shipment_create():
    """A pick list of everything reserved for the order."""
    guard("create", "shipment")
    try:
        shipment = shipping.create_shipment(get_uow(), load_form(CreateShipmentSchema, request.form))
    except DomainError as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("inventory_web.shipping_desk"), 303)
    flash(_("Pick list %(number)s is ready.", number=shipment.number), "success")
    return redirect(url_for("inventory_web.shipment_detail", shipment_id=shipment.id), 303)


def _load_shipment(shipment_id: int) -> Shipment:
    return load_or_abort(shipping.get_shipment, shipment_id)


@bp.route("/shipments/<int:shipment_id>")
@login_required
def shipment_detail(shipment_id: int):
    guard("read", "shipment")
    shipment = _load_shipment(shipment_id)
    session = get_session()
    order = session.get(SalesOrder, shipment.sales_order_id)
    backorder = queries.backorder_of(session, shipment.id)
    return render_template("inventory/shipment_detail.html", shipment=shipment, order=order,
                           lines={line.id: line for line in order.lines}, backorder=backorder,
                           origin=session.get(Shipment, shipment.backorder_of_id) if shipment.backorder_of_id else None)


@bp.route("/shipments/<int:shipment_id>/ship", methods=["POST"])
@login_required
def shipment_ship(shipment_id: int):
    guard("update", "shipment")
    return act(lambda: shipping.ship_shipment(get_uow(), shipment_id),
               lambda shipment: _("Shipment %(number)s has left the warehouse.", number=shipment.number),
               url_for("inventory_web.shipment_detail", shipment_id=shipment_id))


@bp.route("/shipments/<int:shipment_id>/cancel", methods=["POST"])
@login_required
def shipment_cancel(shipment_id: int):
    guard("update", "shipment")
    return act(lambda: shipping.cancel_shipment(get_uow(), shipment_id),
               lambda shipment: _("Pick list %(number)s is dropped; the stock stays reserved for the order.",
                                  number=shipment.number),
               url_for("inventory_web.shipping_desk"))


def delivery_note_data(shipment: Shipment, order: SalesOrder, warehouse: Warehouse | None,
                       backorder: Shipment | None) -> DeliveryNoteData:
    """The shipment as the printed delivery note needs it (plain data, no ORM objects). What is to
    follow is the order line's quantity not shipped yet (after this shipment, when it is a draft)."""
    lines = {line.id: line for line in order.lines}
    items = []
    for item in shipment.lines:
        line = lines[item.sales_order_line_id]
        after = line.open_qty - (item.qty if shipment.state == ShipmentState.DRAFT else Decimal(0))
        items.append(DeliveryLineData(position=item.position, sku=item.product.sku, name=item.product.name,
                                      uom=item.product.uom, qty=item.qty, qty_ordered=line.qty,
                                      qty_backordered=max(after, Decimal(0))))
    return DeliveryNoteData(
        number=shipment.number, state=str(SHIPMENT_STATE_LABELS.get(shipment.state, shipment.state)),
        sales_order=order.number, customer_code=order.customer.code, customer_name=order.customer.name,
        warehouse=f"{warehouse.code} — {warehouse.name}" if warehouse else "", lines=items,
        shipped_on=shipment.shipped_at.date() if shipment.shipped_at else None,
        backorder=backorder.number if backorder else "",
        company=current_app.config.get("COMPANY_NAME", DEFAULT_COMPANY))


@bp.route("/shipments/<int:shipment_id>.pdf")
@login_required
def delivery_note_pdf(shipment_id: int):
    guard("read", "shipment")
    shipment = _load_shipment(shipment_id)
    session = get_session()
    order = session.get(SalesOrder, shipment.sales_order_id)
    backorder = queries.backorder_of(session, shipment.id)
    data = delivery_note_data(shipment, order, session.get(Warehouse, shipment.warehouse_id), backorder)
    return Response(render_delivery_note(data), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{shipment.number}.pdf"'})
