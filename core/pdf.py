"""The shared plumbing of printed documents (reportlab): a font that draws Chinese, one page
template with the company header and page numbers, and a table helper.

A renderer takes plain data, never ORM objects, and gives bytes back::

    doc = Document(title="采购订单 Purchase order", number="PO-000001",
                   meta=[("供应商 Supplier", "S1 — 上海电机")],
                   sections=[Section(columns=[...], rows=[...])])
    pdf_bytes = render(doc)

Chinese glyphs need a TrueType CJK font: reportlab cannot embed the CFF-based OpenType of Noto
CJK. We register WenQuanYi Zen Hei (Debian package `fonts-wqy-zenhei`) and embed the glyphs it
uses; when that file is missing we fall back to reportlab's built-in CID font STSong-Light, which
every PDF reader can draw without the font being embedded."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from core import clock
from core.formatting import CHINA

FONT_PACKAGE = "fonts-wqy-zenhei"
FONT_FILES: tuple[tuple[Path, int], ...] = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0),  # fonts-arphic-uming
)
FALLBACK_FONT = "STSong-Light"
DEFAULT_COMPANY = "CRM-ERP Suite"


def font_name() -> str:
    """The name of the font documents are printed in (registered on first use)."""
    return _register(FONT_FILES)


@cache
def _register(candidates: tuple[tuple[Path, int], ...]) -> str:
    """Register the first TrueType CJK file found, else the built-in CID font; give its name."""
    for path, index in candidates:
        if path.is_file():
            name = f"CJK-{path.stem}"
            pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
            return name
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


# --------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Column:
    title: str
    width: float = 1.0  # relative share of the page width
    numeric: bool = False  # right-aligned


@dataclass(frozen=True)
class Section:
    """A titled table: one row per line, cells are text, numbers or Decimals."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]
    title: str = ""
    totals: Sequence[object] | None = None  # an emphasised last row
    empty: str = "—"  # shown when there are no rows


@dataclass(frozen=True)
class Document:
    title: str
    number: str
    meta: Sequence[tuple[str, object]] = ()  # label/value pairs under the title
    sections: Sequence[Section] = ()
    notes: Sequence[str] = ()  # paragraphs after the tables
    signatures: Sequence[str] = ()  # labels of signature boxes at the end
    company: str = DEFAULT_COMPANY
    printed_at: datetime | None = None


# --------------------------------------------------------------------------- rendering


def text(value: object) -> str:
    """A cell's printed text: Decimals without exponent or needless trailing zeros (format money
    with `money` before handing it over)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return qty(value)
    return str(value)


def qty(value: Decimal | None) -> str:
    """A quantity as printed: `10`, `2.5`, never `10.0000` nor `1E+1`."""
    if value is None:
        return ""
    normal = value.normalize()
    return format(normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal, "f")


def money(value: Decimal | None) -> str:
    """An amount with two decimals and thousands separators: `12,345.60`."""
    return "" if value is None else f"{value.quantize(Decimal('0.01')):,}"


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        # headings are "中文 English": break them at the space, never inside the English word
        "head": ParagraphStyle("head", parent=base, textColor=colors.white, wordWrap=None),
        "head_right": ParagraphStyle("head_right", parent=base, textColor=colors.white, alignment=TA_RIGHT,
                                     wordWrap=None),
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=20, spaceAfter=2 * mm),
        "section": ParagraphStyle("section", parent=base, fontSize=11, leading=14, spaceBefore=4 * mm,
                                  spaceAfter=2 * mm),
    }


def _escape(value: object) -> str:
    escaped = text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


def table(section: Section, *, width: float, font: str) -> Table:
    """The table helper: header row, zebra lines, numbers right-aligned, an optional totals row."""
    st = _styles(font)
    share = sum(c.width for c in section.columns) or 1
    widths = [width * c.width / share for c in section.columns]
    header = [Paragraph(_escape(c.title), st["head_right" if c.numeric else "head"]) for c in section.columns]
    body_rows = list(section.rows) or [[section.empty] + [""] * (len(section.columns) - 1)]
    rows = [[Paragraph(_escape(v), st["right" if c.numeric else "base"]) for c, v in zip(section.columns, row, strict=True)]
            for row in body_rows]
    if section.totals is not None:
        rows.append([Paragraph(_escape(v), st["right" if c.numeric else "base"])
                     for c, v in zip(section.columns, section.totals, strict=True)])
    t = Table([header, *rows], colWidths=widths, repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b7c3")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f2f5f9")) for i in range(2, len(rows) + 1, 2)]
    if not section.rows:
        style.append(("SPAN", (0, 1), (-1, 1)))
    if section.totals is not None:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black))
    t.setStyle(TableStyle(style))
    return t


class _Signatures(Flowable):
    def __init__(self, labels: Sequence[str], width: float, font: str):
        super().__init__()
        self.labels, self.width, self.font, self.height = labels, width, font, 22 * mm

    def draw(self) -> None:
        box = self.width / len(self.labels)
        for i, label in enumerate(self.labels):
            x = i * box
            self.canv.setFont(self.font, 9)
            self.canv.drawString(x, self.height - 4 * mm, label)
            self.canv.line(x, 4 * mm, x + box - 8 * mm, 4 * mm)


def render(doc: Document) -> bytes:
    """The document as PDF bytes, A4 portrait, company header and page numbers on every page."""
    font = font_name()
    st = _styles(font)
    buffer = io.BytesIO()
    margin = 15 * mm
    frame_width = A4[0] - 2 * margin
    printed = (doc.printed_at or clock.now().astimezone(CHINA)).strftime("%Y-%m-%d %H:%M")

    def decorate(canvas, template) -> None:
        canvas.saveState()
        canvas.setFont(font, 10)
        canvas.drawString(margin, A4[1] - 12 * mm, doc.company)
        canvas.drawRightString(A4[0] - margin, A4[1] - 12 * mm, doc.number)
        canvas.setStrokeColor(colors.HexColor("#1f4e79"))
        canvas.line(margin, A4[1] - 14 * mm, A4[0] - margin, A4[1] - 14 * mm)
        canvas.setFont(font, 8)
        canvas.drawString(margin, 9 * mm, printed)
        canvas.drawRightString(A4[0] - margin, 9 * mm, f"{template.page}")
        canvas.restoreState()

    story: list[Flowable] = [Paragraph(_escape(doc.title), st["title"])]
    if doc.meta:
        meta = Table([[Paragraph(_escape(k), st["base"]), Paragraph(_escape(v), st["base"])] for k, v in doc.meta],
                     colWidths=[frame_width * 0.28, frame_width * 0.72])
        meta.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story += [meta, Spacer(1, 3 * mm)]
    for section in doc.sections:
        if section.title:
            story.append(Paragraph(_escape(section.title), st["section"]))
        story.append(table(section, width=frame_width, font=font))
    for note in doc.notes:
        story += [Spacer(1, 3 * mm), Paragraph(_escape(note), st["base"])]
    if doc.signatures:
        story += [Spacer(1, 10 * mm), _Signatures(doc.signatures, frame_width, font)]

    template = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin,
                                 topMargin=20 * mm, bottomMargin=15 * mm, title=doc.title,
                                 author=doc.company, subject=doc.number)
    template.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
