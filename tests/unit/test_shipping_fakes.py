"""The fake rate provider and the fake carrier: quotes as told, labels once per key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from commercekit import open_store
from commercekit.address import Address
from commercekit.errors import (
    ConfigurationError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
    ValidationError,
)
from commercekit.gateways.shipping._fakes import FakeRateProvider, FakeShippingGateway
from commercekit.money import Money
from commercekit.shipping import (
    Shipment,
    ShippableItem,
    ShippingQuote,
    ShippingRequest,
    TrackingEvent,
    TrackingStatus,
    Weight,
)
from commercekit.storage import Store


def _request(*shipments: Shipment) -> ShippingRequest:
    given: Any = shipments
    return ShippingRequest("USD", Address("US", region="CA"), given)


def _shipment(location: str, *items: ShippableItem) -> Shipment:
    given: Any = items
    return Shipment(location, None, given)


GROUND = ShippingQuote("ground", "USPS", "Ground", Money("7.42", "USD"), rate_id="rate_1")
PRIORITY = ShippingQuote("priority", "USPS", "Priority", Money("9.10", "USD"), rate_id="rate_2")

# -- FakeRateProvider --------------------------------------------------------------------------


def test_quotes_come_cheapest_first_named_by_the_provider() -> None:
    provider = FakeRateProvider([PRIORITY, GROUND], name="usps")
    quotes = provider.quote(_request())
    assert [q.method for q in quotes] == ["ground", "priority"]
    assert {q.source for q in quotes} == {"usps"}
    assert len(provider.requests) == 1


def test_parcels_are_filled_in_per_shipment_from_the_items() -> None:
    request = _request(
        _shipment("east", ShippableItem("mug", 2, Weight("0.5", "kg"))),
        _shipment(
            "west",
            ShippableItem("tee", 1, Weight("8", "oz")),
            ShippableItem("cap", 3, Weight("100", "g")),
        ),
    )
    (quote, _) = FakeRateProvider([GROUND, PRIORITY]).quote(request)
    east, west = quote.parcels
    assert (east.location, east.weight, east.contents) == (
        "east",
        Weight("1.0", "kg"),
        (("mug", 2),),
    )
    # In the first item's unit: 8 oz + 3 x 100 g, and 300 g = 300 / (453.59237 / 16) oz =
    # 10.58218...oz, rounded up to 10.583 oz: 18.583 oz.
    ounces = Fraction(300) / (Fraction("453.59237") / 16)
    assert Decimal("10.582") < ounces < Decimal("10.583")
    assert west.location == "west"
    assert west.weight == Weight(Decimal(8) + Decimal("10.583"), "oz")
    assert west.contents == (("tee", 1), ("cap", 3))


def test_no_parcels_when_a_weight_is_unknown() -> None:
    request = _request(_shipment("east", ShippableItem("mug", 1)))
    assert FakeRateProvider([GROUND]).quote(request)[0].parcels == ()


def test_quotes_can_be_a_function_of_the_request() -> None:
    def by_currency(request: ShippingRequest) -> list[ShippingQuote]:
        return [ShippingQuote("flat", "", "", Money("5", request.currency))]

    no_shipments: Any = ()
    quotes = FakeRateProvider(by_currency).quote(
        ShippingRequest("JPY", Address("JP"), no_shipments)
    )
    assert quotes[0].amount == Money("5", "JPY")


def test_fail_with_raises_and_can_be_set_later() -> None:
    provider = FakeRateProvider([GROUND])
    provider.fail_with = GatewayUnavailableError("down", provider="fake_rates")
    with pytest.raises(GatewayUnavailableError):
        provider.quote(_request())
    provider.fail_with = None
    assert provider.quote(_request())


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        (([Money("1", "USD")],), {}, "quotes"),
        (([GROUND],), {"fail_with": RuntimeError("x")}, "fail_with"),
        (([GROUND],), {"name": " "}, "name"),
    ],
)
def test_bad_fake_settings_say_which(args: Any, kwargs: Any, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        FakeRateProvider(*args, **kwargs)


# -- FakeShippingGateway -----------------------------------------------------------------------


@pytest.fixture(params=["memory", "store"])
def carrier(request: pytest.FixtureRequest) -> Iterator[FakeShippingGateway]:
    if request.param == "memory":
        yield FakeShippingGateway()
        return
    with open_store("memory://") as store:
        yield FakeShippingGateway(store=store)


def test_the_same_key_returns_the_same_label(carrier: FakeShippingGateway) -> None:
    first = carrier.buy_label(GROUND, idempotency_key="order-1")
    assert carrier.buy_label(GROUND, idempotency_key="order-1") == first
    assert first.cost == GROUND.amount
    assert carrier.label_count() == 1
    other = carrier.buy_label(GROUND, idempotency_key="order-2")
    assert other.tracking_code != first.tracking_code
    assert carrier.label_count() == 2


def test_the_same_key_with_another_quote_is_a_conflict(carrier: FakeShippingGateway) -> None:
    carrier.buy_label(GROUND, idempotency_key="order-1")
    with pytest.raises(IdempotencyConflictError, match="order-1"):
        carrier.buy_label(PRIORITY, idempotency_key="order-1")
    assert carrier.label_count() == 1


def test_a_lost_answer_then_a_retry_is_one_label(carrier: FakeShippingGateway) -> None:
    carrier.lose_next_answer()
    with pytest.raises(OutcomeUnknownError) as error:
        carrier.buy_label(GROUND, idempotency_key="order-1")
    assert (error.value.provider, error.value.retryable) == ("fake_carrier", True)
    assert carrier.label_count() == 1
    retried = carrier.buy_label(GROUND, idempotency_key="order-1")
    assert carrier.track(retried.tracking_code).status is TrackingStatus.PRE_TRANSIT
    assert carrier.label_count() == 1


def test_unreachable_buys_nothing(carrier: FakeShippingGateway) -> None:
    carrier.fail_next()
    with pytest.raises(GatewayUnavailableError):
        carrier.buy_label(GROUND, idempotency_key="order-1")
    assert carrier.label_count() == 0
    carrier.buy_label(GROUND, idempotency_key="order-1")  # the key was not used up
    assert carrier.label_count() == 1


def test_tracking_answers_the_scripted_events_oldest_first(carrier: FakeShippingGateway) -> None:
    code = carrier.buy_label(GROUND, idempotency_key="order-1").tracking_code
    scanned = TrackingEvent(TrackingStatus.IN_TRANSIT, "Departed", datetime(2025, 3, 2, tzinfo=UTC))
    delivered = TrackingEvent(
        TrackingStatus.DELIVERED, "Left at door", datetime(2025, 3, 4, tzinfo=UTC)
    )
    carrier.script(code, delivered, scanned)
    tracking = carrier.track(code)
    assert tracking.status is TrackingStatus.DELIVERED
    assert tracking.events == (scanned, delivered)


def test_an_unknown_tracking_code_is_a_refusal(carrier: FakeShippingGateway) -> None:
    for code in ("FAKE0123456789", "1Z999"):
        with pytest.raises(GatewayError) as error:
            carrier.track(code)
        assert (error.value.status, error.value.retryable) == (404, False)


def test_bad_input_says_which_field(carrier: FakeShippingGateway) -> None:
    with pytest.raises(ValidationError, match="idempotency_key"):
        carrier.buy_label(GROUND, idempotency_key="")
    with pytest.raises(ValidationError, match="quote"):
        carrier.buy_label("ground", idempotency_key="k")  # type: ignore[arg-type]


def test_two_fakes_sharing_a_store_share_the_labels() -> None:
    with open_store("memory://") as store:
        first, second = FakeShippingGateway(store=store), FakeShippingGateway(store=store)
        label = first.buy_label(GROUND, idempotency_key="order-1")
        assert second.buy_label(GROUND, idempotency_key="order-1") == label
        assert second.track(label.tracking_code).tracking_code == label.tracking_code
        assert second.label_count() == 1


def test_buying_inside_a_transaction_of_its_store_is_refused() -> None:
    store: Store
    with open_store("memory://") as store:
        carrier = FakeShippingGateway(store=store)
        with store.transaction(), pytest.raises(ConfigurationError, match="transaction"):
            carrier.buy_label(GROUND, idempotency_key="order-1")
