"""Checkout end to end: checkouts per second, and statements per checkout (issue 16, point 11).

What one checkout is here: :meth:`CheckoutService.place_order
<commercekit.checkout.CheckoutService.place_order>` of a stored cart, with the fake gateway
keeping its books in the same store (``FakeGateway(store=store)``), a catalog of 100 SKUs at
10.00 EUR, a promotion (10% off every item, with a usage limit, so every checkout consumes a
use), a flat 20% tax, a :class:`~commercekit.cart.ShippingRate` and immediate capture. That is
validate, record, reserve, authorize, place (order number, order, stock committed, promotion
use, outbox) and capture, each step in its own transactions, as in production.

Measured, on SQLite (a temporary file) and on PostgreSQL (a fresh schema, dropped after; runs
when ``COMMERCEKIT_TEST_POSTGRES_URL`` is set):

* **Checkouts per second**, in 1 process and in 8 processes (spawned; each process has its own
  store, services, cart and keys; stock for all of them). A cart is 3 lines: one SKU every
  process sells (a bestseller, whose stock row they all update) and two of its own. Each
  process warms up, then all check out for the same few seconds.
* **Statements per checkout** for carts of 1, 10 and 100 lines: every statement the store
  sends, counted where the driver runs it (SQLite: ``set_trace_callback``, which sees every
  statement the engine runs, BEGIN, COMMIT, SAVEPOINT and PRAGMA included; PostgreSQL: each
  ``psycopg.Cursor.execute``, which every statement goes through). On PostgreSQL the
  **round trips** are counted on the wire as well (libpq's trace: each ``Query`` or ``Sync``
  message is one request the client waits for); they exceed the statements when psycopg
  prepares a statement (a separate round trip) or drops its prepared statements after a
  ``ROLLBACK`` (``DEALLOCATE ALL``). Statements the fake gateway runs for its own books (a
  real gateway is an HTTP call instead) are included and shown apart. The call sites whose
  count changes with the number of lines are listed, as ``repository line <- caller``.
* The **set-based paths** at 1 and 10 lines: on PostgreSQL the inventory takes every row of a
  cart in one statement from two rows up (``MANY`` and ``_FEW_ROWS``, now 1); the benchmark
  sets them to 0 for a run, to compare a one-line cart taken by the set-based statements with
  the single-row ones (time per checkout, interleaved, and their statement counts).

Target (issue 16): round trips on PostgreSQL do not grow with the number of lines. The
benchmark reports whether they do; like every benchmark here it asserts nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import multiprocessing
import os
import re
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import commercekit
from benchmarks._checkout_workers import SKUS, Shop, open_target, sku, stock_up, worker
from benchmarks._harness import Ratio, compare
from commercekit.storage import Store

POSTGRES_ENV = "COMMERCEKIT_TEST_POSTGRES_URL"
LINES = (1, 10, 100)
PROCESSES = (1, 8)
CART_LINES = 3  # lines of a cart in the throughput runs
WARMUP = 10  # checkouts per process before the timed window
SECONDS = 3.0  # the timed window of a throughput run
REPEATS = 3  # checkouts counted per cart size (the median is reported)
TARGET = "PostgreSQL round trips per checkout do not grow with the number of lines"

# --- where a statement comes from ----------------------------------------------------------------

_PACKAGE = str(Path(commercekit.__file__).resolve().parent) + os.sep
_STORAGE = _PACKAGE + "storage" + os.sep
_FAKE = _PACKAGE + os.path.join("gateways", "payments", "_fake")


def _place(frame: Any) -> str:
    path = frame.f_code.co_filename[len(_PACKAGE) :].replace(os.sep, "/")
    return f"{path}:{frame.f_lineno} {frame.f_code.co_name}"


def call_site(depth: int = 1) -> tuple[str, str, bool]:
    """Where the statement being run comes from, and whether the fake gateway runs it.

    Returns the innermost frame of commercekit outside the storage package (the repository
    method, or the ``with store.transaction()`` of a service for BEGIN and COMMIT), its
    nearest caller in another file (``""`` if none), and whether the fake gateway runs it.
    """
    frame: Any = sys._getframe(depth + 1)
    inner: Any = None
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_PACKAGE) and not path.startswith(_STORAGE):
            if inner is None:
                inner = frame
            elif path != inner.f_code.co_filename:
                return _place(inner), _place(frame), inner.f_code.co_filename.startswith(_FAKE)
        frame = frame.f_back
    if inner is None:
        return "(outside commercekit)", "", False
    return _place(inner), "", inner.f_code.co_filename.startswith(_FAKE)


# --- counting ------------------------------------------------------------------------------------


def statement_kind(text: str, dialect: str) -> str:
    """``begin-write``, ``begin-read``, ``commit``, ``rollback``, ``savepoint`` or ``other``.

    A write transaction starts with ``BEGIN IMMEDIATE`` on SQLite and ``BEGIN`` on PostgreSQL;
    a read-only one with ``BEGIN`` (deferred) on SQLite and ``BEGIN READ ONLY`` on PostgreSQL.
    """
    head = " ".join(text.split()[:3]).upper().rstrip(";")
    if head.startswith("BEGIN"):
        read = head == "BEGIN" if dialect == "sqlite" else "READ ONLY" in head
        return "begin-read" if read else "begin-write"
    if head.startswith(("COMMIT", "END")):
        return "commit"
    if head.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
        return "savepoint"
    if head.startswith("ROLLBACK"):
        return "rollback"
    return "other"


@dataclass
class Count:
    """What one checkout sent to the database."""

    statements: int = 0
    fake: int = 0  # of which the fake gateway's own books
    round_trips: int | None = None  # PostgreSQL only: Query + Sync messages on the wire
    prepares: int = 0  # PostgreSQL: psycopg preparing a statement (a round trip of its own)
    deallocates: int = 0  # PostgreSQL: psycopg's DEALLOCATE ALL after a ROLLBACK
    kinds: Counter[str] = field(default_factory=Counter)
    sites: Counter[str] = field(default_factory=Counter)
    callers: dict[str, set[str]] = field(default_factory=dict)

    def record(self, depth: int, kind: str) -> None:
        site, caller, fake = call_site(depth + 1)
        self.statements += 1
        self.fake += fake
        self.kinds[kind] += 1
        if kind == "rollback":
            site = f"ROLLBACK of {site}"
        self.sites[site] += 1
        if caller:
            self.callers.setdefault(site, set()).add(caller)


# Lines of libpq's trace (regress mode): "F<TAB>length<TAB>Message<TAB>details", F = frontend.
_WIRE_REQUEST = re.compile(rb"^F\t\d+\t(?:Query|Sync)\b", re.MULTILINE)
_PREPARE = re.compile(rb'^F\t\d+\tParse\t "[^"]', re.MULTILINE)  # a named statement
_DEALLOCATE = re.compile(rb'^F\t\d+\tQuery\t "DEALLOCATE', re.MULTILINE)


class PostgresTrace:
    """libpq's protocol trace of every connection used, in one temporary file."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._traced: dict[int, Any] = {}
        self._offset = 0

    def watch(self, pgconn: Any) -> None:
        """Trace ``pgconn`` from now until :meth:`requests`."""
        if id(pgconn) not in self._traced:
            from psycopg import pq

            pgconn.trace(self._file.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            self._traced[id(pgconn)] = pgconn

    def requests(self) -> tuple[int, int, int]:
        """Stop tracing; the round trips since the last call, of which prepares, deallocations.

        A round trip is a request the client then waits for: a ``Query`` (simple protocol) or
        a ``Sync`` (ending Parse/Bind/Execute; psycopg sends a named Parse with its own Sync).
        """
        for pgconn in self._traced.values():
            pgconn.untrace()  # flushes libpq's buffered trace
        self._traced.clear()
        fd = self._file.fileno()
        end = os.fstat(fd).st_size
        data = os.pread(fd, end - self._offset, self._offset)
        self._offset = end
        return (
            len(_WIRE_REQUEST.findall(data)),
            len(_PREPARE.findall(data)),
            len(_DEALLOCATE.findall(data)),
        )

    def close(self) -> None:
        self._file.close()


@contextlib.contextmanager
def recording(store: Store, trace: PostgresTrace | None = None) -> Iterator[Count]:
    """Count the statements ``store`` runs in this thread inside the block."""
    count = Count()
    if store.backend == "sqlite":
        backend: Any = store._backend
        conn = backend.acquire()  # this thread's connection (file) or the shared one (memory)
        backend.release(conn)

        def traced(text: str) -> None:
            if not text.startswith("--"):  # "-- TRIGGER name": part of the statement above
                count.record(1, statement_kind(text, "sqlite"))

        conn.set_trace_callback(traced)
        try:
            yield count
        finally:
            conn.set_trace_callback(None)
        return
    import psycopg

    original = psycopg.Cursor.execute

    def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if trace is not None:
            trace.watch(self.connection.pgconn)
        text = query.decode() if isinstance(query, bytes) else query
        count.record(1, statement_kind(text if isinstance(text, str) else "", "postgresql"))
        return original(self, query, params, **kwargs)

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    try:
        yield count
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]
        if trace is not None:
            count.round_trips, count.prepares, count.deallocates = trace.requests()


