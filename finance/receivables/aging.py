"""The aging report's other shapes: an Excel workbook (pandas with openpyxl) and the geometry of the
stacked bar chart the aging page draws as inline SVG. Plain data in (the rows of
`finance.queries.aging`), bytes or plain data out; labels come translated from the caller."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from core.exports import protect_worksheet
from core.money import ZERO
from finance.queries import BUCKETS, AgingRow

MONEY_FORMAT = "#,##0.00"


def aging_workbook(rows: Sequence[AgingRow], totals: AgingRow, *, as_of: date, labels: Mapping[str, str]) -> bytes:
    """One sheet: a row per customer (code, name, the five buckets, total, sales of the DSO window,
    DSO) and a last row of totals. Amounts are numbers with two decimals, written from Decimals;
    `labels` names the columns (keys: code, name, the buckets, total, sales, dso, totals, sheet)."""
    columns = ["code", "name", *BUCKETS, "total", "sales", "dso"]
    records = [[row.customer_code, row.customer_name, *(row.buckets[key] for key in BUCKETS), row.total,
                row.sales, row.dso] for row in rows]
    records.append([str(labels["totals"]), "", *(totals.buckets[key] for key in BUCKETS), totals.total,
                    totals.sales, totals.dso])
    frame = pd.DataFrame(records, columns=[str(labels[c]) for c in columns], dtype=object)
    buffer = io.BytesIO()
    sheet = str(labels["sheet"])[:31]
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False, startrow=1)
        worksheet = next(iter(writer.sheets.values()))  # the only sheet (openpyxl may rename it)
        worksheet.cell(row=1, column=1, value=f"{labels['as_of']} {as_of.isoformat()}")
        for column in range(3, len(columns) + 1):
            for (cell,) in worksheet.iter_rows(min_row=3, min_col=column, max_col=column):
                cell.number_format = "0.0" if column == len(columns) else MONEY_FORMAT
        worksheet.column_dimensions["B"].width = 32
        for letter in "CDEFGHIJ":
            worksheet.column_dimensions[letter].width = 15
        worksheet.freeze_panes = "C3"
        protect_worksheet(worksheet)  # a customer's name is text, even when it starts like a formula
    return buffer.getvalue()


# --------------------------------------------------------------------------- chart

CHART_WIDTH, CHART_HEIGHT = 640, 280
PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT = 24, 240, 16
BAR_WIDTH, BAR_GAP = 84, 36
COLOURS = ("#1f4e79", "#2e75b6", "#70a1d7", "#c55a11", "#f4b183", "#a5a5a5")
TOP_CUSTOMERS = 5  # the others share one segment


@dataclass(frozen=True)
class Segment:
    customer: str  # "C1 — Name", or the label of the other customers
    amount: Decimal
    x: float
    y: float
    height: float
    colour: str


@dataclass(frozen=True)
class Bar:
    bucket: str
    label: str
    total: Decimal
    x: float
    width: float
    top: float  # y of the bar's top (for its total)
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...]  # (customer, colour)


def aging_chart(rows: Sequence[AgingRow], totals: AgingRow, *, labels: Mapping[str, str],
                others: str) -> Chart:
    """A bar per bucket, as high as the bucket's open amount, stacked by customer: the
    TOP_CUSTOMERS largest receivables each in a colour of their own, the rest in one segment.
    Coordinates are pixels (floats for drawing only; the amounts stay Decimals)."""
    ranked = sorted(rows, key=lambda r: (-r.total, r.customer_code))
    top = ranked[:TOP_CUSTOMERS]
    rest = ranked[TOP_CUSTOMERS:]
    series: list[tuple[str, dict[str, Decimal]]] = [(f"{r.customer_code} — {r.customer_name}", r.buckets) for r in top]
    if rest:
        series.append((others, {key: sum((r.buckets[key] for r in rest), ZERO) for key in BUCKETS}))
    highest = max((totals.buckets[key] for key in BUCKETS), default=ZERO)
    scale = Decimal(PLOT_BOTTOM - PLOT_TOP) / highest if highest > 0 else ZERO
    bars = []
    for index, key in enumerate(BUCKETS):
        x = PLOT_LEFT + index * (BAR_WIDTH + BAR_GAP) + BAR_GAP / 2
        y = Decimal(PLOT_BOTTOM)
        segments = []
        for (name, buckets), colour in zip(series, COLOURS, strict=False):
            amount = buckets[key]
            if amount <= 0:
                continue
            height = amount * scale
            y -= height
            segments.append(Segment(name, amount, x, round(float(y), 1), round(float(height), 1), colour))
        bars.append(Bar(key, str(labels[key]), totals.buckets[key], x, BAR_WIDTH, round(float(y), 1),
                        tuple(segments)))
    legend = tuple((name, colour) for (name, _b), colour in zip(series, COLOURS, strict=False))
    return Chart(CHART_WIDTH, CHART_HEIGHT, PLOT_BOTTOM, tuple(bars), legend)
