"""Rate calculators: what one parcel costs to ship by a method, in whole minor units.

A calculator is pure. It is given a :class:`RateBasis` (one parcel's weight and box, its item
count, the cart's discounted subtotal and currency) and answers an ``int`` in minor units of
its currency, or a :class:`NoRate` saying why it has no price (over its last band).

Rounding: every amount is :class:`~commercekit.money.Money` that must be exact in the minor
unit (``USD 4.999`` is refused when the calculator is built), and calculators only add,
multiply by whole counts and compare, so no amount is ever rounded. Weights are compared
exactly (in grams, as fractions); the one rounding of a weight is a parcel's or a
dimensional weight's, up, to :data:`~commercekit.shipping.PLACES` places. Above its last
band, :class:`WeightBands` may charge :class:`PerStep`: every started step counts in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs

from commercekit.errors import ValidationError
from commercekit.money import Currency, Money
from commercekit.shipping._rate_basis import (
    NoRate,
    RateBasis,
    RateCalculator,
    RefusalReason,
    check_bands,
    check_basis,
    is_money,
    minor_units_of,
    same_currency,
)
from commercekit.shipping._weight_rates import PerStep, WeightBands

__all__ = ["Combined", "FlatRate", "FreeOver", "PerItem", "PerStep", "PriceBands", "WeightBands"]


@attrs.frozen
class FlatRate:
    """The same price for every parcel.

    >>> from commercekit.money import get_currency
    >>> FlatRate(Money("4.90", "EUR")).rate(RateBasis(get_currency("EUR"), 0, 3))
    490
    """

    #: The price of a parcel.
    amount: Money = attrs.field(validator=is_money)

    @property
    def currency(self) -> Currency:
        """The amount's currency."""
        return self.amount.currency

    #: Whether it needs the parcel's weight.
    needs_weights: ClassVar[bool] = False

    def rate(self, basis: RateBasis) -> int | NoRate:
        """The amount, whatever the parcel."""
        check_basis(self, basis)
        return minor_units_of(self.amount, "amount")


@attrs.frozen
class PerItem:
    """``first`` for the parcel's first unit, ``each_additional`` for every other unit."""

    #: The price of the first unit of a parcel.
    first: Money = attrs.field(validator=is_money)
    #: The price of every further unit.
    each_additional: Money = attrs.field(validator=is_money)

    def __attrs_post_init__(self) -> None:
        same_currency("each_additional", self.first.currency, self.each_additional.currency)

    @property
    def currency(self) -> Currency:
        """The amounts' currency."""
        return self.first.currency

    #: Whether it needs the parcel's weight.
    needs_weights: ClassVar[bool] = False

    def rate(self, basis: RateBasis) -> int | NoRate:
        """``first + (quantity - 1) x each_additional``."""
        check_basis(self, basis)
        extra = max(basis.quantity - 1, 0)
        return minor_units_of(self.first, "first") + extra * minor_units_of(
            self.each_additional, "additional"
        )


def _price_bands(value: Iterable[tuple[Money, Money]]) -> tuple[tuple[Money, Money], ...]:
    bands: tuple[tuple[Money, Money], ...] = check_bands(value, Money)  # type: ignore[assignment]
    for index, (up_to, amount) in enumerate(bands):
        minor_units_of(up_to, f"bands[{index}] up_to")
        same_currency(f"bands[{index}] up_to", amount.currency, up_to.currency)
    return bands


