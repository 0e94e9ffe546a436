"""The printed invoice and credit note: Chinese and English labels drawn with real glyphs, the lines
as issued, what credit notes took off, and what is due."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from finance.invoicing.documents import (
    CreditNotePrint,
    InvoicePrint,
    PrintLine,
    render_credit_note,
    render_invoice,
)
from tests.pdf_checks import assert_chinese_drawn, read

D = Decimal
LINES = [PrintLine(1, "PUMP", "离心泵 Pump", D(10), D("10.05"), D("0.13"), D("100.50"), D("13.07"), D("113.57")),
         PrintLine(2, "VALVE", "闸阀 Valve", D(4), D("7.77"), D("0.13"), D("31.08"), D("4.04"), D("35.12"))]


def test_the_invoice_prints_its_lines_credits_and_amount_due_in_chinese_and_english(tmp_path):
    data = InvoicePrint(number="INV-2026-00007", state="partially_paid", customer_code="C001",
                        customer_name="杭州水务集团 Hangzhou Water", invoice_date=date(2026, 3, 2),
                        due_date=date(2026, 4, 1), currency="CNY", sales_order="SO-2026-00003", lines=LINES,
                        untaxed=D("131.58"), tax=D("17.11"), total=D("148.69"), credited=D("34.07"),
                        paid=D("50.00"), open_amount=D("64.62"), credit_notes=("CN-2026-00001",))
    page = read(render_invoice(data), tmp_path)

    assert_chinese_drawn(page, "销售发票", "杭州水务集团", "离心泵", "闸阀", "价税合计")
    pump = next(line for line in page.text.splitlines() if "PUMP" in line)
    assert pump.split()[-6:] == ["10", "10.05", "100.50", "13%", "13.07", "113.57"]
    assert "148.69" in page.text and "CN-2026-00001" in page.text and "34.07" in page.text
    assert "64.62" in page.text and "Invoice" in page.text and "SO-2026-00003" in page.text


def test_the_credit_note_prints_the_returned_quantities_and_the_credit(tmp_path):
    data = CreditNotePrint(number="CN-2026-00001", kind="return", invoice="INV-2026-00007", customer_code="C001",
                           customer_name="杭州水务集团 Hangzhou Water", credit_date=date(2026, 3, 9), currency="CNY",
                           reason="运输损坏 damaged in transit",
                           lines=[PrintLine(1, "PUMP", "离心泵 Pump", D(3), D("10.05"), D("0.13"), D("30.15"),
                                            D("3.92"), D("34.07"))],
                           untaxed=D("30.15"), tax=D("3.92"), total=D("34.07"), to_unapplied_credit=D("10.00"))
    page = read(render_credit_note(data), tmp_path)

    assert_chinese_drawn(page, "红字发票", "退货", "离心泵", "运输损坏")
    assert "INV-2026-00007" in page.text and "34.07" in page.text and "unapplied credit" in page.text
