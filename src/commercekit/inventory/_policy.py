"""Stock policies per SKU: whether it may be sold past zero, and how far."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from commercekit.errors import InvalidQuantityError, ValidationError
from commercekit.rules import MAX_QUANTITY

__all__ = ["LOW_STOCK_TOPIC", "PolicyKind", "StockPolicy"]

#: Outbox topic of the event written when available stock crosses a low-stock threshold.
LOW_STOCK_TOPIC = "stock.low"


class PolicyKind(enum.StrEnum):
    """How a SKU may be sold beyond its stock on hand."""

    #: Never: available stock stops at zero.
    NONE = "none"
    #: Backorder: sell up to ``allowance`` units past zero at each location; ship when restocked.
    BACKORDER = "backorder"
    #: Preorder: sell up to ``allowance`` units before the first stock arrives (same floor rule).
    PREORDER = "preorder"


def _kind(value: Any) -> PolicyKind:
    try:
        return PolicyKind(value)
    except ValueError:
        raise ValidationError(
            f"a policy kind is one of {[k.value for k in PolicyKind]}, got {value!r}"
        ) from None


def _check_allowance(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantityError(f"a backorder allowance must be an int, got {value!r}")
    if not 0 <= value <= MAX_QUANTITY:
        raise InvalidQuantityError(f"a backorder allowance must be 0..{MAX_QUANTITY}, got {value}")


@attrs.frozen
class StockPolicy:
    """A SKU's policy: every stock row of the SKU gets the floor ``-allowance``.

    >>> StockPolicy.backorder(5)
    StockPolicy(kind=<PolicyKind.BACKORDER: 'backorder'>, allowance=5)
    >>> StockPolicy.backorder(5).floor
    -5
    """

    kind: PolicyKind = attrs.field(default=PolicyKind.NONE, converter=_kind)
    allowance: int = attrs.field(default=0, validator=_check_allowance)

    def __attrs_post_init__(self) -> None:
        if self.kind is PolicyKind.NONE and self.allowance:
            raise ValidationError("a policy of kind 'none' has no allowance")

    @property
    def floor(self) -> int:
        """The floor of every stock row of the SKU: ``-allowance``."""
        return -self.allowance

    @classmethod
    def backorder(cls, allowance: int) -> StockPolicy:
        """Allow ``allowance`` units on backorder at each location."""
        return cls(PolicyKind.BACKORDER, allowance)

    @classmethod
    def preorder(cls, allowance: int) -> StockPolicy:
        """Allow ``allowance`` units to be preordered at each location."""
        return cls(PolicyKind.PREORDER, allowance)
