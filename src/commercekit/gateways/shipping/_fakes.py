"""Fake shipping providers for tests: a rate provider told what to quote, and a carrier.

:class:`FakeRateProvider` answers the quotes it was given (or a function of the request), or
fails the way it was told. :class:`FakeShippingGateway` buys labels idempotently on the key,
in memory or in a store shared by processes, can be told to lose the answer of a purchase
that was made (a retry with the same key then returns that label: one label), or to be
unreachable, and tracks with scripted events. Neither touches the network.
"""

from commercekit.gateways.shipping._fake_labels import FakeLabel, FakeShippingGateway
from commercekit.gateways.shipping._fake_rates import FakeRateProvider

__all__ = ["FakeLabel", "FakeRateProvider", "FakeShippingGateway"]
