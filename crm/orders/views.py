"""The web UI of sales orders: list, entry (with a live preview of the totals), detail,
confirmation, cancellation and the explicit "delivered" act of an order's services.

Views parse the form, call one service (or one read-only query) and render or redirect.
The totals shown while typing come from `queries.preview_order`, which runs the model's
own line and total computation; templates and scripts do no arithmetic. Other departments'
parts of the order page (credit, stock locks, work orders, purchase plans) are fragments
served by their own modules and pulled in with htmx."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError

from core import queries as core_queries
from core.errors import DomainError, Forbidden
from core.formatting import money, plain
from core.forms import load_input
from core.registry import current_registry
from core.views import act, detail_panels, guard, load_or_abort
from core.web import can, get_session, get_uow
from crm.orders import queries, schemas, services
from crm.orders.models import OrderState

bp = Blueprint("crm_web", __name__, template_folder="templates", url_prefix="/sales-orders")

# Its menu entry and its panel on the customer page (the customer's orders with their shipment and
# payment status) are added by `crm.init_app`.


def order_flags(orders: list) -> dict[int, list[str]]:
    """The flags other modules put on orders in the order lists and on the order page (the app
    registry's `order_flags`: finance adds "Overdue", an open invoice past due; crm imports none)."""
    flags: dict[int, list[str]] = {}
    if orders:
        for flag in current_registry().order_flags.values():
            for order_id, label in flag(get_session(), orders).items():
                flags.setdefault(order_id, []).append(label)
    return flags


STATE_LABELS = {
    OrderState.DRAFT: _l("Draft"), OrderState.CONFIRMED: _l("Confirmed"),
    OrderState.PARTIALLY_SHIPPED: _l("Partially shipped"), OrderState.SHIPPED: _l("Shipped"),
    OrderState.DONE: _l("Done"), OrderState.CANCELLED: _l("Cancelled"),
}
PROGRESS_LABELS = {
    "none": _l("not shipped"), "partial": _l("partly"), "shipped": _l("shipped"),
    "unpaid": _l("unpaid"), "paid": _l("paid"), "invoiced": _l("invoiced"),
}
LINE_FIELDS = ("product_id", "qty", "unit_price", "discount")
HEADER_FIELDS = ("customer_id", "warehouse_id", "requested_date", "customer_reference", "note")
EMPTY_ROWS = 3  # blank lines offered on a new order


@bp.app_context_processor
def _labels():
    return {"order_state_label": lambda state: STATE_LABELS.get(state, state),
            "order_progress_label": lambda status: PROGRESS_LABELS.get(status, status)}


# Display formats shared by the order pages and the fragments other modules serve into them.
# --------------------------------------------------------------------------- form parsing


def _rows(form) -> list[dict[str, str]]:
    """The line rows of the form (`lines-<key>-<field>`), in the order they were entered."""
    keys: list[int] = []
    for name in form:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) not in keys:
            keys.append(int(parts[1]))
    return [{"key": key, **{f: form.get(f"lines-{key}-{f}", "").strip() for f in LINE_FIELDS}} for key in keys]


def _blank(row: dict) -> bool:
    return not any(row[f] for f in LINE_FIELDS)


def _line_input(row: dict) -> dict[str, Any]:
    return {f: row[f] for f in LINE_FIELDS if row[f] != ""}


def _order_input(form, rows: list[dict]) -> tuple[dict[str, Any], list[dict]]:
    """Schema input of the whole order, and the rows it was built from (blank rows dropped)."""
    data: dict[str, Any] = {}
    for name in HEADER_FIELDS:
        value = form.get(name, "").strip()
        if value != "":
            data[name] = value
        elif name in ("requested_date", "customer_reference", "note", "warehouse_id"):
            data[name] = None
    kept = [row for row in rows if not _blank(row)]
    data["lines"] = [_line_input(row) for row in kept]
    return data, kept


def _line_errors(errors: dict, kept: list[dict]) -> tuple[dict[int, dict], list[str]]:
    """Schema/service errors of `lines` by row key; messages about the lines as a whole apart."""
    by_row: dict[int, dict] = {}
    general: list[str] = []
    found = errors.get("lines")
    if isinstance(found, dict):
        for index, messages in found.items():
            if str(index).isdigit() and int(index) < len(kept) and isinstance(messages, dict):
                by_row[kept[int(index)]["key"]] = messages
            else:
                general.extend(messages if isinstance(messages, list) else [str(messages)])
    elif isinstance(found, list):
        general.extend(str(m) for m in found)
    return by_row, general


