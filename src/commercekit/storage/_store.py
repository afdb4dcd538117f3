"""The store: a backend, a clock and transactions that hand out repositories."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from commercekit.clock import SystemClock
from commercekit.errors import ConfigurationError, StorageError
from commercekit.ports import Clock
from commercekit.storage._aggregates import SqlAggregateRepository
from commercekit.storage._backend import Backend, Cursor, Params
from commercekit.storage._counters import SqlPromotionUsageRepository, SqlStockRepository
from commercekit.storage._migrations import (
    MIGRATIONS,
    Migration,
    SchemaState,
    check_schema,
    migrate,
    read_state,
)
from commercekit.storage._models import PruneReport
from commercekit.storage._process import PROCESS
from commercekit.storage._records import SqlIdempotencyRepository, SqlOutboxRepository
from commercekit.storage._reservations import SqlReservationRepository

if TYPE_CHECKING:
    from commercekit.storage._aggregates import AggregateKind

__all__ = ["Store", "Transaction"]

A = TypeVar("A")


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

    def aggregates(self, kind: AggregateKind[A]) -> SqlAggregateRepository[A]:
        """The repository of versioned aggregates of ``kind`` (carts, orders, ...)."""
        return SqlAggregateRepository(self, kind)

    @property
    def stock(self) -> SqlStockRepository:
        """Stock levels and the movement ledger (guarded counters)."""
        return SqlStockRepository(self)

    @property
    def reservations(self) -> SqlReservationRepository:
        """Reservation records and the release of expired ones."""
        return SqlReservationRepository(self)

    @property
    def promotion_usage(self) -> SqlPromotionUsageRepository:
        """Promotion usage counters with an atomic, limit-guarded consume."""
        return SqlPromotionUsageRepository(self)

    @property
    def idempotency(self) -> SqlIdempotencyRepository:
        """Idempotency keys and the responses stored under them."""
        return SqlIdempotencyRepository(self)

    @property
    def outbox(self) -> SqlOutboxRepository:
        """Events written with the change that caused them, for at-least-once delivery."""
        return SqlOutboxRepository(self)

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

    __slots__ = ("_check", "_readonly", "_savepoint", "_store", "_tx")

    def __init__(self, store: Store, readonly: bool, check: bool = True) -> None:
        self._store = store
        self._readonly = readonly
        self._check = check
        self._tx: Transaction | None = None
        self._savepoint: str | None = None

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
        conn = backend.acquire()
        try:
            backend.begin(conn, readonly=self._readonly)
        except BaseException:
            backend.release(conn)
            raise
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
        if self._savepoint is not None:
            tx._end_savepoint(self._savepoint, failed=exc_type is not None)
            return
        store = self._store
        backend = store._backend
        store._local.tx = None
        try:
            if exc_type is not None:
                backend.rollback(tx._conn, readonly=self._readonly)
            elif tx._failed is not None:
                backend.rollback(tx._conn, readonly=self._readonly)
                raise StorageError(
                    f"the transaction was rolled back: a statement failed ({tx._failed})"
                ) from tx._failed
            else:
                backend.commit(tx._conn, readonly=self._readonly)
        finally:
            backend.release(tx._conn)


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
        migrations: tuple[Migration, ...] = MIGRATIONS,
    ) -> None:
        self._backend = backend
        self.url = url
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._migrations = migrations
        self._local = threading.local()
        self._pid = PROCESS.pid
        self._schema_checked = False
        self._closed = False

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

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """All-or-nothing: commit when the block ends, roll back if it raises.

        A write transaction takes the write lock up front (SQLite ``BEGIN IMMEDIATE``), so it
        never fails half way for lack of it; ``readonly=True`` takes no lock and refuses writes.
        Inside another transaction of the same thread this one joins it as a savepoint: its
        changes are undone alone if it raises, and are kept only if the outer one commits.
        """
        return _Scope(self, readonly)

    def _check_schema(self) -> None:
        check_schema(self.schema_state(), url=self.url, migrations=self._migrations)
        self._schema_checked = True

    def schema_state(self) -> SchemaState:
        """The schema version of the database and the oldest code version it admits."""
        with _Scope(self, readonly=True, check=False) as tx:
            return read_state(self._backend, tx._conn)

    def migrate(self) -> list[int]:
        """Apply missing migrations; return the versions applied (empty: already up to date).

        Safe to call from several processes at once: they take a lock and run one at a time.
        """
        with _Scope(self, readonly=False, check=False) as tx:
            done = migrate(self._backend, tx._conn, tx.now(), self._migrations)
        self._check_schema()
        return done

    def prune(
        self,
        *,
        carts_idle_for: timedelta | None = None,
        reservations_closed_for: timedelta | None = None,
        idempotency_older_than: timedelta | None = None,
        outbox_delivered_for: timedelta | None = None,
        cart_kind: str = "cart",
    ) -> PruneReport:
        """Remove what is no longer needed, judged by the store's clock; return the counts.

        Expired reservations are always released first (their stock becomes available again).
        Then, for each option given: carts (aggregates of ``cart_kind``) not updated for
        ``carts_idle_for``; reservations committed, released or expired longer ago than
        ``reservations_closed_for``; idempotency records older than ``idempotency_older_than``;
        delivered outbox events older than ``outbox_delivered_for``.
        """
        for option in (
            carts_idle_for,
            reservations_closed_for,
            idempotency_older_than,
            outbox_delivered_for,
        ):
            if option is not None and option < timedelta(0):
                raise ConfigurationError(f"prune ages must not be negative, got {option}")
        with self.transaction() as tx:
            now = tx.now()
            expired = len(tx.reservations.release_expired())
            carts = deleted = idem = events = 0
            if carts_idle_for is not None:
                carts = tx.execute(
                    "DELETE FROM ck_aggregates WHERE kind = ? AND updated_at < ?",
                    (cart_kind, tx.db_time(now - carts_idle_for)),
                ).rowcount
            if reservations_closed_for is not None:
                deleted = tx.reservations.delete_closed(before=now - reservations_closed_for)
            if idempotency_older_than is not None:
                idem = tx.idempotency.delete_older_than(now - idempotency_older_than)
            if outbox_delivered_for is not None:
                events = tx.outbox.delete_delivered(before=now - outbox_delivered_for)
        return PruneReport(
            carts=carts,
            reservations_expired=expired,
            reservations_deleted=deleted,
            idempotency_records=idem,
            outbox_events=events,
        )
