"""Every report as an Excel workbook: one sheet with a title line (the report and the moment it
reflects), the column titles in the reader's language and a row per answer row. Decimals are written
as numbers with two decimals; text that looks like a formula stays text."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import pandas as pd
from flask import Response

from core.exports import protect_worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


def table_workbook(title: str, columns: Mapping[str, str], rows: Sequence[Mapping], *, as_of: datetime | str,
                   sheet: str = "Report") -> bytes:
    """`columns` maps each key of the rows to its title, in order."""
    keys = list(columns)
    frame = pd.DataFrame([[row.get(key) for key in keys] for row in rows],
                         columns=[str(columns[key]) for key in keys], dtype=object)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False, startrow=1)
        worksheet = next(iter(writer.sheets.values()))
        stamp = as_of.isoformat() if isinstance(as_of, datetime) else str(as_of)
        worksheet.cell(row=1, column=1, value=f"{title} ({stamp})")
        for index, key in enumerate(keys, start=1):
            if any(isinstance(row.get(key), Decimal) for row in rows):
                for (cell,) in worksheet.iter_rows(min_row=3, min_col=index, max_col=index):
                    cell.number_format = MONEY_FORMAT
        protect_worksheet(worksheet)
    return buffer.getvalue()


def workbook_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