def _form_context(rows: list[dict], **extra) -> dict:
    session = get_session()
    return {
        "rows": rows,
        "customers": queries.order_customers(session, current_user),
        "products": queries.orderable_products(session),
        "warehouses": core_queries.warehouses(session, current_user, per_page=100).items,
        "next_key": max((row["key"] for row in rows), default=-1) + 1,
        **extra,
    }


def _preview(rows: list[dict]) -> dict[int, Any]:
    """Each complete row's computed line (by row key) and the draft's totals."""
    valid: list[tuple[int, dict]] = []
    for row in rows:
        if _blank(row) or not row["product_id"] or not row["qty"]:
            continue
        try:
            valid.append((row["key"], schemas.OrderLineInputSchema().load(_line_input(row))))
        except ValidationError:
            continue
    order, built = queries.preview_order(get_session(), [line for _key, line in valid])
    return {"order_preview": order,
            "line_by_key": {key: line for (key, _input), line in zip(valid, built, strict=True) if line}}


def _blank_rows(start: int, count: int) -> list[dict]:
    return [{"key": start + i, **dict.fromkeys(LINE_FIELDS, "")} for i in range(count)]


def _rows_of(order) -> list[dict]:
    return [{"key": i, "product_id": str(line.product_id), "qty": plain(line.qty),
             "unit_price": plain(line.unit_price), "discount": plain(line.discount) if line.discount else ""}
            for i, line in enumerate(order.lines)]


# --------------------------------------------------------------------------- list and detail


@bp.route("")
@login_required
def orders():
    guard("read", "sales_order")
    state = request.args.get("state") or None
    customer_id = request.args.get("customer_id", type=int)
    page = queries.sales_orders(get_session(), current_user, q=request.args.get("q"), state=state,
                                customer_id=customer_id, page=request.args.get("page", 1, type=int))
    customers = core_queries.customers(get_session(), current_user, per_page=200).items \
        if can(current_user, "read", "customer") else []
    template = "crm/_orders_table.html" if request.headers.get("HX-Request") else "crm/orders.html"
    return render_template(template, page=page, states=STATE_LABELS, state=state, customer_id=customer_id,
                           customers=customers, q=request.args.get("q", ""), flags=order_flags(list(page.items)))


def _load(order_id: int):
    return load_or_abort(services.get_order, order_id)


@bp.route("/<int:order_id>")
@login_required
def order_detail(order_id: int):
    guard("read", "sales_order")
    order = _load(order_id)
    return render_template("crm/order_detail.html", order=order, bars={line.id: _bar(line) for line in order.lines},
                           flags=order_flags([order]).get(order.id, []), panels=detail_panels("sales_order"))


def _bar(line) -> dict[str, str]:
    """The widths (percent of the ordered quantity) of a line's progress bar: shipped, reserved in
    stock, still to come."""
    if not line.qty:
        return {"shipped": "0", "reserved": "0", "to_come": "0"}
    parts = {"shipped": line.shipped_qty or 0, "reserved": line.reserved_qty or 0, "to_come": line.to_come_qty}
    return {name: f"{min(max(value / line.qty * 100, 0), 100):.1f}" for name, value in parts.items()}


# --------------------------------------------------------------------------- entry


@bp.route("/new", methods=["GET", "POST"])
@login_required
def order_new():
    guard("create", "sales_order")
    if request.method == "GET":
        rows = _blank_rows(0, EMPTY_ROWS)
        values = {"customer_id": request.args.get("customer_id", "")}
        return render_template("crm/order_form.html", order=None, values=values,
                               **_form_context(rows, errors={}, **_preview(rows)))
    return _save(None)


@bp.route("/<int:order_id>/edit", methods=["GET", "POST"])
@login_required
def order_edit(order_id: int):
    guard("update", "sales_order")
    order = _load(order_id)
    if not order.editable:
        flash(_("Order %(number)s is no longer a draft and cannot be changed.", number=order.number), "error")
        return redirect(url_for("crm_web.order_detail", order_id=order.id), 303)
    if request.method == "GET":
        rows = _rows_of(order) + _blank_rows(len(order.lines), 1)
        values = {"customer_id": str(order.customer_id), "warehouse_id": str(order.warehouse_id),
                  "requested_date": order.requested_date.isoformat(),
                  "customer_reference": order.customer_reference or "", "note": order.note or ""}
        return render_template("crm/order_form.html", order=order, values=values,
                               **_form_context(rows, errors={}, **_preview(rows)))
    return _save(order)


