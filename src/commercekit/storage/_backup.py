"""Backup: a consistent snapshot of a store in a portable file (restored by ``_restore``).

:func:`backup` takes a snapshot while the shop keeps writing: on SQLite with SQLite's online
backup API into a temporary database, on PostgreSQL in one ``REPEATABLE READ`` read-only
transaction. Either way the file is the same format (see :mod:`._backup_file`), so a backup of
a SQLite store restores into PostgreSQL and the reverse.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

import attrs

from commercekit.errors import (
    ConfigurationError,
    StorageError,
)
from commercekit.ports import Area
from commercekit.storage._backup_file import FORMAT_VERSION, Writer
from commercekit.storage._backup_tables import (
    Table,
    db_text_time,
    plain,
    quote,
    read_tables,
    timestamp_columns,
)
from commercekit.storage._migrations import AreaVersion, SchemaState, _mapped, read_state
from commercekit.storage._store import Store, Transaction, _Scope

__all__ = ["BackupFile", "BackupInfo", "Progress", "backup", "log_done", "name_of", "opened"]

_LOG = logging.getLogger("commercekit.storage")

#: ``progress(done, total)``: rows written (or restored) so far, of all the rows.
Progress = Callable[[int, int], None]
BackupFile = str | os.PathLike[str] | IO[bytes]

_BATCH_ROWS = 500  # rows per PostgreSQL FETCH (and per SQLite fetchmany)


@attrs.frozen
class BackupInfo:
    """What a backup holds, from its header: returned by :func:`backup` and :func:`restore`."""

    #: The backend the backup was taken from (``"sqlite"`` or ``"postgresql"``).
    backend: str
    #: When the snapshot was taken (UTC).
    created_at: datetime
    #: The schema version of every area in the backed-up store.
    schema: SchemaState
    #: Rows per table, in the order the file holds them (parents before children).
    rows: dict[str, int]
    #: The commercekit version that wrote the file.
    library_version: str
    #: The file format's version.
    format_version: int = FORMAT_VERSION

    @property
    def total_rows(self) -> int:
        """Rows in all tables."""
        return sum(self.rows.values())


def _library_version() -> str:
    try:
        return version("commercekit")
    except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
        return "0+unknown"


@contextlib.contextmanager
def opened(store_or_url: Store | str, schema: str | None) -> Iterator[Store]:
    """The store given, or one opened (unmigrated) on the URL given and closed afterwards."""
    if isinstance(store_or_url, Store):
        if schema is not None:
            raise ConfigurationError("schema is for a URL; a store already has its schema")
        if store_or_url.in_transaction():
            raise ConfigurationError(
                "backup and restore run their own transaction: not inside one of the store's"
            )
        yield store_or_url
        return
    if not isinstance(store_or_url, str):
        raise ConfigurationError(f"a store or a store URL, not {type(store_or_url).__name__}")
    from commercekit.storage import open_store

    with open_store(store_or_url, schema=schema, migrate=False) as store:
        yield store


def log_done(event: str, store: Store, info: BackupInfo, file: BackupFile, started: float) -> None:
    elapsed = time.monotonic() - started
    _LOG.info(
        "%s: %d rows of %d tables in %.1f s",
        event,
        info.total_rows,
        len(info.rows),
        elapsed,
        extra={
            "area": "storage",
            "event": event,
            "url": store.url,
            "backend": store.backend,
            "file": name_of(file),
            "rows": info.total_rows,
            "tables": len(info.rows),
            "schema": str(info.schema),
            "elapsed_ms": round(elapsed * 1000, 1),
        },
    )


def name_of(file: BackupFile) -> str:
    if isinstance(file, str | os.PathLike):
        return os.fspath(file)
    return str(getattr(file, "name", "the backup stream"))


# -- backup ------------------------------------------------------------------------------------


def backup(
    store_or_url: Store | str,
    file: BackupFile,
    *,
    schema: str | None = None,
    progress: Progress | None = None,
) -> BackupInfo:
    """Write a consistent snapshot of a store to ``file``; return what it holds.

    ``store_or_url`` is an open :class:`Store` or a store URL (opened without migrating, with
    ``schema`` on PostgreSQL, and closed afterwards). ``file`` is a path (written beside it
    under a temporary name, then renamed: a failed backup never leaves a partial file there) or
    a binary stream. Other processes may keep writing meanwhile: on SQLite the database is
    copied with SQLite's online backup API into a temporary database, on PostgreSQL it is read
    in one ``REPEATABLE READ`` read-only transaction. ``progress(done, total)`` is called as
    rows are written. The format is described in the operations guide.
    """
    started = time.monotonic()
    with opened(store_or_url, schema) as store:
        if isinstance(file, str | os.PathLike):
            path = Path(file)
            handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
            try:
                with os.fdopen(handle, "wb") as stream:
                    info = _backup_to(store, stream, progress)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(partial, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(partial)
                raise
        else:
            info = _backup_to(store, file, progress)
        log_done("backup", store, info, file, started)
        return info


def _backup_to(store: Store, stream: IO[bytes], progress: Progress | None) -> BackupInfo:
    if store.backend == "postgresql":
        with _Scope(store, readonly=True, check=False) as tx:
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _export(tx, store, stream, progress)
    from commercekit.storage._sqlite import SqliteBackend

    with tempfile.TemporaryDirectory(prefix="commercekit-backup-") as scratch:
        copy = os.path.join(scratch, "snapshot.db")
        target = sqlite3.connect(copy)
        backend = store._backend
        conn = backend.acquire()
        try:
            conn.backup(target)  # one step: a consistent snapshot, writers go on (WAL)
        except sqlite3.Error as exc:
            raise backend.translate(exc) from exc
        finally:
            backend.release(conn)
            target.close()
        snapshot = Store(
            SqliteBackend(copy, busy_timeout=30.0), url=f"a snapshot of {store.url}", areas=()
        )
        with snapshot, _Scope(snapshot, readonly=True, check=False) as tx:
            return _export(tx, store, stream, progress)


def _schema_of(tx: Transaction, areas: Sequence[Area]) -> SchemaState:
    state = read_state(tx._backend, tx._conn)
    if state.areas:
        return SchemaState(dict(state.areas))
    # A commercekit 0.1 database, never migrated since: its global version, mapped per area.
    return SchemaState({name: AreaVersion(v) for name, v in _mapped(state, areas).items() if v})


def _export(
    tx: Transaction, store: Store, stream: IO[bytes], progress: Progress | None
) -> BackupInfo:
    state = _schema_of(tx, store.areas)
    versions = {name: row.version for name, row in state.areas.items()}
    stamps = timestamp_columns(store.areas, versions) if tx.dialect == "sqlite" else frozenset()
    tables = read_tables(tx, stamps)
    for table in tables:
        odd = [t for t in table.types if t not in ("integer", "text", "timestamp")]
        if odd:
            raise StorageError(
                f"table {table.name} has a column of a type backups do not carry: {odd}"
            )
    rows = {
        t.name: int(tx.execute(f"SELECT count(*) FROM {quote(t.name)}").fetchone()[0])
        for t in tables
    }
    info = BackupInfo(
        backend=store.backend,
        created_at=store.clock.now(),
        schema=state,
        rows=rows,
        library_version=_library_version(),
    )
    writer = Writer(stream)
    writer.line(
        {
            "format": "commercekit-backup",
            "format_version": FORMAT_VERSION,
            "library_version": info.library_version,
            "backend": info.backend,
            "created_at": db_text_time(info.created_at),
            "schema": {
                name: {"version": row.version, "min_code_version": row.min_code_version}
                for name, row in sorted(state.areas.items())
            },
            "tables": rows,
        }
    )
    done, total = 0, info.total_rows
    if progress is not None:
        progress(0, total)
    for table in tables:
        writer.line({"table": table.name, "columns": table.columns, "types": table.types})
        written = 0
        for batch in _rows(tx, table):
            for row in batch:
                try:
                    writer.line([plain(value) for value in row])
                except TypeError as exc:
                    raise StorageError(
                        f"table {table.name} holds a value of a type backups do not carry: {exc}"
                    ) from None
            written += len(batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
        if written != rows[table.name]:  # pragma: no cover - the snapshot is consistent
            raise StorageError(f"table {table.name} changed while it was read: not a snapshot")
    writer.finish(rows)
    return info


def _rows(tx: Transaction, table: Table) -> Iterator[list[Any]]:
    """The table's rows in key order, in batches, without holding them all in memory."""
    columns = ", ".join(quote(c) for c in table.columns)
    order = ", ".join(
        quote(c) + (' COLLATE "C"' if tx.dialect == "postgresql" and kind == "text" else "")
        for c in table.key
        for kind in [table.types[table.columns.index(c)]]
    )
    select = f"SELECT {columns} FROM {quote(table.name)} ORDER BY {order}"
    if tx.dialect == "sqlite":
        cursor: Any = tx.execute(select)
        while batch := cursor.fetchmany(_BATCH_ROWS):
            yield batch
        return
    tx.execute(f"DECLARE ck_backup_rows NO SCROLL CURSOR FOR {select}")
    while batch := tx.execute(f"FETCH FORWARD {_BATCH_ROWS} FROM ck_backup_rows").fetchall():
        yield batch
    tx.execute("CLOSE ck_backup_rows")
