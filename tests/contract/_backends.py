"""The three stores every contract suite runs on: memory, a SQLite file, a PostgreSQL schema.

A suite is a class of tests over a ``store`` fixture (subclass :class:`BackendContract`); one
test class per backend mixes in :class:`OnMemory`, :class:`OnSqlite` or :class:`OnPostgres`,
which provide the ``opener``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commercekit.clock import ManualClock
from commercekit.storage import Store, open_store

__all__ = ["T0", "BackendContract", "OnMemory", "OnPostgres", "OnSqlite", "Opener"]

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

#: Opens the backend's store; keyword arguments go to ``open_store``.
Opener = Callable[..., Store]


class BackendContract:
    """A ``store`` on the subclass's backend, with a ``clock`` the test can move."""

    @pytest.fixture
    def opener(self) -> Opener:
        raise NotImplementedError  # each backend class provides it

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(T0)

    @pytest.fixture
    def store(self, opener: Opener, clock: ManualClock) -> Iterator[Store]:
        with opener(clock=clock) as store:
            yield store


class OnMemory(BackendContract):
    """``memory://``."""

    @pytest.fixture
    def opener(self) -> Opener:
        return lambda **kw: open_store("memory://", **kw)


class OnSqlite(BackendContract):
    """A SQLite file in the test's temporary folder."""

    @pytest.fixture
    def opener(self, tmp_path: Path) -> Opener:
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        return lambda **kw: open_store(url, **kw)


class OnPostgres(BackendContract):
    """A fresh PostgreSQL schema, migrated on open."""

    @pytest.fixture
    def opener(self, postgres_url: str, postgres_schema: str) -> Opener:
        return lambda **kw: open_store(
            postgres_url, schema=postgres_schema, **{"migrate": True, **kw}
        )
