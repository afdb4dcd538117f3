"""The pipeline's options: tax inclusion, rounding policy and mode, cash rounding, shipping."""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from commercekit.errors import ValidationError
from commercekit.money import Money, Rounding, to_decimal

__all__ = ["PricingPolicy", "RoundingPolicy", "ShippingRate"]


class RoundingPolicy(enum.StrEnum):
    """Where discounts and taxes are rounded to the minor unit.

    Ten per cent off lines of 1.06, 2.06, 3.06 and 4.06 takes off 0.11 + 0.21 + 0.31 + 0.41
    = 1.04 per line, but 1.02 (10% of 10.24) per total. Order-level amounts (order discounts,
    caps) are always computed on the total and allocated to lines exactly.
    """

    #: Each line's percentage discounts and taxes are rounded on the line (the default).
    PER_LINE = "per_line"
    #: Percentage item discounts and each tax rate are rounded once on the sum of the lines
    #: they apply to, and allocated to those lines by largest remainder (ties by line id).
    PER_TOTAL = "per_total"


def _increment(value: Decimal | int | str | None) -> Decimal | None:
    if value is None:
        return None
    step = to_decimal(value)
    if step <= 0:
        raise ValidationError(f"a cash rounding increment must be positive, got {step}")
    return step


@attrs.frozen
class PricingPolicy:
    """How the pipeline treats tax and rounding.

    >>> PricingPolicy(prices_include_tax=True, cash_rounding=Decimal("0.05")).rounding
    <Rounding.HALF_UP: 'ROUND_HALF_UP'>
    """

    #: Whether unit prices (and shipping rates) include tax.
    prices_include_tax: bool = False
    #: Where rounding to the minor unit happens.
    rounding_policy: RoundingPolicy = RoundingPolicy.PER_LINE
    #: The rounding mode at every rounding point.
    rounding: Rounding = Rounding.HALF_UP
    #: Cash-rounding increment of the grand total (``Decimal("0.05")`` for CHF), or ``None``.
    cash_rounding: Decimal | None = attrs.field(default=None, converter=_increment)


@attrs.frozen
class ShippingRate:
    """The chosen shipping rate; ``tax_category=None`` means shipping is not taxed."""

    #: The shipping method's name.
    method: str
    #: The rate, in the cart's currency, a whole number of minor units.
    amount: Money
    #: The tax category the tax calculator uses for shipping, or ``None``.
    tax_category: str | None = None
