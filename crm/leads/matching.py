"""Normalized keys for duplicate detection: phone, e-mail and company name (Chinese and English).

Pure functions, no database."""

from __future__ import annotations

import re
import unicodedata

from crm.leads.regions import PLACES, SUFFIXES

# longest first, so that 股份有限公司 is taken off before 有限公司
CHINESE_SUFFIXES = sorted((
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "总公司", "分公司", "公司",
    "股份", "实业", "控股",
), key=len, reverse=True)
ENGLISH_SUFFIXES = {
    "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "plc", "gmbh",
    "group", "holdings", "holding", "sa", "ag", "bv", "pte", "pty", "lp", "llp",
}
BRACKETS = "()（）[]【】〔〕{}"
_PUNCT = re.compile(r"[\s\.,，。、·&\-_/'\"’‘“”:;：；!?！？+]+")


def normalize_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def normalize_phone(value: str | None) -> str | None:
    """Digits only, without the China country code (+86, 0086, 86 before an 11-digit mobile)."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def normalize_company(value: str | None) -> str | None:
    """Lower-case, full-width folded, brackets and punctuation dropped (their text kept), and the legal
    suffixes removed from the end until none is left: 上海宝钢（集团）股份有限公司 → 上海宝钢,
    "ACME Co., Ltd." → "acme"."""
    text = unicodedata.normalize("NFKC", value or "").lower()
    for bracket in BRACKETS:
        text = text.replace(bracket, " ")
    words = [w for w in _PUNCT.split(text) if w]
    while len(words) > 1 and words[-1] in ENGLISH_SUFFIXES:
        words.pop()
    text = "".join(words)
    changed = True
    while changed:
        changed = False
        for suffix in CHINESE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)], True
                break
    return text or None


_BRACKETED = re.compile(r"[(\[{【〔]([^()\[\]{}【】〔〕]*)[)\]}】〕]")
_PLACE = "(?:" + "|".join(map(re.escape, PLACES)) + ")(?:" + "|".join(map(re.escape, SUFFIXES)) + ")?"
_BRACKETED_PLACE = re.compile(rf"^\s*{_PLACE}\s*$")
_LEADING_PLACE = re.compile(rf"^\s*{_PLACE}")
#: A name left shorter than this once its place is dropped keeps the place (上海有限公司 stays 上海).
MIN_KEY_LENGTH = 2


def company_key(value: str | None) -> str | None:
    """The key two company names are compared by: `normalize_company`, after dropping a Chinese
    province or prefecture-level city (`crm.leads.regions`) written in brackets or at the start of the
    name, with or without 省/市/自治区...: 深圳市华南泵业有限公司, 华南泵业（深圳）有限公司 and 华南泵业有限公司
    all give 华南泵业. The place stays when too little would be left without it."""
    text = unicodedata.normalize("NFKC", value or "")
    text = _BRACKETED.sub(lambda m: " " if _BRACKETED_PLACE.match(m.group(1)) else m.group(0), text)
    key = normalize_company(text)
    while (match := _LEADING_PLACE.match(text)) and match.end() < len(text):
        rest = text[match.end():]
        shorter = normalize_company(rest)
        if shorter is None or len(shorter) < MIN_KEY_LENGTH or _only_legal_form(rest):
            break
        text, key = rest, shorter
    return key


def _only_legal_form(text: str) -> bool:
    """有限公司, 股份有限公司...: what is left of 上海有限公司 once 上海 is dropped."""
    rest = "".join(_PUNCT.split(unicodedata.normalize("NFKC", text)))
    for suffix in CHINESE_SUFFIXES:
        rest = rest.replace(suffix, "")
    return not rest
