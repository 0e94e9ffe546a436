"""Credit notes: the only code that creates them.

A credit note credits a posted invoice, either for a return (a quantity of invoiced lines comes back)
or for a price correction (an untaxed amount off invoiced lines). Each line is rounded to the cent
like invoice lines (untaxed half-up, then its VAT half-up); the part that finishes a line takes what
is left of that line's own untaxed amount and VAT, so crediting everything gives back the invoice's
total to the cent. The note is posted at once:

* the invoice's `untaxed`, `tax` and `total` fall by it and its `credited_amount` grows, so its open
  amount, the customer's receivable and exposure fall with it; a note that credits all that is left
  cancels the invoice (`posted -> cancelled`, the only way there);
* the order learns it through `crm.orders.services.note_credited` (invoiced amount down, credited up);
* when the invoice had been paid beyond what it now charges, the newest allocations are undone with
  reversing rows (and the part still due re-allocated from the same payment), so the excess becomes
  the customer's unapplied credit on those payments, to apply elsewhere or refund;
* returned goods (not services) come back into stock at the running average cost when `restock` is
  asked (a stock move of kind `return` through `inventory.services.post_move`), and serve waiting demand;
* `finance.events.CreditNotePosted` is published for the journal, and so is each allocation row written
  (`AllocationUndone`, `PaymentAllocated`).

More than is left to credit (quantity or amount per line) is refused with 409 `over_credit`, bad input
with 422; either way nothing is changed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core import clock
from core.errors import DomainError, InvalidInput, NotFound
from core.forms import load_input
from core.models import ProductKind, Warehouse
from core.money import ZERO, round_money
from core.numbering import next_number
from core.uow import UnitOfWork
from crm.orders import services as crm_services
from crm.orders.models import SalesOrder
from crm.totals import line_amounts
from finance.events import CreditedLine, CreditNotePosted
from finance.invoicing.credit_note_schemas import CreateCreditNoteSchema
from finance.models import (
    OPEN_INVOICE_STATES,
    CreditNote,
    CreditNoteKind,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
    PaymentAllocation,
)
from finance.payments import services as payments
from inventory import services as inventory
from inventory.allocation import allocate as allocate_stock
from inventory.allocation import lock_for_allocation
from inventory.models import MoveKind

RESOURCE = "credit_note"
#: Invoices that can be credited: posted, whether paid or not.
CREDITABLE_STATES = (*OPEN_INVOICE_STATES, InvoiceState.PAID.value)


def get_credit_note(uow: UnitOfWork, credit_note_id: int) -> CreditNote:
    uow.authorize("read", RESOURCE)
    return uow.get(CreditNote, credit_note_id, "credit note")


def credit_notes_of(session, invoice_id: int) -> list[CreditNote]:
    return list(session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice_id)
                                .order_by(CreditNote.id)))


class Left:
    """What one invoice line still has to credit."""

    def __init__(self, line: InvoiceLine, qty: Decimal, untaxed: Decimal, tax: Decimal, corrected: bool) -> None:
        self.line = line
        self.qty = line.qty - qty
        self.untaxed = line.untaxed - untaxed
        self.tax = line.tax - tax
        self.corrected = corrected  # a price correction was credited on it before


def left_to_credit(session, invoice: Invoice) -> dict[int, Left]:
    """Per invoice line: the quantity not yet returned and the untaxed amount and VAT not yet credited."""
    done: dict[int, list] = defaultdict(lambda: [ZERO, ZERO, ZERO, False])
    rows = session.execute(
        select(CreditNoteLine.invoice_line_id, CreditNote.kind, func.sum(CreditNoteLine.qty),
               func.sum(CreditNoteLine.untaxed), func.sum(CreditNoteLine.tax))
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.invoice_id == invoice.id)
        .group_by(CreditNoteLine.invoice_line_id, CreditNote.kind))
    for line_id, kind, qty, untaxed, tax in rows:
        entry = done[line_id]
        entry[0] += Decimal(qty or 0)
        entry[1] += Decimal(untaxed or 0)
        entry[2] += Decimal(tax or 0)
        entry[3] = entry[3] or kind == CreditNoteKind.PRICE_CORRECTION
    return {line.id: Left(line, *done[line.id]) for line in invoice.lines}


def _return_amounts(left: Left, qty: Decimal) -> tuple[Decimal, Decimal]:
    """Untaxed and VAT credited for returning `qty` of a line."""
    line = left.line
    if qty >= left.qty:
        return left.untaxed, left.tax
    if left.corrected:  # the price was lowered before: the goods carry their share of what is left
        untaxed = round_money(left.untaxed * qty / left.qty)
        tax = round_money(untaxed * line.tax_rate)
    else:
        untaxed, tax = line_amounts(qty, line.unit_price, line.discount or ZERO, line.tax_rate)
    return min(untaxed, left.untaxed), min(tax, left.tax)


def _correction_amounts(left: Left, amount: Decimal) -> tuple[Decimal, Decimal]:
    if amount >= left.untaxed:
        return left.untaxed, left.tax
    return amount, min(round_money(amount * left.line.tax_rate), left.tax)


def _plan(session, invoice: Invoice, kind: str, data: dict) -> list[tuple[Left, Decimal, Decimal, Decimal]]:
    """(line left, qty, untaxed, tax) per credited invoice line; refusals raise before anything changes."""
    left = left_to_credit(session, invoice)
    if data.get("full"):
        if data.get("lines"):
            raise InvalidInput({"lines": ["Give lines or ask for the full credit, not both."]},
                               message="The credit note was not made.")
        plan = []
        for item in left.values():
            if item.untaxed <= 0 and item.tax <= 0:
                continue
            goods = item.line.product is not None and item.line.product.kind != ProductKind.SERVICE
            qty = item.qty if kind == CreditNoteKind.RETURN and goods else ZERO
            plan.append((item, max(qty, ZERO), item.untaxed, item.tax))
        return plan
    lines = data.get("lines") or []
    if not lines:
        raise InvalidInput({"lines": ["Name at least one invoice line to credit, or ask for the full credit."]},
                           message="The credit note was not made.")
    invalid: dict[str, dict[str, list[str]]] = {}
    over: dict[str, dict[str, list[str]]] = {}
    asked_qty: dict[int, Decimal] = defaultdict(Decimal)
    asked_amount: dict[int, Decimal] = defaultdict(Decimal)
    wanted: list[tuple[Left, Decimal, Decimal]] = []
    for index, item in enumerate(lines):
        key = str(index)
        found = left.get(item.get("invoice_line_id"))
        if found is None:
            invalid[key] = {"invoice_line_id": [f"Invoice {invoice.number} has no line {item.get('invoice_line_id')}."]}
            continue
        if kind == CreditNoteKind.RETURN:
            qty = item["qty"]
            product = found.line.product
            if product is None or product.kind == ProductKind.SERVICE:
                what = product.sku if product is not None else f"Line {found.line.position}"
                invalid[key] = {"qty": [f"{what} is not goods and cannot be returned; credit a price "
                                        f"correction instead."]}
                continue
            asked_qty[found.line.id] += qty
            if asked_qty[found.line.id] > found.qty:
                over[key] = {"qty": [f"Only {found.qty.normalize():f} of line {found.line.position} is left to "
                                     f"return."]}
                continue
            wanted.append((found, qty, ZERO))
        else:
            amount = item["amount"]
            asked_amount[found.line.id] += amount
            if asked_amount[found.line.id] > found.untaxed:
                over[key] = {"amount": [f"Only {found.untaxed} (untaxed) of line {found.line.position} is left "
                                        f"to credit."]}
                continue
            wanted.append((found, ZERO, amount))
    if invalid:
        raise InvalidInput({"lines": invalid}, message="The credit note was not made.")
    if over:
        raise DomainError(f"That is more than invoice {invoice.number} has left to credit; nothing was credited.",
                          code="over_credit", fields={"lines": over})
    # several entries for one line are credited as one, so its rounding is the line's own
    merged: dict[int, list] = {}
    for found, qty, amount in wanted:
        entry = merged.setdefault(found.line.id, [found, ZERO, ZERO])
        entry[1] += qty
        entry[2] += amount
    plan = []
    for found, qty, amount in merged.values():
        untaxed, tax = _return_amounts(found, qty) if kind == CreditNoteKind.RETURN else \
            _correction_amounts(found, amount)
        plan.append((found, qty, untaxed, tax))
    return plan


def _lock_payments_of(uow: UnitOfWork, invoice_id: int) -> None:
    """Lock the payments applied to the invoice in id order, before the invoice (the order
    `finance.payments.services` takes them in), so a credit note and an allocation never deadlock."""
    ids = uow.session.scalars(select(PaymentAllocation.payment_id).where(PaymentAllocation.invoice_id == invoice_id)
                              .distinct()).all()
    for payment_id in sorted(ids):
        uow.session.get(Payment, payment_id, with_for_update={"of": Payment.__table__}, populate_existing=True)


def _release(uow: UnitOfWork, invoice: Invoice, excess: Decimal) -> tuple[Decimal, list[PaymentAllocation]]:
    """Undo the invoice's newest live allocations until `excess` is released; the part of the last
    one still due goes back on the invoice from the same payment. Returns what was released and the
    allocation rows written (to be announced)."""
    rows = list(uow.session.scalars(select(PaymentAllocation).where(PaymentAllocation.invoice_id == invoice.id)
                                    .order_by(PaymentAllocation.id.desc())))
    undone = {row.reverses_id for row in rows if row.reverses_id is not None}
    released, written = ZERO, []
    for row in rows:
        if released >= excess:
            break
        if row.reverses_id is not None or row.id in undone or row.amount <= 0:
            continue
        payment = uow.session.get(Payment, row.payment_id)
        written.append(payments._apply(uow, payment, invoice, -row.amount, reverses=row))
        keep = row.amount - (excess - released)
        if keep > 0:
            written.append(payments._apply(uow, payment, invoice, keep))
            released = excess
        else:
            released += row.amount
    return released, written


def create_credit_note(uow: UnitOfWork, invoice_id: int, data: dict, *, on: date | None = None) -> CreditNote:
    """Credit a posted invoice. `data`: `kind` (`return` or `price_correction`), `lines`
    ([{invoice_line_id, qty}] for a return, [{invoice_line_id, amount}] untaxed for a correction) or
    `full: true` (everything left), `credit_date`, `reason`, `restock` (returns; default true) and
    `warehouse_id` (default: the order's warehouse). `data` goes through `CreateCreditNoteSchema`
    here as in the page and the API (see `finance.invoicing.credit_note_schemas`); what needs the
    invoice (its lines, what is left of them, goods or not) is checked against it."""
    uow.authorize("create", RESOURCE)
    data = load_input(CreateCreditNoteSchema, data, message="The credit note was not made.")
    kind = data["kind"]
    reason = (data.get("reason") or "").strip() or None
    warehouse_id = data.get("warehouse_id")
    if warehouse_id is not None and uow.session.get(Warehouse, warehouse_id) is None:
        raise InvalidInput({"warehouse_id": [f"No warehouse with id {warehouse_id}."]},
                           message="The credit note was not made.")
    if uow.session.get(Invoice, invoice_id) is None:
        raise NotFound("invoice", invoice_id)
    _lock_payments_of(uow, invoice_id)
    invoice = uow.session.get(Invoice, invoice_id, with_for_update={"of": Invoice.__table__}, populate_existing=True)
    if invoice.state not in CREDITABLE_STATES:
        raise DomainError(f"Invoice {invoice.number} is {invoice.state}; only a posted invoice is credited.",
                          code="not_creditable", details={"state": str(invoice.state)})
    plan = _plan(uow.session, invoice, kind, data)
    untaxed = sum((u for _l, _q, u, _t in plan), ZERO)
    tax = sum((t for _l, _q, _u, t in plan), ZERO)
    if untaxed + tax <= 0:
        raise DomainError(f"Nothing of invoice {invoice.number} is left to credit on those lines.",
                          code="nothing_to_credit")
    credit_date = data.get("credit_date") or on or clock.today()
    restock = kind == CreditNoteKind.RETURN and data.get("restock", True) is not False
    order = uow.session.get(SalesOrder, invoice.sales_order_id) if invoice.sales_order_id else None
    if restock and warehouse_id is None:
        warehouse_id = order.warehouse_id if order is not None else inventory.default_warehouse_id(uow.session)
    note = CreditNote(
        number=next_number(uow.session, "CN", on=credit_date), invoice_id=invoice.id, invoice=invoice,
        customer_id=invoice.customer_id, sales_order_id=invoice.sales_order_id, kind=kind,
        credit_date=credit_date, reason=reason, warehouse_id=warehouse_id if restock else None,
        untaxed=untaxed, tax=tax, total=untaxed + tax, created_by_id=uow.actor_id)
    for position, (left, qty, line_untaxed, line_tax) in enumerate(plan, start=1):
        note.lines.append(CreditNoteLine(
            position=position, invoice_line_id=left.line.id, invoice_line=left.line, product_id=left.line.product_id,
            product=left.line.product, qty=qty, untaxed=line_untaxed, tax=line_tax, total=line_untaxed + line_tax,
            restocked=False))
    uow.session.add(note)

    # the invoice charges less; what it had been paid beyond that becomes unapplied credit
    invoice.untaxed -= untaxed
    invoice.tax -= tax
    invoice.total -= note.total
    invoice.credited_amount = (invoice.credited_amount or ZERO) + note.total
    excess = (invoice.paid_amount or ZERO) - invoice.total
    released, reallocated = _release(uow, invoice, excess) if excess > 0 else (ZERO, [])
    note.to_unapplied_credit = released
    invoice.follow_payments()
    cancelled = invoice.total <= 0
    if cancelled:
        invoice.move_to(InvoiceState.CANCELLED)
    if order is not None:
        crm_services.note_credited(uow, order.id, note.total)
        if released:
            crm_services.note_paid(uow, order.id, -released)

    if restock:
        # the returned goods are allocated next: lock every balance that may touch first, in product order
        lock_for_allocation(uow, warehouse_id, {line.product_id for line in note.lines if line.qty > 0
                                                and line.product is not None
                                                and line.product.kind != ProductKind.SERVICE})
        for line in sorted(note.lines, key=lambda item: item.product_id):
            if line.qty <= 0 or line.product is None or line.product.kind == ProductKind.SERVICE:
                continue
            move, _balance = inventory.post_move(uow, product_id=line.product_id, warehouse_id=warehouse_id,
                                                 qty=line.qty, kind=MoveKind.RETURN, reference=note.number,
                                                 reason=f"Returned on credit note {note.number}")
            line.restocked, line.unit_cost = True, move.unit_cost
            allocate_stock(uow, product_id=line.product_id, warehouse_id=warehouse_id)

    uow.session.flush()
    payments.announce_allocations(uow, reallocated)
    uow.publish(CreditNotePosted(
        credit_note_id=note.id, number=note.number, invoice_id=invoice.id, customer_id=invoice.customer_id,
        sales_order_id=invoice.sales_order_id, credit_date=credit_date, reason=kind, untaxed=untaxed, tax=tax,
        total=note.total, to_unapplied_credit=released, invoice_cancelled=cancelled, warehouse_id=note.warehouse_id,
        lines=tuple(CreditedLine(invoice_line_id=line.invoice_line_id, product_id=line.product_id, qty=line.qty,
                                 untaxed=line.untaxed, tax=line.tax, restocked=line.restocked,
                                 unit_cost=line.unit_cost) for line in note.lines)))
    uow.commit()
    return note
