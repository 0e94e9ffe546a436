"""The web UI of credit notes and refunds: the credit note form from the invoice page, the credit note
page, printed invoices and credit notes, a customer's unapplied credit with refunds (and their undo),
and the "Overdue" flag finance puts on sales orders in crm's lists and order page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import clock
from core.errors import DomainError, NotFound
from core.formatting import money
from core.forms import errors_by_row_key, form_input, load_form, load_input
from core.views import act, guard, load_or_abort, refusal
from core.web import can, get_session, get_uow
from finance.credit.order_flags import overdue_by_order
from finance.invoicing import credit_notes
from finance.invoicing import services as invoicing
from finance.invoicing.credit_note_schemas import CreateCreditNoteSchema
from finance.invoicing.responses import credit_note_pdf_response, invoice_pdf_response
from finance.models import CreditNoteKind, PaymentMethod
from finance.payments import refunds
from finance.schemas import CreateRefundSchema

bp = Blueprint("finance_credit_web", __name__, template_folder="../templates", url_prefix="/finance")

KIND_LABELS = {CreditNoteKind.RETURN: _l("Return"), CreditNoteKind.PRICE_CORRECTION: _l("Price correction")}


def overdue_flag(session, orders) -> dict[int, str]:
    """crm's order flag (an `order_flags` of the registry): orders with an open invoice past due today."""
    overdue = overdue_by_order(session, [order.id for order in orders], today=clock.today())
    return {order_id: _("Overdue") for order_id in overdue}


@bp.app_context_processor
def _credit_labels():
    return {"credit_kind_label": lambda kind: KIND_LABELS.get(kind, kind)}


# --------------------------------------------------------------------------- printed documents


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


def _credit_note_input(invoice, form) -> tuple[dict, list[str]]:
    """The form as `CreateCreditNoteSchema` input, and the form key of each line given: a line is one
    typed in the column of the kind chosen (`qty-<line id>` for a return, `amount-<line id>` for a price
    correction)."""
    data, _rows = form_input(CreateCreditNoteSchema, form, checkboxes=["full", "restock"])
    field = "qty" if data.get("kind") == CreditNoteKind.RETURN else "amount"
    typed = [(f"{field}-{line.id}", line.id, (form.get(f"{field}-{line.id}") or "").strip()) for line in invoice.lines]
    data["lines"] = [{"invoice_line_id": line_id, field: raw} for _key, line_id, raw in typed if raw]
    return data, [key for key, _line_id, raw in typed if raw]


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
    errors: dict = {}
    if request.method == "POST":
        data, keys = _credit_note_input(invoice, request.form)
        try:
            data = load_input(CreateCreditNoteSchema, data, row_keys={"lines": keys},
                              message="The credit note was not made.")
            with get_uow() as uow:
                note = credit_notes.create_credit_note(uow, invoice.id, data)
        except NotFound:
            abort(404)
        except DomainError as exc:
            errors = errors_by_row_key(exc.fields, {"lines": keys})
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
    return render_template("finance/credit_note_form.html", invoice=invoice, left=left, form=form, errors=errors,
                           kinds=KIND_LABELS, today=clock.today()), status


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
        try:
            data = load_form(CreateRefundSchema, request.form, message="The refund was not recorded.")
            with get_uow() as uow:
                refund = refunds.record_refund(uow, customer.id, data)
        except DomainError as exc:
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
                           today=clock.today()), 422 if errors else 200


@bp.route("/refunds/<int:refund_id>/undo", methods=["POST"])
@login_required
def undo_refund(refund_id: int):
    guard("update", "refund")
    refund = load_or_abort(refunds.get_refund, refund_id)
    return act(lambda: refunds.undo_refund(get_uow(), refund_id),
               lambda reversal: _("Refund undone: %(amount)s is unapplied credit again.",
                                  amount=money(-reversal.amount)),
               url_for("finance_credit_web.customer_refunds", customer_id=refund.customer_id))
