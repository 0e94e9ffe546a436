"""The printed invoice and credit note as HTTP answers, served alike by the invoice and credit note
pages and by the API: both call these builders, so neither side imports the other's module.

They gather what a document prints (the invoice's order number and credit notes, the company name of
the configuration), let `documents` render it, and wrap the PDF in a `Response`. Nothing here reads
the request or checks a permission: the caller has loaded the document through its service."""

from __future__ import annotations

from flask import Response, current_app

from core import pdf
from core.web import get_session
from crm.orders.models import SalesOrder
from finance.invoicing import credit_notes, documents


def _company() -> str:
    return current_app.config.get("COMPANY_NAME", pdf.DEFAULT_COMPANY)


def _pdf(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


def invoice_pdf_response(invoice) -> Response:
    """The printed invoice: its lines, its order's number and its credit notes."""
    session = get_session()
    order = session.get(SalesOrder, invoice.sales_order_id) if invoice.sales_order_id else None
    notes = [note.number for note in credit_notes.credit_notes_of(session, invoice.id)]
    data = documents.invoice_print_data(invoice, order.number if order else "", notes, _company())
    return _pdf(documents.render_invoice(data), f"{invoice.number}.pdf")


def credit_note_pdf_response(note) -> Response:
    """The printed credit note."""
    return _pdf(documents.render_credit_note(documents.credit_note_print_data(note, _company())), f"{note.number}.pdf")
