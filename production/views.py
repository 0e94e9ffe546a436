"""The web UI of production: the work order list (filterable by sales order), the work order
fragment of the sales order page, work orders' links for pages upstream that only know their ids, and
the shop floor's board: work orders by state with their components' availability, the release,
start, complete and cancel buttons, and the printed work order sheet."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.errors import InvalidInput
from core.forms import load_form
from core.models import Product, Warehouse
from core.pdf import DEFAULT_COMPANY
from core.views import act, guard, load_or_abort
from core.web import can, get_session, get_uow, scoped
from crm.orders.models import SalesOrder
from inventory.models import StockBalance
from production import execution, queries, services
from production.documents import ComponentData, WorkOrderData, render_work_order_sheet
from production.models import WorkOrder, WorkOrderState
from production.schemas import CompleteWorkOrderSchema, ReleaseWorkOrderSchema

bp = Blueprint("production_web", __name__, template_folder="templates", url_prefix="/production")

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


def work_order_links(session, actor, ids) -> dict[int, tuple[str, str]]:
    """The number and list link of each of some work orders the actor may read, in one query: how the
    warehouse's locks tables name the work orders holding stock (a `work_order_links` of the registry)."""
    if not can(actor, "read", "work_order"):
        return {}
    rows = session.execute(scoped(actor, "work_order", select(WorkOrder.id, WorkOrder.number,
                                                              WorkOrder.sales_order_id))
                           .where(WorkOrder.id.in_(ids)))
    return {wo_id: (number, (url_for("production_web.work_orders", sales_order_id=order_id) if order_id
                             else url_for("production_web.work_orders")) + f"#wo-{wo_id}")
            for wo_id, number, order_id in rows}


# --------------------------------------------------------------------------- the shop floor's board

BOARD_STATES = (WorkOrderState.PLANNED, WorkOrderState.RELEASED, WorkOrderState.IN_PROGRESS)


def _availability(session, work_orders: list[WorkOrder]) -> tuple[dict[int, Product], dict[tuple[int, int], Decimal]]:
    """The components' products and what of each is available (on hand, not locked) in each warehouse."""
    product_ids = {c.product_id for wo in work_orders for c in wo.components} | {wo.product_id for wo in work_orders}
    if not product_ids:
        return {}, {}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    available = {(b.product_id, b.warehouse_id): b.on_hand - b.reserved
                 for b in session.scalars(select(StockBalance).where(StockBalance.product_id.in_(product_ids)))}
    return products, available


@bp.route("/board")
@login_required
def board():
    guard("read", "work_order")
    session = get_session()
    rows = {state: queries.work_orders(session, current_user, state=state.value, per_page=100).items
            for state in BOARD_STATES}
    columns = {state: [wo for wo, _n in items] for state, items in rows.items()}
    numbers = {wo.sales_order_id: n for items in rows.values() for wo, n in items if n}
    products, available = _availability(session, [wo for column in columns.values() for wo in column])
    return render_template("production/board.html", columns=columns, products=products, available=available,
                           order_numbers=numbers, can_override=can(current_user, "update", execution.OVERRIDE))


def _act(work_order_id: int, command, success: str):
    guard("update", "work_order")
    return act(lambda: command(get_uow()), lambda work_order: success % {"number": work_order.number},
                    url_for("production_web.board"))


@bp.route("/work-orders/<int:work_order_id>/release", methods=["POST"])
@login_required
def work_order_release(work_order_id: int):
    return _act(work_order_id, lambda uow: execution.release_work_order(
                    uow, work_order_id, **load_form(ReleaseWorkOrderSchema, request.form)),
                _("Work order %(number)s is released to the shop floor."))


@bp.route("/work-orders/<int:work_order_id>/start", methods=["POST"])
@login_required
def work_order_start(work_order_id: int):
    return _act(work_order_id, lambda uow: execution.start_work_order(uow, work_order_id),
                _("Work order %(number)s is started; its components are issued."))


@bp.route("/work-orders/<int:work_order_id>/complete", methods=["POST"])
@login_required
def work_order_complete(work_order_id: int):
    guard("update", "work_order")
    try:
        qty = load_form(CompleteWorkOrderSchema, request.form)["qty"]
    except InvalidInput as exc:
        flash(" ".join([_("“%(value)s” is not a quantity.", value=request.form.get("qty", "").strip()),
                        *exc.fields.get("qty", [])]), "error")
        return redirect(url_for("production_web.board"), 303)
    return _act(work_order_id, lambda uow: execution.complete_work_order(uow, work_order_id, qty=qty),
                _("Finished goods of work order %(number)s are in stock and reserved for their order."))


@bp.route("/work-orders/<int:work_order_id>/cancel", methods=["POST"])
@login_required
def work_order_cancel(work_order_id: int):
    return _act(work_order_id, lambda uow: execution.cancel_work_order(uow, work_order_id),
                _("Work order %(number)s is cancelled; its stock locks are released."))


def work_order_data(work_order: WorkOrder, *, products: dict[int, Product], warehouse: Warehouse | None,
                    sales_order: str = "", parent: str = "") -> WorkOrderData:
    """The work order as the printed sheet needs it (plain data, no ORM objects)."""
    components = []
    for c in work_order.components:
        product = products.get(c.product_id)
        components.append(ComponentData(sku=product.sku if product else str(c.product_id),
                                        name=product.name if product else "", uom=product.uom if product else "",
                                        qty_required=c.qty_required, qty_reserved=c.qty_reserved or Decimal(0),
                                        qty_issued=c.qty_issued or Decimal(0)))
    return WorkOrderData(
        number=work_order.number, state=str(STATE_LABELS.get(work_order.state, work_order.state)),
        sku=work_order.product.sku, name=work_order.product.name, uom=work_order.product.uom, qty=work_order.qty,
        qty_done=work_order.qty_done or Decimal(0), start_date=work_order.start_date, due_date=work_order.due_date,
        warehouse=f"{warehouse.code} — {warehouse.name}" if warehouse else "", components=components,
        sales_order=sales_order, parent_work_order=parent,
        company=current_app.config.get("COMPANY_NAME", DEFAULT_COMPANY))


@bp.route("/work-orders/<int:work_order_id>.pdf")
@login_required
def work_order_pdf(work_order_id: int):
    guard("read", "work_order")
    session = get_session()
    work_order = load_or_abort(services.get_work_order, work_order_id)
    products, _available = _availability(session, [work_order])
    order = session.get(SalesOrder, work_order.sales_order_id) if work_order.sales_order_id else None
    parent = session.get(WorkOrder, work_order.parent_work_order_id) if work_order.parent_work_order_id else None
    data = work_order_data(work_order, products=products, warehouse=session.get(Warehouse, work_order.warehouse_id),
                           sales_order=order.number if order else "", parent=parent.number if parent else "")
    return Response(render_work_order_sheet(data), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{work_order.number}.pdf"'})