# The inventory's thresholds between per-row and set-based statements: (module, name).
THRESHOLDS = (
    ("commercekit.inventory._reservations", "MANY"),
    ("commercekit.inventory._lifecycle", "MANY"),
    ("commercekit.inventory._sql_stock", "_FEW_ROWS"),
)


@contextlib.contextmanager
def set_based_paths() -> Iterator[list[str]]:
    """Set every threshold found to 0 (set-based statements for any cart); yield their names."""
    saved: list[tuple[Any, str, Any]] = []
    for module_name, name in THRESHOLDS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if isinstance(getattr(module, name, None), int):
            saved.append((module, name, getattr(module, name)))
            setattr(module, name, 0)
    try:
        yield [f"{module.__name__.rsplit('.', 1)[1]}.{name}" for module, name, _ in saved]
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def count_checkouts(
    shop: Shop, lines: int, *, repeats: int = REPEATS, warmup: int = 2, tag: str = "count"
) -> Count:
    """The statements (and round trips) of one checkout of a ``lines``-line cart.

    ``warmup`` checkouts first (statement caches, psycopg's prepared statements), then
    ``repeats`` counted; the one with the median statement count is returned.
    """
    cart_id = shop.save_cart(
        f"{tag}-{lines}-{uuid.uuid4().hex[:8]}", [sku(i) for i in range(lines)]
    )
    keys = (f"{cart_id}-{index}" for index in itertools.count())
    for _ in range(warmup):
        shop.place(cart_id, next(keys))
    trace = PostgresTrace() if shop.store.backend == "postgresql" else None
    counts: list[Count] = []
    try:
        for _ in range(repeats):
            with recording(shop.store, trace) as count:
                result = shop.place(cart_id, next(keys))
            if result.order is None:
                raise RuntimeError(f"the checkout placed no order ({result.state.value})")
            counts.append(count)
    finally:
        if trace is not None:
            trace.close()
    counts.sort(key=lambda c: (c.statements, c.round_trips or 0))
    return counts[len(counts) // 2]


# --- throughput ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """Checkouts per second of one run."""

    name: str
    processes: int
    placed: int
    failed: int
    seconds: float
    error: str = ""

    @property
    def per_second(self) -> float:
        return self.placed / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        failed = f", {self.failed} failed: {self.error}" if self.failed or self.error else ""
        return (
            f"{self.name:<44} {self.per_second:9,.1f} checkouts/s"
            f"  ({self.placed} in {self.seconds:.1f} s{failed})"
        )


def cart_skus(index: int) -> list[str]:
    """Process ``index``'s cart: the bestseller every process sells and two of its own."""
    own = [1 + (2 * index + offset) % (SKUS - 1) for offset in range(CART_LINES - 1)]
    return [sku(0), *(sku(n) for n in own)]


def throughput(
    backend: str,
    url: str,
    schema: str | None,
    processes: int,
    *,
    warmup: int = WARMUP,
    seconds: float = SECONDS,
) -> Rate:
    """Checkouts per second of ``processes`` spawned processes checking out at once."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    run = uuid.uuid4().hex[:6]
    workers = [
        ctx.Process(
            target=worker,
            args=(
                url,
                schema,
                f"{backend}-{processes}p{index}-{run}",
                cart_skus(index),
                warmup,
                seconds,
                barrier,
                results,
            ),
        )
        for index in range(processes)
    ]
    for process in workers:
        process.start()
    outcomes: list[tuple[str, int, int, float, str]] = []
    try:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=300)
        for _ in workers:
            outcomes.append(results.get(timeout=seconds + 300))
            if outcomes[-1][4].startswith("setup failed"):
                break
    finally:
        for process in workers:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
    placed = sum(o[1] for o in outcomes)
    failed = sum(o[2] for o in outcomes)
    elapsed = max((o[3] for o in outcomes), default=0.0)
    error = next((o[4] for o in outcomes if o[4]), "")
    noun = "process" if processes == 1 else "processes"
    return Rate(f"{backend}, {processes} {noun}", processes, placed, failed, elapsed, error)


# --- running it ----------------------------------------------------------------------------------


@dataclass
class Backend:
    """Everything measured on one backend."""

    name: str
    rates: list[Rate] = field(default_factory=list)
    counts: dict[int, Count] = field(default_factory=dict)
    set_based: dict[int, Count] = field(default_factory=dict)
    patched: list[str] = field(default_factory=list)
    timings: list[Ratio] = field(default_factory=list)


def _time_set_based(shop: Shop, lines: int, rounds: int, number: int) -> Ratio:
    cart_id = shop.save_cart(f"time-{lines}-{uuid.uuid4().hex[:8]}", [sku(i) for i in range(lines)])
    keys = (f"{cart_id}-{index}" for index in itertools.count())

    def set_based() -> object:
        with set_based_paths():
            return shop.place(cart_id, next(keys))

    def per_row() -> object:
        return shop.place(cart_id, next(keys))

    set_based()
    per_row()
    noun = "line" if lines == 1 else "lines"
    return compare(
        f"postgresql, {lines} {noun}: set-based vs per-row",
        set_based,
        per_row,
        rounds=rounds,
        number=number,
    )


def measure(
    backend: str,
    url: str,
    schema: str | None,
    *,
    processes: tuple[int, ...] = PROCESSES,
    lines: tuple[int, ...] = LINES,
    seconds: float = SECONDS,
    timing: tuple[int, int] = (10, 4),
) -> Backend:
    """Every measurement on one backend (the schema or file must not exist yet)."""
    stock_up(url, schema)
    found = Backend(backend)
    for count in processes:
        found.rates.append(throughput(backend, url, schema, count, seconds=seconds))
    with open_target(url, schema) as store:
        shop = Shop(store)
        for size in lines:
            found.counts[size] = count_checkouts(shop, size)
        if backend == "postgresql":
            with set_based_paths() as patched:
                found.patched = patched
                for size in lines:
                    found.set_based[size] = count_checkouts(shop, size, tag="setbased")
            if patched:
                rounds, number = timing
                for size in (n for n in lines if n <= 10):
                    found.timings.append(_time_set_based(shop, size, rounds, number))
    return found


def _drop(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def run(**options: Any) -> list[Backend]:
    """Measure SQLite and, when ``COMMERCEKIT_TEST_POSTGRES_URL`` is set, PostgreSQL."""
    found: list[Backend] = []
    with tempfile.TemporaryDirectory(prefix="ck-bench-checkout-") as folder:
        url = f"sqlite:///{Path(folder) / 'checkout.db'}"
        found.append(measure("sqlite", url, None, **options))
    pg = os.environ.get(POSTGRES_ENV)
    if pg:
        schema = f"ck_bench_{uuid.uuid4().hex[:10]}"
        try:
            found.append(measure("postgresql", pg, schema, **options))
        finally:
            _drop(pg, schema)
    return found


# --- the report ----------------------------------------------------------------------------------


def _row(label: str, values: list[Any]) -> str:
    cells = "".join(f"{'-' if v is None else v:>10}" for v in values)
    return f"  {label:<50}{cells}"


def _cells(counts: dict[int, Count], sizes: list[int], value: Callable[[Count], Any]) -> list[Any]:
    return [value(counts[n]) if n in counts else None for n in sizes]


def verdict(result: Backend) -> str:
    """Whether PostgreSQL's round trips per checkout stay flat as carts grow."""
    sizes = sorted(result.counts)
    base = result.counts[sizes[0]]
    grown = [
        f"{n} lines {result.counts[n].statements - base.statements:+d}"
        for n in sizes[1:]
        if result.counts[n].statements > base.statements
    ]
    if not grown:
        return f"  target ({TARGET}): met"
    return f"  target ({TARGET}): NOT MET; vs {sizes[0]} line: {', '.join(grown)}"


def _table(result: Backend, sizes: list[int]) -> list[str]:
    name, counts = result.name, result.counts
    pg = name == "postgresql"
    rows = [
        _row(
            f"{name}: {'round trips (statements sent)' if pg else 'statements'}",
            _cells(counts, sizes, lambda c: c.statements),
        ),
        _row("  of which the fake gateway's books", _cells(counts, sizes, lambda c: c.fake)),
        _row(
            "  transactions: write + read-only",
            _cells(
                counts,
                sizes,
                lambda c: f"{c.kinds['begin-write']}+{c.kinds['begin-read']}",
            ),
        ),
        _row("  rollbacks", _cells(counts, sizes, lambda c: c.kinds["rollback"])),
    ]
    if pg:
        rows += [
            _row(
                f"{name}: round trips on the wire", _cells(counts, sizes, lambda c: c.round_trips)
            ),
            _row(
                "  psycopg's own: DEALLOCATE ALL + prepares",
                _cells(counts, sizes, lambda c: f"{c.deallocates}+{c.prepares}"),
            ),
        ]
    if result.set_based:
        rows += [
            _row(
                f"{name}, set-based paths: statements",
                _cells(result.set_based, sizes, lambda c: c.statements),
            ),
            _row(
                f"{name}, set-based paths: on the wire",
                _cells(result.set_based, sizes, lambda c: c.round_trips),
            ),
        ]
    return rows


def _sites(counts: dict[int, Count], sizes: list[int], *, changing: bool = True) -> list[str]:
    """The call sites whose count changes with the lines (or, ``changing=False``, all)."""
    names = sorted({site for count in counts.values() for site in count.sites})
    lines = []
    for site in names:
        values = [counts[n].sites.get(site, 0) if n in counts else 0 for n in sizes]
        if changing and len(set(values)) == 1:
            continue
        callers = sorted({c for count in counts.values() for c in count.callers.get(site, ())})
        called = f"  <- {'; '.join(callers)}" if callers else ""
        lines.append("  " + "".join(f"{v:>5}" for v in values) + f"  {site}{called}")
    return lines or ["  (none)"]


def report(results: list[Backend]) -> list[str]:
    """The printed lines."""
    out = [f"checkouts per second ({CART_LINES}-line cart, {SECONDS:g} s timed per run)"]
    for result in results:
        out += [rate.line() for rate in result.rates]
        if len(result.rates) > 1 and result.rates[0].per_second > 0:
            first, last = result.rates[0], result.rates[-1]
            out.append(
                f"  {result.name}: {last.processes} processes / 1 process"
                f" {last.per_second / first.per_second:.2f}x (on {os.cpu_count()} CPUs)"
            )
    sizes = sorted({n for result in results for n in result.counts})
    if not sizes:
        return out
    heads = "".join(f"{f'{n} line' + ('s' if n > 1 else ''):>10}" for n in sizes)
    out += [
        "",
        f"statements per checkout (median of {REPEATS}), by cart lines",
        f"  {'':<50}{heads}",
    ]
    for result in results:
        out += _table(result, sizes)
    out += [verdict(result) for result in results if result.name == "postgresql"]
    for result in results:
        smallest = {sizes[0]: result.counts[sizes[0]]} if sizes[0] in result.counts else {}
        rollbacks = [
            line for line in _sites(smallest, sizes[:1], changing=False) if "ROLLBACK" in line
        ]
        if rollbacks:
            out += [f"{result.name}: rollbacks in a {sizes[0]}-line checkout", *rollbacks]
    for result in results:
        out += ["", f"{result.name}: call sites whose statements change with the lines"]
        out += _sites(result.counts, sizes)
        if result.set_based:
            patched = ", ".join(result.patched) or "none found"
            out.append(f"{result.name}, set-based paths ({patched} set to 0):")
            out += _sites(result.set_based, sizes)
    timings = [t for result in results for t in result.timings]
    if timings:
        out += ["", "time per checkout, set-based paths forced vs per-row (median ratio)"]
        out += [t.line() for t in timings]
    return out


def main() -> None:
    """Print the checkout benchmark."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        "checkout, end to end (place_order: fake gateway, promotion, flat tax, shipping;"
        f" load average {load:.1f} at start)"
    )
    if not os.environ.get(POSTGRES_ENV):
        print(f"  (PostgreSQL skipped: set {POSTGRES_ENV} to include it)")
    for line in report(run()):
        print(line)


if __name__ == "__main__":
    main()
