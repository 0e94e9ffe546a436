"""The reports' words in the reader's language: dimensions, measures and acquisition sources."""

from __future__ import annotations

from flask_babel import gettext as _


def sales_titles() -> dict[str, str]:
    """The sales cube's dimensions and measures by name."""
    return {"source": _("Source"), "tier": _("Tier"), "region": _("Region"), "rep": _("Sales rep"),
            "team": _("Team"), "product_line": _("Product line"), "month": _("Month"),
            "orders": _("Orders"), "booked": _("Booked sales"), "shipped": _("Shipped"),
            "cost": _("Cost of sales"), "margin": _("Gross margin"), "invoiced": _("Invoiced"), "collected": _("Collected")}
