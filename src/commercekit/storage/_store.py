"""The store: a backend, a clock and transactions that hand out repositories."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import cattrs

from commercekit.clock import SystemClock
from commercekit.errors import CommerceError, ConfigurationError, StorageError
from commercekit.ports import AggregateKind, Area, Clock, RepositoryKey
from commercekit.records import PruneReport
from commercekit.storage._aggregates import SqlAggregateRepository
from commercekit.storage._area import CORE_AREA
from commercekit.storage._backend import Backend, Cursor, Params
from commercekit.storage._migrations import SchemaState, check_schema, migrate, pending, read_state
from commercekit.storage._process import PROCESS

__all__ = ["DEFAULT_SLOW_TRANSACTION", "Store", "Transaction"]

A = TypeVar("A")
R = TypeVar("R")

_LOG = logging.getLogger("commercekit.storage")
#: How long a transaction may take before the store logs it as slow (``open_store``'s default).
DEFAULT_SLOW_TRANSACTION = timedelta(seconds=1)


def _slow_seconds(value: object) -> float | None:
    if value is None:
        return None
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(f"slow_transaction is a timedelta >= 0 or None, got {value!r}")
    return value.total_seconds()


class Transaction:
    """One database transaction; its repositories all read and write inside it.

    Obtain one with :meth:`Store.transaction`; it is valid only inside that ``with`` block.
    """

    __slots__ = (
        "_backend",
        "_conn",
        "_db_now",
        "_failed",
        "_now",
        "_repos",
        "_savepoints",
        "_store",
        "readonly",
    )

    def __init__(self, store: Store, conn: Any, readonly: bool) -> None:
        self._store = store
        self._backend = store._backend
        self._conn = conn
        self.readonly = readonly
        self._savepoints = 0
        self._now: datetime | None = None
        self._failed: BaseException | None = None
        self._db_now: Any = None
        self._repos: dict[RepositoryKey[Any], Any] | None = None

    @property
    def store(self) -> Store:
        """The store this transaction belongs to."""
        return self._store

    def now(self) -> datetime:
        """The store clock's time, read once per transaction so that all its rows agree."""
        if self._now is None:
            self._now = self._store.clock.now()
        return self._now

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one parameterized statement (``?`` placeholders) in this transaction.

        A statement the database refuses dooms the transaction on every backend (PostgreSQL
        would refuse anything after it anyway): later statements and the commit raise
        :class:`~commercekit.errors.StorageError`, and the block rolls back. A nested
        transaction (a savepoint) that raises recovers its outer transaction.
        """
        if self._failed is not None:
            raise StorageError(
                f"an earlier statement of this transaction failed ({self._failed}); "
                "it can only roll back"
            ) from self._failed
        try:
            return self._backend.execute(self._conn, sql, params)
        except StorageError as exc:
            self._failed = exc
            raise

    def db_now(self) -> Any:
        """:meth:`now` as this backend stores timestamps (converted once per transaction)."""
        if self._db_now is None:
            self._db_now = self._backend.to_db_time(self.now())
        return self._db_now

    def db_time(self, moment: datetime) -> Any:
        """``moment`` as this backend stores timestamps."""
        return self._backend.to_db_time(moment)

    def py_time(self, value: Any) -> datetime:
        """A stored timestamp as an aware UTC datetime."""
        return self._backend.from_db_time(value)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``: for the rare statement that differs."""
        return self._backend.name

    def aggregates(self, kind: AggregateKind[A]) -> SqlAggregateRepository[A]:
        """The repository of versioned aggregates of ``kind`` (carts, orders, ...)."""
        return SqlAggregateRepository(self, kind)

    def repository(self, key: RepositoryKey[R]) -> R:
        """The repository an area registered under ``key`` (``tx.repository(STOCK)``), typed.

        Built once per transaction. An unknown key is a
        :class:`~commercekit.errors.ConfigurationError` naming the registered ones.
        """
        repos = self._repos
        if repos is None:
            repos = self._repos = {}
        repo = repos.get(key)
        if repo is None:
            factory = self._store._factories.get(key)
            if factory is None:
                raise ConfigurationError(
                    f"no area of this store registers the repository {key.name!r}; "
                    f"registered: {sorted(k.name for k in self._store._factories)}"
                )
            repo = repos[key] = factory(self)
        result: R = repo
        return result

    def __getattr__(self, name: str) -> Any:
        """Shorthand for registered repositories: ``tx.stock`` is ``tx.repository(STOCK)``.

        Untyped (``Any``); use :meth:`repository` where a type checker should see the port.
        """
        key = self._store._by_name.get(name) if not name.startswith("_") else None
        if key is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.repository(key)

    def _savepoint(self) -> str:
        self._savepoints += 1
        name = f"ck_sp_{self._savepoints}"
        self.execute(f"SAVEPOINT {name}")
        return name

    def _end_savepoint(self, name: str, *, failed: bool) -> None:
        if failed:
            self._backend.execute(self._conn, f"ROLLBACK TO SAVEPOINT {name}", ())
            self._failed = None
        self._backend.execute(self._conn, f"RELEASE SAVEPOINT {name}", ())