@attrs.frozen
class PriceBands:
    """A price by the cart's *discounted* subtotal (what the customer pays for the goods).

    The subtotal judged is the whole cart's after discounts
    (:attr:`~commercekit.shipping.ShippingRequest.subtotal_minor`), also for each parcel of a
    split cart. ``up_to`` is inclusive. Above the last band: ``over``, or no rate
    (``subtotal_too_high``).
    """

    #: ``(up_to, amount)`` pairs, ``up_to`` increasing.
    bands: tuple[tuple[Money, Money], ...] = attrs.field(converter=_price_bands)
    #: The price above the last band, or ``None`` (no rate).
    over: Money | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.over is not None:
            minor_units_of(self.over, "over")
            same_currency("over", self.currency, self.over.currency)

    @property
    def currency(self) -> Currency:
        """The bands' currency."""
        return self.bands[0][1].currency

    #: Whether it needs the parcel's weight.
    needs_weights: ClassVar[bool] = False

    def rate(self, basis: RateBasis) -> int | NoRate:
        """The band's price for the discounted subtotal."""
        check_basis(self, basis)
        for up_to, amount in self.bands:
            if basis.subtotal_minor <= minor_units_of(up_to, "up_to"):
                return minor_units_of(amount, "amount")
        if self.over is not None:
            return minor_units_of(self.over, "over")
        return NoRate(
            RefusalReason.SUBTOTAL_TOO_HIGH,
            f"the subtotal is over the last band ({self.bands[-1][0]})",
        )


def _calculator(
    _instance: object, attribute: attrs.Attribute[RateCalculator], value: object
) -> None:
    if not isinstance(value, RateCalculator):
        raise ValidationError(f"{attribute.name} must be a rate calculator, got {value!r}")


@attrs.frozen
class FreeOver:
    """Free when the cart's discounted subtotal is at least ``threshold``, else ``otherwise``."""

    #: The subtotal (after discounts) from which shipping is free, inclusive.
    threshold: Money = attrs.field(validator=is_money)
    #: The price below the threshold.
    otherwise: RateCalculator = attrs.field(validator=_calculator)

    def __attrs_post_init__(self) -> None:
        same_currency("otherwise", self.threshold.currency, self.otherwise.currency)

    @property
    def currency(self) -> Currency:
        """The threshold's currency."""
        return self.threshold.currency

    @property
    def needs_weights(self) -> bool:
        """Whether ``otherwise`` needs them."""
        return self.otherwise.needs_weights

    def rate(self, basis: RateBasis) -> int | NoRate:
        """``0`` at or over the threshold, else what ``otherwise`` says."""
        check_basis(self, basis)
        if basis.subtotal_minor >= minor_units_of(self.threshold, "threshold"):
            return 0
        return self.otherwise.rate(basis)


def _parts(value: Iterable[RateCalculator]) -> tuple[RateCalculator, ...]:
    parts = tuple(value)
    if not parts:
        raise ValidationError("parts: give at least one calculator")
    for index, part in enumerate(parts):
        if not isinstance(part, RateCalculator):
            raise ValidationError(f"parts[{index}] must be a rate calculator, got {part!r}")
        same_currency(f"parts[{index}]", parts[0].currency, part.currency)
    return parts


def _how(value: str) -> str:
    if value not in ("sum", "min", "max"):
        raise ValidationError(f"how is 'sum', 'min' or 'max', not {value!r}")
    return value


@attrs.frozen
class Combined:
    """Several calculators as one: their ``sum``, the cheapest (``min``) or the dearest (``max``).

    ``sum`` and ``max`` have no rate when a part has none; ``min`` takes the cheapest of the
    parts that have one.
    """

    #: The calculators, in one currency.
    parts: tuple[RateCalculator, ...] = attrs.field(converter=_parts)
    #: ``"sum"``, ``"min"`` or ``"max"``.
    how: str = attrs.field(default="sum", converter=_how)

    @property
    def currency(self) -> Currency:
        """The parts' currency."""
        return self.parts[0].currency

    @property
    def needs_weights(self) -> bool:
        """Whether any part needs them."""
        return any(part.needs_weights for part in self.parts)

    def rate(self, basis: RateBasis) -> int | NoRate:
        """The parts' rates combined."""
        check_basis(self, basis)
        rates = [part.rate(basis) for part in self.parts]
        found = [rate for rate in rates if not isinstance(rate, NoRate)]
        missing = [rate for rate in rates if isinstance(rate, NoRate)]
        if self.how == "min":
            return min(found) if found else missing[0]
        if missing:
            return missing[0]
        return sum(found) if self.how == "sum" else max(found)
