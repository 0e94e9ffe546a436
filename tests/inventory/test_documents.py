"""The delivery note: what leaves the warehouse for which order, and what follows later."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from inventory.documents import DeliveryLineData, DeliveryNoteData, render_delivery_note
from tests.pdf_checks import assert_chinese_drawn, read


def _note(**changes) -> DeliveryNoteData:
    fields = dict(
        number="SH-000004", state="shipped", sales_order="SO-000001", customer_code="C001",
        customer_name="杭州水务集团 Hangzhou Water", warehouse="MAIN — 主仓库", shipped_on=date(2026, 11, 21),
        lines=[DeliveryLineData(1, "PUMP", "离心泵 Pump", "pcs", Decimal("6"), Decimal("10"), Decimal("4"))],
        backorder="SH-000005",
    )
    fields.update(changes)
    return DeliveryNoteData(**fields)


def test_the_delivery_note_prints_customer_shipped_and_backordered_quantities(tmp_path):
    page = read(render_delivery_note(_note()), tmp_path)

    assert_chinese_drawn(page, "送货单", "杭州水务集团", "离心泵", "客户签收")
    pump = next(line for line in page.text.splitlines() if "PUMP" in line)
    assert pump.split()[-3:] == ["10", "6", "4"]  # ordered, shipped now, to follow
    assert "SH-000005" in page.text and "SO-000001" in page.text and "Hangzhou Water" in page.text


def test_a_complete_delivery_does_not_mention_a_backorder(tmp_path):
    page = read(render_delivery_note(_note(backorder="")), tmp_path)

    assert "The rest follows" not in page.text
