"""Weight-based rate calculators: a price by the parcel's (billable) weight.

:class:`WeightBands` chooses the first band whose ``up_to`` the parcel's weight does not
exceed, comparing weights exactly (in grams, as fractions); with a divisor it judges the
dimensional weight when heavier. Above its last band it may charge :class:`PerStep`: every
started step counts in full. The other calculators are in
:mod:`commercekit.shipping._calculators`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

import attrs

from commercekit.errors import ValidationError
from commercekit.money import Currency, Money, to_decimal
from commercekit.shipping._rate_basis import (
    NoRate,
    RateBasis,
    RefusalReason,
    check_bands,
    check_basis,
    is_money,
    minor_units_of,
    same_currency,
)
from commercekit.shipping._values import dimensional_weight
from commercekit.units import Dimensions, LengthUnit, Weight, WeightUnit

#: Each table's band limits in grams, computed once (the calculator is kept with them).
_LIMITS: dict[int, tuple[WeightBands, tuple[Fraction, ...]]] = {}

__all__ = ["PerStep", "WeightBands"]


def _step(_instance: object, _attribute: attrs.Attribute[Weight], value: object) -> None:
    if not isinstance(value, Weight):
        raise ValidationError(f"step must be a Weight, got {value!r}")


@attrs.frozen
class PerStep:
    """Above the last weight band: ``amount`` more for every started ``step``."""

    #: The step of weight (``Weight("1", "kg")``: per started kilogram).
    step: Weight = attrs.field(validator=_step)
    #: The price of each started step.
    amount: Money = attrs.field(validator=is_money)


def _weight_bands(value: Iterable[tuple[Weight, Money]]) -> tuple[tuple[Weight, Money], ...]:
    return check_bands(value, Weight)  # type: ignore[return-value]


def _divisor(value: Decimal | int | str | None) -> Decimal | None:
    if value is None:
        return None
    number = to_decimal(value)
    if number <= 0:
        raise ValidationError(f"divisor must be positive, got {number}")
    return number


def _divisor_units(value: tuple[str, str]) -> tuple[LengthUnit, WeightUnit]:
    length, weight = value
    return Dimensions(1, 1, 1, length).unit, Weight(1, weight).unit


@attrs.frozen
class WeightBands:
    """A price by the parcel's weight: the first band whose ``up_to`` it does not exceed.

    ``up_to`` is inclusive (a 1 kg parcel is in the "up to 1 kg" band) and weights in other
    units are compared exactly. With a ``divisor`` the band is chosen on the billable weight,
    ``max(actual, volume / divisor)``, the volume in ``divisor_units`` (``5000`` with
    ``("cm", "kg")``, ``139`` with ``("in", "lb")``); a parcel whose box is unknown is billed
    on its actual weight. Above the last band: ``over`` (a flat :class:`~commercekit.Money`,
    or a :class:`PerStep` added to the last band's price), or no rate (``too_heavy``).
    """

    #: ``(up_to, amount)`` pairs, ``up_to`` increasing.
    bands: tuple[tuple[Weight, Money], ...] = attrs.field(converter=_weight_bands)
    #: The price above the last band, or ``None`` (no rate).
    over: Money | PerStep | None = None
    #: The dimensional divisor, or ``None`` to bill the actual weight.
    divisor: Decimal | None = attrs.field(default=None, converter=_divisor)
    #: The units the divisor is in: volume in the length unit cubed per weight unit.
    divisor_units: tuple[LengthUnit, WeightUnit] = attrs.field(
        default=(LengthUnit.CM, WeightUnit.KG), converter=_divisor_units
    )

    def __attrs_post_init__(self) -> None:
        over = self.over.amount if isinstance(self.over, PerStep) else self.over
        if over is not None:
            minor_units_of(over, "over")
            same_currency("over", self.currency, over.currency)

    @property
    def currency(self) -> Currency:
        """The bands' currency."""
        return self.bands[0][1].currency

    #: Whether it needs the parcel's weight.
    needs_weights: ClassVar[bool] = True

    def _limits(self) -> tuple[Fraction, ...]:
        limits = _LIMITS.get(id(self))
        if limits is None or limits[0] is not self:
            limits = _LIMITS[id(self)] = (self, tuple(up_to.grams for up_to, _ in self.bands))
        return limits[1]

    def billable(self, weight: Weight, dimensions: Dimensions | None) -> Weight:
        """The weight the bands judge: the actual one, or the dimensional one if heavier."""
        if self.divisor is None or dimensions is None:
            return weight
        length, unit = self.divisor_units
        return max(weight, dimensional_weight(dimensions.to(length), self.divisor, unit))

    def rate(self, basis: RateBasis) -> int | NoRate:
        """The band's price for the parcel's billable weight."""
        check_basis(self, basis)
        if basis.weight is None:
            return NoRate(RefusalReason.MISSING_WEIGHT, "weight bands need the parcel's weight")
        weight = self.billable(basis.weight, basis.dimensions)
        grams = weight.grams  # once: the bands compare exactly, in grams
        for (_up_to, amount), limit in zip(self.bands, self._limits(), strict=True):
            if grams <= limit:
                return minor_units_of(amount, "amount")
        last_up_to, last_amount = self.bands[-1]
        if isinstance(self.over, PerStep):
            steps = math.ceil((weight.grams - last_up_to.grams) / self.over.step.grams)
            return minor_units_of(last_amount, "amount") + steps * minor_units_of(
                self.over.amount, "over"
            )
        if self.over is not None:
            return minor_units_of(self.over, "over")
        return NoRate(
            RefusalReason.TOO_HEAVY,
            f"{weight.value} {weight.unit} is over the last band"
            f" ({last_up_to.value} {last_up_to.unit})",
        )
