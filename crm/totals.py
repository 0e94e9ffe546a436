"""Net, VAT and gross of a priced sales document (a quote, a sales order) and of its lines.

Quotes and orders price the same way, so the rule lives once here: a line's net (`untaxed`) is
quantity times unit price less the line's discount, its VAT (`tax`) is that net at the line's rate,
each rounded half-up to the cent, and its gross (`total`) is their sum. A document adds up its
lines' nets and VATs (never re-rounding the sum), so its gross always agrees with its lines.
Finance bills part of an order line with the same `line_amounts`."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.orm import Mapped, mapped_column

from core.db import Money, Quantity, Rate, UnitPrice
from core.money import ZERO, round_money


def line_amounts(qty: Decimal, unit_price: Decimal, discount: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """Untaxed amount and tax of one line, each rounded half-up to the cent."""
    untaxed = round_money(qty * unit_price * (Decimal(1) - discount))
    return untaxed, round_money(untaxed * tax_rate)


class LineTotals:
    """Mixin of a priced line: its price columns (`qty`, `unit_price`, `discount`, `tax_rate`) and the
    `untaxed`, `tax` and `total` it keeps from them."""

    qty: Mapped[Quantity]
    unit_price: Mapped[UnitPrice]
    discount: Mapped[Rate] = mapped_column(default=ZERO)
    tax_rate: Mapped[Rate]
    untaxed: Mapped[Money] = mapped_column(default=ZERO)
    tax: Mapped[Money] = mapped_column(default=ZERO)
    total: Mapped[Money] = mapped_column(default=ZERO)

    def compute(self) -> None:
        """Set the line's net, VAT and gross from its price, discount and rate."""
        self.untaxed, self.tax = line_amounts(self.qty, self.unit_price, self.discount or ZERO, self.tax_rate)
        self.total = self.untaxed + self.tax


class DocumentTotals:
    """Mixin of a priced document whose `lines` are `LineTotals`: it keeps its `untaxed`, `tax` and
    `total` columns as the sums of its lines'."""

    untaxed: Mapped[Money] = mapped_column(default=ZERO)
    tax: Mapped[Money] = mapped_column(default=ZERO)
    total: Mapped[Money] = mapped_column(default=ZERO)

    if TYPE_CHECKING:
        lines: Sequence[LineTotals]

    def compute_totals(self) -> None:
        """Add up the lines (computed already) into the document's net, VAT and gross."""
        self.untaxed = sum((line.untaxed for line in self.lines), ZERO)
        self.tax = sum((line.tax for line in self.lines), ZERO)
        self.total = self.untaxed + self.tax
