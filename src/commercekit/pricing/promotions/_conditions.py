"""Promotion conditions: plain data a promotion must satisfy before its actions apply.

A promotion qualifies when *all* of its conditions hold. Conditions are values, not
subclasses of anything: combine them in :attr:`Promotion.conditions
<commercekit.pricing.Promotion.conditions>`. Amount and quantity thresholds are measured
against the amounts the promotion's *lane* starts from (see :class:`~commercekit.pricing.Lane`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from commercekit.clock import ensure_utc
from commercekit.errors import InvalidQuantityError, ValidationError
from commercekit.money import Money
from commercekit.pricing._catalog import CatalogEntry, _names
from commercekit.rules import check_code

__all__ = [
    "Condition",
    "ContainsItems",
    "CouponCode",
    "CustomerGroupIn",
    "DateWindow",
    "FirstOrder",
    "ItemFilter",
    "QuantityAtLeast",
    "SubtotalAtLeast",
    "normalize_code",
]


def normalize_code(code: str) -> str:
    """A coupon code as compared: surrounding spaces removed, upper case.

    >>> normalize_code("  spring-10 ")
    'SPRING-10'
    """
    if not isinstance(code, str):
        raise ValidationError(f"a coupon code must be text, got {code!r}")
    normalized = code.strip().upper()
    if not normalized:
        raise ValidationError("a coupon code must not be empty")
    return check_code(normalized)


def _codes(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = (values,)
    codes = frozenset(normalize_code(value) for value in values)
    if not codes:
        raise ValidationError("CouponCode needs at least one code")
    return codes


@attrs.frozen
class ItemFilter:
    """Which items a condition or action looks at.

    Empty ``skus``, ``collections`` and ``tags`` mean every item.
    An item matches when it is in any of ``skus``, ``collections`` or ``tags`` (or all of them
    are empty) and in none of ``exclude_skus`` and ``exclude_tags``.

    >>> ItemFilter(tags={"tea"}).matches(CatalogEntry("T1", tags={"tea"}))
    True
    >>> ItemFilter(exclude_tags={"gift-card"}).matches(CatalogEntry("G1", tags={"gift-card"}))
    False
    """

    #: SKUs to include.
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: Collections to include.
    collections: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: Tags to include.
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: SKUs never matched.
    exclude_skus: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: Tags never matched.
    exclude_tags: frozenset[str] = attrs.field(default=frozenset(), converter=_names)

    def matches(self, entry: CatalogEntry) -> bool:
        """Whether ``entry`` is one of the items this filter selects."""
        if entry.sku in self.exclude_skus or not self.exclude_tags.isdisjoint(entry.tags):
            return False
        if not (self.skus or self.collections or self.tags):
            return True
        return (
            entry.sku in self.skus
            or not self.collections.isdisjoint(entry.collections)
            or not self.tags.isdisjoint(entry.tags)
        )


#: Every item.
ALL_ITEMS = ItemFilter()


@attrs.frozen
class SubtotalAtLeast:
    """The matching items' amount is at least ``amount`` (refusal: ``minimum_not_met``)."""

    #: The minimum, in the cart's currency.
    amount: Money
    #: The items whose amounts count.
    items: ItemFilter = ALL_ITEMS


def _positive_count(value: int) -> int:
    if value.__class__ is not int or value <= 0:
        raise InvalidQuantityError(f"a count must be a positive int, got {value!r}")
    return value


@attrs.frozen
class QuantityAtLeast:
    """At least ``quantity`` units of the matching items (refusal: ``minimum_not_met``).

    Lines sold by measure are not counted.
    """

    #: The minimum number of units.
    quantity: int = attrs.field(converter=_positive_count)
    #: The items whose units count.
    items: ItemFilter = ALL_ITEMS


@attrs.frozen
class ContainsItems:
    """The cart holds at least one matching item (SKU, collection or tag membership)."""

    #: The items looked for.
    items: ItemFilter


@attrs.frozen
class CustomerGroupIn:
    """The customer belongs to one of ``groups``; guests have no group."""

    #: The qualifying groups.
    groups: frozenset[str] = attrs.field(converter=_names)


@attrs.frozen
class FirstOrder:
    """The customer has never ordered before (as the host says in ``Customer.first_order``)."""


@attrs.frozen
class CouponCode:
    """One of ``codes`` is applied to the cart; codes compare after :func:`normalize_code`."""

    #: The codes that unlock the promotion (bulk-generated ones included).
    codes: frozenset[str] = attrs.field(converter=_codes)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


@attrs.frozen
class DateWindow:
    """The pricing time is in ``[starts_at, ends_at)``; either end may be open.

    Refusals: ``not_started`` before the window, ``expired`` from its end.
    """

    #: First moment the promotion runs (inclusive), or ``None``.
    starts_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    #: Moment it stops (exclusive), or ``None``.
    ends_at: datetime | None = attrs.field(default=None, converter=_optional_utc)

    def __attrs_post_init__(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError("a date window must end after it starts")


#: Any promotion condition.
Condition = (
    SubtotalAtLeast
    | QuantityAtLeast
    | ContainsItems
    | CustomerGroupIn
    | FirstOrder
    | CouponCode
    | DateWindow
)
