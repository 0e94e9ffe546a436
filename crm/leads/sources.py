"""A lead's acquisition source: the one rule that names where a lead (and the customer converted from it)
came from, for the conversion (the customer's `source`) and the funnel report (the lead's row).

The source is the lead's `channel` (how marketing filed it: "trade show", "referral"), else its
`utm_source` (the campaign link's origin: "baidu"), else `direct`, each made a code by
`core.services.source_slug` (the customers' rule: "Trade Show", "trade-show" and "trade_show" are one
source). A lead's capture method (`api`, `web_form`, `import`) is never a source."""

from __future__ import annotations

from core.models import DIRECT_SOURCE
from core.services import source_slug


def acquisition_source(channel: str | None, utm_source: str | None) -> str:
    """The lead's channel, else its UTM source, else `direct`, as a source code."""
    return source_slug(channel) or source_slug(utm_source) or DIRECT_SOURCE
