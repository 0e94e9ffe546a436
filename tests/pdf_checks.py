"""Look at a rendered PDF the way a reader does: its text (pdftotext) and its pixels (pdftoppm),
so that tests can prove Chinese is drawn with real glyphs, not blank and not tofu boxes."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from PIL import Image

DPI = 100
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def need_poppler() -> None:
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils (pdftoppm, pdftotext) is not installed; .ci/run installs it")


@dataclass
class Page:
    text: str
    words: list[tuple[str, tuple[float, float, float, float]]]  # text, box in points
    image: Image.Image  # the first page, greyscale

    def box(self, word: str) -> tuple[float, float, float, float]:
        return next(b for w, b in self.words if w == word)

    def crop(self, box: tuple[float, float, float, float]) -> Image.Image:
        scale = DPI / 72
        return self.image.crop(tuple(round(v * scale) for v in box))

    def dark_share(self, box: tuple[float, float, float, float]) -> float:
        histogram = self.crop(box).histogram()
        return sum(histogram[:128]) / max(sum(histogram), 1)

    def first_glyph(self, word: str) -> bytes:
        x0, y0, x1, y1 = self.box(word)
        return self.crop((x0, y0, x0 + (x1 - x0) / len(word), y1)).tobytes()


def read(pdf: bytes, tmp_path: Path) -> Page:
    need_poppler()
    assert pdf.startswith(b"%PDF-")
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(source), "-"], check=True,
                          capture_output=True, text=True).stdout
    words = [(unescape(m[4]), (float(m[0]), float(m[1]), float(m[2]), float(m[3]))) for m in WORD.findall(bbox)]
    subprocess.run(["pdftoppm", "-png", "-gray", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(tmp_path / "page")], check=True)
    return Page(text=text, words=words, image=Image.open(tmp_path / "page.png").convert("L"))


def assert_chinese_drawn(page: Page, *words: str) -> None:
    """Each word comes back as text, its box on the page is inked, and different characters
    are drawn differently (tofu would draw one and the same box for all of them)."""
    for word in words:
        assert word in page.text, f"{word!r} is not in the PDF's text"
        assert any(w == word for w, _b in page.words), f"{word!r} is not a word on page 1"
        assert page.dark_share(page.box(word)) > 0.03, f"{word!r} is printed blank"
    glyphs = {page.first_glyph(w) for w in words}
    assert len(glyphs) == len({w[0] for w in words}), "different Chinese characters look the same (tofu)"
