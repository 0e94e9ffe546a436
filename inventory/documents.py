"""The delivery note (reportlab) that travels with a shipment: plain data in, PDF bytes out.
Bilingual labels; the customer signs for receipt at the bottom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core import pdf


@dataclass(frozen=True)
class DeliveryLineData:
    position: int
    sku: str
    name: str
    uom: str
    qty: Decimal
    qty_ordered: Decimal | None = None  # the order line's quantity, when known
    qty_backordered: Decimal | None = None  # what still follows later


@dataclass(frozen=True)
class DeliveryNoteData:
    number: str
    state: str
    sales_order: str
    customer_code: str
    customer_name: str
    warehouse: str
    lines: Sequence[DeliveryLineData]
    shipped_on: date | None = None
    backorder: str = ""  # the number of the shipment that carries the rest
    company: str = pdf.DEFAULT_COMPANY


COLUMNS = (
    pdf.Column("序号 No.", 0.5), pdf.Column("物料编码 SKU", 1.3), pdf.Column("品名 Description", 2.8),
    pdf.Column("单位 Unit", 0.6), pdf.Column("订购 Ordered", 1, numeric=True),
    pdf.Column("本次发货 Shipped", 1.1, numeric=True), pdf.Column("待发 To follow", 1, numeric=True),
)


def delivery_note(data: DeliveryNoteData) -> pdf.Document:
    rows = [[line.position, line.sku, line.name, line.uom, pdf.qty(line.qty_ordered), pdf.qty(line.qty),
             pdf.qty(line.qty_backordered)] for line in data.lines]
    meta = [("送货单号 Delivery note", data.number),
            ("销售订单 Sales order", data.sales_order),
            ("客户 Customer", f"{data.customer_code} — {data.customer_name}"),
            ("发货仓库 Ship from", data.warehouse),
            ("发货日期 Shipped on", data.shipped_on.isoformat() if data.shipped_on else "—"),
            ("状态 State", data.state)]
    notes = []
    if data.backorder:
        notes.append(f"余下货物将随 {data.backorder} 发出。 The rest follows with {data.backorder}.")
    notes.append("请当面点清货物，如有差异请在签收时注明。 Please check the goods on receipt and note any difference.")
    return pdf.Document(
        title="送货单 Delivery note", number=data.number, company=data.company, meta=meta,
        sections=[pdf.Section(columns=COLUMNS, rows=rows, title="发货明细 Lines")],
        notes=notes, signatures=["发货人 Shipped by", "承运人 Carrier", "客户签收 Received by"],
    )


def render_delivery_note(data: DeliveryNoteData) -> bytes:
    return pdf.render(delivery_note(data))
