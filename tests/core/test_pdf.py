"""The shared PDF plumbing: Chinese and English both drawn, tables, page header, font fallback."""

from __future__ import annotations

from decimal import Decimal

from core import pdf
from tests.pdf_checks import assert_chinese_drawn, read


def _doc(**changes) -> pdf.Document:
    fields = dict(
        title="测试单据 Test document", number="TD-000042", company="华东泵业 East Pumps",
        meta=[("客户 Customer", "上海水务 Shanghai Water")],
        sections=[pdf.Section(title="明细 Lines", columns=[pdf.Column("物料 Product", 3),
                                                            pdf.Column("数量 Qty", 1, numeric=True)],
                              rows=[["离心泵 Pump", Decimal("12.5000")], ["垫片 Gasket", Decimal("3")]],
                              totals=["合计 Total", Decimal("15.5")])],
        notes=["备注 Remark"], signatures=["签收 Signed"],
    )
    fields.update(changes)
    return pdf.Document(**fields)


def test_a_document_draws_chinese_and_english_text_with_real_glyphs(tmp_path):
    page = read(pdf.render(_doc()), tmp_path)

    assert_chinese_drawn(page, "测试单据", "上海水务", "离心泵", "垫片", "合计", "华东泵业")
    for english in ("Test document", "Shanghai Water", "Pump", "Gasket", "TD-000042", "East Pumps"):
        assert english in page.text


def test_the_chinese_font_is_embedded_truetype_when_the_font_package_is_installed(tmp_path):
    if not pdf.FONT_FILES[0][0].is_file():
        import pytest
        pytest.skip(f"{pdf.FONT_PACKAGE} is not installed; .ci/run installs it")
    data = pdf.render(_doc())

    assert pdf.font_name() == "CJK-wqy-zenhei"
    assert b"WenQuanYiZenHei" in data  # the subset is embedded, so any reader draws it


def test_without_the_font_file_documents_fall_back_to_the_built_in_chinese_font(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "FONT_FILES", ((tmp_path / "missing.ttc", 0),))

    data = pdf.render(_doc())

    assert pdf.font_name() == pdf.FALLBACK_FONT
    assert b"STSong-Light" in data
    assert "离心泵" in read(data, tmp_path).text


def test_the_table_prints_quantities_plainly_and_the_totals_row(tmp_path):
    page = read(pdf.render(_doc()), tmp_path)

    assert "12.5" in page.text and "12.5000" not in page.text
    assert "15.5" in page.text


def test_an_empty_table_says_so_instead_of_printing_nothing(tmp_path):
    section = pdf.Section(columns=[pdf.Column("物料 Product"), pdf.Column("数量 Qty")], rows=[], empty="无 None")

    page = read(pdf.render(_doc(sections=[section])), tmp_path)

    assert "无 None" in page.text


def test_markup_characters_in_data_are_printed_not_interpreted(tmp_path):
    page = read(pdf.render(_doc(meta=[("备注 Note", "A <b>&</b> B")])), tmp_path)

    assert "A <b>&</b> B" in page.text


def test_every_page_carries_the_company_and_the_document_number(tmp_path):
    rows = [[f"物料 {i}", Decimal(i)] for i in range(120)]
    section = pdf.Section(columns=[pdf.Column("物料 Product"), pdf.Column("数量 Qty", numeric=True)], rows=rows)

    page = read(pdf.render(_doc(sections=[section])), tmp_path)

    pages = page.text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 2
    assert all("East Pumps" in p and "TD-000042" in p for p in pages if p.strip())


def test_quantities_and_money_are_formatted_for_print():
    assert pdf.qty(Decimal("10.0000")) == "10"
    assert pdf.qty(Decimal("2.5000")) == "2.5"
    assert pdf.qty(Decimal("100")) == "100"
    assert pdf.money(Decimal("12345.6")) == "12,345.60"
