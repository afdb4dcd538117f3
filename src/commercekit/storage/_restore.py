"""Restore: a backup file into an empty store of either backend, in one transaction.

The tables are created at the backup's schema versions (each area's migrations cut there), the
rows loaded in the file's order (parents first), PostgreSQL's identity sequences moved past
them, and then this library's later migrations applied. Any failure, a damaged file found at
its last line included, rolls all of it back.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any

import attrs

from commercekit.errors import BackupError, BackupSchemaError, RestoreRefusedError, StorageError
from commercekit.ports import Area
from commercekit.storage._backup import (
    BackupFile,
    BackupInfo,
    Progress,
    log_done,
    name_of,
    opened,
)
from commercekit.storage._backup_file import Reader
from commercekit.storage._backup_tables import Table, quote, read_tables
from commercekit.storage._migrations import AreaVersion, SchemaState, _mapped, migrate, read_state
from commercekit.storage._store import Store, Transaction, _Scope

__all__ = ["restore", "verify_backup"]

_BATCH_ROWS = 500  # rows per INSERT
_MAX_PARAMS = 30000  # below SQLite's 32766 and PostgreSQL's 65535 parameters per statement


def restore(
    file: BackupFile,
    store_or_url: Store | str,
    *,
    schema: str | None = None,
    progress: Progress | None = None,
) -> BackupInfo:
    """Restore a backup into an empty store of either backend; return what it held.

    ``store_or_url`` is a :class:`Store` or a URL (opened without migrating, with ``schema``
    on PostgreSQL, and closed afterwards). The target must be empty: a row in any of
    commercekit's tables is a :class:`~commercekit.errors.RestoreRefusedError`. A backup of a
    newer schema (an area version, or an area, this library does not know) is a
    :class:`~commercekit.errors.BackupSchemaError`; a damaged file a
    :class:`~commercekit.errors.BackupError`. Everything happens in one transaction, so on any
    error nothing is restored.

    A backup of an older schema is restored at its own versions and then migrated to this
    library's. That needs a target whose tables are not newer than the backup's (a new
    database, or a PostgreSQL schema nobody migrated yet); ``progress(done, total)`` is called
    as rows are loaded.
    """
    with _reading(file) as reader:
        return _restore_from(reader, store_or_url, schema, progress)


def verify_backup(file: BackupFile) -> BackupInfo:
    """Read a whole backup and check it, restoring nothing; return what it holds.

    Every line is parsed and the trailer's row counts and SHA-256 are checked, as a restore
    would: a damaged file is a :class:`~commercekit.errors.BackupError`. Use it on the copies
    kept off the machine (``commercekit verify FILE``).
    """
    with _reading(file) as reader:
        info = _info(reader)
        for _ in reader:  # the reader checks each line, and the trailer when it is reached
            pass
        return info


@contextlib.contextmanager
def _reading(file: BackupFile) -> Iterator[Reader]:
    if not isinstance(file, str | os.PathLike):
        yield Reader(file, name_of(file))
        return
    try:
        stream: IO[bytes] = open(file, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise BackupError(f"cannot read the backup {os.fspath(file)!r}: {exc}") from exc
    with stream:
        yield Reader(stream, name_of(file))


def _restore_from(
    reader: Reader, store_or_url: Store | str, schema: str | None, progress: Progress | None
) -> BackupInfo:
    info = _info(reader)
    started = time.monotonic()
    with opened(store_or_url, schema) as store:
        _check_versions(info, store)
        with _Scope(store, readonly=False, check=False) as tx:
            _load(tx, store, reader, info, progress)
        store._check_schema()
        log_done("restore", store, info, reader._name, started)
    return info


def _info(reader: Reader) -> BackupInfo:
    """What the backup's header says it holds (a malformed header is a BackupError)."""
    header = reader.read_header()
    try:
        state = SchemaState(
            {
                str(name): AreaVersion(int(row["version"]), int(row["min_code_version"]))
                for name, row in header["schema"].items()
            }
        )
        rows = {str(name): int(count) for name, count in header["tables"].items()}
        info = BackupInfo(
            backend=str(header["backend"]),
            created_at=datetime.fromisoformat(header["created_at"]).astimezone(UTC),
            schema=state,
            rows=rows,
            library_version=str(header["library_version"]),
            format_version=int(header["format_version"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BackupError(
            f"{reader._name} is not a usable commercekit backup: its header is malformed "
            f"({exc!r}); nothing was restored"
        ) from None
    return info


def _check_versions(info: BackupInfo, store: Store) -> None:
    known = {area.name: area for area in store.areas}
    for name, row in sorted(info.schema.areas.items()):
        area = known.get(name)
        if area is None:
            raise BackupSchemaError(
                f"the backup holds the area {name!r} (version {row.version}), which this "
                f"library does not know: restore it with commercekit {info.library_version} or "
                "newer (or open the store with the areas that made it)"
            )
        if row.version > area.version:
            raise BackupSchemaError(
                f"the backup is at {name} schema version {row.version}, newer than this "
                f"library's {area.version}: restore it with commercekit {info.library_version} "
                "or newer"
            )


def _at_versions(areas: Sequence[Area], versions: Mapping[str, int]) -> list[Area]:
    """The areas as they were at ``versions``: their migrations cut there."""
    return [
        attrs.evolve(area, migrations=area.migrations[: versions.get(area.name, 0)])
        for area in areas
    ]


def _load(
    tx: Transaction, store: Store, reader: Reader, info: BackupInfo, progress: Progress | None
) -> None:
    backend, conn = tx._backend, tx._conn
    backend.lock_for_migration(conn)  # one restore or migration at a time, schema created
    present = read_tables(tx)
    for table in present:
        if tx.execute(f"SELECT 1 FROM {quote(table.name)} LIMIT 1").fetchone() is not None:
            raise RestoreRefusedError(
                f"the store at {store.url} is not empty ({table.name} has rows): a backup "
                "restores into an empty store only (a new database, or a new PostgreSQL schema)"
            )
    current = read_state(backend, conn)
    versions = {name: row.version for name, row in info.schema.areas.items()}
    ahead = sorted(
        f"{a.name} {current.version(a.name)} > {versions.get(a.name, 0)}"
        for a in store.areas
        if current.version(a.name) > versions.get(a.name, 0)
    )
    if ahead or _mapped(current, store.areas):
        raise RestoreRefusedError(
            f"the store at {store.url} is already at a newer schema than the backup "
            f"({', '.join(ahead) or 'a commercekit 0.1 schema'}): restore into a new database "
            "or PostgreSQL schema, which the restore creates at the backup's versions and then "
            "migrates"
        )
    now = tx.now()
    migrate(backend, conn, now, _at_versions(store.areas, versions))
    if tx.dialect == "sqlite":
        tx.execute("PRAGMA defer_foreign_keys = ON")
    tables = {table.name: table for table in read_tables(tx)}
    missing = sorted(set(info.rows) - tables.keys())
    if missing:
        raise BackupError(
            f"the backup holds tables that its schema versions ({info.schema}) do not have: "
            f"{missing}; nothing was restored"
        )
    items = iter(reader)
    try:
        done = _insert(tx, tables, items, info.total_rows, progress)
    except StorageError as exc:
        if isinstance(exc, BackupError):
            raise
        # A damaged row may break a constraint before the checksum is reached: if the rest of
        # the file is damaged too, say that rather than what the database refused.
        try:
            for _ in items:
                pass
        except BackupError as damaged:
            raise damaged from exc
        raise
    for table in tables.values():
        if table.identity is not None:
            column, name = quote(table.identity), quote(table.name)
            tx.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(max({column}), 0) + 1,"
                f" false) FROM {name}",
                (name, table.identity),
            )
    migrate(backend, conn, now, store.areas)
    if progress is not None:
        progress(done, info.total_rows)


def _insert(
    tx: Transaction,
    tables: Mapping[str, Table],
    items: Iterator[tuple[str, list[str], list[str]] | list[Any]],
    total: int,
    progress: Progress | None,
) -> int:
    """Insert every row the reader yields, table by table; return how many."""
    done = 0
    if progress is not None:
        progress(0, total)
    batch: list[list[Any]] = []
    loader: _Loader | None = None
    for item in items:
        if isinstance(item, tuple):
            if loader is not None:
                done += loader.flush(batch)
            name, columns, _ = item
            loader = _Loader(tx, tables[name], columns)
            batch = []
            if progress is not None:
                progress(done, total)
            continue
        assert loader is not None  # the reader yields a table's line before its rows
        batch.append(item)
        if len(batch) >= loader.batch:
            done += loader.flush(batch)
            batch = []
            if progress is not None:
                progress(done, total)
    if loader is not None:
        done += loader.flush(batch)
    return done


class _Loader:
    """Inserts one table's rows, a batch per statement, converted to the target's types."""

    def __init__(self, tx: Transaction, table: Table, columns: list[str]) -> None:
        if sorted(columns) != sorted(table.columns):
            raise BackupError(
                f"the backup's table {table.name} has the columns {columns}, the store's has "
                f"{list(table.columns)} at the same schema versions; nothing was restored"
            )
        self._tx = tx
        self._table = table
        self._times = [
            i
            for i, column in enumerate(columns)
            if tx.dialect == "postgresql"
            and table.types[table.columns.index(column)] == "timestamp"
        ]
        self.batch = max(1, min(_BATCH_ROWS, _MAX_PARAMS // len(columns)))
        overriding = " OVERRIDING SYSTEM VALUE" if table.identity is not None else ""
        names = ", ".join(quote(c) for c in columns)
        head = f"INSERT INTO {quote(table.name)} ({names}){overriding} VALUES "
        one = "(" + ", ".join("?" for _ in columns) + ")"
        self._one = head + one
        self._many = head + ", ".join([one] * self.batch)

    def flush(self, rows: list[list[Any]]) -> int:
        """Insert ``rows`` (a full batch in one statement, fewer one by one); return the count."""
        if not rows:
            return 0
        for row in rows:
            for index in self._times:
                value = row[index]
                if value is not None:
                    try:
                        row[index] = datetime.fromisoformat(value)
                    except ValueError:
                        raise BackupError(
                            f"the backup's table {self._table.name} holds {value!r} where a "
                            "timestamp belongs; nothing was restored"
                        ) from None
        if len(rows) == self.batch:
            self._tx.execute(self._many, [value for row in rows for value in row])
        else:
            for row in rows:
                self._tx.execute(self._one, row)
        return len(rows)
