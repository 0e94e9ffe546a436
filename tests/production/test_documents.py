"""The work order sheet: what to make and its components, in Chinese and English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from production.documents import ComponentData, WorkOrderData, render_work_order_sheet
from tests.pdf_checks import assert_chinese_drawn, read


def _work_order(**changes) -> WorkOrderData:
    fields = dict(
        number="WO-000003", state="released", sku="PUMP", name="离心泵 Centrifugal pump", uom="pcs",
        qty=Decimal("10.0000"), qty_done=Decimal("0"), start_date=date(2026, 11, 10), due_date=date(2026, 11, 20),
        warehouse="MAIN — 主仓库", sales_order="SO-000001", parent_work_order="",
        components=[ComponentData("MOTOR", "电机 Motor", "pcs", Decimal("10"), Decimal("10"), Decimal("0")),
                    ComponentData("HOUSING", "泵壳 Housing", "pcs", Decimal("10"), Decimal("4"), Decimal("0"))],
    )
    fields.update(changes)
    return WorkOrderData(**fields)


def test_the_work_order_sheet_prints_the_product_and_each_component_with_its_quantities(tmp_path):
    page = read(render_work_order_sheet(_work_order()), tmp_path)

    assert_chinese_drawn(page, "生产工单", "离心泵", "电机", "泵壳", "用料清单")
    housing = next(line for line in page.text.splitlines() if "HOUSING" in line)
    assert housing.split()[-2:] == ["4", "0"]  # reserved, issued
    assert "WO-000003" in page.text and "SO-000001" in page.text and "2026-11-20" in page.text


def test_a_work_order_without_components_says_so(tmp_path):
    page = read(render_work_order_sheet(_work_order(components=[])), tmp_path)

    assert "No components" in page.text
