"""The contracts every shipping adapter must pass, as pytest tests.

:class:`RateProviderContract` is for a :class:`~commercekit.ports.RateProvider` (table rates,
a carrier's rates API); :class:`ShippingGatewayContract` for a
:class:`~commercekit.ports.ShippingGateway` (labels and tracking). A host subclasses one in its
own test suite (the subclass's name must start with ``Test``) and provides the hooks: a
``provider`` or ``gateway`` fixture, and the optional fixtures that turn on the tests needing
the provider's side (an outage, a lost answer, a count of labels). A test whose hook is
missing is skipped and says which hook it needs. This module imports pytest: import it from
tests only, explicitly (``commercekit.testing`` does not import it). ::

    import pytest

    from commercekit.testing.shipping_contract import (
        RateProviderContract,
        ShippingGatewayContract,
    )


    class TestMyRates(RateProviderContract):
        @pytest.fixture
        def provider(self):
            return MyRates(...)

        @pytest.fixture
        def shipping_request(self):  # optional: a request your rates can quote
            return ShippingRequest("USD", Address("US", region="CA"), [...])


    class TestMyCarrier(ShippingGatewayContract):
        @pytest.fixture
        def gateway(self):
            return MyCarrier(...)

        @pytest.fixture
        def new_quote(self, gateway):  # a fresh rate of the carrier's, each call
            return lambda: gateway_rates.quote(request)[0]

commercekit runs both on its fakes (and table rates) in ``tests/contract/``. Every run uses
fresh idempotency keys, so it may run against the same test account again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar, cast

import attrs
import pytest

from commercekit.address import Address
from commercekit.errors import (
    CommerceError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
)
from commercekit.shipping import (
    Label,
    RateProvider,
    Shipment,
    ShippableItem,
    ShippingGateway,
    ShippingQuote,
    ShippingRequest,
    Tracking,
    TrackingStatus,
    Weight,
)

__all__ = ["RateProviderContract", "ShippingGatewayContract", "default_request"]


def _shipment(location: str, origin: Address, *items: ShippableItem) -> Shipment:
    # Any: the attrs plugin types the tuple converter of Shipment.items as Iterable[_T_co].
    return Shipment(location, origin, cast(Any, items))


def default_request(currency: str = "USD") -> ShippingRequest:
    """A cart split over two locations (``east``, ``west``), to a San Francisco address."""
    destination = Address("US", region="CA", postal_code="94103", city="San Francisco")
    east = _shipment(
        "east",
        Address("US", region="NY", postal_code="10001"),
        ShippableItem("mug", 2, Weight("0.5", "kg")),
    )
    west = _shipment(
        "west",
        Address("US", region="CA", postal_code="90001"),
        ShippableItem("tee", 1, Weight("8", "oz")),
        ShippableItem("cap", 3, Weight("100", "g")),
    )
    shipments: Any = (east, west)
    return ShippingRequest(currency, destination, shipments, subtotal_minor=4_500)


class RateProviderContract:
    """The tests every RateProvider passes; subclass it and provide the hooks.

    Fixtures: ``provider`` is required; ``shipping_request`` (a request the provider can
    quote, split over two locations by default) and ``arrange_failure`` are optional.
    """

    # -- hooks ---------------------------------------------------------------------------------

    @pytest.fixture
    def provider(self) -> RateProvider:
        """The adapter under test (required: override this fixture)."""
        pytest.fail(f"{type(self).__name__} must override the `provider` fixture")

    @pytest.fixture
    def shipping_request(self) -> ShippingRequest:
        """A request the provider quotes at least once (default: :func:`default_request`)."""
        return default_request()

    @pytest.fixture
    def arrange_failure(self) -> Callable[[], object] | None:
        """Make the next quote fail (unreachable, a timeout, a refusal)."""
        return None

    # -- tests ---------------------------------------------------------------------------------

    def test_it_is_a_rate_provider(self, provider: RateProvider) -> None:
        """The port is implemented and the provider has a name."""
        assert isinstance(provider, RateProvider)
        assert isinstance(provider.name, str) and provider.name

    def test_quotes_are_in_the_request_currency(
        self, provider: RateProvider, shipping_request: ShippingRequest
    ) -> None:
        """At least one quote; every amount in the request's currency, none negative."""
        quotes = provider.quote(shipping_request)
        assert quotes, "the shipping_request fixture must be one the provider can quote"
        for quote in quotes:
            assert isinstance(quote, ShippingQuote)
            assert quote.amount.currency == shipping_request.currency
            assert quote.amount.amount >= 0
            assert quote.source, "each quote names who quoted it (its source)"

    def test_cheapest_first(
        self, provider: RateProvider, shipping_request: ShippingRequest
    ) -> None:
        """Quotes come cheapest first."""
        amounts = [quote.amount.amount for quote in provider.quote(shipping_request)]
        assert amounts == sorted(amounts)

    def test_parcels_are_listed_per_shipment(
        self, provider: RateProvider, shipping_request: ShippingRequest
    ) -> None:
        """Every quote lists the parcels of every shipment (by location)."""
        locations = {shipment.location for shipment in shipping_request.shipments}
        for quote in provider.quote(shipping_request):
            assert {parcel.location for parcel in quote.parcels} >= locations, quote.method

    def test_the_same_request_quotes_the_same(
        self, provider: RateProvider, shipping_request: ShippingRequest
    ) -> None:
        """Quoting has no side effect: the same request gets the same methods and amounts."""

        def answer() -> list[tuple[str, object]]:
            return [(q.method, q.amount) for q in provider.quote(shipping_request)]

        assert answer() == answer()

    def test_a_failure_raises_a_typed_error(
        self,
        provider: RateProvider,
        shipping_request: ShippingRequest,
        arrange_failure: Callable[[], object] | None,
    ) -> None:
        """A provider that cannot answer raises a GatewayError: never "no way to ship"."""
        if arrange_failure is None:
            pytest.skip("needs the arrange_failure fixture")
        arrange_failure()
        with pytest.raises((GatewayError, OutcomeUnknownError)) as error:
            provider.quote(shipping_request)
        assert isinstance(error.value, CommerceError)


