"""The work order sheet (reportlab): what to make, how many, by when, and its components with
what is reserved and issued. Plain data in, PDF bytes out; bilingual labels for the shop floor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core import pdf


@dataclass(frozen=True)
class ComponentData:
    sku: str
    name: str
    uom: str
    qty_required: Decimal
    qty_reserved: Decimal
    qty_issued: Decimal


@dataclass(frozen=True)
class WorkOrderData:
    number: str
    state: str
    sku: str
    name: str
    uom: str
    qty: Decimal
    qty_done: Decimal
    start_date: date
    due_date: date
    warehouse: str
    components: Sequence[ComponentData]
    sales_order: str = ""  # the order it serves, if any
    parent_work_order: str = ""  # the work order it feeds, if any
    company: str = pdf.DEFAULT_COMPANY


COLUMNS = (
    pdf.Column("物料编码 SKU", 1.3), pdf.Column("品名 Description", 2.6), pdf.Column("单位 Unit", 0.6),
    pdf.Column("需求 Required", 1, numeric=True), pdf.Column("已锁定 Reserved", 1, numeric=True),
    pdf.Column("已发料 Issued", 1, numeric=True), pdf.Column("实发 Picked", 1),
)


def work_order_sheet(data: WorkOrderData) -> pdf.Document:
    rows = [[c.sku, c.name, c.uom, pdf.qty(c.qty_required), pdf.qty(c.qty_reserved), pdf.qty(c.qty_issued), ""]
            for c in data.components]
    meta = [("工单编号 Work order", data.number),
            ("产品 Product", f"{data.sku} — {data.name}"),
            ("数量 Quantity", f"{pdf.qty(data.qty)} {data.uom}"),
            ("已完工 Completed", f"{pdf.qty(data.qty_done)} {data.uom}"),
            ("开工日期 Start", data.start_date.isoformat()),
            ("完工日期 Due", data.due_date.isoformat()),
            ("仓库 Warehouse", data.warehouse),
            ("状态 State", data.state)]
    if data.sales_order:
        meta.append(("销售订单 Sales order", data.sales_order))
    if data.parent_work_order:
        meta.append(("上级工单 Feeds work order", data.parent_work_order))
    return pdf.Document(
        title="生产工单 Work order sheet", number=data.number, company=data.company, meta=meta,
        sections=[pdf.Section(columns=COLUMNS, rows=rows, title="用料清单 Components",
                              empty="无用料 No components")],
        notes=["领料时请在“实发”栏填写实际数量。 Write the quantity actually picked in the last column."],
        signatures=["领料人 Picked by", "仓库 Warehouse", "完工检验 Checked by"],
    )


def render_work_order_sheet(data: WorkOrderData) -> bytes:
    return pdf.render(work_order_sheet(data))
