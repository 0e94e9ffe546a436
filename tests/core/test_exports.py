"""Exports write formula-like text as text."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from core.exports import csv_bytes, csv_cell, protect_worksheet


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_start_a_formula_is_written_as_text(text):
    assert csv_cell(text) == "'" + text
    book = Workbook()
    book.active.append([text, "plain", 5])
    protect_worksheet(book.active)
    buffer = io.BytesIO()
    book.save(buffer)
    cells = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows())
    stored = text.replace("\r", "\n")  # the workbook's XML keeps no bare carriage return
    assert [(c.value, c.data_type) for c in cells] == [(stored, "s"), ("plain", "s"), (5, "n")]
    assert cells[0].quotePrefix is True


def test_ordinary_values_and_numbers_pass_unchanged_and_csv_is_excel_friendly():
    assert [csv_cell(v) for v in ("Acme", "华南泵业", -5, None)] == ["Acme", "华南泵业", -5, None]
    data = csv_bytes(["name", "amount"], [["=cmd|' /C calc'!A0", "12.50"], ["华南泵业", "-3"]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "amount"], ["'=cmd|' /C calc'!A0", "12.50"], ["华南泵业", "'-3"]]
