"""Single-record writes and reads through the store against hand-written SQL (issue 3).

Each operation is one transaction, as a web request would do it:

* write: ``add`` of a small aggregate (``BEGIN IMMEDIATE`` / ``BEGIN``, one ``INSERT``,
  ``COMMIT``);
* read: ``get`` by id in a read transaction, rebuilt into the same attrs object.

The baseline is what a careful programmer would write by hand with the same driver (``sqlite3``
or ``psycopg``), the same connection setup (WAL, ``synchronous = NORMAL``, busy timeout,
foreign keys; an autocommit PostgreSQL connection with ``search_path`` set), the same table and
the same canonical JSON text. PostgreSQL runs when ``COMMERCEKIT_TEST_POSTGRES_URL`` is set, in
a throwaway schema dropped at the end.

Target: the store does at least 0.7x the operations per second of the hand-written code, i.e. a
time ratio (store / hand-written, as printed by the harness) of at most 1.43.

Run ``python -m benchmarks.bench_storage --profile`` to print a cProfile of the store's side.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import pstats
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from benchmarks._harness import Ratio, compare
from commercekit.storage import AggregateKind, Store, open_store

POSTGRES_ENV = "COMMERCEKIT_TEST_POSTGRES_URL"
TARGET = 0.7  # operations per second, store / hand-written
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

INSERT = (
    "INSERT INTO ck_aggregates (kind, id, version, customer_id, status, currency, amount_minor,"
    " created_at, updated_at, data) VALUES (?, ?, 1, NULL, NULL, NULL, NULL, ?, ?, ?)"
)
SELECT = "SELECT version, data FROM ck_aggregates WHERE kind = ? AND id = ?"


@attrs.frozen
class Note:
    """A small aggregate: what a cart line or a payment attempt record might weigh."""

    id: str
    version: int = 0
    sku: str = "TEE-M"
    quantity: int = 1
    note: str = "gift wrap, please"


STORE_KIND: AggregateKind[Note] = AggregateKind("bench_store", Note)
HAND_KIND = "bench_hand"


def _document(note: Note) -> str:
    """The JSON text a hand-written version stores: the same canonical text as the store's."""
    return json.dumps(
        {"id": note.id, "sku": note.sku, "quantity": note.quantity, "note": note.note},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def _load(row: Any) -> Note:
    data = json.loads(row[1])
    return Note(
        id=data["id"],
        version=int(row[0]),
        sku=data["sku"],
        quantity=data["quantity"],
        note=data["note"],
    )


class Workload:
    """Store and hand-written operations over one database, with fresh ids for writes."""

    def __init__(self, store: Store, hand_add: Callable[[Note], None], hand_get: Any) -> None:
        self.store = store
        self._hand_add = hand_add
        self._hand_get: Callable[[str], Note] = hand_get
        self._ids = itertools.count()
        # Rows to read back: the same 100 ids for both sides, written by each side.
        self.read_ids = [f"read-{index}" for index in range(100)]
        for ident in self.read_ids:
            self.store_add(ident)
            self._hand_add(Note(ident))
        self._cycle_store = itertools.cycle(self.read_ids)
        self._cycle_hand = itertools.cycle(self.read_ids)

    def store_add(self, ident: str | None = None) -> None:
        with self.store.transaction() as tx:
            tx.aggregates(STORE_KIND).add(Note(ident or f"w-{next(self._ids)}"))

    def hand_add(self) -> None:
        self._hand_add(Note(f"w-{next(self._ids)}"))

    def store_get(self) -> Note:
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(STORE_KIND).get(next(self._cycle_store))

    def hand_get(self) -> Note:
        return self._hand_get(next(self._cycle_hand))


@contextmanager
def sqlite_workload() -> Iterator[Workload]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")

        def add(note: Note) -> None:
            now = datetime.now(UTC).strftime(_TIME_FORMAT)
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(INSERT, (HAND_KIND, note.id, now, now, _document(note)))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        def get(ident: str) -> Note:
            conn.execute("BEGIN")
            try:
                row = conn.execute(SELECT, (HAND_KIND, ident)).fetchone()
            finally:
                conn.execute("COMMIT")
            return _load(row)

        with open_store(f"sqlite:///{path}") as store:
            try:
                yield Workload(store, add, get)
            finally:
                conn.close()


@contextmanager
def postgres_workload(url: str) -> Iterator[Workload]:
    import psycopg
    from psycopg import sql

    schema = f"ck_bench_{uuid.uuid4().hex[:12]}"
    pg_insert = INSERT.replace("?", "%s")
    pg_select = SELECT.replace("?", "%s")
    try:
        with (
            open_store(url, schema=schema, migrate=True) as store,
            psycopg.connect(url, autocommit=True) as conn,
        ):
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))

            def add(note: Note) -> None:
                now = datetime.now(UTC)
                conn.execute("BEGIN")
                try:
                    conn.execute(pg_insert, (HAND_KIND, note.id, now, now, _document(note)))
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

            def get(ident: str) -> Note:
                conn.execute("BEGIN READ ONLY")
                try:
                    row = conn.execute(pg_select, (HAND_KIND, ident)).fetchone()
                finally:
                    conn.execute("COMMIT")
                return _load(row)

            yield Workload(store, add, get)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
            admin.execute(drop.format(sql.Identifier(schema)))


