"""Shipping gateway adapters: EasyPost over httpx, and the fakes for tests.

:class:`EasyPost` implements both shipping ports of :mod:`commercekit.ports`: live rates
(:class:`~commercekit.ports.RateProvider`) and labels and tracking
(:class:`~commercekit.ports.ShippingGateway`), over EasyPost's API v2.
:class:`FakeRateProvider` and :class:`FakeShippingGateway` are the test doubles (also in
:mod:`commercekit.testing`).
"""

from commercekit.gateways.shipping._easypost import EasyPost
from commercekit.gateways.shipping._fake_labels import FakeLabel, FakeShippingGateway
from commercekit.gateways.shipping._fake_rates import FakeRateProvider

__all__ = ["EasyPost", "FakeLabel", "FakeRateProvider", "FakeShippingGateway"]
