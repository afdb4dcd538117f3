"""The SQLite backend: one connection per thread and process, WAL, ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from commercekit.errors import (
    ConfigurationError,
    ConflictError,
    ConstraintError,
    StorageBusyError,
    StorageError,
    ValidationError,
)
from commercekit.storage._backend import Cursor, Params
from commercekit.storage._process import PROCESS

__all__ = ["SqliteBackend"]

# STRICT tables (3.37) keep every column to its declared type; RETURNING needs 3.35.
_MIN_VERSION = (3, 37, 0)
_LOG = logging.getLogger("commercekit.storage")


def _check_version() -> None:
    if sqlite3.sqlite_version_info < _MIN_VERSION:
        raise ConfigurationError(
            f"commercekit needs SQLite 3.37 or newer; this Python has {sqlite3.sqlite_version}"
        )


class _Connection(sqlite3.Connection):
    """A connection that remembers whether ``PRAGMA query_only`` is on (it starts off)."""

    query_only = False


def _error_name(exc: sqlite3.Error) -> str:
    """SQLite's (extended) result code name, such as ``SQLITE_READONLY_DBMOVED``, if known."""
    return str(getattr(exc, "sqlite_errorname", None) or "")


class SqliteBackend:
    """SQLite through the standard library's :mod:`sqlite3`.

    A file store opens one connection per thread (and per process: after a fork the child opens
    its own and never touches its parent's). ``memory://`` keeps one private in-memory database
    behind a lock, so its transactions run one at a time.

    ``path`` is a file path, ``":memory:"`` or a ``file:`` URI (opened with ``uri=True``); a
    URI's ``mode=ro`` makes the store read-only: SQLite opens the file read-only and every
    write transaction is refused before it starts.
    """

    name = "sqlite"

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        _check_version()
        self._path = path
        self._memory = path == ":memory:"
        self._uri = path.startswith("file:")
        self._file = path
        self.mode: str | None = None
        if self._uri:
            location, _, query = path[len("file:") :].partition("?")
            if location.startswith("//"):  # file:///abs/path: an empty authority
                location = location[2:]
            self._file = unquote(location)
            modes = parse_qs(query).get("mode")
            self.mode = modes[-1] if modes else None
        #: Whether the database was opened read-only (``mode=ro``).
        self.readonly = self.mode == "ro"
        self._busy_timeout = busy_timeout
        self._guard = threading.RLock()
        self._opened: list[_Connection] = []
        self._local = threading.local()
        self._pid = PROCESS.pid
        self._shared: _Connection | None = None

    def _connect(self) -> _Connection:
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,
                factory=_Connection,
                check_same_thread=False,
                uri=self._uri,
            )
        except sqlite3.Error as exc:
            raise self._cannot_open(exc) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._memory and not self.readonly:
                # A read-only store takes the journal mode the file has: switching is a write.
                self._enable_wal(conn)
                # In WAL mode NORMAL survives a crashed or killed process; only an OS crash or
                # power loss may lose the last commits.
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._translate(exc, conn) from exc
        with self._guard:
            self._opened.append(conn)
        return conn

    def _cannot_open(self, exc: sqlite3.Error) -> StorageError:
        if self.mode in ("ro", "rw") and not os.path.exists(self._file):
            return StorageError(
                f"no SQLite database at {self._file!r}: mode={self.mode} opens an existing file "
                f"only ({exc})"
            )
        return StorageError(
            f"cannot open the SQLite database {self._file!r}: {exc} (does its directory exist, "
            "and may this process read it and write there?)"
        )

    def _enable_wal(self, conn: _Connection) -> None:
        # Switching a new database to WAL needs an exclusive lock, and when another process is
        # switching it at the same moment SQLite answers "database is locked" at once, without
        # calling the busy handler (waiting could deadlock). Retry until the busy timeout.
        deadline = time.monotonic() + self._busy_timeout
        delay = 0.001
        attempt = 1
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                    raise
            _LOG.debug(
                "SQLite busy switching to WAL; retrying",
                extra={
                    "area": "storage",
                    "event": "retry",
                    "backend": self.name,
                    "operation": "journal_mode",
                    "attempt": attempt,
                    "delay_ms": round(delay * 1000, 1),
                },
            )
            attempt += 1
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _forked(self) -> None:
        # A child must not use (or close) file connections inherited from its parent: they share
        # the parent's locks. An in-memory database has no file: the child keeps its own copy.
        self._pid = PROCESS.pid
        self._local = threading.local()
        self._guard = threading.RLock()
        if not self._memory:
            self._opened = []
            self._shared = None

    def acquire(self) -> _Connection:
        """The calling thread's connection, or the shared in-memory one under its lock."""
        if PROCESS.pid != self._pid:
            self._forked()
        if self._memory:
            self._guard.acquire()
            try:
                if self._shared is None:
                    self._shared = self._connect()
            except BaseException:
                self._guard.release()
                raise
            return self._shared
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def release(self, conn: _Connection) -> None:
        """Let the next transaction of the in-memory database in (file connections stay)."""
        if self._memory:
            self._guard.release()

    def begin(self, conn: _Connection, *, readonly: bool) -> _Connection:
        """``BEGIN IMMEDIATE`` for writes (the write lock up front), deferred for reads.

        Read transactions run with ``PRAGMA query_only`` on, so a write in one fails. The pragma
        is switched only when a connection goes from writing to reading or back, not twice per
        transaction: a run of reads costs what the reads cost. A store opened with ``mode=ro``
        refuses write transactions here, before they start.
        """
        if self.readonly and not readonly:
            raise StorageError(
                f"the SQLite database {self._file!r} was opened read-only (mode=ro): it refuses "
                "write transactions; open it without mode=ro to write"
            )
        try:
            if conn.query_only is not readonly:
                conn.execute("PRAGMA query_only = ON" if readonly else "PRAGMA query_only = OFF")
                conn.query_only = readonly
            conn.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            error = self._translate(exc, conn)
            if isinstance(error, StorageBusyError):
                _LOG.warning(
                    "SQLite write lock not free within %ss",
                    self._busy_timeout,
                    extra={
                        "area": "storage",
                        "event": "lock_timeout",
                        "backend": self.name,
                        "operation": "begin",
                        "timeout_s": self._busy_timeout,
                    },
                )
            raise error from exc
        return conn

    def commit(self, conn: _Connection, *, readonly: bool) -> None:
        """Commit; on failure roll back and raise the translated error."""
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.rollback(conn, readonly=readonly)
            raise self._translate(exc, conn) from exc

    def rollback(self, conn: _Connection, *, readonly: bool) -> None:
        """Roll back if a transaction is open."""
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def execute(self, conn: _Connection, sql: str, params: Params) -> Cursor:
        """Run one statement; driver errors come out as commercekit errors."""
        try:
            return conn.execute(sql, params)
        except (sqlite3.Error, OverflowError) as exc:
            raise self._translate(exc, conn) from exc
        except UnicodeEncodeError as exc:
            raise ValidationError(f"text that is not valid Unicode: {exc.reason}") from None

    def lock_for_migration(self, conn: _Connection) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already holds the database's only write lock."""

    def to_db_time(self, moment: datetime) -> str:
        """Fixed-width ISO 8601 UTC text, so that text order is time order."""
        # Runs several times per reservation. The bare isoformat() is the fastest spelling (a
        # timespec argument or strftime costs twice as much) but drops a zero microsecond part.
        if moment.tzinfo is not UTC:  # the store clock's times are UTC already: skip the call
            moment = moment.astimezone(UTC)
        text = moment.isoformat()  # "...T10:39:01.018084+00:00"
        return text[:-6] + "Z" if moment.microsecond else text[:-6] + ".000000Z"

    def from_db_time(self, value: Any) -> datetime:
        """Parse the stored text back to an aware UTC datetime."""
        moment = datetime.fromisoformat(value)  # Python 3.11 reads the "Z" suffix
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    def translate(self, exc: BaseException, conn: Any = None) -> BaseException:
        """Map :mod:`sqlite3` errors onto the commercekit tree.

        ``conn`` is the connection the error came from, if known: a write refused on it is
        blamed on the read-only transaction it ran in (``PRAGMA query_only``), on a store
        opened with ``mode=ro``, or else on a file or directory this process cannot write.
        """
        return self._translate(exc, conn)

    def _translate(self, exc: BaseException, conn: Any) -> BaseException:
        if isinstance(exc, OverflowError):
            return ConstraintError(f"a number too large for the database: {exc}")
        if not isinstance(exc, sqlite3.Error):
            return exc
        text = str(exc)
        code = _error_name(exc)
        if isinstance(exc, sqlite3.IntegrityError):
            if "UNIQUE" in text or "PRIMARY KEY" in text:
                return ConflictError(f"a record with that key already exists ({text})")
            return ConstraintError(f"the database refused the write: {text}")
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (
            not code
            and isinstance(exc, sqlite3.OperationalError)
            and ("locked" in text or "busy" in text.lower())
        ):
            return StorageBusyError(
                f"the SQLite database stayed locked for more than {self._busy_timeout}s: {text}"
            )
        if code.startswith("SQLITE_READONLY") or (
            not code and ("readonly" in text or "read-only" in text or "query_only" in text)
        ):
            return self._refused_write(text, code, conn)
        if code.startswith("SQLITE_CANTOPEN") or (not code and "unable to open" in text):
            return StorageError(
                f"cannot open the SQLite database {self._file!r} or a file SQLite keeps beside "
                f"it (-wal, -shm, -journal): {text}; is the directory there, and may this "
                "process read and write in it?"
            )
        if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
            not code and ("malformed" in text or "not a database" in text)
        ):
            return StorageError(
                f"the SQLite database {self._file!r} is damaged or is not a SQLite database "
                f"({text}): `commercekit check` reports the damage; restore it from a backup"
            )
        return StorageError(f"SQLite error: {text}")

    def _refused_write(self, text: str, code: str, conn: Any) -> StorageError:
        """SQLite said "readonly": say which of the three reasons it was."""
        if conn is not None and getattr(conn, "query_only", False):
            return StorageError(f"a write inside a read-only transaction: {text}")
        if self.readonly:
            return StorageError(
                f"the SQLite database {self._file!r} was opened read-only (mode=ro): {text}"
            )
        if code == "SQLITE_READONLY_DBMOVED":
            return StorageError(
                f"the SQLite database file {self._file!r} was moved or deleted while the store "
                f"had it open: {text}"
            )
        return StorageError(
            f"cannot write to the SQLite database {self._file!r}: the file, or the directory "
            f"it is in (SQLite creates its -wal and -shm files there), is not writable by this "
            f"process ({text})"
        )

    def close(self) -> None:
        """Close the connections this process opened (from any thread)."""
        if PROCESS.pid != self._pid:
            return
        with self._guard:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
            self._shared = None
        self._local = threading.local()