def _save(order):
    """Create or change a draft from the posted form; on bad input show the form again with the errors."""
    rows = _rows(request.form)
    if request.form.get("action") == "add_line":  # without JavaScript: the form comes back one row longer
        rows += _blank_rows(max((r["key"] for r in rows), default=-1) + 1, 1)
        return render_template("crm/order_form.html", order=order, values=request.form,
                               **_form_context(rows, errors={}, **_preview(rows)))
    data, kept = _order_input(request.form, rows)
    uow = get_uow()
    errors: dict = {}
    try:
        with uow:
            if order is None:
                saved = services.create_order(uow, load_input(schemas.CreateSalesOrderSchema, data))
            else:
                saved = services.update_order(uow, order.id, load_input(schemas.UpdateSalesOrderSchema, data))
        flash(_("Sales order %(number)s saved as a draft.", number=saved.number), "success")
        return redirect(url_for("crm_web.order_detail", order_id=saved.id), 303)
    except Forbidden as exc:
        flash(exc.message, "error")
        return redirect(url_for("crm_web.orders"), 303)
    except DomainError as exc:
        errors = exc.fields or {}
        if not errors:
            flash(exc.message, "error")
    by_row, general = _line_errors(errors, kept)
    flash(_("Please correct the marked fields; nothing was saved."), "error")
    return render_template("crm/order_form.html", order=order, values=request.form,
                           **_form_context(rows, errors=errors, line_errors=by_row, general_errors=general,
                                           **_preview(rows))), 422


@bp.route("/preview", methods=["POST"])
@login_required
def order_preview():
    """The totals block (and, out of band, each line's amount) for the form as typed."""
    guard("create", "sales_order")
    rows = _rows(request.form)
    return render_template("crm/_order_totals.html", rows=rows, oob=True, **_preview(rows))


@bp.route("/line", methods=["POST"])
@login_required
def order_line():
    """One more blank line row for the entry form (htmx appends it)."""
    guard("create", "sales_order")
    rows = _rows(request.form)
    row = _blank_rows(max((r["key"] for r in rows), default=-1) + 1, 1)[0]
    return render_template("crm/_order_line.html", row=row, products=queries.orderable_products(get_session()),
                           line_errors={}, line=None)


# --------------------------------------------------------------------------- transitions


@bp.route("/<int:order_id>/confirm", methods=["POST"])
@login_required
def order_confirm(order_id: int):
    guard("update", "sales_order")
    return act(lambda: services.confirm_order(get_uow(), order_id),
               lambda order: _("Sales order %(number)s is confirmed: stock is reserved and the shortfall is "
                               "planned.", number=order.number),
               url_for("crm_web.order_detail", order_id=order_id), refuse=_refusal)


@bp.route("/<int:order_id>/cancel", methods=["POST"])
@login_required
def order_cancel(order_id: int):
    guard("update", "sales_order")
    return act(lambda: services.cancel_order(get_uow(), order_id),
               lambda order: _("Sales order %(number)s is cancelled; its stock locks and plans are released.",
                               number=order.number),
               url_for("crm_web.order_detail", order_id=order_id), refuse=lambda exc: exc.message)


@bp.route("/<int:order_id>/deliver", methods=["POST"])
@login_required
def order_deliver(order_id: int):
    """The explicit "delivered" act of the order's services (an order of services only never ships)."""
    guard("update", "sales_order_delivery")
    return act(lambda: services.mark_delivered(get_uow(), order_id),
               lambda order: _("Sales order %(number)s is delivered: its services are done and can be invoiced.",
                               number=order.number),
               url_for("crm_web.order_detail", order_id=order_id),
               refuse=lambda exc: _("Not marked delivered: %(reason)s", reason=exc.message))


def _refusal(exc: DomainError) -> str:
    """A credit refusal in plain words: the limit, the exposure, this order and what is missing
    (a refusal for want of rights is the service's own sentence)."""
    if isinstance(exc, Forbidden):
        return exc.message
    d = {k: money(v) if k in ("credit_limit", "exposure", "order_total", "shortfall") and v is not None else v
         for k, v in exc.details.items()}
    if exc.code == "credit_limit_exceeded":
        return _("Not confirmed: the customer's credit limit would be exceeded. Credit limit %(limit)s, "
                 "current exposure %(exposure)s, this order %(total)s: %(missing)s is missing. "
                 "Finance can approve this order over the limit, or the customer can pay open invoices first.",
                 limit=d.get("credit_limit"), exposure=d.get("exposure"), total=d.get("order_total"),
                 missing=d.get("shortfall"))
    if exc.code == "credit_hold":
        return _("Not confirmed: the customer is on credit hold. Credit limit %(limit)s, current exposure "
                 "%(exposure)s, this order %(total)s. Ask finance to lift the hold.",
                 limit=d.get("credit_limit"), exposure=d.get("exposure"), total=d.get("order_total"))
    return _("Not confirmed: %(reason)s", reason=exc.message)
