"""The store under several real OS processes: SQLite (a file) and PostgreSQL.

Workers are started with the ``spawn`` method and import :mod:`tests.contract._storage_workers`;
they get a URL and a schema, never a store. The fork test alone uses ``fork``, since surviving a
fork with an already-used store is what it checks. Each worker records every exception it did not
expect (anything but the ``ConflictError`` a stale save is meant to raise), and the tests assert
that none reached a worker: no "database is locked", no ``StorageBusyError``.

The ``checker`` tests at the end feed the checkers fabricated failures, to show that they would
notice a lost update, an oversell or an unexpected error.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

from commercekit.areas import BUILTIN_AREAS
from commercekit.errors import StorageBusyError
from commercekit.storage import CORE_AREA, MovementKind, Store, open_store
from tests.contract import _storage_workers as workers
from tests.contract._storage_workers import COUNTER, Counter

SPAWN = multiprocessing.get_context("spawn")
PROCESSES = 8
RESULT_TIMEOUT = 60.0


@attrs.frozen
class Target:
    """A database the worker processes share: a URL, and a schema on PostgreSQL."""

    backend: str
    url: str
    schema: str | None

    def open(self, *, migrate: bool = True, busy_timeout: float = 30.0) -> Store:
        return open_store(self.url, schema=self.schema, migrate=migrate, busy_timeout=busy_timeout)

    def fresh(self, index: int) -> Target:
        """Another, never-migrated database of the same backend (its schema not created yet)."""
        if self.schema is None:
            path = Path(self.url.removeprefix("sqlite:///")).with_name(f"fresh-{index}.db")
            return Target(self.backend, f"sqlite:///{path}", None)
        return Target(self.backend, self.url, f"{self.schema}_m{index}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "sqlite":
        return Target("sqlite", f"sqlite:///{tmp_path / 'shop.db'}", None)
    schema: str = request.getfixturevalue("postgres_schema")
    url: str = request.getfixturevalue("postgres_url")
    return Target("postgresql", url, schema)


def run_workers(
    function: Callable[..., None], arguments: Sequence[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """Start one spawned process per argument tuple (each followed by the shared barrier and
    result queue), wait for every result and every exit, and return the results."""
    barrier = SPAWN.Barrier(len(arguments))
    results: Any = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=function, args=(*args, barrier, results), daemon=True)
        for args in arguments
    ]
    try:
        for process in processes:
            process.start()
        collected = [results.get(timeout=RESULT_TIMEOUT) for _ in processes]
        for process in processes:
            process.join(RESULT_TIMEOUT)
        assert [p.exitcode for p in processes] == [0] * len(processes)
        return collected
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()


def unexpected_errors(results: Sequence[dict[str, Any]]) -> list[str]:
    """Every exception a worker did not expect, with the worker's pid."""
    return [f"pid {r['pid']}: {text}" for r in results for text in r["unexpected"]]


def oversell_problems(
    on_hand: int, reserved: int, granted: int, sightings: Sequence[tuple[int, int]]
) -> list[str]:
    """What is wrong with a stock row after a reservation race that started with ``on_hand``."""
    problems = [f"a worker saw reserved {r} > on hand {h}" for h, r in sightings]
    if reserved > on_hand:
        problems.append(f"reserved {reserved} exceeds on hand {on_hand}")
    if granted != reserved:
        problems.append(f"{granted} reservations succeeded but {reserved} units are reserved")
    if granted != on_hand:
        problems.append(f"{granted} reservations succeeded for {on_hand} units in stock")
    return problems


def count(store: Store, sql: str, params: Sequence[Any] = ()) -> int:
    with store.transaction(readonly=True) as tx:
        return int(tx.execute(sql, params).fetchone()[0])


# --- a. lost updates -------------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_read_modify_save_loses_no_update(target: Target) -> None:
    increments = 20
    with target.open() as store:
        with store.transaction() as tx:
            tx.aggregates(COUNTER).add(Counter("shared"))
        results = run_workers(
            workers.increment_worker,
            [(target.url, target.schema, "shared", increments)] * PROCESSES,
        )
        assert unexpected_errors(results) == []
        assert sum(r["done"] for r in results) == PROCESSES * increments
        with store.transaction(readonly=True) as tx:
            final = tx.aggregates(COUNTER).get("shared")
    assert final.value == PROCESSES * increments
    # One version per successful save: a save that overwrote another would leave value < version.
    assert final.version == PROCESSES * increments + 1
    # The lockstep first round makes all saves but one stale: the check really ran.
    assert sum(r["conflicts"] for r in results) >= PROCESSES - 1


# --- b. promotion usage limit ----------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_consume_never_passes_the_usage_limit(target: Target) -> None:
    limit = 24
    attempts = 2 * limit // PROCESSES
    with target.open() as store:
        results = run_workers(
            workers.consume_worker,
            [(target.url, target.schema, "LIMITED", limit, attempts)] * PROCESSES,
        )
        assert unexpected_errors(results) == []
        assert sum(r["granted"] for r in results) == limit
        assert sum(r["refused"] for r in results) == PROCESSES * attempts - limit
        with store.transaction(readonly=True) as tx:
            usage = tx.promotion_usage.count("LIMITED")
    assert usage.total == limit


