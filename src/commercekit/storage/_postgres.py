"""The PostgreSQL backend: psycopg 3 with a bounded connection pool, one schema per store."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    ConflictError,
    ConstraintError,
    MissingDependencyError,
    OutcomeUnknownError,
    RetryableConflictError,
    StorageBusyError,
    StorageError,
    StorageUnavailableError,
    ValidationError,
)
from commercekit.storage._backend import Cursor, Params
from commercekit.storage._process import PROCESS

__all__ = ["APPLICATION_NAME", "DEFAULT_CONNECT_TIMEOUT", "PostgresBackend"]

try:
    import psycopg
    import psycopg.errors as pg_errors
    from psycopg import sql as pg_sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    _IMPORT_ERROR: ImportError | None = _exc
else:
    _IMPORT_ERROR = None

#: The ``application_name`` of commercekit's connections, unless the URL or ``PGAPPNAME`` sets one.
APPLICATION_NAME = "commercekit"
#: Seconds a new connection may take, unless ``open_store``, the URL or ``PGCONNECT_TIMEOUT`` says.
DEFAULT_CONNECT_TIMEOUT = 5.0
_BEGIN = b"BEGIN"
_BEGIN_READ_ONLY = b"BEGIN READ ONLY"
_BAD_PARAMETER = "connection is bad: invalid "  # libpq refused a parameter before connecting
_LOG = logging.getLogger("commercekit.storage")


def _secrets_of(conninfo: str) -> tuple[str, ...]:
    """The password(s) written in ``conninfo``, longest first, to mask in messages."""
    found: set[str] = set()
    with contextlib.suppress(ValueError):
        parts = urlsplit(conninfo)
        if parts.password:
            found.update((parts.password, unquote(parts.password)))
        found.update(parse_qs(parts.query).get("password", ()))
    with contextlib.suppress(psycopg.Error):
        password = conninfo_to_dict(conninfo).get("password")
        if password:
            found.add(str(password))
    return tuple(sorted((secret for secret in found if secret), key=len, reverse=True))


def _sets_connect_timeout(conninfo: str) -> bool:
    """Whether the URL (or ``PGCONNECT_TIMEOUT``) gives a connect timeout of its own."""
    if os.environ.get("PGCONNECT_TIMEOUT"):
        return True
    try:
        return conninfo_to_dict(conninfo).get("connect_timeout") is not None
    except psycopg.Error:  # a malformed URL: connecting says what is wrong with it
        return False


class PostgresBackend:
    """PostgreSQL through psycopg 3 and :class:`psycopg_pool.ConnectionPool`.

    Every connection of the pool has ``search_path`` set to the store's schema, so commercekit's
    tables sit beside the host's. After a fork the child builds a pool of its own; the parent's
    pool is left alone (closing it from the child would close the parent's sockets).

    Opening tries one direct connection first, bounded by the connect timeout, so a refused
    port, a missing database or an unknown role fails at once with the server's reason.
    Connections are not checked before use (that would cost a round trip per transaction):
    when ``BEGIN`` finds its connection broken (the server restarted, failed over or dropped
    an idle connection), :meth:`begin` retries once on a fresh connection, since nothing of the
    transaction was sent. While the server cannot be reached, each transaction tries one direct
    connection and fails with its reason; once one succeeds the pool is rebuilt (the old one's
    reconnection attempts back off, up to minutes apart).
    """

    name = "postgresql"

    def __init__(
        self,
        conninfo: str,
        *,
        redacted: str,
        schema: str,
        pool_size: int,
        timeout: float,
        connect_timeout: float | None = None,
    ) -> None:
        if _IMPORT_ERROR is not None:  # pragma: no cover - exercised only without the extra
            raise MissingDependencyError(
                "PostgreSQL support needs the 'postgres' extra: pip install 'commercekit[postgres]'"
            ) from _IMPORT_ERROR
        self._conninfo = conninfo
        self._secrets = _secrets_of(conninfo)
        self._redacted = self._scrub(redacted)
        self.schema = schema
        self._pool_size = pool_size
        self._timeout = timeout
        self._connect_kwargs: dict[str, Any] = {
            "autocommit": True,
            "fallback_application_name": APPLICATION_NAME,
        }
        if connect_timeout is not None or not _sets_connect_timeout(conninfo):
            # libpq counts whole seconds, at least 2 (for each address a host name resolves to).
            seconds = DEFAULT_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
            self._connect_kwargs["connect_timeout"] = max(2, math.ceil(seconds))
        self._sql_cache: dict[str, bytes] = {}
        self._inherited: list[ConnectionPool[Any]] = []
        self._pid = PROCESS.pid
        self._outage = False  # the last direct connection failed: try one before the pool
        self._lock = threading.Lock()
        self._connect().close()
        self._pool = self._open_pool()

    # -- connections ---------------------------------------------------------------------------

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(pg_sql.SQL("SET search_path TO {}").format(pg_sql.Identifier(self.schema)))

    def _open_pool(self) -> ConnectionPool[Any]:
        """A new pool; called once the server has just answered a direct connection."""
        pool: ConnectionPool[Any] = ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=self._pool_size,
            kwargs=self._connect_kwargs,
            configure=self._configure,
            timeout=self._timeout,
            open=False,
            name="commercekit",
        )
        try:
            # Wait for the first connection: a client asking before it is ready would make the
            # pool grow (and then deal out its connections in turn).
            pool.open(wait=True, timeout=self._timeout)
        except (PoolTimeout, psycopg.Error) as exc:
            pool.close()
            self._connect().close()  # the server went away again: raise its reason
            self._log(
                logging.WARNING,
                "pool_unavailable",
                "PostgreSQL pool could not open a connection within %ss",
                self._timeout,
            )
            raise StorageUnavailableError(
                f"cannot connect to PostgreSQL at {self._redacted} within {self._timeout}s"
            ) from exc
        return pool

    def _connect(self) -> psycopg.Connection[Any]:
        """One configured connection outside the pool, within the connect timeout.

        A failure is a :class:`~commercekit.errors.StorageError` with the driver's reason
        (``connection refused``, ``database "x" does not exist``, ...), or a
        :class:`~commercekit.errors.ConfigurationError` for a URL parameter libpq refuses; the
        password is masked, and the driver's error is not chained if its text holds it.
        """
        try:
            conn: psycopg.Connection[Any] = psycopg.connect(self._conninfo, **self._connect_kwargs)
        except psycopg.Error as exc:
            reason = self._reason(exc)
            error: CommerceError
            if isinstance(exc, psycopg.ProgrammingError) or str(exc).startswith(_BAD_PARAMETER):
                reason = reason.removeprefix("connection is bad: ")
                error = ConfigurationError(
                    f"the PostgreSQL URL {self._redacted} is not usable: {reason}"
                )
            else:
                if not self._outage:  # once per outage; each retry raises its reason
                    self._log(
                        logging.WARNING,
                        "server_unreachable",
                        "cannot connect to PostgreSQL: %s",
                        reason,
                    )
                self._outage = True
                error = StorageUnavailableError(
                    f"cannot connect to PostgreSQL at {self._redacted}: {reason}"
                )
            raise error from (None if any(s in str(exc) for s in self._secrets) else exc)
        try:
            self._configure(conn)
        except psycopg.Error as exc:
            conn.close()
            raise self.translate(exc) from exc
        return conn

    def _log(self, level: int, event: str, message: str, *args: object, **extra: object) -> None:
        """Log ``message`` on ``commercekit.storage`` with this server's context (no password)."""
        _LOG.log(
            level,
            message,
            *args,
            stacklevel=2,  # the record names the caller's line, not this helper's
            extra={
                "area": "storage",
                "event": event,
                "backend": self.name,
                "url": self._redacted,
                "pool_size": self._pool_size,
                **extra,
            },
        )

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _reason(self, exc: BaseException) -> str:
        """The driver's message on one line, the password masked."""
        return self._scrub(" ".join(str(exc).split()))

    def _recover(self) -> None:
        """After an outage: connect directly, and if the server answers, rebuild the pool.

        The old pool's reconnection attempts back off exponentially, so the first transactions
        after the server is back would wait for them; a new pool connects at once.
        """
        self._connect().close()  # raises while the server is still away
        with self._lock:
            if not self._outage:  # another thread rebuilt the pool meanwhile
                return
            old, self._pool = self._pool, self._open_pool()
            self._outage = False
        self._log(logging.INFO, "server_back", "PostgreSQL answers again; pool rebuilt")
        # Closing joins the old pool's workers, which may be mid-connect: not on this thread.
        threading.Thread(target=old.close, name="commercekit-pool-close", daemon=True).start()

    def acquire(self) -> psycopg.Connection[Any]:
        """Borrow a pooled connection for one outermost transaction."""
        if PROCESS.pid != self._pid:
            self._connect().close()
            self._inherited.append(self._pool)
            self._pool = self._open_pool()
            self._pid = PROCESS.pid
            self._outage = False
        if self._outage:
            self._recover()
        pool = self._pool
        try:
            conn: psycopg.Connection[Any] = pool.getconn(timeout=self._timeout)
        except PoolTimeout as exc:
            # Every connection is in use, or the pool cannot open new ones: ask the server.
            self._connect().close()
            self._log(
                logging.WARNING,
                "pool_exhausted",
                "no PostgreSQL connection free within %ss (pool of %d)",
                self._timeout,
                self._pool_size,
                timeout_s=self._timeout,
            )
            raise StorageBusyError(
                f"no PostgreSQL connection free within {self._timeout}s "
                f"(pool of {self._pool_size}); raise pool_size or shorten transactions"
            ) from exc
        except PoolClosed as exc:
            if self._pool is pool:  # the store was closed meanwhile
                raise StorageError(f"the store at {self._redacted} is closed") from exc
            return self.acquire()  # the pool was rebuilt after an outage meanwhile
        return conn

    def release(self, conn: psycopg.Connection[Any]) -> None:
        """Return the connection to the pool (which discards it if it broke)."""
        try:
            self._pool.putconn(conn)
        except ValueError:
            # Not the current pool's: one opened for a retried BEGIN, or one of a pool rebuilt
            # after an outage (closed by now, as its connections are when returned).
            conn.close()

    # -- transactions --------------------------------------------------------------------------

    def begin(self, conn: psycopg.Connection[Any], *, readonly: bool) -> Any:
        """``BEGIN``, or ``BEGIN READ ONLY`` for reads; return the connection to use from now on.

        If ``conn`` turns out to be broken, nothing of the transaction was sent: retry once on a
        fresh connection, give ``conn`` back (the pool discards it) and return the fresh one. If
        this raises, ``conn`` is still the caller's to release.
        """
        text = _BEGIN_READ_ONLY if readonly else _BEGIN
        try:
            conn.execute(text, ())
        except psycopg.Error as exc:
            if not conn.broken:
                raise self.translate(exc) from exc
            return self._begin_again(conn, text)
        return conn

    def _begin_again(self, broken: psycopg.Connection[Any], text: bytes) -> psycopg.Connection[Any]:
        self._log(
            logging.WARNING,
            "connection_retry",
            "PostgreSQL connection broken before BEGIN; retrying on a fresh one",
            operation="begin",
            attempt=2,
        )
        fresh = self._connect()  # raises while the server is away, remembering the outage
        try:
            fresh.execute(text, ())
            # The pool's idle connections most likely went with this one: check them now (a
            # round trip each, on this failure path only) rather than fail once on each later.
            self._pool.check()
        except BaseException as exc:
            fresh.close()
            if isinstance(exc, psycopg.Error):
                raise self.translate(exc) from exc
            raise
        self.release(broken)
        return fresh

    def commit(self, conn: psycopg.Connection[Any], *, readonly: bool) -> None:
        """Commit; on failure roll back and raise the translated error.

        A connection that breaks during the ``COMMIT`` of a write transaction leaves its outcome
        unknown (the server may have committed before the answer was lost):
        :class:`~commercekit.errors.OutcomeUnknownError`.
        """
        try:
            conn.execute("COMMIT")
        except psycopg.Error as exc:
            if conn.broken and not readonly:
                self._log(
                    logging.WARNING,
                    "commit_outcome_unknown",
                    "PostgreSQL connection broke during COMMIT: outcome unknown",
                    operation="commit",
                )
                raise OutcomeUnknownError(
                    f"the connection to PostgreSQL at {self._redacted} broke during COMMIT, so the "
                    f"transaction may or may not have been committed ({self._reason(exc)}); read "
                    "the state back, or retry with the same idempotency key"
                ) from exc
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
        except UnicodeEncodeError as exc:
            raise ValidationError(f"text that is not valid Unicode: {exc.reason}") from None

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
            return RetryableConflictError(
                f"lost a deadlock or serialization race and rolled back; run it again: {text}"
            )
        if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.QueryCanceled):
            return StorageBusyError(f"PostgreSQL lock or statement timeout: {text}")
        if isinstance(exc, pg_errors.NumericValueOutOfRange):
            return ConstraintError(f"a number too large for the database: {text}")
        return StorageError(f"PostgreSQL error: {text}")

    def close(self) -> None:
        """Close this process's pool (never a pool inherited from a parent process)."""
        if PROCESS.pid == self._pid:
            self._pool.close()
