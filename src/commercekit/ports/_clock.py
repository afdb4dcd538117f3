"""The Clock port: the only way commercekit learns the time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock"]


@runtime_checkable
class Clock(Protocol):
    """Tells the current time. The core never reads the wall clock; services ask a Clock.

    Implementations return an aware :class:`~datetime.datetime` in UTC.
    """

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...