# --- c. stock reservation --------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_reserve_never_oversells(target: Target) -> None:
    on_hand = 24
    attempts = 2 * on_hand // PROCESSES
    with target.open() as store:
        with store.transaction() as tx:
            tx.stock.move("HOT-SKU", "main", on_hand, MovementKind.RECEIVE)
        results = run_workers(
            workers.reserve_worker,
            [(target.url, target.schema, "HOT-SKU", "main", attempts)] * PROCESSES,
        )
        assert unexpected_errors(results) == []
        with store.transaction(readonly=True) as tx:
            level = tx.stock.level("HOT-SKU", "main")
    assert level is not None
    granted = sum(r["reserved"] for r in results)
    sightings = [tuple(s) for r in results for s in r["oversold"]]
    assert oversell_problems(level.on_hand, level.reserved, granted, sightings) == []
    assert (level.on_hand, level.reserved, level.available) == (on_hand, on_hand, 0)
    assert sum(r["refused"] for r in results) == PROCESSES * attempts - on_hand


# --- d. concurrent migrations ----------------------------------------------------------------


@pytest.fixture
def fresh_targets(target: Target) -> Iterator[list[Target]]:
    """Five never-migrated databases (PostgreSQL: schemas that do not exist yet), dropped after."""
    fresh = [target.fresh(index) for index in range(5)]
    try:
        yield fresh
    finally:
        if target.backend == "postgresql":
            import psycopg

            with psycopg.connect(target.url, autocommit=True) as conn:
                for item in fresh:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{item.schema}" CASCADE')


@pytest.mark.slow
def test_two_processes_migrating_at_once_both_succeed(fresh_targets: list[Target]) -> None:
    plan = [(t.url, t.schema) for t in fresh_targets]
    results = run_workers(workers.migrate_worker, [(plan,), (plan,)])
    assert unexpected_errors(results) == []
    for index, fresh in enumerate(fresh_targets):
        outcomes = sorted(r["applied"][index] for r in results)
        versions = [[a.name, m.version] for a in (CORE_AREA, *BUILTIN_AREAS) for m in a.migrations]
        assert outcomes == [[], versions], f"database {index}: {outcomes}"
        with fresh.open(migrate=False) as store:
            with store.transaction(readonly=True) as tx:
                rows = tx.execute("SELECT area, version FROM ck_schema_versions").fetchall()
            assert sorted((row[0], row[1]) for row in rows) == sorted(
                (a.name, a.version) for a in (CORE_AREA, *BUILTIN_AREAS) if a.migrations
            )
            with store.transaction() as tx:  # the tables are there and usable
                tx.aggregates(COUNTER).add(Counter("after-migrate"))


# --- e. SIGKILL mid-transaction --------------------------------------------------------------


def _lock_probe(target: Target) -> None:
    """Try to write the row the victim holds; must fail fast while the victim lives."""
    with target.open(migrate=False, busy_timeout=0.3) as probe, probe.transaction() as tx:
        if target.backend == "postgresql":
            tx.execute("SET LOCAL lock_timeout = '300ms'")
        tx.stock.move("SEED", "main", 1, MovementKind.ADJUST)


@pytest.mark.slow
def test_sigkill_mid_transaction_leaves_no_partial_write(target: Target) -> None:
    with target.open() as store, store.transaction() as tx:
        tx.stock.move("SEED", "main", 5, MovementKind.RECEIVE)
    ready = SPAWN.Event()
    results: Any = SPAWN.Queue()
    victim = SPAWN.Process(
        target=workers.victim_worker,
        args=(target.url, target.schema, "victim", "SEED", ready, results),
        daemon=True,
    )
    victim.start()
    try:
        assert ready.wait(RESULT_TIMEOUT), "the victim never reached the middle of its transaction"
        report = results.get(timeout=RESULT_TIMEOUT)
        assert report.get("unexpected", []) == [], report.get("traceback")
        # Inside its transaction the victim did write: 3 aggregates, 5 + 7 units on hand.
        assert (report["seen_in_tx"], report["on_hand_in_tx"]) == (3, 12)
        # While it lives it holds the write lock (SQLite) or the row lock (PostgreSQL) ...
        with pytest.raises(StorageBusyError):
            _lock_probe(target)
        # ... and readers see none of its uncommitted rows, without waiting for it.
        with target.open(migrate=False) as reader:
            assert count(reader, "SELECT count(*) FROM ck_aggregates") == 0
        os.kill(victim.pid or 0, signal.SIGKILL)
        victim.join(RESULT_TIMEOUT)
        assert victim.exitcode == -signal.SIGKILL
    finally:
        if victim.is_alive():
            victim.kill()
            victim.join()

    with target.open(migrate=False, busy_timeout=5.0) as store:
        if target.backend == "postgresql":
            # The server notices the closed socket and rolls the session back; wait for it.
            deadline = time.monotonic() + 10
            query = "SELECT count(*) FROM pg_stat_activity WHERE pid = ?"
            while count(store, query, (report["backend_pid"],)) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert count(store, query, (report["backend_pid"],)) == 0
        else:
            with store.transaction(readonly=True) as tx:
                assert tx.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(COUNTER).list() == []
            seed = tx.stock.level("SEED", "main")
            assert seed is not None
            assert (seed.on_hand, seed.reserved) == (5, 0)
            assert len(tx.stock.movements("SEED", "main")) == 1
            assert tx.stock.level("SEED-NEW", "main") is None
            assert tx.promotion_usage.count("VICTIM-PROMO").total == 0
            assert tx.idempotency.get("victim", "key-1") is None
            assert tx.outbox.pending() == []
        # The lock is free and the victim's keys are unused: the same writes now succeed.
        with store.transaction() as tx:
            if target.backend == "postgresql":
                tx.execute("SET LOCAL lock_timeout = '5s'")
            for index in range(3):
                tx.aggregates(COUNTER).add(Counter(f"victim-{index}"))
            tx.stock.move("SEED", "main", 7, MovementKind.RECEIVE)
            tx.stock.move("SEED-NEW", "main", 4, MovementKind.RECEIVE)
            assert tx.idempotency.begin("victim", "key-1", "hash-1").is_new
        with store.transaction(readonly=True) as tx:
            assert len(tx.aggregates(COUNTER).list()) == 3
            level = tx.stock.level("SEED", "main")
            assert level is not None
            assert level.on_hand == 12


