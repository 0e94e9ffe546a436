"""The printed purchase order (reportlab): plain data in, PDF bytes out.

Labels are bilingual (Chinese first, then English), as suppliers in China expect them; the data
(product names, supplier) is printed as it is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core import pdf


@dataclass(frozen=True)
class PurchaseOrderLineData:
    position: int
    sku: str
    name: str
    uom: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal
    expected_date: date
    qty_received: Decimal = Decimal(0)


@dataclass(frozen=True)
class PurchaseOrderData:
    number: str
    state: str
    order_date: date
    supplier_code: str
    supplier_name: str
    warehouse: str
    currency: str
    total: Decimal
    lines: Sequence[PurchaseOrderLineData]
    company: str = pdf.DEFAULT_COMPANY


COLUMNS = (
    pdf.Column("序号 No.", 0.5), pdf.Column("物料编码 SKU", 1.3), pdf.Column("品名 Description", 2.6),
    pdf.Column("数量 Qty", 0.9, numeric=True), pdf.Column("单位 Unit", 0.6),
    pdf.Column("单价 Unit price", 1.1, numeric=True), pdf.Column("金额 Amount", 1.2, numeric=True),
    pdf.Column("交货日期 Delivery", 1.2),
)


def purchase_order(data: PurchaseOrderData) -> pdf.Document:
    rows = [[line.position, line.sku, line.name, pdf.qty(line.qty), line.uom, pdf.text(line.unit_price),
             pdf.money(line.amount), line.expected_date.isoformat()] for line in data.lines]
    return pdf.Document(
        title="采购订单 Purchase order", number=data.number, company=data.company,
        meta=[("订单编号 Order number", data.number),
              ("供应商 Supplier", f"{data.supplier_code} — {data.supplier_name}"),
              ("订单日期 Order date", data.order_date.isoformat()),
              ("收货仓库 Deliver to", data.warehouse),
              ("币种 Currency", data.currency),
              ("状态 State", data.state)],
        sections=[pdf.Section(columns=COLUMNS, rows=rows, title="订单明细 Order lines",
                              totals=["", "", "合计 Total", "", "", "", pdf.money(data.total), ""])],
        notes=["单价不含增值税，请按交货日期送货并随货附送货单。"
               " Prices exclude VAT; please deliver by the dates above with a delivery note."],
        signatures=["采购方签字 Buyer", "供应商确认 Supplier"],
    )


def render_purchase_order(data: PurchaseOrderData) -> bytes:
    return pdf.render(purchase_order(data))
