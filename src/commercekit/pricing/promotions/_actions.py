"""Promotion actions: plain data saying what a qualifying promotion takes off.

Every discount is an amount *taken off* (never negative) and never more than what it
discounts: item actions stop at the item's remaining amount, order actions at the order's,
shipping actions at the shipping amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from commercekit.errors import ValidationError
from commercekit.money import Money, to_decimal
from commercekit.pricing.promotions._conditions import ALL_ITEMS, ItemFilter, _positive_count

__all__ = [
    "Action",
    "AmountOffItems",
    "AmountOffOrder",
    "AmountOffShipping",
    "BuyXGetY",
    "FixedPrice",
    "PercentOffItems",
    "PercentOffOrder",
    "PercentOffShipping",
    "SpendTier",
    "TieredSpend",
]


def _percent(value: Decimal | int | str) -> Decimal:
    percent = to_decimal(value)
    if not 0 < percent <= 100:
        raise ValidationError(f"a percentage must be in (0, 100], got {percent}")
    return percent


def _non_negative(money: Money) -> None:
    if not isinstance(money, Money):
        raise ValidationError(f"expected Money, got {money!r}")
    if money.amount < 0:
        raise ValidationError(f"an amount off must not be negative, got {money}")


@attrs.frozen
class PercentOffItems:
    """``percent`` off each matching item."""

    #: The percentage, in (0, 100].
    percent: Decimal = attrs.field(converter=_percent)
    #: The items discounted.
    items: ItemFilter = ALL_ITEMS


@attrs.frozen
class AmountOffItems:
    """A fixed amount off each matching unit, or once off the matching items together.

    With ``per_unit=False`` the amount is split across the items in proportion to their
    amounts.
    """

    #: The amount off.
    amount: Money
    #: The items discounted.
    items: ItemFilter = ALL_ITEMS
    #: Per unit (default) or once for all matching items.
    per_unit: bool = True

    def __attrs_post_init__(self) -> None:
        _non_negative(self.amount)


@attrs.frozen
class FixedPrice:
    """Each matching unit costs ``price`` (never more than it did before)."""

    #: The unit price to charge.
    price: Money
    #: The items repriced.
    items: ItemFilter = ALL_ITEMS

    def __attrs_post_init__(self) -> None:
        _non_negative(self.price)


@attrs.frozen
class PercentOffOrder:
    """``percent`` off the order's items, allocated to the lines by their amounts."""

    #: The percentage, in (0, 100].
    percent: Decimal = attrs.field(converter=_percent)


@attrs.frozen
class AmountOffOrder:
    """A fixed amount off the order's items, allocated to the lines by their amounts."""

    #: The amount off.
    amount: Money

    def __attrs_post_init__(self) -> None:
        _non_negative(self.amount)


@attrs.frozen
class PercentOffShipping:
    """``percent`` off the shipping amount (100 is free shipping)."""

    #: The percentage, in (0, 100].
    percent: Decimal = attrs.field(converter=_percent)


@attrs.frozen
class AmountOffShipping:
    """A fixed amount off the shipping amount."""

    #: The amount off.
    amount: Money

    def __attrs_post_init__(self) -> None:
        _non_negative(self.amount)


def _optional_count(value: int | None) -> int | None:
    return None if value is None else _positive_count(value)


@attrs.frozen
class BuyXGetY:
    """Buy ``buy`` units, get ``get`` units ``percent`` off, as often as the cart allows.

    At most ``max_applications`` times, when given.
    The discounted units are the cheapest eligible ones (ties by line id); a unit counts
    once, either as bought or as discounted. Lines sold by measure never count.
    """

    #: Units to buy per application.
    buy: int = attrs.field(converter=_positive_count)
    #: Units discounted per application.
    get: int = attrs.field(converter=_positive_count)
    #: The items that count as bought.
    buy_items: ItemFilter = ALL_ITEMS
    #: The items that can be discounted; ``None``: the same as ``buy_items``.
    get_items: ItemFilter | None = None
    #: The discount on each "get" unit (100: free).
    percent: Decimal = attrs.field(default=Decimal(100), converter=_percent)
    #: At most this many applications, or ``None``.
    max_applications: int | None = attrs.field(default=None, converter=_optional_count)


@attrs.frozen
class SpendTier:
    """A step of :class:`TieredSpend`: from ``threshold``, ``percent`` or ``amount`` off."""

    #: The spend (on the matching items) that reaches this tier.
    threshold: Money
    #: Percentage off, or ``None`` when ``amount`` is given.
    percent: Decimal | None = attrs.field(
        default=None, converter=attrs.converters.optional(_percent)
    )
    #: Amount off, or ``None`` when ``percent`` is given.
    amount: Money | None = None

    def __attrs_post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise ValidationError("a spend tier needs exactly one of percent and amount")
        if self.amount is not None:
            _non_negative(self.amount)
            if self.amount.currency is not self.threshold.currency:
                raise ValidationError("a spend tier's amount and threshold differ in currency")


def _tiers(value: Iterable[SpendTier]) -> tuple[SpendTier, ...]:
    tiers = tuple(value)
    if not tiers:
        raise ValidationError("TieredSpend needs at least one tier")
    for tier in tiers:
        if not isinstance(tier, SpendTier):
            raise ValidationError(f"expected SpendTier, got {tier!r}")
    if len({tier.threshold.currency for tier in tiers}) != 1:
        raise ValidationError("every spend tier must be in the same currency")
    return tuple(sorted(tiers, key=lambda tier: tier.threshold.amount))


@attrs.frozen
class TieredSpend:
    """The highest tier whose threshold the matching items reach applies to them.

    >>> action = TieredSpend([SpendTier(Money("50", "USD"), percent=5),
    ...                       SpendTier(Money("100", "USD"), percent=10)])
    >>> [str(tier.percent) for tier in action.tiers]
    ['5', '10']
    """

    #: Tiers, sorted by threshold.
    tiers: tuple[SpendTier, ...] = attrs.field(converter=_tiers)
    #: The items whose spend counts and that are discounted.
    items: ItemFilter = ALL_ITEMS


#: Any promotion action.
Action = (
    PercentOffItems
    | AmountOffItems
    | FixedPrice
    | PercentOffOrder
    | AmountOffOrder
    | PercentOffShipping
    | AmountOffShipping
    | BuyXGetY
    | TieredSpend
)
