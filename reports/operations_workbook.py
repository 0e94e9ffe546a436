"""The operations and cash reports as Excel workbooks: a sheet per part of the answer, each with a title
line (the part and the moment the answer reflects), the column titles in the reader's language and the
rows of the JSON answer. Amounts and quantities are numbers written from Decimals, dates are dates, rates
per cent; text that looks like a formula stays text (`core.exports.protect_worksheet`). Parts the reader
does not see are left out."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook

from core.exports import protect_worksheet

MONEY_FORMAT = "#,##0.00"
QTY_FORMAT = "#,##0.####"
RATE_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"

#: how each kind of column is shown
MONEY, QTY, RATE, DATE, TEXT, COUNT = "money", "qty", "rate", "date", "text", "count"
FORMATS = {MONEY: MONEY_FORMAT, QTY: QTY_FORMAT, RATE: RATE_FORMAT, DATE: DATE_FORMAT}


def _sheet(book: Workbook, title: str, stamp: str, columns: Sequence[tuple[str, str, str]],
           rows: Sequence[dict]) -> None:
    """One sheet: `columns` are (key of the row, title, kind)."""
    sheet = book.create_sheet(title[:31])
    sheet.cell(row=1, column=1, value=f"{title} ({stamp})")
    for index, (_key, heading, _kind) in enumerate(columns, start=1):
        sheet.cell(row=2, column=index, value=heading)
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = 16
    for number, row in enumerate(rows, start=3):
        for index, (key, _heading, kind) in enumerate(columns, start=1):
            cell = sheet.cell(row=number, column=index, value=row.get(key))
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
    sheet.freeze_panes = "A3"
    protect_worksheet(sheet)


def _save(book: Workbook) -> bytes:
    del book[book.sheetnames[0]]  # the empty sheet a new workbook starts with
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _stamp(answer: dict) -> str:
    moment: Any = answer["as_of"]
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)


def operations_workbook(answer: dict) -> bytes:
    """`GET /reports/operations` as a workbook: a summary sheet, then a sheet per list."""
    book, stamp = Workbook(), _stamp(answer)
    summary: list[dict] = []
    if answer["backlog"] is not None:
        summary += [{"measure": _("Order backlog"), "count": answer["backlog"]["orders"],
                     "amount": answer["backlog"]["amount"]},
                    {"measure": _("Late orders"), "count": answer["late_orders"]["orders"],
                     "amount": answer["late_orders"]["amount"]}]
    if answer["late_purchase_orders"] is not None:
        summary.append({"measure": _("Late purchase orders"), "count": answer["late_purchase_orders"]["count"]})
    if answer["late_work_orders"] is not None:
        summary.append({"measure": _("Late work orders"), "count": answer["late_work_orders"]["count"]})
    _sheet(book, _("Operations"), stamp, [("measure", _("Measure"), TEXT), ("count", _("Count"), COUNT),
                                          ("amount", _("Amount (untaxed)"), MONEY)], summary)
    if answer["late_orders"] is not None:
        _sheet(book, _("Late orders"), stamp, [
            ("number", _("Order"), TEXT), ("customer_code", _("Customer code"), TEXT), ("customer", _("Customer"), TEXT),
            ("requested_date", _("Requested date"), DATE), ("days_late", _("Days late"), COUNT),
            ("amount", _("Open amount (untaxed)"), MONEY)], answer["late_orders"]["items"])
        _sheet(book, _("On time in full"), stamp, [
            ("month", _("Month"), TEXT), ("orders_shipped", _("Orders shipped"), COUNT),
            ("on_time_in_full", _("On time in full"), COUNT), ("rate", _("Rate"), RATE)], answer["otif"])
    if answer["stock_value"] is not None:
        _sheet(book, _("Stock value"), stamp, [("product_line", _("Product line"), TEXT), ("value", _("Value"), MONEY)],
               answer["stock_value"])
        _sheet(book, _("Slow movers"), stamp, [
            ("sku", _("SKU"), TEXT), ("name", _("Product"), TEXT), ("on_hand", _("On hand"), QTY),
            ("value", _("Value"), MONEY), ("last_issue", _("Last issue"), DATE)], answer["slow_movers"])
    if answer["late_purchase_orders"] is not None:
        _sheet(book, _("Late purchase orders"), stamp, [
            ("number", _("Purchase order"), TEXT), ("supplier", _("Supplier"), TEXT),
            ("expected_date", _("Expected date"), DATE), ("days_late", _("Days late"), COUNT),
            ("late_lines", _("Late lines"), COUNT)], answer["late_purchase_orders"]["items"])
    if answer["late_work_orders"] is not None:
        _sheet(book, _("Late work orders"), stamp, [
            ("number", _("Work order"), TEXT), ("sku", _("SKU"), TEXT), ("product", _("Product"), TEXT),
            ("qty", _("Quantity"), QTY), ("qty_done", _("Done"), QTY), ("due_date", _("Due date"), DATE),
            ("days_late", _("Days late"), COUNT), ("state", _("State"), TEXT)], answer["late_work_orders"]["items"])
    return _save(book)


def cash_workbook(answer: dict) -> bytes:
    """`GET /reports/cash` as a workbook: receivable and overdue, collections per week, DSO per month."""
    book, stamp = Workbook(), _stamp(answer)
    _sheet(book, _("Cash"), stamp, [("measure", _("Measure"), TEXT), ("amount", _("Amount"), MONEY)], [
        {"measure": _("Receivable"), "amount": answer["receivable"]},
        {"measure": _("Overdue"), "amount": answer["overdue"]}])
    _sheet(book, _("Collected per week"), stamp, [("week_start", _("Week of"), DATE),
                                                  ("amount", _("Collected"), MONEY)], answer["collected_by_week"])
    _sheet(book, _("DSO per month"), stamp, [
        ("month", _("Month"), TEXT), ("receivable", _("Receivable at month end"), MONEY),
        ("sales", _("Credit sales, 90 days"), MONEY), ("dso", _("DSO (days)"), QTY)],
        answer["dso_by_month"])
    return _save(book)

