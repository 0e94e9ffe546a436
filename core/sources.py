"""A customer's acquisition source as people read it: the pick list's labels in the user's language, the
choices a form offers, and the code behind a label typed into an imported file ("展会", "Trade show").

The rule of which sources a customer may have is the service's (`core.services.create_customer`); this
module only names them."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core.models import ACQUISITION_SOURCES

SOURCE_LABELS: dict[str, Any] = {
    "direct": _l("Direct"), "website": _l("Website"), "trade_show": _l("Trade show"), "referral": _l("Referral"),
    "b2b_marketplace": _l("B2B marketplace"), "cold_call": _l("Cold call"), "advertising": _l("Advertising"),
    "social_media": _l("Social media"), "partner": _l("Partner"),
}
assert set(SOURCE_LABELS) == set(ACQUISITION_SOURCES), "every source of the pick list needs a label"

#: the languages whose labels an imported file may use instead of the codes
LABEL_LOCALES = ("en", "zh_CN")


def source_label(code: str | None) -> Any:
    """The label of a source of the pick list; any other source (a converted lead's channel) as it is."""
    return SOURCE_LABELS.get(code, code) if code else ""


def source_choices(in_use: list[str]) -> list[tuple[str, Any]]:
    """The sources a form offers: the pick list, then those some customer already has."""
    return [(code, SOURCE_LABELS[code]) for code in ACQUISITION_SOURCES] + [(code, code) for code in in_use]


def source_of_label(text: str) -> str:
    """The code of a source typed as its label in English or Chinese ("展会" -> "trade_show"); any other
    text unchanged (the service makes it a slug and checks it)."""
    wanted = text.strip().casefold()
    for locale in LABEL_LOCALES:
        with force_locale(locale):
            for code, label in SOURCE_LABELS.items():
                if str(label).casefold() == wanted:
                    return code
    return text
