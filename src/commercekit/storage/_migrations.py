"""Versioned schema migrations, additive first, and the check that a schema is usable.

Each :class:`Migration` records, beside its statements, ``min_code_version``: the oldest
library schema version whose code still works once the migration is applied. An additive
("expand") migration keeps it at 1, so processes running the previous release carry on during a
rolling deploy; a migration that removes or renames ("contract") raises it to its own version,
and older code then stops with :class:`~commercekit.errors.SchemaVersionError` instead of
misreading data. The applied migrations and their ``min_code_version`` live in
``ck_schema_migrations``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from commercekit.errors import SchemaVersionError
from commercekit.storage._backend import Backend
from commercekit.storage._schema import V1_TABLES
from commercekit.storage._schema_inventory import V2_TABLES

__all__ = ["MIGRATIONS", "Migration", "SchemaState", "check_schema", "migrate", "read_state"]

_TYPES = {
    "sqlite": {"ts": "TEXT", "int": "INTEGER", "id": "INTEGER PRIMARY KEY", "strict": " STRICT"},
    "postgresql": {
        "ts": "TIMESTAMPTZ",
        "int": "BIGINT",
        "id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "strict": "",
    },
}


@attrs.frozen
class Migration:
    """One schema step: statements written once, with ``{ts}``/``{int}``/``{id}``/``{strict}``.

    ``min_code_version`` is the oldest library schema version that keeps working after this
    migration (1 for an additive migration).
    """

    version: int
    name: str
    statements: tuple[str, ...]
    min_code_version: int = 1

    def sql_for(self, dialect: str) -> list[str]:
        """The statements with the dialect's column types filled in."""
        return [statement.format(**_TYPES[dialect]) for statement in self.statements]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial tables", V1_TABLES),
    Migration(2, "inventory: bundles, stock policies, low-stock thresholds", V2_TABLES),
)

_CREATE_LEDGER = (
    "CREATE TABLE IF NOT EXISTS ck_schema_migrations ("
    " version {int} PRIMARY KEY, name TEXT NOT NULL, min_code_version {int} NOT NULL,"
    " applied_at {ts} NOT NULL){strict}"
)


@attrs.frozen
class SchemaState:
    """What a database holds: its schema version and the oldest code version it admits."""

    version: int
    min_code_version: int
    applied: tuple[int, ...]


Execute = Callable[[str, tuple[Any, ...]], Any]


def read_state(backend: Backend, conn: Any) -> SchemaState:
    """Read ``ck_schema_migrations`` (an unmigrated database is version 0)."""
    probe = (
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ck_schema_migrations'"
        if backend.name == "sqlite"
        else "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        " AND tablename = 'ck_schema_migrations'"
    )
    if backend.execute(conn, probe, ()).fetchone()[0] == 0:
        return SchemaState(0, 1, ())
    rows = backend.execute(
        conn, "SELECT version, min_code_version FROM ck_schema_migrations ORDER BY version", ()
    ).fetchall()
    applied = tuple(int(row[0]) for row in rows)
    return SchemaState(
        version=max(applied, default=0),
        min_code_version=max((int(row[1]) for row in rows), default=1),
        applied=applied,
    )


def check_schema(state: SchemaState, *, url: str, migrations: tuple[Migration, ...]) -> None:
    """Raise :class:`SchemaVersionError` unless this library can work on ``state``."""
    code_version = migrations[-1].version
    if state.version < code_version:
        missing = sorted({m.version for m in migrations} - set(state.applied))
        raise SchemaVersionError(
            f"the database at {url} is at schema version {state.version}, this library needs "
            f"{code_version} (missing {missing}): run `commercekit migrate {url}` or "
            "store.migrate(), or open the store with migrate=True"
        )
    if state.min_code_version > code_version:
        raise SchemaVersionError(
            f"the database at {url} is at schema version {state.version}, which needs a library "
            f"that knows schema version {state.min_code_version} or newer; this one knows "
            f"{code_version}: upgrade commercekit"
        )


def migrate(
    backend: Backend, conn: Any, now: datetime, migrations: tuple[Migration, ...]
) -> list[int]:
    """Apply the missing migrations inside the caller's write transaction; return their versions.

    The caller holds the migration lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
    PostgreSQL), so concurrent callers run one after the other and the second finds nothing to do.
    """
    backend.lock_for_migration(conn)
    backend.execute(conn, _CREATE_LEDGER.format(**_TYPES[backend.name]), ())
    state = read_state(backend, conn)
    done: list[int] = []
    for migration in migrations:
        if migration.version in state.applied:
            continue
        for statement in migration.sql_for(backend.name):
            backend.execute(conn, statement, ())
        backend.execute(
            conn,
            "INSERT INTO ck_schema_migrations (version, name, min_code_version, applied_at)"
            " VALUES (?, ?, ?, ?)",
            (
                migration.version,
                migration.name,
                migration.min_code_version,
                backend.to_db_time(now),
            ),
        )
        done.append(migration.version)
    return done