@attrs.frozen
class _Run:
    """The gateway under test with fresh keys for one test."""

    gateway: ShippingGateway
    new_quote: Callable[[], ShippingQuote]
    prefix: str = attrs.field(factory=lambda: f"ct{uuid.uuid4().hex[:12]}")

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def buy(self, quote: ShippingQuote, key: str = "l1") -> Label:
        return self.gateway.buy_label(quote, idempotency_key=self.key(key))


class ShippingGatewayContract:
    """The tests every ShippingGateway passes; subclass it and provide the hooks.

    Fixtures: ``gateway`` and ``new_quote`` are required; ``count_labels``,
    ``arrange_unavailable`` and ``arrange_lost_answer`` are optional (each documented on its
    default). :attr:`tracked_statuses` lists the statuses a fresh label may track as.
    """

    #: The statuses a label just bought may be tracked as.
    tracked_statuses: ClassVar[frozenset[TrackingStatus]] = frozenset(TrackingStatus)

    # -- hooks ---------------------------------------------------------------------------------

    @pytest.fixture
    def gateway(self) -> ShippingGateway:
        """The adapter under test (required: override this fixture)."""
        pytest.fail(f"{type(self).__name__} must override the `gateway` fixture")

    @pytest.fixture
    def new_quote(self) -> Callable[[], ShippingQuote]:
        """A fresh quote of the gateway's, with its ``rate_id``, each call (required)."""
        pytest.fail(f"{type(self).__name__} must override the `new_quote` fixture")

    @pytest.fixture
    def count_labels(self) -> Callable[[], int] | None:
        """How many labels the provider has sold."""
        return None

    @pytest.fixture
    def arrange_unavailable(self) -> Callable[[], object] | None:
        """Make the next purchase find the provider unreachable (nothing bought)."""
        return None

    @pytest.fixture
    def arrange_lost_answer(self) -> Callable[[], object] | None:
        """Make the next purchase be made but its answer lost."""
        return None

    @pytest.fixture
    def run(self, gateway: ShippingGateway, new_quote: Callable[[], ShippingQuote]) -> _Run:
        """The gateway with fresh keys for one test."""
        return _Run(gateway, new_quote)

    # -- tests ---------------------------------------------------------------------------------

    def test_it_is_a_shipping_gateway(self, gateway: ShippingGateway) -> None:
        """The port is implemented and the gateway has a name."""
        assert isinstance(gateway, ShippingGateway)
        assert isinstance(gateway.name, str) and gateway.name

    def test_a_label_is_bought(self, run: _Run) -> None:
        """A label has a shipment id, a tracking code, a URL, and costs what was quoted."""
        quote = run.new_quote()
        label = run.buy(quote)
        assert label.shipment_id and label.tracking_code and label.label_url
        assert label.cost == quote.amount

    def test_the_same_key_buys_one_label(
        self, run: _Run, count_labels: Callable[[], int] | None
    ) -> None:
        """A retried purchase answers the first label; another key buys another."""
        before = None if count_labels is None else count_labels()
        quote = run.new_quote()
        first, again = run.buy(quote), run.buy(quote)
        assert again == first
        if count_labels is not None:
            assert before is not None and count_labels() == before + 1
        other = run.buy(run.new_quote(), "l2")
        assert other.tracking_code != first.tracking_code

    def test_the_same_key_with_another_quote_is_a_conflict(self, run: _Run) -> None:
        """A key sent again for another quote is refused, not a second label."""
        run.buy(run.new_quote())
        with pytest.raises(IdempotencyConflictError) as error:
            run.buy(run.new_quote())
        assert error.value.retryable is False

    def test_an_unreachable_provider_did_nothing(
        self,
        run: _Run,
        arrange_unavailable: Callable[[], object] | None,
        count_labels: Callable[[], int] | None,
    ) -> None:
        """Unreachable: GatewayUnavailableError, retryable, and no label was bought."""
        if arrange_unavailable is None:
            pytest.skip("needs the arrange_unavailable fixture")
        before = None if count_labels is None else count_labels()
        quote = run.new_quote()
        arrange_unavailable()
        with pytest.raises(GatewayUnavailableError) as error:
            run.buy(quote)
        assert (error.value.provider, error.value.retryable) == (run.gateway.name, True)
        if count_labels is not None:
            assert count_labels() == before

    def test_a_retry_after_a_lost_answer_buys_no_second_label(
        self,
        run: _Run,
        arrange_lost_answer: Callable[[], object] | None,
        count_labels: Callable[[], int] | None,
    ) -> None:
        """Bought but unanswered: OutcomeUnknownError; the same key then returns that label."""
        if arrange_lost_answer is None:
            pytest.skip("needs the arrange_lost_answer fixture")
        before = None if count_labels is None else count_labels()
        quote = run.new_quote()
        arrange_lost_answer()
        with pytest.raises(OutcomeUnknownError) as error:
            run.buy(quote)
        assert (error.value.provider, error.value.retryable) == (run.gateway.name, True)
        learned = run.buy(quote)
        assert learned.cost == quote.amount
        assert run.buy(quote) == learned
        if count_labels is not None:
            assert before is not None and count_labels() == before + 1

    def test_tracking_returns_a_status(self, run: _Run) -> None:
        """A bought label tracks: its code, a status, events oldest first."""
        label = run.buy(run.new_quote())
        tracking = run.gateway.track(label.tracking_code)
        assert isinstance(tracking, Tracking)
        assert tracking.tracking_code == label.tracking_code
        assert tracking.status in self.tracked_statuses
        times = [event.at for event in tracking.events]
        assert times == sorted(times)
