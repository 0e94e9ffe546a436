"""The web tests need the compiled translation catalogs (`make translations`
builds them; the `.mo` files are not committed). Compile any that are missing
or older than their `.po`, exactly as `pybabel compile -d core/translations` does."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "core" / "translations"


def compile_catalogs() -> None:
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog)  # fuzzy entries are left out, as pybabel does
        tmp.replace(mo)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    compile_catalogs()
