"""Splitting an amount into parts that sum exactly to it (largest remainder)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal
from typing import Any

from commercekit.errors import AllocationError, InvalidAmountError, ValidationError
from commercekit.money._context import CTX
from commercekit.money._money import Money, _make, to_decimal
from commercekit.money._rounding import to_minor_units

__all__ = ["allocate", "allocate_minor"]


def _integer_weights(weights: Sequence[Decimal | int | Money]) -> list[int]:
    # Scale Decimal weights by a common power of ten so the split is pure integer arithmetic.
    decimals: list[Decimal] = []
    for weight in weights:
        if isinstance(weight, Money):
            value = weight.amount
        else:
            try:
                value = to_decimal(weight)
            except InvalidAmountError as exc:
                raise AllocationError(f"invalid weight {weight!r}: {exc}") from exc
            except ValidationError as exc:
                raise AllocationError(f"invalid weight {weight!r}: {exc}") from exc
        if value < 0:
            raise AllocationError(f"weights must not be negative, got {value}")
        decimals.append(value)
    places = 0
    for value in decimals:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            places = -exponent
    return [int(value.scaleb(places, context=CTX)) for value in decimals]


def allocate_minor(
    total: int, weights: Sequence[int], keys: Sequence[Any] | None = None
) -> list[int]:
    """Split an integer ``total`` by non-negative integer ``weights``; parts sum to ``total``.

    Each part is the floor of its exact share plus at most one unit; the leftover units go to
    the parts with the largest remainders, ties broken by ``keys`` (default: the weight's
    index), never by position, so callers that pass line ids get order-independent results.
    All-zero weights split evenly. A negative total is split as its absolute value, negated.

    >>> allocate_minor(100, [1, 1, 1])
    [34, 33, 33]
    >>> allocate_minor(100, [1, 1, 1], keys=["c", "b", "a"])
    [33, 33, 34]
    """
    count = len(weights)
    if count == 0:
        raise AllocationError("cannot allocate to an empty list of weights")
    if keys is not None:
        if len(keys) != count:
            raise AllocationError(f"{len(keys)} keys given for {count} weights")
        if len(set(keys)) != count:
            raise AllocationError("allocation keys must be unique")
    for weight in weights:
        if weight.__class__ is not int:
            raise AllocationError(f"integer weights required, got {weight!r}")
        if weight < 0:
            raise AllocationError(f"weights must not be negative, got {weight}")
    denominator = sum(weights)
    if denominator == 0:
        weights = [1] * count
        denominator = count
    sign = -1 if total < 0 else 1
    magnitude = total * sign
    parts: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        share, remainder = divmod(magnitude * weight, denominator)
        parts.append(share)
        remainders.append(remainder)
    leftover = magnitude - sum(parts)
    if leftover:
        order_keys: Sequence[Hashable] = keys if keys is not None else range(count)
        try:
            ranked = sorted(range(count), key=lambda i: (-remainders[i], order_keys[i]))
        except TypeError as exc:
            raise AllocationError("allocation keys must be mutually comparable") from exc
        for index in ranked[:leftover]:
            parts[index] += 1
    if sign < 0:
        return [-part for part in parts]
    return parts


def allocate(
    money: Money,
    weights: Sequence[Decimal | int | Money],
    *,
    keys: Sequence[Any] | None = None,
) -> list[Money]:
    """Split ``money`` into parts proportional to ``weights`` that sum exactly to it.

    ``money`` must be a whole number of minor units (quantize it first). Weights are
    non-negative ``int``, ``Decimal`` or Money values (line subtotals, say); all-zero weights
    split evenly. Leftover minor units go by largest remainder, ties broken by ``keys``
    (default: the weight's index), so passing line ids makes the result independent of line
    order.

    >>> allocate(Money("100.00", "USD"), [1, 1, 1])
    [Money('33.34', 'USD'), Money('33.33', 'USD'), Money('33.33', 'USD')]
    >>> allocate(Money("-5", "JPY"), [1, 1])
    [Money('-3', 'JPY'), Money('-2', 'JPY')]
    """
    if not isinstance(money, Money):
        raise InvalidAmountError(f"allocate needs Money, got {money!r}")
    for weight in weights:
        if isinstance(weight, Money) and weight.currency is not money.currency:
            raise AllocationError(
                f"weight {weight} is not in {money.currency.code}, the currency being split"
            )
    units = to_minor_units(money)
    parts = allocate_minor(units, _integer_weights(weights), keys)
    cur = money.currency
    minor = cur.minor_units
    return [_make(Decimal(part).scaleb(-minor, context=CTX), cur) for part in parts]
