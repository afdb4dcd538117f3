"""Table rates: the shop's own shipping methods as a :class:`~commercekit.ports.RateProvider`.

:class:`TableRates` quotes every method that applies to a request, cheapest first. Each method
prices one parcel per shipment (per origin location) and the quote is the sum: a cart split
across two warehouses pays for two parcels, and its quote lists both. Methods that do not apply
are left out of :meth:`TableRates.quote`; :meth:`TableRates.refusals` says why.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from commercekit.errors import MissingWeightError, ValidationError
from commercekit.rules import check_identifier
from commercekit.shipping._methods import (
    Refusal,
    RefusalReason,
    ShippingMethod,
    same_currency,
)
from commercekit.shipping._values import ShippingQuote, ShippingRequest

__all__ = ["TableRates"]


def _methods(value: Iterable[ShippingMethod]) -> tuple[ShippingMethod, ...]:
    methods = tuple(value)
    if not methods:
        raise ValidationError("methods: a table needs at least one ShippingMethod")
    seen: set[str] = set()
    for index, method in enumerate(methods):
        if not isinstance(method, ShippingMethod):
            raise ValidationError(f"methods[{index}] must be a ShippingMethod, got {method!r}")
        if method.id in seen:
            raise ValidationError(f"methods[{index}]: the method id {method.id!r} is used twice")
        seen.add(method.id)
        same_currency(f"methods[{index}]", methods[0].currency, method.currency)
    return methods


def _name(value: str) -> str:
    return check_identifier(value, name="name")


@attrs.frozen
class TableRates:
    """The shop's shipping methods, quoted from their own tables (a ``RateProvider``).

    Every method is in one currency, and so must every request be (a request in another
    currency is a :class:`~commercekit.errors.CurrencyMismatchError`: converting is the rate
    shopper's job). Quotes come cheapest first; methods of equal price keep the table's order.
    Each quote's ``source`` is :attr:`name`.

    >>> from commercekit.address import Address
    >>> from commercekit.money import Money
    >>> from commercekit.shipping import Shipment, ShippableItem, ShippingRequest, Weight
    >>> from commercekit.shipping._calculators import FlatRate
    >>> table = TableRates([ShippingMethod("std", "Standard", FlatRate(Money("4.90", "EUR")))])
    >>> item = ShippableItem("MUG", 2, weight=Weight("350", "g"))
    >>> request = ShippingRequest("EUR", Address("DE"), [Shipment(None, None, [item])])
    >>> [(q.method, str(q.amount), q.parcels[0].weight.value) for q in table.quote(request)]
    [('std', '4.90 EUR', Decimal('700.000'))]
    """

    #: The methods, in the order that breaks ties between equal prices.
    methods: tuple[ShippingMethod, ...] = attrs.field(converter=_methods)
    #: The provider's name, each quote's ``source``.
    name: str = attrs.field(default="table", converter=_name, kw_only=True)

    def _assess(self, request: ShippingRequest) -> list[ShippingQuote | Refusal]:
        return [method.quote(request, source=self.name) for method in self.methods]

    def quote(self, request: ShippingRequest) -> tuple[ShippingQuote, ...]:
        """The quotes of the methods that apply to ``request``, cheapest first."""
        found = [each for each in self._assess(request) if isinstance(each, ShippingQuote)]
        return tuple(sorted(found, key=lambda quote: quote.amount.amount))

    def quote_strict(self, request: ShippingRequest) -> tuple[ShippingQuote, ...]:
        """Like :meth:`quote`, but an item without a weight is an error, not a refusal.

        When a method needs weights and an item has none, this raises
        :class:`~commercekit.errors.MissingWeightError` (a
        :class:`~commercekit.errors.ValidationError`) naming the SKU, so that a catalog gap is
        found instead of silently removing methods. Other refusals leave methods out as in
        :meth:`quote`.
        """
        assessed = self._assess(request)
        for each in assessed:
            if isinstance(each, Refusal) and each.reason is RefusalReason.MISSING_WEIGHT:
                raise MissingWeightError(each.message, refusal=each, reason=each.reason)
        found = [each for each in assessed if isinstance(each, ShippingQuote)]
        return tuple(sorted(found, key=lambda quote: quote.amount.amount))

    def refusals(self, request: ShippingRequest) -> tuple[Refusal, ...]:
        """The methods that do not apply to ``request`` and why, in the table's order."""
        return tuple(each for each in self._assess(request) if isinstance(each, Refusal))
