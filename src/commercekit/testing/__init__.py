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
"""

from commercekit.clock import ManualClock
from commercekit.tax import FakeVatIdValidator, FlatTaxTable, InMemoryTaxReporter

__all__ = ["FakeVatIdValidator", "FlatTaxTable", "InMemoryTaxReporter", "ManualClock"]
