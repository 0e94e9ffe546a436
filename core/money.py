"""Money and quantity helpers. Decimal only; floats are refused."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
QUANTUM_QTY = Decimal("0.0001")
ZERO = Decimal("0")


def to_decimal(value: object) -> Decimal:
    """Convert text or an integer to Decimal; a float is a programming error."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("money and quantities are never floats")
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_qty(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM_QTY, rounding=ROUND_HALF_UP)


def split_money(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Share `amount` out in proportion to `weights` (non-negative, positive sum), each share rounded
    half-up to the cent and the last taking what rounding left, so the shares add up to `amount` exactly."""
    whole = sum(weights, ZERO)
    if whole <= 0:
        raise ValueError("the weights must have a positive sum")
    shares = [round_money(amount * weight / whole) for weight in weights[:-1]]
    return [*shares, amount - sum(shares, ZERO)]
