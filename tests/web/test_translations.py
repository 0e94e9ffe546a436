"""The Simplified Chinese catalog covers every string the sources mark for
translation, as `babel.cfg` extracts them: nothing empty, nothing fuzzy, and the
same %(name)s placeholders as the English text."""

from __future__ import annotations

import os
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "core" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def marked_strings() -> set[str]:
    """What `pybabel extract -F babel.cfg -k _l -k lazy_gettext` finds."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

    def wanted(path: str) -> bool:
        name = os.path.basename(path)
        return not name.startswith((".", "_")) and name != "node_modules"

    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords, directory_filter=wanted):
        found.add(message if isinstance(message, str) else message[0])
    return found


def chinese_catalog():
    with CATALOG.open("rb") as po:
        return read_po(po)


def test_every_marked_string_has_a_chinese_translation():
    marked = marked_strings()
    assert {"Customers", "Credit limit", "Sign in", "New %(kind)s"} <= marked  # the extraction sees views and templates
    catalog = chinese_catalog()
    missing = sorted(m for m in marked if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"not in {CATALOG.relative_to(ROOT)} (see core/translations/README.md): {missing}"


def test_no_chinese_entry_is_fuzzy_and_placeholders_are_kept():
    entries = [m for m in chinese_catalog() if m.id]
    assert len(entries) > 50
    assert [m.id for m in entries if m.fuzzy] == []
    changed = [(m.id, m.string) for m in entries
               if sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert changed == []
    untranslated = [m.id for m in entries if not m.string or m.string == m.id and m.id.isalpha()]
    assert untranslated == []
