"""The pipeline's options: tax inclusion, rounding policy and mode, cash rounding, shipping."""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from commercekit.errors import InvalidAmountError, ValidationError
from commercekit.money import Money, Rounding, is_minor_unit_exact, to_decimal
from commercekit.rules import check_identifier
from commercekit.tax import ShippingTax, TaxRounding

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
    #: How several taxes on one item are rounded (combined then split, or per rate).
    tax_rounding: TaxRounding = attrs.field(default=TaxRounding.COMBINED, converter=TaxRounding)
    #: How shipping is taxed (its own category, or weighted by the items it ships).
    shipping_tax: ShippingTax = attrs.field(default=ShippingTax.CATEGORY, converter=ShippingTax)


def _method(value: str) -> str:
    return check_identifier(value, name="shipping method")


def _optional_tax_category(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="tax_category")


def _check_rate(_instance: object, _attribute: attrs.Attribute[Money], value: Money) -> None:
    """A rate is :class:`Money`, not negative, in whole minor units of its currency."""
    if not isinstance(value, Money):
        shown = repr(value).encode("utf-8", "backslashreplace").decode("utf-8")[:60]
        raise InvalidAmountError(
            f'a shipping rate\'s amount must be Money, such as Money("4.90", "EUR"), got'
            f" {shown} ({type(value).__name__})"
        )
    if value.amount < 0:
        raise ValidationError(f"a shipping rate must not be negative, got {value}")
    if not is_minor_unit_exact(value):
        raise ValidationError(f"a shipping rate of {value} is finer than the minor unit")


@attrs.frozen
class ShippingRate:
    """The chosen shipping rate; ``tax_category=None`` means shipping is not taxed.

    Checked when built: the method and the tax category follow the identifier rules of
    :mod:`commercekit.rules`; an amount that is not :class:`~commercekit.money.Money` is an
    :class:`~commercekit.errors.InvalidAmountError`, and a negative one or one finer than the
    currency's minor unit a :class:`~commercekit.errors.ValidationError`. A discount on
    shipping is a promotion (:class:`~commercekit.pricing.AmountOffShipping`), not a negative
    rate.

    >>> ShippingRate("standard", Money("4.90", "EUR"), tax_category="standard").amount
    Money('4.90', 'EUR')
    >>> ShippingRate("refund", Money("-5", "EUR"))
    Traceback (most recent call last):
    ...
    commercekit.errors.ValidationError: a shipping rate must not be negative, got -5 EUR
    """

    #: The shipping method's name (``"standard"``, ``"DHL Express"``).
    method: str = attrs.field(converter=_method)
    #: The rate, in the cart's currency, a whole number of minor units, not negative.
    amount: Money = attrs.field(validator=_check_rate)
    #: The tax category the tax calculator uses for shipping, or ``None``.
    tax_category: str | None = attrs.field(default=None, converter=_optional_tax_category)