# --- f. fork ---------------------------------------------------------------------------------

_MARKER_SQL = {
    "sqlite": "SELECT count(*) FROM temp.sqlite_master WHERE name = 'ck_conn_marker'",
    "postgresql": "SELECT count(*) FROM pg_class WHERE oid = to_regclass('pg_temp.ck_conn_marker')",
}


@pytest.mark.slow
# Python 3.12+ warns when fork() is called while threads run (the PostgreSQL pool has worker
# threads). Forking a process that already used the store is exactly what this test checks (it
# is what gunicorn and Celery prefork do), and the child touches nothing the threads own.
@pytest.mark.filterwarnings(
    r"ignore:This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to "
    "deadlocks in the child:DeprecationWarning"
)
def test_forked_child_gets_fresh_connections(target: Target) -> None:
    marker = _MARKER_SQL[target.backend]
    with target.open() as store:
        with store.transaction() as tx:
            tx.aggregates(COUNTER).add(Counter("parent"))
            # A temporary table lives in one connection (session) only: it marks the parent's.
            tx.execute("CREATE TEMP TABLE ck_conn_marker (x INTEGER)")
            assert tx.execute(marker).fetchone()[0] == 1
            parent_pid = (
                tx.execute("SELECT pg_backend_pid()").fetchone()[0]
                if target.backend == "postgresql"
                else None
            )
        fork = multiprocessing.get_context("fork")
        receiver, sender = fork.Pipe(duplex=False)
        child = fork.Process(
            target=workers.fork_child, args=(store, "child", marker, sender), daemon=True
        )
        child.start()
        sender.close()
        try:
            assert receiver.poll(RESULT_TIMEOUT), "the forked child sent nothing"
            report: dict[str, Any] = receiver.recv()
            child.join(RESULT_TIMEOUT)
        finally:
            if child.is_alive():
                child.kill()
                child.join()
        assert report["unexpected"] == [], report.get("traceback")
        assert child.exitcode == 0
        assert report["value"] == 42
        assert report["marker"] == 0, "the child used a connection it inherited from its parent"
        if target.backend == "postgresql":
            assert report["backend_pid"] != parent_pid
        # The parent's own connection survived the child (a child closing it would have broken
        # it) and still sees everything, including what the child committed.
        with store.transaction() as tx:
            assert tx.execute(marker).fetchone()[0] == 1
            if target.backend == "postgresql":
                assert tx.execute("SELECT pg_backend_pid()").fetchone()[0] == parent_pid
            assert tx.aggregates(COUNTER).get("child").value == 42
            parent = tx.aggregates(COUNTER).get("parent")
            tx.aggregates(COUNTER).save(attrs.evolve(parent, value=1))
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(COUNTER).get("parent").version == 2
            if target.backend == "sqlite":
                assert tx.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- the checkers notice failures ------------------------------------------------------------


def test_checker_reports_unexpected_worker_errors() -> None:
    results = [
        {"pid": 1, "unexpected": []},
        {"pid": 2, "unexpected": ["commercekit.errors.StorageBusyError: database is locked"]},
    ]
    assert unexpected_errors(results) == [
        "pid 2: commercekit.errors.StorageBusyError: database is locked"
    ]


def test_checker_reports_oversells() -> None:
    assert oversell_problems(24, 24, 24, []) == []
    assert oversell_problems(24, 25, 25, []) == [
        "reserved 25 exceeds on hand 24",
        "25 reservations succeeded for 24 units in stock",
    ]
    assert oversell_problems(24, 24, 26, [(24, 25)]) == [
        "a worker saw reserved 25 > on hand 24",
        "26 reservations succeeded but 24 units are reserved",
        "26 reservations succeeded for 24 units in stock",
    ]
