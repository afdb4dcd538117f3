"""Per-area schema migrations, additive first, and the check that a schema is usable.

Every area numbers its own migrations from 1 and the database keeps one row per area in
``ck_schema_versions``: the area's version and ``min_code_version``, the oldest version of the
area's code that still works on it. An additive ("expand") migration keeps that at 1, so
processes running the previous release carry on during a rolling deploy; a migration that
removes or renames ("contract") raises it, and older code then stops with
:class:`~commercekit.errors.SchemaVersionError` instead of misreading data.

A database made before per-area versions (commercekit 0.1) kept one global version in
``ck_schema_migrations``; the first migration maps it forward through each migration's
``legacy_version`` and leaves the old table as it was, so 0.1 processes keep running beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from commercekit.errors import SchemaVersionError
from commercekit.ports import Area, Migration
from commercekit.storage._backend import Backend

__all__ = ["AreaVersion", "SchemaState", "check_schema", "migrate", "pending", "read_state"]

_CREATE_VERSIONS = Migration(
    0,
    "per-area schema versions",
    (
        "CREATE TABLE IF NOT EXISTS ck_schema_versions ("
        " area TEXT PRIMARY KEY, version {int} NOT NULL CHECK (version >= 0),"
        " min_code_version {int} NOT NULL, updated_at {ts} NOT NULL){strict}",
    ),
)


@attrs.frozen
class AreaVersion:
    """One area's row: its schema version and the oldest code version it admits."""

    version: int
    min_code_version: int = 1


@attrs.frozen
class SchemaState:
    """What a database holds: each area's schema version (an area not there is at 0).

    >>> from commercekit.storage import AreaVersion, SchemaState
    >>> state = SchemaState({"core": AreaVersion(1), "inventory": AreaVersion(2)})
    >>> state.version("inventory"), state.version("orders"), str(state)
    (2, 0, 'core 1, inventory 2')
    """

    areas: dict[str, AreaVersion] = attrs.field(factory=dict)
    #: The global version of a database from before per-area versions (0 if there was none).
    legacy_version: int = 0

    def version(self, area: str) -> int:
        """The schema version of ``area`` in the database (0: none of its tables)."""
        found = self.areas.get(area)
        return 0 if found is None else found.version

    def __str__(self) -> str:
        return ", ".join(f"{name} {row.version}" for name, row in sorted(self.areas.items()))


def _has_table(backend: Backend, conn: Any, name: str) -> bool:
    probe = (
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
        if backend.name == "sqlite"
        else "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
    )
    return bool(backend.execute(conn, probe, (name,)).fetchone()[0])


def read_state(backend: Backend, conn: Any) -> SchemaState:
    """Read ``ck_schema_versions`` (and the global version of a 0.1 database, if any)."""
    legacy = 0
    if _has_table(backend, conn, "ck_schema_migrations"):
        row = backend.execute(conn, "SELECT max(version) FROM ck_schema_migrations", ()).fetchone()
        legacy = int(row[0] or 0)
    if not _has_table(backend, conn, "ck_schema_versions"):
        return SchemaState({}, legacy)
    rows = backend.execute(
        conn, "SELECT area, version, min_code_version FROM ck_schema_versions", ()
    ).fetchall()
    return SchemaState({str(r[0]): AreaVersion(int(r[1]), int(r[2])) for r in rows}, legacy)


def _mapped(state: SchemaState, areas: Sequence[Area]) -> dict[str, int]:
    """For a 0.1 database not yet mapped: the version each area's tables reached in it."""
    if state.areas or not state.legacy_version:
        return {}
    return {
        area.name: max(
            (
                m.version
                for m in area.migrations
                if m.legacy_version is not None and m.legacy_version <= state.legacy_version
            ),
            default=0,
        )
        for area in areas
    }


def pending(state: SchemaState, areas: Sequence[Area]) -> list[tuple[str, int]]:
    """The ``(area, version)`` migrations the database lacks, in the order they would run."""
    mapped = _mapped(state, areas)
    missing: list[tuple[str, int]] = []
    for area in areas:
        have = mapped.get(area.name, state.version(area.name))
        missing.extend((area.name, m.version) for m in area.migrations if m.version > have)
    return missing


def check_schema(state: SchemaState, *, url: str, areas: Sequence[Area], hint: str) -> None:
    """Raise :class:`SchemaVersionError` unless this library's areas can work on ``state``."""
    if _mapped(state, areas) or pending(state, areas):
        needs = ", ".join(f"{a.name} {a.version}" for a in areas if a.migrations)
        have = str(state) or (
            f"global version {state.legacy_version}" if state.legacy_version else "none"
        )
        raise SchemaVersionError(
            f"the database at {url} is at schema versions ({have}), this library needs "
            f"({needs}): run `{hint}` or store.migrate(), or open the store with migrate=True"
        )
    for area in areas:
        row = state.areas.get(area.name)
        if row is not None and row.min_code_version > area.version:
            raise SchemaVersionError(
                f"the database at {url} has {area.name} at schema version {row.version}, which "
                f"needs a library that knows {area.name} version {row.min_code_version} or "
                f"newer; this one knows {area.version}: upgrade commercekit"
            )


def migrate(
    backend: Backend, conn: Any, now: datetime, areas: Sequence[Area]
) -> list[tuple[str, int]]:
    """Apply the missing migrations inside the caller's write transaction; return them.

    The caller holds the migration lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
    PostgreSQL), so concurrent callers run one after the other and the second finds nothing.
    """
    backend.lock_for_migration(conn)
    state = read_state(backend, conn)
    mapped = _mapped(state, areas)
    for statement in _CREATE_VERSIONS.sql_for(backend.name):
        backend.execute(conn, statement, ())
    stamp = backend.to_db_time(now)
    done: list[tuple[str, int]] = []
    for area in areas:
        if not area.migrations:
            continue
        have = mapped.get(area.name, state.version(area.name))
        todo = [m for m in area.migrations if m.version > have]
        for migration in todo:
            for statement in migration.sql_for(backend.name):
                backend.execute(conn, statement, ())
            done.append((area.name, migration.version))
        if not todo and area.name not in mapped:
            continue
        row = state.areas.get(area.name)
        floor = max(
            [m.min_code_version for m in area.migrations[: have + len(todo)]]
            + [row.min_code_version if row else 1]
        )
        backend.execute(
            conn,
            "INSERT INTO ck_schema_versions (area, version, min_code_version, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (area) DO UPDATE SET version = excluded.version,"
            " min_code_version = excluded.min_code_version, updated_at = excluded.updated_at",
            (area.name, have + len(todo), floor, stamp),
        )
    return done
