"""The web UI of credit notes and refunds: the credit note form from the invoice page, the credit note
page, printed invoices and credit notes, a customer's unapplied credit with refunds (and their undo),
and the "Overdue" flag finance puts on sales orders in crm's lists and order page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import pdf
from core.errors import DomainError, NotFound
from core.formatting import money
from core.money import to_decimal
from core.permissions import can
from core.views import act, add_detail_panel, guard, load_or_abort, refusal
from core.web import get_session, get_uow
from crm.orders.models import SalesOrder
from crm.orders.views import ORDER_FLAGS
from finance.credit.order_flags import overdue_by_order
from finance.invoicing import credit_notes, documents
from finance.invoicing import services as invoicing
from finance.models import CreditNoteKind, PaymentMethod
from finance.payments import refunds
from finance.views import request_day

bp = Blueprint("finance_credit_web", __name__, template_folder="../templates", url_prefix="/finance")

KIND_LABELS = {CreditNoteKind.RETURN: _l("Return"), CreditNoteKind.PRICE_CORRECTION: _l("Price correction")}
add_detail_panel("customer", "finance_credit_web.customer_credit_panel", _l("Unapplied credit and refunds"),
                 ("read", "refund"), "customer_id")


def overdue_flag(session, orders) -> dict[int, str]:
    """crm's order flag: orders with an open invoice past due today."""
    overdue = overdue_by_order(session, [order.id for order in orders], today=date.today())
    return {order_id: _("Overdue") for order_id in overdue}


if overdue_flag not in ORDER_FLAGS:
    ORDER_FLAGS.append(overdue_flag)


@bp.app_context_processor
def _credit_labels():
    return {"credit_kind_label": lambda kind: KIND_LABELS.get(kind, kind)}


def _company() -> str:
    return current_app.config.get("COMPANY_NAME", pdf.DEFAULT_COMPANY)


