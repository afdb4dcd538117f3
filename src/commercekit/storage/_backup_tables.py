"""Which tables a backup holds: commercekit's ``ck_`` tables, read from the database catalog.

Tables come from the catalog rather than from a list, so a table an area adds later is backed up
without anyone naming it. They are ordered so that every table comes after the tables its
foreign keys point to (ties by name), which is the order a restore inserts them in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from commercekit.ports import Area
from commercekit.storage._store import Transaction

__all__ = [
    "SCHEMA_TABLES",
    "Table",
    "db_text_time",
    "plain",
    "quote",
    "read_tables",
    "timestamp_columns",
]

#: The tables that describe the schema rather than hold data: a backup records their content
#: in its header (the version of every area) and a restore rebuilds them by migrating.
SCHEMA_TABLES = frozenset({"ck_schema_versions", "ck_schema_migrations"})

_PG_TABLES = (
    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
    " AND c.relkind IN ('r', 'p')"
)
_PG_COLUMNS = (
    "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns"
    " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
)
_PG_KEYS = (
    "SELECT t.relname, c.contype, p.relname, ARRAY(SELECT a.attname FROM unnest(c.conkey)"
    " WITH ORDINALITY AS k(num, n) JOIN pg_attribute a ON a.attrelid = c.conrelid"
    " AND a.attnum = k.num ORDER BY k.n)"
    " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
    " LEFT JOIN pg_class p ON p.oid = c.confrelid"
    " WHERE c.connamespace = current_schema()::regnamespace AND c.contype IN ('p', 'f')"
)
_PG_TYPES = {
    "bigint": "integer",
    "integer": "integer",
    "smallint": "integer",
    "text": "text",
    "timestamp with time zone": "timestamp",
}


@attrs.frozen
class Table:
    """One table as the catalog describes it."""

    name: str
    columns: tuple[str, ...]
    #: ``"integer"``, ``"text"`` or ``"timestamp"`` per column.
    types: tuple[str, ...]
    #: The primary key's columns (rows are written in its order), or every column if none.
    key: tuple[str, ...]
    #: The tables this one's foreign keys refer to.
    parents: frozenset[str] = frozenset()
    #: The auto-numbered column (PostgreSQL identity), whose sequence a restore moves on.
    identity: str | None = None


def quote(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def db_text_time(moment: datetime) -> str:
    """The fixed-width ISO 8601 UTC text SQLite stores, the backup's spelling of a timestamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_tables(
    tx: Transaction, timestamps: frozenset[tuple[str, str]] = frozenset()
) -> list[Table]:
    """The ``ck_`` data tables of this transaction's database, parents first.

    ``timestamps`` names the ``(table, column)`` pairs SQLite keeps as text but that hold
    timestamps (PostgreSQL's catalog says so itself).
    """
    tables = _sqlite_tables(tx, timestamps) if tx.dialect == "sqlite" else _pg_tables(tx)
    return _ordered([t for t in tables if t.name.startswith("ck_") and t.name not in SCHEMA_TABLES])


def _sqlite_tables(tx: Transaction, timestamps: frozenset[tuple[str, str]]) -> list[Table]:
    names = [
        str(row[0])
        for row in tx.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    ]
    tables: list[Table] = []
    for name in names:
        if not name.startswith("ck_"):
            continue
        info = tx.execute(f"PRAGMA table_info({quote(name)})").fetchall()
        columns = tuple(str(row[1]) for row in info)
        types = tuple(
            "timestamp"
            if (name, str(row[1])) in timestamps
            else ("integer" if "INT" in str(row[2]).upper() else "text")
            for row in info
        )
        key = tuple(str(row[1]) for row in sorted(info, key=lambda r: int(r[5])) if int(row[5]))
        parents = frozenset(
            str(row[2]) for row in tx.execute(f"PRAGMA foreign_key_list({quote(name)})").fetchall()
        )
        tables.append(Table(name, columns, types, key or columns, parents - {name}))
    return tables


def _pg_tables(tx: Transaction) -> list[Table]:
    names = {str(row[0]) for row in tx.execute(_PG_TABLES).fetchall()}
    columns: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, identity in tx.execute(_PG_COLUMNS).fetchall():
        if table in names:
            kind = _PG_TYPES.get(str(data_type), f"unsupported {data_type}")
            columns.setdefault(str(table), []).append((str(column), kind, identity == "YES"))
    keys: dict[str, tuple[str, ...]] = {}
    parents: dict[str, set[str]] = {}
    for table, kind, parent, key_columns in tx.execute(_PG_KEYS).fetchall():
        if kind == "p":
            keys[str(table)] = tuple(str(c) for c in key_columns)
        elif parent is not None and parent != table:
            parents.setdefault(str(table), set()).add(str(parent))
    tables: list[Table] = []
    for name in sorted(columns):
        found = columns[name]
        names_ = tuple(c for c, _, _ in found)
        identity = next((c for c, _, is_identity in found if is_identity), None)
        tables.append(
            Table(
                name,
                names_,
                tuple(kind for _, kind, _ in found),
                keys.get(name, names_),
                frozenset(parents.get(name, ())),
                identity,
            )
        )
    return tables


def _ordered(tables: Sequence[Table]) -> list[Table]:
    """Parents before children, by name among those that are free (a deterministic order)."""
    left = {table.name: table for table in tables}
    ordered: list[Table] = []
    while left:
        ready = (
            sorted(name for name, table in left.items() if not (table.parents & left.keys()))
            or sorted(left)[:1]
        )  # a cycle of foreign keys: break it by name
        for name in ready:
            ordered.append(left.pop(name))
    return ordered


def timestamp_columns(
    areas: Sequence[Area], versions: Mapping[str, int]
) -> frozenset[tuple[str, str]]:
    """The ``(table, column)`` pairs the areas' migrations, up to ``versions``, declare ``{ts}``.

    SQLite stores timestamps as text, so its catalog cannot tell them from other text: the
    migrations are replayed into a scratch in-memory database with ``{ts}`` spelled as a type
    of its own, and the declared types are read back. A statement the scratch database refuses
    is skipped (its columns are then written as text, which restores the same).
    """
    probe = sqlite3.connect(":memory:")
    found: set[tuple[str, str]] = set()
    try:
        for area in areas:
            for migration in area.migrations[: versions.get(area.name, 0)]:
                for statement in migration.statements:
                    sql = statement.format(
                        ts="CK_TIMESTAMP", int="INTEGER", id="INTEGER PRIMARY KEY", strict=""
                    )
                    try:
                        probe.execute(sql)
                    except sqlite3.Error:
                        continue
        names = [
            row[0] for row in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for name in names:
            for row in probe.execute(f"PRAGMA table_info({quote(name)})"):
                if row[2] == "CK_TIMESTAMP":
                    found.add((str(name), str(row[1])))
    finally:
        probe.close()
    return frozenset(found)


def plain(value: Any) -> Any:
    """A value as the backup writes it: int, str or None; a timestamp as UTC text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return db_text_time(value)
    raise TypeError(type(value).__name__)
