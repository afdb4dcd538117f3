"""Fixtures for the contract suites: one store per backend, each on fresh, private storage.

``store`` (with its ``clock``) runs a test once on ``memory://``, once on a SQLite file and once
on a fresh PostgreSQL schema. Class-based suites (``_backends.BackendContract``) bring their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from commercekit import open_store
from commercekit.clock import ManualClock
from commercekit.storage import Store
from tests.contract._backends import T0


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_and_clock(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Store, ManualClock]]:
    clock = ManualClock(T0)
    if request.param == "memory":
        store = open_store("memory://", clock=clock)
    elif request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock)
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        store = open_store(url, schema=schema, clock=clock, migrate=True)
    with store:
        yield store, clock


@pytest.fixture
def store(store_and_clock: tuple[Store, ManualClock]) -> Store:
    return store_and_clock[0]


@pytest.fixture
def clock(store_and_clock: tuple[Store, ManualClock]) -> ManualClock:
    return store_and_clock[1]
