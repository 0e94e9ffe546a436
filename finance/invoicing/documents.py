"""The printed invoice and credit note (reportlab): plain data in, PDF bytes out, Chinese and English
labels. `invoice_print_data` and `credit_note_print_data` turn the records into that plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core import pdf


@dataclass(frozen=True)
class PrintLine:
    position: int
    sku: str
    name: str
    qty: Decimal | None  # None: a price correction (no quantity)
    unit_price: Decimal | None
    tax_rate: Decimal | None
    untaxed: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class InvoicePrint:
    number: str
    state: str
    customer_code: str
    customer_name: str
    invoice_date: date
    due_date: date
    currency: str
    sales_order: str
    lines: Sequence[PrintLine]
    untaxed: Decimal  # as issued
    tax: Decimal
    total: Decimal
    credited: Decimal = Decimal(0)  # by credit notes (gross)
    paid: Decimal = Decimal(0)
    open_amount: Decimal = Decimal(0)
    credit_notes: Sequence[str] = ()
    company: str = pdf.DEFAULT_COMPANY


@dataclass(frozen=True)
class CreditNotePrint:
    number: str
    kind: str  # "return" or "price_correction"
    invoice: str
    customer_code: str
    customer_name: str
    credit_date: date
    currency: str
    reason: str
    lines: Sequence[PrintLine]
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    to_unapplied_credit: Decimal = Decimal(0)
    company: str = pdf.DEFAULT_COMPANY


STATES = {"draft": "草稿 Draft", "posted": "已过账 Posted", "partially_paid": "部分付款 Partially paid",
          "paid": "已付清 Paid", "cancelled": "已作废 Cancelled"}
KINDS = {"return": "退货 Return", "price_correction": "价格调整 Price correction"}
COLUMNS = (
    pdf.Column("序号 No.", 0.45), pdf.Column("物料编码 SKU", 1.1), pdf.Column("品名 Description", 2.2),
    pdf.Column("数量 Qty", 0.8, numeric=True), pdf.Column("单价 Unit price", 1.0, numeric=True),
    pdf.Column("金额 Untaxed", 1.1, numeric=True), pdf.Column("税率 VAT", 0.6, numeric=True),
    pdf.Column("税额 VAT amount", 1.0, numeric=True), pdf.Column("价税合计 Total", 1.1, numeric=True),
)


def _rate(value: Decimal | None) -> str:
    return "" if value is None else f"{pdf.qty(value * 100)}%"


def _rows(lines: Sequence[PrintLine]) -> list[list[object]]:
    return [[line.position, line.sku, line.name, pdf.qty(line.qty) if line.qty else "",
             pdf.money(line.unit_price) if line.unit_price is not None else "", pdf.money(line.untaxed),
             _rate(line.tax_rate), pdf.money(line.tax), pdf.money(line.total)] for line in lines]


def invoice_document(data: InvoicePrint) -> pdf.Document:
    meta = [("发票号码 Invoice", data.number), ("状态 State", STATES.get(data.state, data.state)),
            ("客户 Customer", f"{data.customer_code} — {data.customer_name}"),
            ("销售订单 Sales order", data.sales_order or "—"),
            ("开票日期 Invoice date", data.invoice_date.isoformat()),
            ("到期日 Due date", data.due_date.isoformat()), ("币种 Currency", data.currency)]
    totals = ["", "", "合计 Total", "", "", pdf.money(data.untaxed), "", pdf.money(data.tax), pdf.money(data.total)]
    notes = []
    if data.credited:
        notes.append(f"已开红字冲销 Credited by credit notes ({', '.join(data.credit_notes)}): "
                     f"{pdf.money(data.credited)} {data.currency}")
    notes.append(f"已收款 Paid: {pdf.money(data.paid)} {data.currency}；"
                 f"未付金额 Amount due: {pdf.money(data.open_amount)} {data.currency}")
    notes.append(f"请于 {data.due_date.isoformat()} 前付款，并在付款附言中注明发票号码 {data.number}。 "
                 f"Please pay by {data.due_date.isoformat()} and quote invoice {data.number} with the payment.")
    return pdf.Document(title="销售发票 Invoice", number=data.number, company=data.company, meta=meta,
                        sections=[pdf.Section(columns=COLUMNS, rows=_rows(data.lines), title="发票明细 Lines",
                                              totals=totals)],
                        notes=notes)


def credit_note_document(data: CreditNotePrint) -> pdf.Document:
    meta = [("红字发票号码 Credit note", data.number), ("类型 Kind", KINDS.get(data.kind, data.kind)),
            ("原发票 Invoice", data.invoice), ("客户 Customer", f"{data.customer_code} — {data.customer_name}"),
            ("日期 Date", data.credit_date.isoformat()), ("币种 Currency", data.currency)]
    if data.reason:
        meta.append(("原因 Reason", data.reason))
    totals = ["", "", "合计 Total", "", "", pdf.money(data.untaxed), "", pdf.money(data.tax), pdf.money(data.total)]
    notes = [f"冲减发票 {data.invoice} 金额 {pdf.money(data.total)} {data.currency}。 "
             f"Invoice {data.invoice} is reduced by {pdf.money(data.total)} {data.currency}."]
    if data.to_unapplied_credit:
        notes.append(f"其中 {pdf.money(data.to_unapplied_credit)} {data.currency} 已付款项转为客户未核销余额。 "
                     f"{pdf.money(data.to_unapplied_credit)} {data.currency} already paid is now the customer's "
                     f"unapplied credit.")
    return pdf.Document(title="红字发票 Credit note", number=data.number, company=data.company, meta=meta,
                        sections=[pdf.Section(columns=COLUMNS, rows=_rows(data.lines), title="冲销明细 Lines",
                                              totals=totals)],
                        notes=notes)


def render_invoice(data: InvoicePrint) -> bytes:
    return pdf.render(invoice_document(data))


def render_credit_note(data: CreditNotePrint) -> bytes:
    return pdf.render(credit_note_document(data))


# --------------------------------------------------------------------------- records to print data


def _product(line) -> tuple[str, str]:
    product = getattr(line, "product", None)
    if product is None:
        return "", getattr(line, "description", None) or ""
    return product.sku, getattr(line, "description", None) or product.name


def invoice_print_data(invoice, order_number: str, credit_note_numbers: Sequence[str],
                       company: str = pdf.DEFAULT_COMPANY) -> InvoicePrint:
    lines = []
    for line in invoice.lines:
        sku, name = _product(line)
        lines.append(PrintLine(line.position, sku, name, line.qty, line.unit_price, line.tax_rate, line.untaxed,
                               line.tax, line.total))
    credited = invoice.credited_amount or Decimal(0)
    return InvoicePrint(
        number=invoice.number, state=invoice.state, customer_code=invoice.customer.code,
        customer_name=invoice.customer.name, invoice_date=invoice.invoice_date, due_date=invoice.due_date,
        currency=invoice.currency, sales_order=order_number, lines=lines,
        untaxed=sum((line.untaxed for line in lines), Decimal(0)), tax=sum((line.tax for line in lines), Decimal(0)),
        total=sum((line.total for line in lines), Decimal(0)), credited=credited, paid=invoice.paid_amount,
        open_amount=invoice.open_amount, credit_notes=tuple(credit_note_numbers), company=company)


def credit_note_print_data(note, company: str = pdf.DEFAULT_COMPANY) -> CreditNotePrint:
    lines = []
    for line in note.lines:
        sku, name = _product(line.invoice_line)
        invoice_line = line.invoice_line
        lines.append(PrintLine(line.position, sku, name, line.qty or None,
                               invoice_line.unit_price if line.qty else None, invoice_line.tax_rate, line.untaxed,
                               line.tax, line.total))
    return CreditNotePrint(
        number=note.number, kind=note.kind, invoice=note.invoice.number, customer_code=note.customer.code,
        customer_name=note.customer.name, credit_date=note.credit_date, currency=note.invoice.currency,
        reason=note.reason or "", lines=lines, untaxed=note.untaxed, tax=note.tax, total=note.total,
        to_unapplied_credit=note.to_unapplied_credit, company=company)
