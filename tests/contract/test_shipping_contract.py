"""The shipping contracts (commercekit.testing.shipping_contract) on the adapters we ship.

RateProviderContract runs on FakeRateProvider, on TableRates, and on a RateShopper over fakes
(with a failed provider and a fallback); ShippingGatewayContract on FakeShippingGateway in
memory and in a store on each contract backend (memory, a SQLite file, a PostgreSQL schema).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from commercekit.errors import GatewayUnavailableError
from commercekit.gateways.shipping._fakes import FakeRateProvider, FakeShippingGateway
from commercekit.money import Money
from commercekit.shipping import (
    DeliveryEstimate,
    ShippingGateway,
    ShippingQuote,
    ShippingRequest,
)
from commercekit.shipping._calculators import FlatRate
from commercekit.shipping._methods import ShippingMethod
from commercekit.shipping._shopping import RateShopper
from commercekit.shipping._tables import TableRates
from commercekit.storage import Store
from commercekit.testing.shipping_contract import RateProviderContract, ShippingGatewayContract


def _quotes(request: ShippingRequest) -> list[ShippingQuote]:
    """Two methods in the request's currency (whole units: fine for JPY and KWD alike)."""
    currency = request.currency
    return [
        ShippingQuote("express", "UPS", "Next Day", Money(19, currency), DeliveryEstimate(1, 1)),
        ShippingQuote("ground", "UPS", "Ground", Money(8, currency), DeliveryEstimate(3, 5)),
    ]


class TestFakeRateProvider(RateProviderContract):
    @pytest.fixture
    def provider(self) -> FakeRateProvider:
        return FakeRateProvider(_quotes, name="ups")

    @pytest.fixture
    def arrange_failure(self, provider: FakeRateProvider) -> Callable[[], object]:
        def fail() -> None:
            provider.fail_with = GatewayUnavailableError("down", provider="ups")

        return fail


class TestTableRates(RateProviderContract):
    """Table rates on the default request (two origins: a parcel each)."""

    @pytest.fixture
    def provider(self) -> TableRates:
        express = ShippingMethod(
            "express", "Express", FlatRate(Money("19.00", "USD")), estimate=DeliveryEstimate(1, 1)
        )
        return TableRates(
            [express, ShippingMethod("std", "Standard", FlatRate(Money("4.90", "USD")))]
        )


class TestRateShopperWithAFallback(RateProviderContract):
    """A shopper whose carrier is down answers the fallback's quotes, and passes too."""

    @pytest.fixture
    def fallback(self) -> FakeRateProvider:
        return FakeRateProvider(_quotes, name="table")

    @pytest.fixture
    def provider(self, fallback: FakeRateProvider) -> RateShopper:
        down = FakeRateProvider(fail_with=GatewayUnavailableError("down"), name="carrier")
        return RateShopper([down, FakeRateProvider(_quotes, name="post")], fallback=fallback)

    @pytest.fixture
    def arrange_failure(self, fallback: FakeRateProvider) -> Callable[[], object]:
        def fail() -> None:
            fallback.fail_with = GatewayUnavailableError("down too", provider="table")

        return fail


class _FakeCarrierContract(ShippingGatewayContract):
    @pytest.fixture
    def new_quote(self) -> Callable[[], ShippingQuote]:
        rate_ids = itertools.count(1)

        def quote() -> ShippingQuote:
            n = next(rate_ids)
            return ShippingQuote(
                "ground", "USPS", "Ground", Money(f"7.{n:02d}", "USD"), rate_id=f"rate_{n}"
            )

        return quote

    @pytest.fixture
    def count_labels(self, gateway: FakeShippingGateway) -> Callable[[], int]:
        return gateway.label_count

    @pytest.fixture
    def arrange_unavailable(self, gateway: FakeShippingGateway) -> Callable[[], object]:
        return gateway.fail_next

    @pytest.fixture
    def arrange_lost_answer(self, gateway: FakeShippingGateway) -> Callable[[], object]:
        return gateway.lose_next_answer


class TestFakeShippingGatewayInMemory(_FakeCarrierContract):
    @pytest.fixture
    def gateway(self) -> ShippingGateway:
        return FakeShippingGateway()


class TestFakeShippingGatewayInAStore(_FakeCarrierContract):
    @pytest.fixture
    def gateway(self, store: Store) -> ShippingGateway:
        return FakeShippingGateway(store=store)
