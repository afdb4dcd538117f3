"""The PostgreSQL backend: psycopg 3 with a bounded connection pool, one schema per store."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from commercekit.errors import (
    ConflictError,
    ConstraintError,
    MissingDependencyError,
    StorageBusyError,
    StorageError,
)
from commercekit.storage._backend import Cursor, Params
from commercekit.storage._process import PROCESS

__all__ = ["PostgresBackend"]

try:
    import psycopg
    import psycopg.errors as pg_errors
    from psycopg import sql as pg_sql
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    _IMPORT_ERROR: ImportError | None = _exc
else:
    _IMPORT_ERROR = None


class PostgresBackend:
    """PostgreSQL through psycopg 3 and :class:`psycopg_pool.ConnectionPool`.

    Every connection of the pool has ``search_path`` set to the store's schema, so commercekit's
    tables sit beside the host's. After a fork the child builds a pool of its own; the parent's
    pool is left alone (closing it from the child would close the parent's sockets).
    """

    name = "postgresql"

    def __init__(
        self, conninfo: str, *, redacted: str, schema: str, pool_size: int, timeout: float
    ) -> None:
        if _IMPORT_ERROR is not None:  # pragma: no cover - exercised only without the extra
            raise MissingDependencyError(
                "PostgreSQL support needs the 'postgres' extra: pip install 'commercekit[postgres]'"
            ) from _IMPORT_ERROR
        self._conninfo = conninfo
        self._redacted = redacted
        self.schema = schema
        self._pool_size = pool_size
        self._timeout = timeout
        self._sql_cache: dict[str, bytes] = {}
        self._inherited: list[ConnectionPool[Any]] = []
        self._pid = PROCESS.pid
        self._pool = self._open_pool()

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(pg_sql.SQL("SET search_path TO {}").format(pg_sql.Identifier(self.schema)))

    def _open_pool(self) -> ConnectionPool[Any]:
        pool: ConnectionPool[Any] = ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=self._pool_size,
            kwargs={"autocommit": True},
            configure=self._configure,
            timeout=self._timeout,
            open=False,
            name="commercekit",
        )
        try:
            pool.open(wait=True, timeout=self._timeout)
        except (PoolTimeout, psycopg.Error) as exc:
            pool.close()
            raise StorageError(
                f"cannot connect to PostgreSQL at {self._redacted} within {self._timeout}s"
            ) from exc
        return pool

    def acquire(self) -> psycopg.Connection[Any]:
        """Borrow a pooled connection for one outermost transaction."""
        if PROCESS.pid != self._pid:
            self._inherited.append(self._pool)
            self._pid = PROCESS.pid
            self._pool = self._open_pool()
        try:
            conn: psycopg.Connection[Any] = self._pool.getconn(timeout=self._timeout)
        except PoolTimeout as exc:
            raise StorageBusyError(
                f"no PostgreSQL connection free within {self._timeout}s "
                f"(pool of {self._pool_size}); raise pool_size or shorten transactions"
            ) from exc
        return conn

    def release(self, conn: psycopg.Connection[Any]) -> None:
        """Return the connection to the pool (which discards it if it broke)."""
        self._pool.putconn(conn)

    def begin(self, conn: psycopg.Connection[Any], *, readonly: bool) -> None:
        """``BEGIN``, or ``BEGIN READ ONLY`` for reads."""
        self.execute(conn, "BEGIN READ ONLY" if readonly else "BEGIN", ())

    def commit(self, conn: psycopg.Connection[Any], *, readonly: bool) -> None:
        """Commit; on failure roll back and raise the translated error."""
        try:
            conn.execute("COMMIT")
        except psycopg.Error as exc:
            self.rollback(conn, readonly=readonly)
            raise self.translate(exc) from exc

    def rollback(self, conn: psycopg.Connection[Any], *, readonly: bool) -> None:
        """Roll back; a broken connection is left for the pool to discard."""
        with contextlib.suppress(psycopg.Error):  # the pool replaces a broken connection
            conn.execute("ROLLBACK")

    def execute(self, conn: psycopg.Connection[Any], sql: str, params: Params) -> Cursor:
        """Run one statement, ``?`` placeholders rewritten to psycopg's ``%s``."""
        text = self._sql_cache.get(sql)
        if text is None:
            text = self._sql_cache.setdefault(sql, sql.replace("?", "%s").encode())
        try:
            return conn.execute(text, params)
        except (psycopg.Error, OverflowError) as exc:
            raise self.translate(exc) from exc

    def lock_for_migration(self, conn: psycopg.Connection[Any]) -> None:
        """Take a transaction-scoped advisory lock for this schema, then make sure it exists."""
        self.execute(
            conn, "SELECT pg_advisory_xact_lock(hashtext(?))", (f"commercekit:{self.schema}",)
        )
        try:
            conn.execute(
                pg_sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pg_sql.Identifier(self.schema))
            )
        except psycopg.Error as exc:
            raise self.translate(exc) from exc

    def to_db_time(self, moment: datetime) -> datetime:
        """Passed as an aware datetime into ``timestamptz``."""
        return moment.astimezone(UTC)

    def from_db_time(self, value: Any) -> datetime:
        """``timestamptz`` comes back aware; normalize to UTC."""
        moment: datetime = value
        return moment.astimezone(UTC)

    def translate(self, exc: BaseException) -> BaseException:
        """Map psycopg errors onto the commercekit tree."""
        if isinstance(exc, OverflowError):
            return ConstraintError(f"a number too large for the database: {exc}")
        if not isinstance(exc, psycopg.Error):
            return exc
        text = str(exc).strip()
        if isinstance(exc, pg_errors.UniqueViolation):
            return ConflictError(f"a record with that key already exists ({text})")
        if isinstance(exc, pg_errors.IntegrityError):
            return ConstraintError(f"the database refused the write: {text}")
        if isinstance(exc, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
            return ConflictError(f"a competing transaction won: {text}")
        if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.QueryCanceled):
            return StorageBusyError(f"PostgreSQL lock or statement timeout: {text}")
        if isinstance(exc, pg_errors.NumericValueOutOfRange):
            return ConstraintError(f"a number too large for the database: {text}")
        return StorageError(f"PostgreSQL error: {text}")

    def close(self) -> None:
        """Close this process's pool (never a pool inherited from a parent process)."""
        if PROCESS.pid == self._pid:
            self._pool.close()