class _Scope:
    """The context manager behind :meth:`Store.transaction` (a class: it runs per request)."""

    __slots__ = ("_began", "_check", "_readonly", "_savepoint", "_started", "_store", "_tx")

    def __init__(self, store: Store, readonly: bool, check: bool = True) -> None:
        self._store = store
        self._readonly = readonly
        self._check = check
        self._tx: Transaction | None = None
        self._savepoint: str | None = None
        self._started = 0.0
        self._began = 0.0

    def __enter__(self) -> Transaction:
        store = self._store
        if store._pid != PROCESS.pid:
            # A child forked inside a transaction must not join its parent's: start afresh.
            store._pid = PROCESS.pid
            store._local = threading.local()
        current: Transaction | None = getattr(store._local, "tx", None)
        if current is not None:
            if current.readonly and not self._readonly:
                raise ConfigurationError("cannot open a write transaction inside a read-only one")
            self._savepoint = current._savepoint()
            self._tx = current
            return current
        if store._closed:
            raise StorageError(f"the store {store.url} is closed")
        if self._check and not store._schema_checked:
            store._check_schema()
        backend = store._backend
        if store._slow is not None:
            self._started = time.perf_counter()
        conn = backend.acquire()
        try:
            conn = backend.begin(conn, readonly=self._readonly)
        except BaseException:
            backend.release(conn)
            raise
        if store._slow is not None:
            self._began = time.perf_counter()
        tx = self._tx = Transaction(store, conn, self._readonly)
        store._local.tx = tx
        return tx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tx = self._tx
        assert tx is not None  # __enter__ succeeded
        # A driver error raised while rows were fetched (SQLite reports a damaged page only
        # then) left the repository untranslated: translate it here, off the hot path.
        translated = (
            None if exc is None or isinstance(exc, CommerceError) else tx._backend.translate(exc)
        )
        if translated is exc:
            translated = None
        if self._savepoint is not None:
            tx._end_savepoint(self._savepoint, failed=exc_type is not None)
            if translated is not None:
                raise translated from exc
            return
        store = self._store
        backend = store._backend
        store._local.tx = None
        committed = False
        try:
            if exc_type is not None:
                backend.rollback(tx._conn, readonly=self._readonly)
                if translated is not None:
                    raise translated from exc
            elif tx._failed is not None:
                backend.rollback(tx._conn, readonly=self._readonly)
                raise StorageError(
                    f"the transaction was rolled back: a statement failed ({tx._failed})"
                ) from tx._failed
            else:
                backend.commit(tx._conn, readonly=self._readonly)
                committed = True
        finally:
            backend.release(tx._conn)
            if store._slow is not None and self._began:
                elapsed = time.perf_counter() - self._started
                if elapsed > store._slow:
                    # stacklevel=2: the record names the code whose ``with`` opened it.
                    _LOG.warning(
                        "slow transaction: %d ms",
                        elapsed * 1000,
                        stacklevel=2,
                        extra={
                            "area": "storage",
                            "event": "slow_transaction",
                            "backend": backend.name,
                            "readonly": self._readonly,
                            "outcome": "commit" if committed else "rollback",
                            "elapsed_ms": round(elapsed * 1000, 1),
                            "wait_ms": round((self._began - self._started) * 1000, 1),
                            "threshold_ms": round(store._slow * 1000, 1),
                        },
                    )


