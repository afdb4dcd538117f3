"""Rate shopping: several providers, ordered by a choice, converted, with a fallback."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from commercekit.address import Address
from commercekit.errors import (
    ConfigurationError,
    GatewayError,
    GatewayUnavailableError,
    OutcomeUnknownError,
    PriceNotFoundError,
    ValidationError,
)
from commercekit.gateways.shipping._fakes import FakeRateProvider
from commercekit.money import Money
from commercekit.pricing import StaticExchangeRates
from commercekit.shipping import DeliveryEstimate, RateProvider, ShippingQuote, ShippingRequest
from commercekit.shipping._shopping import RateShopper


def _request(currency: str = "EUR") -> ShippingRequest:
    shipments: Any = ()
    return ShippingRequest(currency, Address("DE", postal_code="10115"), shipments)


def _quote(
    method: str, amount: str, currency: str = "EUR", days: int | None = None
) -> ShippingQuote:
    estimate = None if days is None else DeliveryEstimate(days, days)
    return ShippingQuote(method, "", "", Money(amount, currency), estimate=estimate)


def _down(name: str = "carrier") -> FakeRateProvider:
    outage = GatewayUnavailableError("no answer within 10 s", provider=name)
    return FakeRateProvider(fail_with=outage, name=name)


CARRIER = FakeRateProvider(
    [_quote("express", "12.00", days=1), _quote("ground", "5.50", days=5)], name="carrier"
)
POST = FakeRateProvider(
    [_quote("parcel", "4.90", days=3), _quote("letter", "5.50", days=4)], name="post"
)
TABLE = FakeRateProvider([_quote("standard", "6.00", days=4)], name="table")


def test_the_shopper_is_a_rate_provider() -> None:
    assert isinstance(RateShopper([CARRIER]), RateProvider)


def test_cheapest_orders_every_providers_quotes_by_amount_then_speed() -> None:
    quotes = RateShopper([CARRIER, POST]).quote(_request())
    # 4.90 < 5.50 (letter, 4 days) < 5.50 (ground, 5 days) < 12.00
    assert [q.method for q in quotes] == ["parcel", "letter", "ground", "express"]
    assert [q.source for q in quotes] == ["post", "post", "carrier", "carrier"]
    assert all(q.fallback is None for q in quotes)


def test_fastest_orders_by_days_then_amount_with_unknown_estimates_last() -> None:
    slow = FakeRateProvider([_quote("pickup", "0.00"), _quote("freight", "3.00", days=9)])
    quotes = RateShopper([CARRIER, POST, slow], choose="fastest").quote(_request())
    assert [q.method for q in quotes] == [
        "express",  # 1 day
        "parcel",  # 3
        "letter",  # 4
        "ground",  # 5
        "freight",  # 9
        "pickup",  # no estimate: not known to be fast
    ]


def test_a_custom_choice_is_a_sort_key() -> None:
    # The shop prefers its own post, then cheapest.
    prefer_post = RateShopper(
        [CARRIER, POST], choose=lambda q: (q.source != "post", q.amount.amount)
    )
    quotes = prefer_post.quote(_request())
    assert [q.method for q in quotes] == ["parcel", "letter", "ground", "express"]
    by_price_desc = RateShopper([CARRIER, POST], choose=lambda q: -q.amount.amount)
    assert by_price_desc.quote(_request())[0].method == "express"


def test_quotes_in_another_currency_are_converted_and_rounded_up() -> None:
    dollars = FakeRateProvider([_quote("usps", "7.42", "USD", days=3)], name="usps")
    rates = StaticExchangeRates({("USD", "EUR"): Decimal("0.9137")})
    quotes = RateShopper([dollars, POST], exchange_rates=rates).quote(_request())
    converted = next(q for q in quotes if q.method == "usps")
    # 7.42 x 0.9137 = 6.779654 EUR, rounded up to the cent: 6.78.
    assert Decimal("7.42") * Decimal("0.9137") == Decimal("6.779654")
    assert converted.amount == Money("6.78", "EUR")
    assert [q.method for q in quotes] == ["parcel", "letter", "usps"]


def test_rounding_up_never_charges_less_than_the_carrier() -> None:
    dollars = FakeRateProvider([_quote("usps", "10.00", "USD")], name="usps")
    rates = StaticExchangeRates({("USD", "JPY"): Decimal("151.201")})
    (quote,) = RateShopper([dollars], exchange_rates=rates).quote(_request("JPY"))
    assert quote.amount == Money("1513", "JPY")  # 1512.01 up to a whole yen


def test_another_currency_without_rates_is_a_configuration_error() -> None:
    dollars = FakeRateProvider([_quote("usps", "7.42", "USD")], name="usps")
    with pytest.raises(ConfigurationError, match=r"usps.*USD.*EUR"):
        RateShopper([dollars]).quote(_request())
    rates = StaticExchangeRates({("GBP", "EUR"): Decimal("1.17")})
    with pytest.raises(PriceNotFoundError):
        RateShopper([dollars], exchange_rates=rates).quote(_request())


def test_a_failed_provider_falls_back_with_the_reason() -> None:
    quotes = RateShopper([_down()], fallback=TABLE).quote(_request())
    assert [(q.method, q.source) for q in quotes] == [("standard", "table")]
    assert quotes[0].fallback == "carrier failed: no answer within 10 s"


def test_the_fallback_joins_the_providers_that_answered() -> None:
    quotes = RateShopper([_down(), POST], fallback=TABLE).quote(_request())
    assert [q.method for q in quotes] == ["parcel", "letter", "standard"]
    assert [q.fallback for q in quotes] == [None, None, "carrier failed: no answer within 10 s"]


def test_a_timeout_falls_back_too() -> None:
    lost = OutcomeUnknownError("timed out after 10 s", provider="carrier")
    quotes = RateShopper([FakeRateProvider(fail_with=lost, name="carrier")], fallback=TABLE).quote(
        _request()
    )
    assert quotes[0].fallback == "carrier failed: timed out after 10 s"


def test_every_failure_is_named() -> None:
    refused = GatewayError("401 Unauthorized", provider="post", status=401)
    shopper = RateShopper(
        [_down(), FakeRateProvider(fail_with=refused, name="post")], fallback=TABLE
    )
    (quote,) = shopper.quote(_request())
    assert quote.fallback == (
        "carrier failed: no answer within 10 s; post failed: 401 Unauthorized"
    )


def test_without_a_fallback_the_error_propagates() -> None:
    with pytest.raises(GatewayUnavailableError, match="no answer"):
        RateShopper([POST, _down()]).quote(_request())


def test_a_failing_fallback_raises_its_error_chained_to_the_first() -> None:
    shopper = RateShopper([_down()], fallback=_down("table"))
    with pytest.raises(GatewayUnavailableError) as error:
        shopper.quote(_request())
    assert error.value.provider == "table"
    assert isinstance(error.value.__cause__, GatewayUnavailableError)
    assert error.value.__cause__.provider == "carrier"


def test_a_non_gateway_error_is_not_a_fallback() -> None:
    broken = FakeRateProvider(fail_with=ValidationError("bad weight"), name="carrier")
    with pytest.raises(ValidationError):
        RateShopper([broken], fallback=TABLE).quote(_request())


def test_no_fallback_when_nothing_failed() -> None:
    table = FakeRateProvider([_quote("standard", "6.00")], name="table")
    quotes = RateShopper([POST], fallback=table).quote(_request())
    assert [q.source for q in quotes] == ["post", "post"]
    assert table.requests == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"providers": []}, "providers"),
        ({"providers": [object()]}, "providers"),
        ({"providers": [POST], "choose": "slowest"}, "choose"),
        ({"providers": [POST], "fallback": "table"}, "fallback"),
        ({"providers": [POST], "name": ""}, "name"),
    ],
)
def test_bad_settings_say_which(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        RateShopper(**kwargs)
