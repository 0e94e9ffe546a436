"""The printed quote (reportlab): plain data in, PDF bytes out.

Labels are bilingual (Chinese first, then English), as customers in China expect them; product
names and the customer are printed as stored. Each line shows its list-based unit price, the
discount, the amount before VAT, the VAT rate and the amount with VAT; the totals give the amount
before VAT, the VAT and the total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core import pdf


@dataclass(frozen=True)
class QuoteLineData:
    position: int
    sku: str
    name: str
    uom: str
    qty: Decimal
    unit_price: Decimal
    discount: Decimal      # a fraction: 0.05 is 5 %
    untaxed: Decimal
    tax_rate: Decimal
    total: Decimal


@dataclass(frozen=True)
class QuoteData:
    number: str
    version: int
    state: str
    quote_date: date
    valid_until: date | None
    customer_code: str
    customer_name: str
    contact: str
    opportunity: str
    currency: str
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    lines: Sequence[QuoteLineData]
    note: str | None = None
    company: str = pdf.DEFAULT_COMPANY


COLUMNS = (
    pdf.Column("序号 No.", 0.55), pdf.Column("物料编码 SKU", 1.35), pdf.Column("品名 Description", 1.9),
    pdf.Column("数量 Qty", 0.6, numeric=True), pdf.Column("单位 Unit", 0.6),
    pdf.Column("单价 Unit price", 1.0, numeric=True), pdf.Column("折扣 Discount", 1.0, numeric=True),
    pdf.Column("未税金额 Net", 1.1, numeric=True), pdf.Column("税率 VAT", 0.6, numeric=True),
    pdf.Column("含税金额 Amount", 1.1, numeric=True),
)


def percent(rate: Decimal) -> str:
    return f"{pdf.qty(rate * 100)}%"


def quote(data: QuoteData) -> pdf.Document:
    rows = [[line.position, line.sku, line.name, pdf.qty(line.qty), line.uom, pdf.money(line.unit_price),
             percent(line.discount) if line.discount else "—", pdf.money(line.untaxed), percent(line.tax_rate),
             pdf.money(line.total)] for line in data.lines]
    totals = pdf.Section(
        columns=(pdf.Column("合计 Totals", 3), pdf.Column(f"金额 Amount ({data.currency})", 1, numeric=True)),
        rows=[["未税合计 Total before VAT", pdf.money(data.untaxed)], ["增值税 VAT", pdf.money(data.tax)]],
        totals=["含税总计 Total incl. VAT", pdf.money(data.total)])
    meta = [("报价单号 Quote number", f"{data.number} v{data.version}"),
            ("客户 Customer", f"{data.customer_code} — {data.customer_name}"),
            ("报价日期 Date", data.quote_date.isoformat()),
            ("有效期至 Valid until", data.valid_until.isoformat() if data.valid_until else "—"),
            ("币种 Currency", data.currency),
            ("状态 State", data.state)]
    if data.contact:
        meta.insert(2, ("联系人 Contact", data.contact))
    if data.opportunity:
        meta.append(("商机 Opportunity", data.opportunity))
    notes = ["每行列明增值税，折扣已计入未税金额。本报价有效期至上述日期，以双方签署的销售订单为准。"
             " VAT is shown per line; discounts are included in the net amounts. This quote is valid until the"
             " date above and binds once a sales order is signed by both parties."]
    if data.note:
        notes.insert(0, data.note)
    return pdf.Document(
        title="报价单 Quotation", number=f"{data.number} v{data.version}", company=data.company, meta=meta,
        sections=[pdf.Section(columns=COLUMNS, rows=rows, title="报价明细 Quoted items"),
                  totals],
        notes=notes, signatures=["报价方签字 For the seller", "客户确认 Accepted by the customer"])


def render_quote(data: QuoteData) -> bytes:
    return pdf.render(quote(data))


STATE_LABELS = {"draft": "草稿 Draft", "pending_approval": "待审批 Waiting for approval", "approved": "已批准 Approved",
                "accepted": "已接受 Accepted", "rejected": "已拒绝 Declined", "superseded": "已作废 Superseded"}
