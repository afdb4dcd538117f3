"""The fake rate provider for tests: it answers the quotes it was given, or fails as told.

:class:`FakeRateProvider` answers its quotes (or a function of the request), filling in each
quote's source and parcels, cheapest first. It never touches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import reduce

import attrs

from commercekit.errors import CommerceError, ValidationError
from commercekit.money import Money  # noqa: F401  (the FakeRateProvider doctest uses it)
from commercekit.rules import check_identifier
from commercekit.shipping import Parcel, ShippingQuote, ShippingRequest, Weight

__all__ = ["FakeRateProvider"]

#: Quotes, or a function of the request that answers them.
Quotes = Sequence[ShippingQuote] | Callable[[ShippingRequest], Iterable[ShippingQuote]]


def _parcels(request: ShippingRequest) -> tuple[Parcel, ...]:
    """One parcel per shipment, weighing its items; none if an item's weight is unknown."""
    parcels = []
    for shipment in request.shipments:
        weights = [item.weight * item.quantity for item in shipment.items if item.weight]
        if not weights or len(weights) != len(shipment.items):
            return ()
        contents = tuple((item.sku, item.quantity) for item in shipment.items)
        total: Weight = reduce(lambda a, b: a + b, weights)
        parcels.append(Parcel(total, location=shipment.location, contents=contents))
    return tuple(parcels)


class FakeRateProvider:
    """A :class:`~commercekit.ports.RateProvider` that answers what it was told.

    ``quotes`` is a list of quotes, or a function of the request that returns them. A quote
    with no ``source`` gets the provider's :attr:`name`; one with no parcels gets one parcel
    per shipment, weighing its items (when every item's weight is known). Quotes come back
    cheapest first. With ``fail_with`` (an error; settable later), every quote raises it.
    :attr:`requests` records what was asked.

    >>> from commercekit.address import Address
    >>> provider = FakeRateProvider([ShippingQuote("std", "", "", Money("5.00", "EUR"))])
    >>> [q.source for q in provider.quote(ShippingRequest("EUR", Address("DE"), []))]
    ['fake_rates']
    """

    def __init__(
        self,
        quotes: Quotes = (),
        *,
        fail_with: CommerceError | None = None,
        name: str = "fake_rates",
    ) -> None:
        if not callable(quotes):
            quotes = tuple(quotes)
            for quote in quotes:
                if not isinstance(quote, ShippingQuote):
                    raise ValidationError(f"quotes must be ShippingQuotes, got {quote!r}")
        if fail_with is not None and not isinstance(fail_with, CommerceError):
            raise ValidationError(f"fail_with must be a CommerceError, got {fail_with!r}")
        self._quotes = quotes
        #: The error every quote raises, or ``None``.
        self.fail_with = fail_with
        #: The provider's name (each quote's default ``source``).
        self.name = check_identifier(name, name="name")
        #: Every request asked, oldest first.
        self.requests: list[ShippingRequest] = []

    def quote(self, request: ShippingRequest) -> tuple[ShippingQuote, ...]:
        """The quotes, cheapest first; or the ``fail_with`` error."""
        self.requests.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        given = self._quotes(request) if callable(self._quotes) else self._quotes
        parcels = _parcels(request)
        answered = [
            attrs.evolve(
                quote,
                source=quote.source or self.name,
                parcels=quote.parcels or parcels,
            )
            for quote in given
        ]
        return tuple(sorted(answered, key=lambda q: (q.amount.amount, q.method)))
