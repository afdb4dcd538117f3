"""Reference fakes and helpers for hosts' own tests (and for commercekit's contract suites).

Everything here is public, supported API: use these doubles in your application's tests the way
you would use ``httpx.MockTransport``.
"""

from commercekit.clock import ManualClock

__all__ = ["ManualClock"]