def _measure(backend: str, work: Workload, rounds: int, number: int) -> list[Ratio]:
    assert work.store_get() == work.hand_get()  # the same record, read both ways
    return [
        compare(
            f"{backend}: write (add, 1 tx)",
            work.store_add,
            work.hand_add,
            rounds=rounds,
            number=number,
        ),
        compare(
            f"{backend}: read (get by id, 1 read tx)",
            work.store_get,
            work.hand_get,
            rounds=rounds,
            number=number,
        ),
    ]


def run(rounds: int = 9, number: int = 300) -> list[Ratio]:
    """Measure every available backend and return the ratios (time, store / hand-written)."""
    results: list[Ratio] = []
    with sqlite_workload() as work:
        results += _measure("sqlite", work, rounds, number)
    url = os.environ.get(POSTGRES_ENV)
    if url:
        with postgres_workload(url) as work:
            results += _measure("postgresql", work, rounds, number)
    return results


def line(result: Ratio) -> str:
    """Operations per second of both sides and the throughput ratio against the target."""
    store_ops, hand_ops = 1 / result.candidate_seconds, 1 / result.baseline_seconds
    throughput = 1 / result.ratio
    verdict = "ok" if throughput >= TARGET else "BELOW TARGET"
    return (
        f"{result.name:<40} store {store_ops:8.0f}/s  hand {hand_ops:8.0f}/s  "
        f"store/hand {throughput:4.2f}x  (target >= {TARGET}x: {verdict})"
    )


def profile(backend: str = "sqlite", calls: int = 3000) -> None:
    """Print where the store's time goes for ``calls`` writes and reads."""
    url = os.environ.get(POSTGRES_ENV)
    if backend == "postgresql" and not url:
        raise SystemExit(f"set {POSTGRES_ENV} to profile PostgreSQL")
    manager = sqlite_workload() if backend == "sqlite" else postgres_workload(url or "")
    with manager as work:
        for label, operation in (("write", work.store_add), ("read", work.store_get)):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(calls):
                operation()
            profiler.disable()
            print(f"--- {backend} {label}: {calls} calls, by own time")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


def main() -> None:
    """Print the storage benchmark."""
    if "--profile" in sys.argv:
        for backend in ("sqlite", "postgresql") if os.environ.get(POSTGRES_ENV) else ("sqlite",):
            profile(backend)
        return
    print("storage, one record per transaction (median of interleaved rounds)")
    if not os.environ.get(POSTGRES_ENV):
        print(f"  (PostgreSQL skipped: set {POSTGRES_ENV} to include it)")
    for result in run():
        print(line(result))


if __name__ == "__main__":
    main()
