"""The printed quote: bilingual labels, the lines with their discounts, and the totals with VAT;
Chinese drawn with real glyphs (read back as text and as pixels)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from core import services as core_services
from crm.pipeline import services as pipeline
from crm.quotes import services as quotes
from crm.quotes.documents import QuoteData, QuoteLineData, render_quote
from tests.conftest import make_user, uow_for
from tests.pdf_checks import assert_chinese_drawn, read

D = Decimal


def _quote() -> QuoteData:
    return QuoteData(
        number="QT-2026-00012", version=2, state="已批准 Approved", quote_date=date(2026, 11, 23),
        valid_until=date(2026, 12, 23), customer_code="C100", customer_name="苏州水务集团 Suzhou Water",
        contact="陈刚", opportunity="OPP-2026-00003 — 二期泵站", currency="CNY",
        untaxed=D("19700.00"), tax=D("2561.00"), total=D("22261.00"),
        lines=[QuoteLineData(1, "PUMP-CF50", "离心泵 Centrifugal pump", "pcs", D("10.0000"), D("1800.0000"),
                             D("0.0500"), D("17100.00"), D("0.1300"), D("19323.00")),
               QuoteLineData(2, "SEAL-KIT", "密封件 Seal kit", "set", D("20.0000"), D("130.0000"), D("0"),
                             D("2600.00"), D("0.1300"), D("2938.00"))])


def test_the_quote_prints_lines_with_discounts_and_totals_with_vat_in_chinese_and_english(tmp_path):
    page = read(render_quote(_quote()), tmp_path)

    assert_chinese_drawn(page, "报价单", "苏州水务集团", "离心泵", "密封件", "增值税")
    lines = page.text.splitlines()
    pump = next(line for line in lines if "PUMP-CF50" in line)
    assert "1,800.00" in pump and "5%" in pump and "17,100.00" in pump and "13%" in pump and "19,323.00" in pump
    seal = next(line for line in lines if "SEAL-KIT" in line)
    assert "2,600.00" in seal and "2,938.00" in seal
    assert "19,700.00" in page.text and "2,561.00" in page.text and "22,261.00" in page.text
    assert "QT-2026-00012 v2" in page.text and "Quotation" in page.text and "Total incl. VAT" in page.text


def test_print_quote_reads_the_stored_quote_in_the_readers_scope(db, tmp_path):
    rep = make_user(db, "sales_rep")
    product = core_services.create_product(uow_for(db), {"sku": f"P-{rep.id}", "name": "离心泵 Pump", "kind": "buy",
                                                          "list_price": D("1000")})
    customer = core_services.create_customer(uow_for(db, rep), {"code": f"QD-{rep.id}", "name": "宁波阀门厂"})
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "阀门"},
                                              now=datetime(2026, 11, 23, tzinfo=UTC))
    quote = quotes.create_quote(uow_for(db, rep), {"opportunity_id": opportunity.id, "lines": [
        {"product_id": product.id, "qty": D("3"), "discount": D("0.10")}]}, now=datetime(2026, 11, 23, tzinfo=UTC))

    name, pdf = quotes.print_quote(uow_for(db, rep), quote.id)

    page = read(pdf, tmp_path)
    assert name == f"{quote.number}-v1.pdf"
    assert_chinese_drawn(page, "宁波阀门厂", "离心泵", "草稿")
    assert "2,700.00" in page.text and "351.00" in page.text and "3,051.00" in page.text and "10%" in page.text
