"""Finance's entries of the customer 360 timeline: invoices, payments, credit notes and refunds,
registered into crm's timeline-source registry from `finance.init_app` (crm may not import finance)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.formatting import money
from core.registry import Registry
from crm.timeline.registry import TimelineEntry, TimelineSource, counter, first
from finance.models import CreditNote, Invoice, Payment, Refund


def _invoices(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from finance.views import INVOICE_STATE_LABELS

    rows = first(session, select(Invoice).where(Invoice.customer_id == customer_id), Invoice.created_at, limit,
                 newest_first, Invoice.id)
    return [TimelineEntry(
        kind="invoice", at=i.created_at, ref_id=i.id, title=i.number, status=i.state,
        status_label=INVOICE_STATE_LABELS.get(i.state, i.state), amount=i.total,
        facts=((_l("Invoice date"), i.invoice_date.isoformat()), (_l("Due date"), i.due_date.isoformat()),
               (_l("Paid"), money(i.paid_amount))),
        endpoint="finance_web.invoice_detail", params={"invoice_id": i.id}, permission=("read", "invoice"),
        details={"number": i.number, "sales_order_id": i.sales_order_id, "invoice_date": i.invoice_date.isoformat(),
                 "due_date": i.due_date.isoformat(), "paid_amount": i.paid_amount,
                 "open_amount": i.open_amount}) for i in rows]


def _payments(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from finance.views import METHOD_LABELS

    rows = first(session, select(Payment).where(Payment.customer_id == customer_id), Payment.created_at, limit,
                 newest_first, Payment.id)
    return [TimelineEntry(
        kind="payment", at=p.created_at, ref_id=p.id, title=p.number, amount=p.amount,
        note=p.reference or None,
        facts=((_l("Payment date"), p.payment_date.isoformat()),
               (_l("Method"), METHOD_LABELS.get(p.method, p.method)), (_l("Applied"), money(p.allocated_amount))),
        endpoint="finance_web.payment_detail", params={"payment_id": p.id}, permission=("read", "payment"),
        details={"number": p.number, "payment_date": p.payment_date.isoformat(), "method": p.method,
                 "allocated_amount": p.allocated_amount,
                 "invoice_ids": sorted({a.invoice_id for a in p.allocations})}) for p in rows]


def _credit_notes(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    from finance.invoicing.credit_note_views import KIND_LABELS

    rows = first(session, select(CreditNote).where(CreditNote.customer_id == customer_id), CreditNote.created_at,
                 limit, newest_first, CreditNote.id)
    return [TimelineEntry(
        kind="credit_note", at=c.created_at, ref_id=c.id, title=c.number, status=c.kind,
        status_label=KIND_LABELS.get(c.kind, c.kind), amount=c.total, note=c.reason or None,
        facts=((_l("Credit date"), c.credit_date.isoformat()), (_l("Invoice"), c.invoice.number)),
        endpoint="finance_credit_web.credit_note_detail", params={"credit_note_id": c.id},
        permission=("read", "credit_note"),
        details={"number": c.number, "invoice_id": c.invoice_id, "sales_order_id": c.sales_order_id,
                 "credit_date": c.credit_date.isoformat(), "to_unapplied_credit": c.to_unapplied_credit})
        for c in rows]


def _refunds(session: Session, customer_id: int, limit: int, newest_first: bool) -> list[TimelineEntry]:
    """Refunds and their reversals (a reversal has a negative amount and names the refund it undoes)."""
    from finance.views import METHOD_LABELS

    rows = first(session, select(Refund).where(Refund.customer_id == customer_id), Refund.created_at, limit,
                 newest_first, Refund.id)
    return [TimelineEntry(
        kind="refund", at=r.created_at, ref_id=r.id, title=r.number, amount=r.amount, note=r.reference or None,
        status="reversal" if r.reverses_id else None,
        facts=((_l("Refund date"), r.refund_date.isoformat()), (_l("Method"), METHOD_LABELS.get(r.method, r.method))),
        endpoint="finance_credit_web.customer_refunds", params={"customer_id": r.customer_id},
        permission=("read", "refund"),
        details={"number": r.number, "refund_date": r.refund_date.isoformat(), "method": r.method,
                 "reverses_id": r.reverses_id, "payment_ids": [part.payment_id for part in r.parts]})
        for r in rows]


def register(registry: Registry) -> None:
    """Invoices, payments, credit notes and refunds on the customer 360 timeline (from `finance.init_app`)."""
    sources = registry.timeline_sources
    sources.add(TimelineSource("invoice", _l("Invoices"), _invoices, counter(Invoice, Invoice.customer_id),
                               position=70))
    sources.add(TimelineSource("payment", _l("Payments"), _payments, counter(Payment, Payment.customer_id),
                               position=80))
    sources.add(TimelineSource("credit_note", _l("Credit notes"), _credit_notes,
                               counter(CreditNote, CreditNote.customer_id), position=90))
    sources.add(TimelineSource("refund", _l("Refunds"), _refunds, counter(Refund, Refund.customer_id),
                               position=100))
