"""EasyPost against the EasyPost simulator (tests/easypost_server.py) over httpx.MockTransport.

Request bodies are checked to the byte where units matter (ounces and inches, converted exactly
and rounded up); rates are read as Decimal from EasyPost's text; every expected amount, weight
and length is derived in the test from the inputs.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
import pytest

from commercekit.address import Address
from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
    ValidationError,
)
from commercekit.gateways.shipping._easypost import EasyPost
from commercekit.money import Money
from commercekit.ports import RateProvider, ShippingGateway
from commercekit.pricing import StaticExchangeRates, convert
from commercekit.shipping import (
    DeliveryEstimate,
    Dimensions,
    Shipment,
    ShippableItem,
    ShippingQuote,
    ShippingRequest,
    TrackingStatus,
    Weight,
)
from commercekit.testing.shipping_contract import RateProviderContract, ShippingGatewayContract
from tests.easypost_server import (
    API_KEY,
    DEFAULT_RATES,
    UNDELIVERABLE_ZIP,
    EasyPostSimulator,
    RateSpec,
)

WAREHOUSE = Address("US", "CA", "94105", "San Francisco", ("118 2nd Street", "4th Floor"))
DEPOT = Address("US", "NY", "10001", "New York", ("350 5th Ave",))
CUSTOMER = Address("US", "US-CA", "90277", "Redondo Beach", ("179 N Harbor Dr",))


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sim() -> EasyPostSimulator:
    return EasyPostSimulator()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sim: EasyPostSimulator) -> Iterator[httpx.Client]:
    with sim.client() as client:
        yield client


def make(client: httpx.Client, sleeps: Sleeps, **kw: Any) -> EasyPost:
    return EasyPost(API_KEY, client=client, sleep=sleeps, random=lambda: 1.0, **kw)


@pytest.fixture
def easypost(client: httpx.Client, sleeps: Sleeps) -> EasyPost:
    return make(client, sleeps)


def book(quantity: int = 1, **kw: Any) -> ShippableItem:
    kw.setdefault("weight", Weight("0.5", "kg"))
    return ShippableItem("BOOK", quantity, **kw)


def request(*shipments: Shipment, currency: str = "USD") -> ShippingRequest:
    return ShippingRequest(currency, CUSTOMER, shipments or (Shipment(None, WAREHOUSE, [book()]),))


def priority(quotes: tuple[ShippingQuote, ...]) -> ShippingQuote:
    return next(q for q in quotes if q.service == "Priority")


# -- the requests on the wire ----------------------------------------------------------------


def test_a_shipment_goes_out_with_both_addresses_and_its_parcel_in_ounces_and_inches(
    sim: EasyPostSimulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    easypost = make(client, sleeps, carrier_accounts=["ca_1", "ca_2"])
    box = Dimensions("30", "20", "10", "cm")
    lamp = ShippableItem("LAMP", 1, weight=Weight("1250", "g"), dimensions=box)
    easypost.quote(request(Shipment("sf", WAREHOUSE, [lamp])))

    sent = sim.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v2/shipments")
    assert sent.headers["content-type"] == "application/json"
    token = base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {token}"
    shipment = sent.json["shipment"]
    assert shipment["from_address"] == {
        "street1": "118 2nd Street",
        "street2": "4th Floor",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94105",
        "country": "US",
    }
    # The region "US-CA" goes out as EasyPost's state "CA"; no street2 without a second line.
    assert shipment["to_address"] == {
        "street1": "179 N Harbor Dr",
        "city": "Redondo Beach",
        "state": "CA",
        "zip": "90277",
        "country": "US",
    }
    assert shipment["carrier_accounts"] == ["ca_1", "ca_2"]
    # 1250 g / 28.349523125 g = 44.0924... oz and 10 cm / 2.54 = 3.9370... in, rounded up.
    ounces = Weight("1250", "g").to("oz").value
    inches = box.to("in")
    assert ounces == Decimal("44.093")
    assert shipment["parcel"] == {
        "weight": ounces,
        "length": inches.length,
        "width": inches.width,
        "height": inches.height,
    }
    assert b'"weight":44.093,"length":11.812,"width":7.875,"height":3.938' in sent.body


def test_a_parcel_weighs_the_exact_sum_of_its_items_rounded_up_once(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    items = [book(2), ShippableItem("PEN", 3, weight=Weight("0.75", "oz"))]
    quotes = easypost.quote(request(Shipment(None, WAREHOUSE, items)))

    # 1 kg is 35.27396195 oz, plus 3 x 0.75 oz: 37.52396195 oz, rounded up once to 37.524
    # (rounding each line up first would be no less, but could be 0.001 oz more per line).
    exact = Weight("1", "kg").grams / Weight("1", "oz").grams + Fraction("2.25")
    expected = Decimal("37.524")
    assert expected - Decimal("0.001") < exact <= expected
    parcel = sim.requests[0].json["shipment"]["parcel"]
    assert parcel == {"weight": expected}  # several units: no box unless the shop gives one
    assert priority(quotes).parcels[0].weight == Weight(expected, "oz")
    assert priority(quotes).parcels[0].contents == (("BOOK", 2), ("PEN", 3))


def test_several_units_ship_in_the_default_box(
    sim: EasyPostSimulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    easypost = make(client, sleeps, default_box=Dimensions("12", "10", "8", "in"))
    easypost.quote(request(Shipment(None, WAREHOUSE, [book(2)])))
    parcel = sim.requests[0].json["shipment"]["parcel"]
    assert (parcel["length"], parcel["width"], parcel["height"]) == (12, 10, 8)


# -- rates -------------------------------------------------------------------------------------


def test_rates_become_quotes_cheapest_first_with_decimal_amounts(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    quotes = easypost.quote(request())

    created = sim.shipments[next(iter(sim.shipments))]
    by_service = {rate["service"]: rate for rate in created["rates"]}
    expected = sorted(DEFAULT_RATES, key=lambda spec: Decimal(spec.rate))
    assert [(q.carrier, q.service) for q in quotes] == [(s.carrier, s.service) for s in expected]
    for quote, spec in zip(quotes, expected, strict=True):
        assert quote.amount == Money(spec.rate, "USD")
        assert quote.amount.amount == Decimal(spec.rate)
        assert spec.delivery_days is not None
        assert quote.estimate == DeliveryEstimate(spec.delivery_days, spec.delivery_days)
        assert quote.method == f"easypost:{spec.carrier}:{spec.service}"
        assert quote.source == "easypost"
        assert quote.rate_id == f"{created['id']}:{by_service[spec.service]['id']}"


def test_a_rate_without_delivery_days_has_no_estimate(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    sim.rate_table = lambda _: [RateSpec("DHL", "Express", "30.00", "USD", None)]
    (quote,) = easypost.quote(request())
    assert quote.estimate is None


@pytest.mark.parametrize("text", ["7.4x", "7.425", "-1.00", "1e3"])
def test_an_amount_that_is_not_plain_decimal_text_in_minor_units_is_malformed(
    sim: EasyPostSimulator, easypost: EasyPost, text: str
) -> None:
    sim.rate_table = lambda _: [RateSpec("USPS", "Priority", text)]
    with pytest.raises(GatewayError) as caught:
        easypost.quote(request())
    assert caught.value.code == "malformed_response"


def test_a_rate_in_another_currency_is_converted_to_the_carts(
    sim: EasyPostSimulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    sim.rate_table = lambda _: [RateSpec("CanadaPost", "Expedited", "10.00", "CAD", 3)]
    rates = StaticExchangeRates({("CAD", "USD"): Decimal("0.7312")})
    (quote,) = make(client, sleeps, exchange_rates=rates).quote(request())
    assert quote.amount == convert(Money("10.00", "CAD"), "USD", Decimal("0.7312"))
    assert quote.amount == Money("7.31", "USD")  # 7.312, half-up to the cent

    with pytest.raises(ConfigurationError, match="CAD for a USD cart"):
        make(client, sleeps).quote(request())


def test_a_split_cart_gets_the_services_every_shipment_has_summed(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    east = [RateSpec("USPS", "Priority", "8.10", "USD", 3), RateSpec("FedEx", "Home", "12.00")]
    sim.rate_table = lambda body: east if body["from_address"]["zip"] == "10001" else DEFAULT_RATES
    split = request(Shipment("sf", WAREHOUSE, [book()]), Shipment("ny", DEPOT, [book(3)]))
    (quote,) = easypost.quote(split)  # only USPS Priority serves both

    west_rate = next(s for s in DEFAULT_RATES if s.service == "Priority")
    assert quote.amount == Money(west_rate.rate, "USD") + Money("8.10", "USD")
    assert quote.estimate == DeliveryEstimate(2, 3)
    assert [p.location for p in quote.parcels] == ["sf", "ny"]
    assert [p.weight for p in quote.parcels] == [
        Weight("0.5", "kg").to("oz"),
        Weight("1.5", "kg").to("oz"),
    ]
    shipment_ids = list(sim.shipments)
    assert [part.split(":")[0] for part in (quote.rate_id or "").split("+")] == shipment_ids


def test_a_split_cart_no_service_can_ship_whole_is_no_rates(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    only_fedex = [RateSpec("FedEx", "Home", "12.00")]
    sim.rate_table = lambda body: (
        only_fedex if body["from_address"]["zip"] == "10001" else DEFAULT_RATES
    )
    with pytest.raises(GatewayError) as caught:
        easypost.quote(
            request(Shipment("sf", WAREHOUSE, [book()]), Shipment("ny", DEPOT, [book()]))
        )
    assert caught.value.code == "no_rates"


# -- labels ------------------------------------------------------------------------------------


def test_buying_a_label_buys_the_quoted_rate_once(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    quote = priority(easypost.quote(request()))
    shipment_id, rate_id = (quote.rate_id or "").split(":")
    label = easypost.buy_label(quote, idempotency_key="order-1:label")

    assert sim.requests[-1].path == f"/v2/shipments/{shipment_id}/buy"
    assert sim.requests[-1].json == {"rate": {"id": rate_id}}
    bought = sim.shipments[shipment_id]
    assert label.shipment_id == shipment_id
    assert label.tracking_code == bought["tracking_code"]
    assert label.label_url == bought["postage_label"]["label_url"]
    assert label.cost == quote.amount
    assert sim.labels_bought == {shipment_id: 1}

    # The same key: the same label, without a call; another key: EasyPost refuses, read back.
    calls = len(sim.requests)
    assert easypost.buy_label(quote, idempotency_key="order-1:label") == label
    assert len(sim.requests) == calls
    assert easypost.buy_label(quote, idempotency_key="order-1:label:again") == label
    assert sim.paths()[calls:] == [
        f"POST /v2/shipments/{shipment_id}/buy",
        f"GET /v2/shipments/{shipment_id}",
    ]
    assert sim.labels_bought == {shipment_id: 1}


def test_a_key_reused_for_another_quote_is_a_conflict(easypost: EasyPost) -> None:
    quotes = easypost.quote(request())
    easypost.buy_label(quotes[0], idempotency_key="k1")
    with pytest.raises(IdempotencyConflictError):
        easypost.buy_label(quotes[1], idempotency_key="k1")


def test_another_rate_of_a_bought_shipment_cannot_be_bought(easypost: EasyPost) -> None:
    quotes = easypost.quote(request())
    easypost.buy_label(quotes[0], idempotency_key="k1")
    with pytest.raises(GatewayError) as caught:
        easypost.buy_label(quotes[1], idempotency_key="k2")
    assert caught.value.code == "already_bought"


def test_a_timeout_after_the_buy_acted_is_read_back_not_bought_again(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    quote = priority(easypost.quote(request()))
    shipment_id = (quote.rate_id or "").split(":")[0]
    sim.fault("timeout_after", path="/buy")
    label = easypost.buy_label(quote, idempotency_key="order-1:label")

    assert sim.labels_bought == {shipment_id: 1}
    assert label.tracking_code == sim.shipments[shipment_id]["tracking_code"]
    assert sim.paths()[-2:] == [
        f"POST /v2/shipments/{shipment_id}/buy",
        f"GET /v2/shipments/{shipment_id}",
    ]


def test_a_timeout_before_the_buy_acted_is_read_back_then_bought(
    sim: EasyPostSimulator, easypost: EasyPost, sleeps: Sleeps
) -> None:
    quote = priority(easypost.quote(request()))
    shipment_id = (quote.rate_id or "").split(":")[0]
    sim.fault("timeout_before", path="/buy")
    easypost.buy_label(quote, idempotency_key="k")
    assert sim.labels_bought == {shipment_id: 1}
    assert [p.split()[0] for p in sim.paths()[-3:]] == ["POST", "GET", "POST"]
    assert sleeps == [0.5]  # random() = 1 x the first backoff


def test_an_unknown_outcome_is_settled_by_calling_again_with_the_same_key(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    quote = priority(easypost.quote(request()))
    shipment_id = (quote.rate_id or "").split(":")[0]
    sim.fault("timeout_after", path="/buy")
    sim.fault("refuse", path=shipment_id, times=3)  # the read-back cannot reach EasyPost
    with pytest.raises(OutcomeUnknownError) as caught:
        easypost.buy_label(quote, idempotency_key="k")
    assert caught.value.provider == "easypost"

    label = easypost.buy_label(quote, idempotency_key="k")
    assert label.tracking_code == sim.shipments[shipment_id]["tracking_code"]
    assert sim.labels_bought == {shipment_id: 1}


def test_buys_that_time_out_every_time_end_unknown(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    quote = priority(easypost.quote(request()))
    sim.fault("timeout_before", path="/buy", times=3)
    with pytest.raises(OutcomeUnknownError, match="3 attempts"):
        easypost.buy_label(quote, idempotency_key="k")
    assert sum(p.endswith("/buy") for p in sim.paths()) == 3
    assert sim.labels_bought == {}


def test_a_split_cart_buys_a_label_per_shipment(sim: EasyPostSimulator, easypost: EasyPost) -> None:
    split = request(Shipment("sf", WAREHOUSE, [book()]), Shipment("ny", DEPOT, [book()]))
    quote = priority(easypost.quote(split))
    with pytest.raises(ValidationError, match="buy_labels"):
        easypost.buy_label(quote, idempotency_key="k")
    labels = easypost.buy_labels(quote, idempotency_key="k")
    assert [label.shipment_id for label in labels] == list(sim.shipments)
    assert sim.labels_bought == dict.fromkeys(sim.shipments, 1)


def test_only_this_providers_quotes_are_bought(easypost: EasyPost) -> None:
    table = ShippingQuote("flat", "", "", Money("5.00", "USD"), source="table")
    with pytest.raises(ValidationError, match="table"):
        easypost.buy_label(table, idempotency_key="k")
    forged = ShippingQuote("x", "", "", Money("5.00", "USD"), source="easypost", rate_id="a/b")
    with pytest.raises(ValidationError, match="rate_id"):
        easypost.buy_label(forged, idempotency_key="k")


# -- retries -----------------------------------------------------------------------------------


def test_a_rate_limit_is_retried_after_its_retry_after(
    sim: EasyPostSimulator, easypost: EasyPost, sleeps: Sleeps
) -> None:
    sim.fault("status", status=429, retry_after="2")
    assert easypost.quote(request())
    assert sleeps == [2.0]
    assert sim.paths() == ["POST /v2/shipments"] * 2


def test_a_service_down_on_every_attempt_is_unavailable(
    sim: EasyPostSimulator, easypost: EasyPost, sleeps: Sleeps
) -> None:
    sim.fault("status", status=503, times=3)
    with pytest.raises(GatewayUnavailableError) as caught:
        easypost.quote(request())
    assert (caught.value.retryable, caught.value.status, caught.value.provider) == (
        True,
        503,
        "easypost",
    )
    assert sleeps == [0.5, 1.0]  # backoff x 2 ** (n - 1), random() = 1


# -- tracking ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("EZ1000000001", TrackingStatus.PRE_TRANSIT),
        ("EZ2000000002", TrackingStatus.IN_TRANSIT),
        ("EZ3000000003", TrackingStatus.OUT_FOR_DELIVERY),
        ("EZ4000000004", TrackingStatus.DELIVERED),
        ("EZ5000000005", TrackingStatus.RETURNED),
        ("EZ6000000006", TrackingStatus.FAILURE),
        ("EZ7000000007", TrackingStatus.UNKNOWN),
    ],
)
def test_tracking_maps_easyposts_statuses(
    easypost: EasyPost, code: str, status: TrackingStatus
) -> None:
    tracking = easypost.track(code)
    assert (tracking.tracking_code, tracking.status) == (code, status)
    assert tracking.events[-1].status is status


def test_tracking_events_are_oldest_first_and_read_back_by_tracker_id(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    tracking = easypost.track("EZ4000000004", carrier="USPS")
    assert sim.requests[0].json == {"tracker": {"tracking_code": "EZ4000000004", "carrier": "USPS"}}
    assert [e.status for e in tracking.events] == [
        TrackingStatus.PRE_TRANSIT,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert [e.at for e in tracking.events] == sorted(e.at for e in tracking.events)
    assert tracking.events[0].location == "SAN FRANCISCO, CA, US"
    assert tracking.events[0].at.utcoffset() is not None

    assert easypost.track("EZ4000000004") == tracking
    tracker_id = sim.trackers["EZ4000000004"]["id"]
    assert sim.paths()[-1] == f"GET /v2/trackers/{tracker_id}"


# -- errors ------------------------------------------------------------------------------------


def test_an_undeliverable_address_is_easyposts_code_with_its_field_errors(
    easypost: EasyPost,
) -> None:
    bad = ShippingRequest(
        "USD", Address("US", "CA", UNDELIVERABLE_ZIP), [Shipment(None, WAREHOUSE, [book()])]
    )
    with pytest.raises(GatewayError) as caught:
        easypost.quote(bad)
    error = caught.value
    assert (error.provider, error.code, error.status, error.retryable) == (
        "easypost",
        "ADDRESS.VERIFY.FAILURE",
        422,
        False,
    )
    assert "street1: House number is missing" in str(error)


def test_a_parcel_no_carrier_takes_is_no_rates_with_the_carriers_reason(
    easypost: EasyPost,
) -> None:
    anvil = ShippableItem("ANVIL", 1, weight=Weight("80", "lb"))
    with pytest.raises(GatewayError) as caught:
        easypost.quote(request(Shipment(None, WAREHOUSE, [anvil])))
    assert caught.value.code == "no_rates"
    assert "Weight exceeds 70 lbs" in str(caught.value)


def test_a_wrong_key_is_an_authentication_error_not_retried(
    sim: EasyPostSimulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    easypost = EasyPost("EZTK_wrong_key", client=client, sleep=sleeps)
    with pytest.raises(GatewayError) as caught:
        easypost.quote(request())
    assert (caught.value.code, caught.value.status, caught.value.retryable) == (
        "APIKEY.INACTIVE",
        401,
        False,
    )
    assert len(sim.requests) == 1


def test_an_invalid_tracking_code_is_easyposts_error_with_string_errors(
    easypost: EasyPost,
) -> None:
    with pytest.raises(GatewayError) as caught:
        easypost.track("NOT-A-CODE")
    assert caught.value.code == "TRACKER.CREATE.ERROR"
    assert "tracking_code is invalid" in str(caught.value)


def test_bad_input_is_refused_before_any_call(sim: EasyPostSimulator, easypost: EasyPost) -> None:
    with pytest.raises(ValidationError, match="origin address"):
        easypost.quote(request(Shipment("sf", None, [book()])))
    with pytest.raises(ValidationError, match=r"'MUG'.*no weight"):
        easypost.quote(request(Shipment("sf", WAREHOUSE, [ShippableItem("MUG", 1)])))
    with pytest.raises(ValidationError):
        Weight("0", "oz")
    assert sim.requests == []


def test_bad_settings_are_configuration_errors(client: httpx.Client) -> None:
    with pytest.raises(ConfigurationError):
        EasyPost("has space", client=client)
    with pytest.raises(ConfigurationError):
        EasyPost(API_KEY, client=client, base_url="ftp://x")
    with pytest.raises(ConfigurationError):
        EasyPost(API_KEY, client=client, carrier_accounts="ca_1")
    with pytest.raises(ConfigurationError):
        EasyPost(API_KEY, client=client, max_attempts=0)


def test_it_implements_both_ports(easypost: EasyPost) -> None:
    assert isinstance(easypost, RateProvider)
    assert isinstance(easypost, ShippingGateway)


def test_the_api_key_is_in_no_message_repr_or_log(
    sim: EasyPostSimulator, client: httpx.Client, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    easypost = make(client, sleeps)
    errors: list[CommerceError] = []
    sim.fault("status", status=500, times=3)
    sim.fault("refuse", times=3)
    scenarios: list[Any] = [
        lambda: easypost.quote(request()),
        lambda: easypost.quote(request()),
        lambda: easypost.track("NOT-A-CODE"),
        lambda: EasyPost(API_KEY + "x", client=client, sleep=sleeps).quote(request()),
        lambda: easypost.quote(request(Shipment(None, WAREHOUSE, [ShippableItem("MUG", 1)]))),
    ]
    for scenario in scenarios:
        with pytest.raises(CommerceError) as caught:
            scenario()
        errors.append(caught.value)
    quote = priority(easypost.quote(request()))
    sim.fault("timeout_after", path="/buy")
    sim.fault("refuse", path=(quote.rate_id or "").split(":")[0], times=3)
    with pytest.raises(OutcomeUnknownError) as unknown:
        easypost.buy_label(quote, idempotency_key="k")
    errors.append(unknown.value)

    token = base64.b64encode(f"{API_KEY}:".encode()).decode()
    shown = [repr(easypost), repr(easypost._wire), caplog.text]
    for error in errors:
        shown += [str(error), repr(error), str(error.__cause__), repr(error.__cause__)]
    assert caplog.text  # the retries were logged
    for text in shown:
        assert API_KEY not in text
        assert token not in text


def test_a_refused_buy_of_an_unbought_shipment_stays_refused(
    sim: EasyPostSimulator, easypost: EasyPost
) -> None:
    quote = priority(easypost.quote(request()))
    shipment_id = (quote.rate_id or "").split(":")[0]
    forged = ShippingQuote(
        "x", "", "", quote.amount, source="easypost", rate_id=f"{shipment_id}:rate_0"
    )
    with pytest.raises(GatewayError) as caught:
        easypost.buy_label(forged, idempotency_key="k")
    assert (caught.value.code, caught.value.status) == ("SHIPMENT.RATE.NOT_FOUND", 422)
    assert sim.paths()[-1] == f"GET /v2/shipments/{shipment_id}"  # looked: nothing bought
    assert sim.labels_bought == {}


# -- the shared contracts --------------------------------------------------------------------


class TestEasyPostRates(RateProviderContract):
    @pytest.fixture
    def provider(self, easypost: EasyPost) -> EasyPost:
        return easypost

    @pytest.fixture
    def arrange_failure(self, sim: EasyPostSimulator) -> Callable[[], object]:
        return lambda: sim.fault("status", status=503, times=3)


class TestEasyPostLabels(ShippingGatewayContract):
    @pytest.fixture
    def gateway(self, easypost: EasyPost) -> EasyPost:
        return easypost

    @pytest.fixture
    def new_quote(self, easypost: EasyPost) -> Callable[[], ShippingQuote]:
        return lambda: priority(easypost.quote(request()))

    @pytest.fixture
    def count_labels(self, sim: EasyPostSimulator) -> Callable[[], int]:
        return lambda: sum(sim.labels_bought.values())

    @pytest.fixture
    def arrange_unavailable(self, sim: EasyPostSimulator) -> Callable[[], object]:
        return lambda: sim.fault("refuse", path="/buy", times=3)

    @pytest.fixture
    def arrange_lost_answer(self, sim: EasyPostSimulator) -> Callable[[], object]:
        def arrange() -> None:
            sim.fault("timeout_after", path="/buy")
            sim.fault("refuse", times=3)  # and the read-back cannot reach EasyPost

        return arrange
