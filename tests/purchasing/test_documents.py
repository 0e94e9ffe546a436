"""The printed purchase order: supplier, lines and total in Chinese and English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from purchasing.documents import PurchaseOrderData, PurchaseOrderLineData, render_purchase_order
from tests.pdf_checks import assert_chinese_drawn, read


def _order() -> PurchaseOrderData:
    return PurchaseOrderData(
        number="PO-000007", state="confirmed", order_date=date(2026, 11, 2), supplier_code="S1",
        supplier_name="宁波电机厂 Ningbo Motors", warehouse="MAIN — 主仓库", currency="CNY",
        total=Decimal("10440.00"),
        lines=[PurchaseOrderLineData(1, "MOTOR", "电机 Motor 2.2kW", "pcs", Decimal("12.0000"), Decimal("850.0000"),
                                     Decimal("10200.00"), date(2026, 11, 16)),
               PurchaseOrderLineData(2, "GASKET", "垫片 Gasket", "pcs", Decimal("60.0000"), Decimal("4.0000"),
                                     Decimal("240.00"), date(2026, 11, 9))],
    )


def test_the_purchase_order_prints_supplier_lines_and_total_in_chinese_and_english(tmp_path):
    page = read(render_purchase_order(_order()), tmp_path)

    assert_chinese_drawn(page, "采购订单", "宁波电机厂", "电机", "垫片", "合计")
    lines = page.text.splitlines()
    motor = next(line for line in lines if "MOTOR" in line)
    assert "12" in motor and "850" in motor and "10,200.00" in motor and "2026-11-16" in motor
    assert "10,440.00" in page.text
    assert "PO-000007" in page.text and "Ningbo Motors" in page.text and "Purchase order" in page.text
