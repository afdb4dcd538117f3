"""Weights and lengths with their units, converted exactly (a neutral module).

Catalog entries, parcels and carriers all speak it, so it sits at the base of the package.

Conversions go through exact ratios (1 lb = 0.45359237 kg and 1 in = 2.54 cm, by definition;
1 oz = 1/16 lb) and are rounded once, at the end, to :data:`PLACES` decimal places with
rounding up, so that a converted weight is never less than the real
one (a carrier bills the weight it weighs). 1 kg is 35.274 oz (35.27396195 rounded up).
"""

from __future__ import annotations

import enum
from decimal import Decimal
from fractions import Fraction

import attrs

from commercekit.errors import ValidationError
from commercekit.money import to_decimal

__all__ = ["GRAMS", "PLACES", "Dimensions", "LengthUnit", "Weight", "WeightUnit", "convert_exactly"]

#: Decimal places of every converted weight or length (rounded up).
PLACES = 3


class WeightUnit(enum.StrEnum):
    """A unit of weight."""

    KG = "kg"
    G = "g"
    LB = "lb"
    OZ = "oz"


class LengthUnit(enum.StrEnum):
    """A unit of length."""

    CM = "cm"
    IN = "in"


#: Grams per unit, exactly.
GRAMS: dict[WeightUnit, Fraction] = {
    WeightUnit.KG: Fraction(1000),
    WeightUnit.G: Fraction(1),
    WeightUnit.LB: Fraction("453.59237"),
    WeightUnit.OZ: Fraction("453.59237") / 16,
}
#: Centimetres per unit, exactly.
_CM = {LengthUnit.CM: Fraction(1), LengthUnit.IN: Fraction("2.54")}


def convert_exactly(value: Decimal, ratio: Fraction) -> Decimal:
    """``value x ratio``, rounded up to :data:`PLACES` places (exact below that).

    >>> from fractions import Fraction
    >>> convert_exactly(Decimal("1"), Fraction(1000) / (Fraction("453.59237") / 16))
    Decimal('35.274')
    """
    exact = Fraction(value) * ratio
    scaled = exact * 10**PLACES
    whole = -((-scaled.numerator) // scaled.denominator)  # ceiling
    return Decimal(whole).scaleb(-PLACES)


def _amount(value: Decimal | int | str, what: str) -> Decimal:
    number = to_decimal(value)
    if number <= 0:
        raise ValidationError(f"{what} must be positive, got {number}")
    return number


def _weight_value(value: Decimal | int | str) -> Decimal:
    return _amount(value, "a weight")


def _length_value(value: Decimal | int | str) -> Decimal:
    return _amount(value, "a length")


def _weight_unit(value: WeightUnit | str) -> WeightUnit:
    try:
        return WeightUnit(value)
    except ValueError:
        raise ValidationError(
            f"unknown weight unit {value!r}: use one of {[u.value for u in WeightUnit]}"
        ) from None


def _length_unit(value: LengthUnit | str) -> LengthUnit:
    try:
        return LengthUnit(value)
    except ValueError:
        raise ValidationError(
            f"unknown length unit {value!r}: use one of {[u.value for u in LengthUnit]}"
        ) from None


@attrs.frozen
class Weight:
    """A positive weight and its unit.

    >>> Weight("1", "kg").to("oz")
    Weight(value=Decimal('35.274'), unit=<WeightUnit.OZ: 'oz'>)
    >>> Weight("2", "lb") > Weight("900", "g")
    True
    """

    #: The amount, positive.
    value: Decimal = attrs.field(converter=_weight_value)
    #: The unit.
    unit: WeightUnit = attrs.field(default=WeightUnit.KG, converter=_weight_unit)

    @property
    def grams(self) -> Fraction:
        """The weight in grams, exactly."""
        return Fraction(*self.value.as_integer_ratio()) * GRAMS[self.unit]

    def to(self, unit: WeightUnit | str) -> Weight:
        """The same weight in ``unit`` (rounded up to :data:`PLACES` places)."""
        target = _weight_unit(unit)
        if target is self.unit:
            return self
        return Weight(convert_exactly(self.value, GRAMS[self.unit] / GRAMS[target]), target)

    def __add__(self, other: Weight) -> Weight:
        if not isinstance(other, Weight):
            return NotImplemented
        return Weight(self.value + other.to(self.unit).value, self.unit)

    def __mul__(self, times: int) -> Weight:
        if not isinstance(times, int) or isinstance(times, bool) or times <= 0:
            raise ValidationError(
                f"a weight is multiplied by a positive whole count, not {times!r}"
            )
        return Weight(self.value * times, self.unit)

    def __lt__(self, other: Weight) -> bool:
        if self.unit is other.unit:
            return self.value < other.value
        return self.grams < other.grams

    def __le__(self, other: Weight) -> bool:
        if self.unit is other.unit:
            return self.value <= other.value
        return self.grams <= other.grams

    def __gt__(self, other: Weight) -> bool:
        if self.unit is other.unit:
            return self.value > other.value
        return self.grams > other.grams

    def __ge__(self, other: Weight) -> bool:
        if self.unit is other.unit:
            return self.value >= other.value
        return self.grams >= other.grams


@attrs.frozen
class Dimensions:
    """Length, width and height of a box, in one unit.

    >>> Dimensions("10", "4", "2", "in").to("cm").length
    Decimal('25.400')
    """

    #: The longest side.
    length: Decimal = attrs.field(converter=_length_value)
    #: The middle side.
    width: Decimal = attrs.field(converter=_length_value)
    #: The shortest side.
    height: Decimal = attrs.field(converter=_length_value)
    #: The unit of the three.
    unit: LengthUnit = attrs.field(default=LengthUnit.CM, converter=_length_unit)

    def to(self, unit: LengthUnit | str) -> Dimensions:
        """The same box in ``unit`` (each side rounded up to :data:`PLACES` places)."""
        target = _length_unit(unit)
        if target is self.unit:
            return self
        ratio = _CM[self.unit] / _CM[target]
        return Dimensions(
            convert_exactly(self.length, ratio),
            convert_exactly(self.width, ratio),
            convert_exactly(self.height, ratio),
            target,
        )

    @property
    def volume(self) -> Decimal:
        """Length x width x height, in the unit cubed."""
        return self.length * self.width * self.height
