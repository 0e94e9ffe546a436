"""How numbers read on a page: shared template filters of every module."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask import Flask

#: The company's time zone: China time (UTC+8, no daylight saving).
CHINA = timezone(timedelta(hours=8))


def china_time(moment: datetime | None) -> str:
    """A moment as China time to the minute, for pages and messages; none → ''."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


def plain(value) -> str:
    """A decimal as typed by a person: no trailing zeros, no exponent."""
    text = format(Decimal(value), "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"


def money(value) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def qty(value) -> str:
    return "" if value is None else plain(value)


def percent(value) -> str:
    return "" if value is None else f"{plain(Decimal(value) * 100)}%"


def change(value) -> str:
    """One side of an audited change as a person reads it: no value is a dash, a list its items."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def init_app(app: Flask) -> None:
    for name, function in (("money", money), ("qty", qty), ("percent", percent), ("change", change)):
        app.add_template_filter(function, name)