class Store:
    """A commercekit database: open it with :func:`commercekit.open_store`.

    A store is safe to share between threads (each thread gets its own connection) and
    survives a fork (the child opens fresh connections). Use it as a context manager, or call
    :meth:`close`.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        url: str,
        clock: Clock | None = None,
        areas: Sequence[Area] | None = None,
        migrate_hint: str | None = None,
        slow_transaction: timedelta | None = DEFAULT_SLOW_TRANSACTION,
    ) -> None:
        self._backend = backend
        self._slow = _slow_seconds(slow_transaction)
        self.url = url
        self.clock: Clock = clock if clock is not None else SystemClock()
        if areas is None:
            from commercekit.areas import BUILTIN_AREAS

            areas = BUILTIN_AREAS
        #: The areas this store serves, its own first.
        self.areas: tuple[Area, ...] = (CORE_AREA, *areas)
        self._factories: dict[RepositoryKey[Any], Any] = {}
        self._by_name: dict[str, RepositoryKey[Any]] = {}
        seen: set[str] = set()
        for area in self.areas:
            if area.name in seen:
                raise ConfigurationError(f"two areas named {area.name!r}")
            seen.add(area.name)
            for key, factory in area.repositories.items():
                if key.name in self._by_name:
                    raise ConfigurationError(f"two areas register the repository {key.name!r}")
                self._factories[key] = factory
                self._by_name[key.name] = key
        self._converter: cattrs.Converter | None = None
        self._migrate_hint = migrate_hint or f"commercekit migrate {url}"
        self._local = threading.local()
        self._pid = PROCESS.pid
        self._schema_checked = False
        self._closed = False

    @property
    def converter(self) -> cattrs.Converter:
        """The JSON converter of this store's areas (aggregates are stored with it)."""
        if self._converter is None:
            from commercekit.codec import make_json_converter

            self._converter = make_json_converter(self.areas)
        return self._converter

    @property
    def slow_transaction(self) -> timedelta | None:
        """A transaction taking longer is logged as a WARNING (``None``: never).

        Timed from asking for a connection to the end of the commit or rollback; the record
        (``commercekit.storage``, ``event="slow_transaction"``) names the code that opened it.
        """
        return None if self._slow is None else timedelta(seconds=self._slow)

    @slow_transaction.setter
    def slow_transaction(self, value: timedelta | None) -> None:
        self._slow = _slow_seconds(value)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"`` (``memory://`` is an in-memory SQLite)."""
        return self._backend.name

    def __repr__(self) -> str:
        return f"<Store {self.url}>"

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close this process's connections. Using the store afterwards is an error."""
        if not self._closed:
            self._closed = True
            self._backend.close()

    def in_transaction(self) -> bool:
        """Whether this thread has a transaction of this store open (a new one would join it).

        Services use it to tell whether they own the transaction they are about to run: only
        then may they run it again after a lost deadlock or a duplicate key.
        """
        return getattr(self._local, "tx", None) is not None and self._pid == PROCESS.pid

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """All-or-nothing: commit when the block ends, roll back if it raises.

        A write transaction takes the write lock up front (SQLite ``BEGIN IMMEDIATE``), so it
        never fails half way for lack of it; ``readonly=True`` takes no lock and refuses writes.
        Inside another transaction of the same thread this one joins it as a savepoint: its
        changes are undone alone if it raises, and are kept only if the outer one commits.
        """
        return _Scope(self, readonly)

    def _check_schema(self, state: SchemaState | None = None) -> None:
        check_schema(
            state if state is not None else self.schema_state(),
            url=self.url,
            areas=self.areas,
            hint=self._migrate_hint,
        )
        self._schema_checked = True

    def schema_state(self) -> SchemaState:
        """Each area's schema version in the database (see :class:`SchemaState`)."""
        with _Scope(self, readonly=True, check=False) as tx:
            return read_state(self._backend, tx._conn)

    def migrate(self) -> list[tuple[str, int]]:
        """Apply missing migrations; return them as ``(area, version)`` (empty: up to date).

        A database that is up to date is only read: no write lock is taken. Safe to call from
        several processes at once: they take a lock and run one at a time.
        """
        state = self.schema_state()
        if state.areas and not pending(state, self.areas):
            self._check_schema(state)  # the state just read: no second read
            return []
        with _Scope(self, readonly=False, check=False) as tx:
            done = migrate(self._backend, tx._conn, tx.now(), self.areas)
        self._check_schema()
        return done

    def prune(self, **ages: timedelta | None) -> PruneReport:
        """Remove what is no longer needed, judged by the store's clock; return the counts.

        Each area registers its rules and the age option that turns each on. The built-in
        ones: ``carts_idle_for`` (carts not updated for that long), ``reservations_closed_for``
        (committed, released or expired reservations), ``idempotency_older_than``,
        ``outbox_delivered_for`` (delivered events), ``outbox_dead_for`` (dead letters, by
        when they died), ``checkouts_finished_for`` (finished checkout records). Expired
        reservations are always released
        first (their stock becomes available again). Every rule's count is in the report; an
        unknown option is a :class:`~commercekit.errors.ConfigurationError`.
        """
        rules = [rule for area in self.areas for rule in area.prune]
        known = {rule.option for rule in rules if rule.option is not None}
        for option, age in ages.items():
            if option not in known:
                raise ConfigurationError(
                    f"unknown prune option {option!r}; this store knows {sorted(known)}"
                )
            if age is not None and (not isinstance(age, timedelta) or age < timedelta(0)):
                raise ConfigurationError(
                    f"prune ages are timedeltas, not negative: got {option}={age!r}"
                )
        counts: dict[str, int] = {}
        with self.transaction() as tx:
            now = tx.now()
            for rule in sorted(rules, key=lambda rule: rule.option is not None):
                age = ages.get(rule.option) if rule.option is not None else timedelta(0)
                counts[rule.name] = 0 if age is None else rule.run(tx, now - age)
        return PruneReport(counts)
