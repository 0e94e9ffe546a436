"""Spreadsheets and CSV files that are safe to open.

A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula
by a spreadsheet program: a customer named `=HYPERLINK("http://...","Pay here")` would become a live link
in finance's workbook. Every export writes such text as text: in a workbook the cell is a string with
Excel's quote prefix (shown as typed, never evaluated, also after an edit); in a CSV file the text gets a
leading apostrophe, the usual convention, since CSV has no cell types. Exports never write formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """The value as a CSV export writes it: text that would start a formula gets a leading apostrophe."""
    return "'" + value if looks_like_formula(value) else value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A UTF-8 CSV file (with a byte-order mark, so spreadsheet programs read Chinese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(str(h)) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def protect_worksheet(worksheet) -> None:
    """Turn every cell of an openpyxl worksheet that holds formula-like text back into plain text."""
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" or looks_like_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
