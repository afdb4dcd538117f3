"""Clock adapters: the system clock for production and a manual one for tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from commercekit.errors import ValidationError

__all__ = ["ManualClock", "SystemClock", "ensure_utc"]


def ensure_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; a naive datetime is a :class:`ValidationError`.

    Naive datetimes are refused rather than guessed at: a server in another zone would
    otherwise shift every expiry and price window by hours.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"naive datetime {moment.isoformat()}: pass a timezone-aware one")
    return moment.astimezone(UTC)


class SystemClock:
    """The real time, from :func:`datetime.now` in UTC."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: deterministic expiry and date-window tests.

    >>> from datetime import datetime, timedelta, UTC
    >>> clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    >>> clock.advance(timedelta(minutes=15)).isoformat()
    '2026-01-01T00:15:00+00:00'
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = ensure_utc(start) if start is not None else datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        """The clock's current time."""
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (timezone-aware)."""
        with self._lock:
            self._now = ensure_utc(moment)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        with self._lock:
            self._now = self._now + delta
            return self._now
