"""What the store needs from a database driver: connections, transactions, parameters, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from commercekit.ports import Cursor

__all__ = ["Backend", "Cursor", "Params"]

Params = Sequence[Any]


class Backend(Protocol):
    """A database the store runs its SQL on; one implementation per driver."""

    name: str

    def acquire(self) -> Any:
        """A connection of this process and thread, held for one outermost transaction."""
        ...

    def release(self, conn: Any) -> None:
        """Give back the connection from :meth:`acquire` (its transaction has ended)."""
        ...

    def begin(self, conn: Any, *, readonly: bool) -> Any:
        """Start a transaction; a write transaction takes its write lock up front.

        Returns the connection to use from now on (usually ``conn``; a fresh one when ``conn``
        turned out to be broken before anything was sent). If this raises, ``conn`` is still
        the caller's to release.
        """
        ...

    def commit(self, conn: Any, *, readonly: bool) -> None:
        """Commit the transaction started by :meth:`begin`."""
        ...

    def rollback(self, conn: Any, *, readonly: bool) -> None:
        """Roll back the transaction started by :meth:`begin`."""
        ...

    def execute(self, conn: Any, sql: str, params: Params) -> Cursor:
        """Run one parameterized statement written with ``?`` placeholders."""
        ...

    def lock_for_migration(self, conn: Any) -> None:
        """Inside a write transaction: serialize migrations across processes and hosts."""
        ...

    def to_db_time(self, moment: datetime) -> Any:
        """A UTC datetime as the database stores it."""
        ...

    def from_db_time(self, value: Any) -> datetime:
        """A stored timestamp back as a UTC datetime."""
        ...

    def translate(self, exc: BaseException) -> BaseException:
        """The commercekit error for a driver error (or ``exc`` itself if it is not one)."""
        ...

    def close(self) -> None:
        """Close every connection this process opened."""
        ...
