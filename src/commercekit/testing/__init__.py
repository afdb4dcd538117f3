"""Reference fakes and helpers for hosts' own tests (and for commercekit's contract suites).

Everything here is public, supported API: use these doubles in your application's tests the way
you would use ``httpx.MockTransport``. None touches the network or a real service.

- :class:`~commercekit.clock.ManualClock`: a clock the test moves by hand.
- :class:`~commercekit.tax.FlatTaxTable`: a :class:`~commercekit.ports.TaxCalculator` with
  fixed rates per category.
- :class:`~commercekit.tax.FakeVatIdValidator`: a :class:`~commercekit.ports.VatIdValidator`
  (the online VIES check) that knows which ids are valid, or is unavailable.
- :class:`~commercekit.tax.InMemoryTaxReporter`: a :class:`~commercekit.ports.TaxReporter`
  that records the orders and refunds reported to it.
- :class:`~commercekit.gateways.payments.FakeGateway`: a
  :class:`~commercekit.ports.PaymentGateway` with documented test tokens
  (``FAKE_TOKEN_OK``, ``FAKE_TOKEN_DECLINE``, ...), in memory or in a store shared by processes.
- :class:`~commercekit.gateways.shipping.FakeRateProvider` and
  :class:`~commercekit.gateways.shipping.FakeShippingGateway`: the shipping ports' doubles
  (scripted quotes and failures; labels bought once per key, scripted tracking).

Contract suites every adapter of a port must pass, to subclass in a host's own tests (they
import pytest, so import them by name): :mod:`commercekit.testing.gateway_contract`
(payments) and :mod:`commercekit.testing.shipping_contract` (rates, labels and tracking).
"""

from commercekit.clock import ManualClock
from commercekit.gateways.payments import (
    FAKE_TOKEN_DECLINE,
    FAKE_TOKEN_INSUFFICIENT_FUNDS,
    FAKE_TOKEN_NETWORK_FAILURE_AFTER_CHARGE,
    FAKE_TOKEN_OK,
    FAKE_TOKEN_REQUIRES_ACTION,
    FAKE_TOKEN_SLOW,
    FAKE_TOKEN_UNAVAILABLE,
    FakeCharge,
    FakeGateway,
)
from commercekit.gateways.shipping import FakeRateProvider, FakeShippingGateway
from commercekit.tax import FakeVatIdValidator, FlatTaxTable, InMemoryTaxReporter

__all__ = [
    "FAKE_TOKEN_DECLINE",
    "FAKE_TOKEN_INSUFFICIENT_FUNDS",
    "FAKE_TOKEN_NETWORK_FAILURE_AFTER_CHARGE",
    "FAKE_TOKEN_OK",
    "FAKE_TOKEN_REQUIRES_ACTION",
    "FAKE_TOKEN_SLOW",
    "FAKE_TOKEN_UNAVAILABLE",
    "FakeCharge",
    "FakeGateway",
    "FakeRateProvider",
    "FakeShippingGateway",
    "FakeVatIdValidator",
    "FlatTaxTable",
    "InMemoryTaxReporter",
    "ManualClock",
]
