"""Credit notes against posted invoices, refunds of a customer's unapplied credit, and the printed
invoice and credit note (PDF, Chinese and English)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from core.web import get_session, get_uow
from finance.invoicing import credit_notes
from finance.invoicing import responses as printed
from finance.invoicing import services as invoicing
from finance.invoicing.credit_note_schemas import CreateCreditNoteSchema, CreditNoteSchema
from finance.payments import refunds
from finance.schemas import CreateRefundSchema, CustomerRefundsSchema, RefundSchema

from . import idempotent

blp = Blueprint("credit_notes", __name__, description="Credit notes, refunds and printed invoices")


@blp.route("/invoices/<int:invoice_id>/credit-notes")
class InvoiceCreditNotes(MethodView):
    @blp.response(200, CreditNoteSchema(many=True))
    def get(self, invoice_id):
        """The invoice's credit notes, oldest first."""
        invoicing.get_invoice(get_uow(), invoice_id)
        return credit_notes.credit_notes_of(get_session(), invoice_id)

    @idempotent
    @blp.arguments(CreateCreditNoteSchema)
    @blp.response(201, CreditNoteSchema)
    @blp.alt_response(409, description="`over_credit` (more than is left to credit: per line field errors), "
                                       "`not_creditable` (not a posted invoice) or `nothing_to_credit`; "
                                       "nothing was changed")
    def post(self, data, invoice_id):
        """Credit a posted invoice: `kind` `return` with `lines: [{invoice_line_id, qty}]` (goods come back
        into stock unless `restock: false`) or `price_correction` with `lines: [{invoice_line_id, amount}]`
        (untaxed), or `full: true` for everything left, which cancels the invoice. The invoice's open amount,
        the receivable and the order's invoiced amount fall; what the invoice had been paid beyond what it
        now charges becomes the customer's unapplied credit."""
        return credit_notes.create_credit_note(get_uow(), invoice_id, data)


@blp.route("/credit-notes/<int:credit_note_id>")
class CreditNoteDetail(MethodView):
    @blp.response(200, CreditNoteSchema)
    def get(self, credit_note_id):
        return credit_notes.get_credit_note(get_uow(), credit_note_id)


@blp.route("/credit-notes/<int:credit_note_id>/pdf")
class CreditNotePdf(MethodView):
    @blp.response(200, content_type="application/pdf")
    def get(self, credit_note_id):
        """The credit note as a PDF, Chinese and English."""
        return printed.credit_note_pdf_response(credit_notes.get_credit_note(get_uow(), credit_note_id))


@blp.route("/invoices/<int:invoice_id>/pdf")
class InvoicePdf(MethodView):
    @blp.response(200, content_type="application/pdf")
    def get(self, invoice_id):
        """The invoice as a PDF, Chinese and English: lines as issued, credit notes, paid and due."""
        return printed.invoice_pdf_response(invoicing.get_invoice(get_uow(), invoice_id))


@blp.route("/customers/<int:customer_id>/refunds")
class CustomerRefunds(MethodView):
    @blp.response(200, CustomerRefundsSchema)
    def get(self, customer_id):
        """The customer's refunds (newest first, reversals included) and the unapplied credit left."""
        uow = get_uow()
        refunds.check_customer(uow, customer_id)
        _payments, available = refunds.unapplied_credit(uow.session, customer_id)
        return {"customer_id": customer_id, "unapplied_credit": available,
                "items": refunds.refunds_of(uow.session, customer_id)}

    @idempotent
    @blp.arguments(CreateRefundSchema)
    @blp.response(201, RefundSchema)
    @blp.alt_response(409, description="`over_refund`: more than the customer's unapplied credit; nothing changed")
    def post(self, data, customer_id):
        """Pay back part of the customer's unapplied credit (overpayments and credit released by credit
        notes): `amount`, `date`, `method`, `reference`. Taken from the oldest payments with credit first."""
        return refunds.record_refund(get_uow(), customer_id, data)


@blp.route("/refunds/<int:refund_id>")
class RefundDetail(MethodView):
    @blp.response(200, RefundSchema)
    def get(self, refund_id):
        return refunds.get_refund(get_uow(), refund_id)


@blp.route("/refunds/<int:refund_id>/undo")
class RefundUndo(MethodView):
    @blp.response(201, RefundSchema)
    @blp.alt_response(409, description="`already_undone` or `is_reversal`")
    def post(self, refund_id):
        """Undo a refund recorded by mistake with a reversing refund: the credit is unapplied again."""
        return refunds.undo_refund(get_uow(), refund_id)