def _pdf(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


# --------------------------------------------------------------------------- printed documents


def invoice_pdf_response(invoice) -> Response:
    """The printed invoice (also served by the API): its lines, its order's number and its credit notes."""
    session = get_session()
    order = session.get(SalesOrder, invoice.sales_order_id) if invoice.sales_order_id else None
    notes = [note.number for note in credit_notes.credit_notes_of(session, invoice.id)]
    data = documents.invoice_print_data(invoice, order.number if order else "", notes, _company())
    return _pdf(documents.render_invoice(data), f"{invoice.number}.pdf")


def credit_note_pdf_response(note) -> Response:
    """The printed credit note (also served by the API)."""
    return _pdf(documents.render_credit_note(documents.credit_note_print_data(note, _company())), f"{note.number}.pdf")


@bp.route("/invoices/<int:invoice_id>/pdf")
@login_required
def invoice_pdf(invoice_id: int):
    guard("read", "invoice")
    return invoice_pdf_response(load_or_abort(invoicing.get_invoice, invoice_id))


@bp.route("/credit-notes/<int:credit_note_id>/pdf")
@login_required
def credit_note_pdf(credit_note_id: int):
    guard("read", "credit_note")
    return credit_note_pdf_response(load_or_abort(credit_notes.get_credit_note, credit_note_id))


# --------------------------------------------------------------------------- credit notes


@bp.route("/invoices/<int:invoice_id>/credit-notes/fragment")
@login_required
def invoice_credit_notes(invoice_id: int):
    """The invoice page's part: its credit notes, the printed invoice, and the way to a new credit note."""
    guard("read", "invoice")
    invoice = load_or_abort(invoicing.get_invoice, invoice_id)
    notes = credit_notes.credit_notes_of(get_session(), invoice.id) if can(current_user, "read", "credit_note") else []
    return render_template("finance/_invoice_credit_notes.html", invoice=invoice, notes=notes,
                           creditable=invoice.state in credit_notes.CREDITABLE_STATES)


def _form_lines(invoice, kind: str, form) -> tuple[list[dict], dict[int, str]]:
    """The lines asked for in the form (`qty-<line id>` for a return, `amount-<line id>` for a price
    correction) and, per line id, what could not be read."""
    field = "qty" if kind == CreditNoteKind.RETURN else "amount"
    lines, unreadable = [], {}
    for line in invoice.lines:
        raw = (form.get(f"{field}-{line.id}") or "").strip().replace(",", "")
        if not raw:
            continue
        try:
            value = to_decimal(raw)
        except (TypeError, ValueError, ArithmeticError):
            unreadable[line.id] = raw
            continue
        lines.append({"invoice_line_id": line.id, field: value})
    return lines, unreadable


@bp.route("/invoices/<int:invoice_id>/credit-notes/new", methods=["GET", "POST"])
@login_required
def credit_note_new(invoice_id: int):
    """The credit note form: a return (quantities per line, goods back into stock unless unticked) or a
    price correction (untaxed amounts per line), or everything left."""
    guard("create", "credit_note")
    invoice = load_or_abort(invoicing.get_invoice, invoice_id)
    left = credit_notes.left_to_credit(get_session(), invoice)
    form = request.form.to_dict() if request.method == "POST" else {"kind": request.args.get("kind", "return"),
                                                                     "restock": "1"}
    if request.method == "POST":
        kind = form.get("kind") or ""
        lines, unreadable = _form_lines(invoice, kind, request.form)
        if unreadable:
            flash(_("Give numbers only; nothing was credited."), "error")
        else:
            data = {"kind": kind, "lines": lines, "full": bool(form.get("full")), "reason": form.get("reason"),
                    "credit_date": request_day("credit_date"), "restock": bool(form.get("restock"))}
            try:
                note = credit_notes.create_credit_note(get_uow(), invoice.id, data)
            except NotFound:
                abort(404)
            except DomainError as exc:
                get_session().rollback()
                flash(refusal(exc), "error")
            else:
                flash(_("Credit note %(number)s posted for %(total)s.", number=note.number, total=money(note.total)),
                      "success")
                return redirect(url_for("finance_credit_web.credit_note_detail", credit_note_id=note.id), 303)
        invoice = load_or_abort(invoicing.get_invoice, invoice_id)
        left = credit_notes.left_to_credit(get_session(), invoice)
        status = 422
    else:
        status = 200
    return render_template("finance/credit_note_form.html", invoice=invoice, left=left, form=form,
                           kinds=KIND_LABELS, today=date.today()), status


@bp.route("/credit-notes/<int:credit_note_id>")
@login_required
def credit_note_detail(credit_note_id: int):
    guard("read", "credit_note")
    note = load_or_abort(credit_notes.get_credit_note, credit_note_id)
    return render_template("finance/credit_note.html", note=note)


# --------------------------------------------------------------------------- unapplied credit and refunds


@bp.route("/customers/<int:customer_id>/credit-panel")
@login_required
def customer_credit_panel(customer_id: int):
    """The customer page's panel: unapplied credit, with the way to refund it."""
    guard("read", "refund")
    customer = load_or_abort(refunds.check_customer, customer_id)
    payments, available = refunds.unapplied_credit(get_session(), customer.id)
    return render_template("finance/_customer_credit.html", customer=customer, payments=payments,
                           available=available)


@bp.route("/customers/<int:customer_id>/refunds", methods=["GET", "POST"])
@login_required
def customer_refunds(customer_id: int):
    """A customer's unapplied credit (payments with money left), its refunds and the refund form."""
    guard("read", "refund")
    customer = load_or_abort(refunds.check_customer, customer_id)
    form: dict = {}
    errors: dict = {}
    if request.method == "POST":
        guard("create", "refund")
        form = request.form.to_dict()
        data = {"amount": (form.get("amount") or "").strip().replace(",", "") or None, "date": request_day("date"),
                "method": form.get("method") or None, "reference": form.get("reference")}
        try:
            refund = refunds.record_refund(get_uow(), customer.id, data)
        except DomainError as exc:
            get_session().rollback()
            errors = exc.fields
            flash(refusal(exc), "error")
        else:
            flash(_("Refund %(number)s recorded: %(amount)s.", number=refund.number, amount=money(refund.amount)),
                  "success")
            return redirect(url_for("finance_credit_web.customer_refunds", customer_id=customer.id), 303)
    session = get_session()
    payments, available = refunds.unapplied_credit(session, customer.id)
    history = refunds.refunds_of(session, customer.id)
    undone = {row.reverses_id for row in history if row.reverses_id}
    return render_template("finance/refunds.html", customer=customer, payments=payments, available=available,
                           history=history, undone=undone, form=form, errors=errors, methods=[m.value for m in PaymentMethod],
                           today=date.today()), 422 if errors else 200


@bp.route("/refunds/<int:refund_id>/undo", methods=["POST"])
@login_required
def undo_refund(refund_id: int):
    guard("update", "refund")
    refund = load_or_abort(refunds.get_refund, refund_id)
    return act(lambda: refunds.undo_refund(get_uow(), refund_id),
               lambda reversal: _("Refund undone: %(amount)s is unapplied credit again.",
                                  amount=money(-reversal.amount)),
               url_for("finance_credit_web.customer_refunds", customer_id=refund.customer_id))
