"""Rate shopping: ask several rate providers, order their quotes, fall back when one fails.

:class:`RateShopper` is itself a :class:`~commercekit.ports.RateProvider`. It asks every
provider in turn, converts a quote in another currency into the request's through
:class:`~commercekit.ports.ExchangeRates` (rounded up: the shop never charges less than the
carrier bills), and orders the quotes by the choice: ``"cheapest"``, ``"fastest"``, or a sort
key of the host's. When a provider fails or times out (a
:class:`~commercekit.errors.GatewayError`, or an
:class:`~commercekit.errors.OutcomeUnknownError`), the quotes of the providers that answered
are kept and the fallback provider's quotes are added, each marked with
``fallback="<provider> failed: <reason>"``; with no fallback, the error propagates. A failure
is never read as "no way to ship".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import attrs

from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    GatewayError,
    OutcomeUnknownError,
    ValidationError,
)
from commercekit.money import Rounding
from commercekit.pricing import ExchangeRates, convert
from commercekit.rules import check_identifier
from commercekit.shipping._ports import RateProvider
from commercekit.shipping._values import ShippingQuote, ShippingRequest

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

__all__ = ["CHEAPEST", "FASTEST", "Choice", "RateShopper", "cheapest_first", "fastest_first"]

#: Order by amount, then by the longest delivery estimate (quotes without one last).
CHEAPEST: Final = "cheapest"
#: Order by the longest delivery estimate (quotes without one last), then by amount.
FASTEST: Final = "fastest"

#: How a :class:`RateShopper` orders quotes: ``"cheapest"``, ``"fastest"``, or a sort key.
Choice: TypeAlias = (
    "Literal['cheapest', 'fastest'] | Callable[[ShippingQuote], SupportsRichComparison]"
)

# Days that sort after any real estimate (a quote without one is not known to be fast).
_UNKNOWN_DAYS = 1 << 30


def _days(quote: ShippingQuote) -> tuple[int, int]:
    estimate = quote.estimate
    if estimate is None:
        return (_UNKNOWN_DAYS, _UNKNOWN_DAYS)
    return (estimate.max_days, estimate.min_days)


def cheapest_first(quote: ShippingQuote) -> tuple[Decimal, tuple[int, int], str, str, str]:
    """The sort key of ``"cheapest"``: amount, then speed, then method, source and carrier."""
    return (quote.amount.amount, _days(quote), quote.method, quote.source, quote.carrier)


def fastest_first(quote: ShippingQuote) -> tuple[tuple[int, int], Decimal, str, str, str]:
    """The sort key of ``"fastest"``: the most days, fewest days, then amount and names."""
    return (_days(quote), quote.amount.amount, quote.method, quote.source, quote.carrier)


def _choose(value: object) -> Callable[[ShippingQuote], SupportsRichComparison]:
    if value == CHEAPEST:
        return cheapest_first
    if value == FASTEST:
        return fastest_first
    if callable(value) and not isinstance(value, str):
        return value
    raise ValidationError(
        f"choose must be 'cheapest', 'fastest' or a sort key (a callable), got {value!r}"
    )


def _valid_choice(_instance: object, _attribute: attrs.Attribute[Choice], value: object) -> None:
    _choose(value)


def _providers(value: Iterable[RateProvider]) -> tuple[RateProvider, ...]:
    providers = tuple(value)
    if not providers:
        raise ValidationError("providers must name at least one RateProvider, got none")
    for provider in providers:
        if not isinstance(provider, RateProvider):
            raise ValidationError(
                f"providers must be RateProviders (quote() and name), got {type(provider).__name__}"
            )
    return providers


def _fallback(
    _instance: object, _attribute: attrs.Attribute[RateProvider | None], value: object
) -> None:
    if value is not None and not isinstance(value, RateProvider):
        raise ValidationError(
            f"fallback must be a RateProvider or None, got {type(value).__name__}"
        )


def _name(value: str) -> str:
    return check_identifier(value, name="name")


def _reason(provider: RateProvider, error: CommerceError) -> str:
    said = str(error) or type(error).__name__
    return f"{provider.name} failed: {said}"


@attrs.frozen
class RateShopper:
    """A :class:`~commercekit.ports.RateProvider` that asks several and keeps the best first.

    ``providers`` are asked in turn, each once per request. ``choose`` orders the quotes:
    ``"cheapest"`` (the default), ``"fastest"``, or a sort key of a quote (smallest first).
    ``fallback`` answers when a provider fails (table rates are the usual one); its quotes
    carry ``fallback="<provider> failed: <reason>"``. ``exchange_rates`` converts a quote in
    another currency into the request's; without it such a quote is a
    :class:`~commercekit.errors.ConfigurationError`.

    >>> from commercekit.address import Address
    >>> from commercekit.money import Money
    >>> class Flat:
    ...     name = "flat"
    ...
    ...     def quote(self, request):
    ...         return (ShippingQuote("standard", "", "", Money("4.90", "EUR"), source="flat"),)
    >>> shopper = RateShopper([Flat()])
    >>> [q.amount for q in shopper.quote(ShippingRequest("EUR", Address("DE"), []))]
    [Money('4.90', 'EUR')]
    """

    #: The providers asked, in order.
    providers: tuple[RateProvider, ...] = attrs.field(converter=_providers)
    #: How quotes are ordered: ``"cheapest"``, ``"fastest"``, or a sort key of a quote.
    choose: Choice = attrs.field(default=CHEAPEST, validator=_valid_choice, kw_only=True)
    #: Who answers when a provider fails, or ``None`` (the error then propagates).
    fallback: RateProvider | None = attrs.field(default=None, validator=_fallback, kw_only=True)
    #: Rates for quotes in another currency, or ``None``.
    exchange_rates: ExchangeRates | None = attrs.field(default=None, kw_only=True)
    #: This provider's name.
    name: str = attrs.field(default="rate_shopper", converter=_name, kw_only=True)

    def quote(self, request: ShippingRequest) -> tuple[ShippingQuote, ...]:
        """Every provider's quotes in the request's currency, ordered by :attr:`choose`.

        A provider that fails is replaced by the fallback's quotes (marked with why); with no
        fallback, its error is raised.
        """
        quotes: list[ShippingQuote] = []
        failures: list[str] = []
        first_error: CommerceError | None = None
        for provider in self.providers:
            try:
                answered = provider.quote(request)
            except (GatewayError, OutcomeUnknownError) as error:
                if self.fallback is None:
                    raise
                failures.append(_reason(provider, error))
                first_error = first_error or error
                continue
            quotes.extend(self._own(quote, provider, request) for quote in answered)
        if failures:
            assert self.fallback is not None and first_error is not None
            why = "; ".join(failures)
            try:
                backup = self.fallback.quote(request)
            except (GatewayError, OutcomeUnknownError) as error:
                raise error from first_error
            quotes.extend(
                attrs.evolve(self._own(quote, self.fallback, request), fallback=why)
                for quote in backup
            )
        return tuple(sorted(quotes, key=_choose(self.choose)))

    def _own(
        self, quote: ShippingQuote, provider: RateProvider, request: ShippingRequest
    ) -> ShippingQuote:
        """``quote`` in the request's currency, naming its provider if it names nobody."""
        if not isinstance(quote, ShippingQuote):
            raise ConfigurationError(
                f"rate provider {provider.name!r} answered a {type(quote).__name__},"
                " not a ShippingQuote"
            )
        if not quote.source:
            quote = attrs.evolve(quote, source=provider.name)
        have, want = quote.amount.currency.code, request.currency.code
        if have == want:
            return quote
        if self.exchange_rates is None:
            raise ConfigurationError(
                f"rate provider {provider.name!r} quoted {quote.method!r} in {have} for a cart"
                f" in {want}: give the RateShopper exchange_rates to convert it"
            )
        rate = self.exchange_rates.get_rate(have, want)
        return attrs.evolve(quote, amount=convert(quote.amount, want, rate, Rounding.UP))
