"""The rate calculator contract: what a calculator prices, what it answers, what it checks.

A calculator (see :mod:`commercekit.shipping._calculators`) is given a :class:`RateBasis`
(one parcel and the cart it belongs to) and answers whole minor units, or a :class:`NoRate`
with a stable :class:`RefusalReason`. :class:`RateCalculator` is the protocol; the helpers
here are the checks every calculator (and method) makes of its amounts and currencies.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import attrs

from commercekit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from commercekit.money import Currency, Money, to_minor_units
from commercekit.units import Dimensions, Weight

__all__ = ["NoRate", "RateBasis", "RateCalculator", "RefusalReason"]


class RefusalReason(enum.StrEnum):
    """Why a shipping method does not apply: a stable word, safe to branch on."""

    OUTSIDE_ZONES = "outside_zones"
    TOO_HEAVY = "too_heavy"
    TOO_LIGHT = "too_light"
    SUBTOTAL_TOO_LOW = "subtotal_too_low"
    SUBTOTAL_TOO_HIGH = "subtotal_too_high"
    TOO_MANY_ITEMS = "too_many_items"
    EXCLUDED_ITEM = "excluded_item"
    MISSING_WEIGHT = "missing_weight"


@attrs.frozen
class NoRate:
    """A calculator's answer when it has no price for a parcel (it is over its last band)."""

    #: Why, as a stable word.
    reason: RefusalReason
    #: What to tell a person.
    message: str


@attrs.frozen
class RateBasis:
    """What a calculator prices: one parcel, and the cart it belongs to."""

    #: The request's currency.
    currency: Currency
    #: The cart's subtotal after discounts, in minor units (the whole cart, not the parcel).
    subtotal_minor: int
    #: How many units the parcel holds.
    quantity: int
    #: The parcel's weight, or ``None`` when an item's weight is unknown.
    weight: Weight | None = None
    #: The parcel's box, or ``None`` when an item's box is unknown.
    dimensions: Dimensions | None = None


@runtime_checkable
class RateCalculator(Protocol):
    """Prices one parcel in whole minor units of :attr:`currency` (write your own freely)."""

    @property
    def currency(self) -> Currency:
        """The currency of every amount the calculator answers."""
        ...

    @property
    def needs_weights(self) -> bool:
        """Whether it cannot price a parcel without its weight."""
        ...

    def rate(self, basis: RateBasis) -> int | NoRate:
        """The price of the parcel in minor units, or why there is none."""
        ...


def minor_units_of(money: object, field: str) -> int:
    """``money`` in whole minor units: Money, not negative, exact (errors name ``field``)."""
    if not isinstance(money, Money):
        raise InvalidAmountError(f"{field} must be Money, got {type(money).__name__}")
    if money.amount < 0:
        raise ValidationError(f"{field} must not be negative, got {money}")
    try:
        return to_minor_units(money)
    except ValidationError:
        raise ValidationError(f"{field} is finer than the minor unit: {money}") from None


def same_currency(field: str, first: Currency, other: Currency) -> None:
    """Refuse ``other`` unless it is ``first`` (the error names ``field``)."""
    if first != other:
        raise CurrencyMismatchError(
            first.code,
            other.code,
            message=f"{field}: every amount of a calculator is in {first.code}, not {other.code}",
        )


def check_basis(calculator: RateCalculator, basis: RateBasis) -> None:
    """Refuse a basis in another currency than the calculator's."""
    if basis.currency != calculator.currency:
        raise CurrencyMismatchError(
            calculator.currency.code,
            basis.currency.code,
            message=f"a {type(calculator).__name__} in {calculator.currency.code} cannot quote"
            f" a request in {basis.currency.code} (convert through ExchangeRates first)",
        )


def is_money(_instance: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    """An attrs validator: :func:`minor_units_of` on the field."""
    minor_units_of(value, attribute.name)


def check_bands(
    value: Iterable[tuple[object, Money]], kind: type
) -> tuple[tuple[object, Money], ...]:
    """``(up_to, amount)`` pairs: ``up_to`` a ``kind``, increasing; amounts exact, one currency."""
    bands = tuple(value)
    if not bands:
        raise ValidationError("bands: give at least one (up_to, amount) band")
    for index, band in enumerate(bands):
        if not isinstance(band, tuple) or len(band) != 2 or not isinstance(band[0], kind):
            raise ValidationError(
                f"bands[{index}] is an (up_to {kind.__name__}, amount Money) pair, got {band!r}"
            )
        minor_units_of(band[1], f"bands[{index}] amount")
        same_currency(f"bands[{index}]", bands[0][1].currency, band[1].currency)
    for index in range(1, len(bands)):
        if not bands[index - 1][0] < bands[index][0]:  # type: ignore[operator]
            raise ValidationError(f"bands: up_to must increase, bands[{index}] does not")
    return bands
