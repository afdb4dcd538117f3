"""How an area plugs into a store: its tables, repositories, prune rules and codec hooks.

Each area (inventory, pricing, carts, and later orders or payments) declares one
:class:`Area` value; :data:`commercekit.areas.BUILTIN_AREAS` lists the built-in ones once, and
the store and the codec read that list. Nothing else names an area, so a new area adds one line
there (or a host passes its own areas to :func:`~commercekit.open_store`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs
import cattrs

from commercekit.errors import ConfigurationError
from commercekit.ports._storage import RepositoryKey, TransactionPort

__all__ = ["Area", "Cursor", "Migration", "PruneRule", "SqlTransaction"]

R = TypeVar("R")

_DIALECT_TYPES = {
    "sqlite": {"ts": "TEXT", "int": "INTEGER", "id": "INTEGER PRIMARY KEY", "strict": " STRICT"},
    "postgresql": {
        "ts": "TIMESTAMPTZ",
        "int": "BIGINT",
        "id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "strict": "",
    },
}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class Cursor(Protocol):
    """The slice of a DB-API cursor repositories use (``sqlite3`` and ``psycopg`` both fit)."""

    @property
    def rowcount(self) -> int:
        """Rows the statement changed."""
        ...

    def fetchone(self) -> Any:
        """The next row, or ``None``."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...


class SqlTransaction(TransactionPort, Protocol):
    """What an area's SQL repositories get from the store: statements and time conversion.

    Statements use ``?`` placeholders and the SQL both SQLite and PostgreSQL accept;
    ``dialect`` (``"sqlite"`` or ``"postgresql"``) is there for the rare statement that differs.
    """

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one parameterized statement in this transaction."""
        ...

    def db_now(self) -> Any:
        """:meth:`now` as this backend stores timestamps."""
        ...

    def db_time(self, moment: datetime) -> Any:
        """``moment`` as this backend stores timestamps."""
        ...

    def py_time(self, value: Any) -> datetime:
        """A stored timestamp as an aware UTC datetime."""
        ...


@attrs.frozen
class Migration:
    """One schema step of an area: statements written once for both dialects.

    Placeholders: ``{ts}`` a UTC timestamp, ``{int}`` a 64-bit integer, ``{id}`` an
    auto-numbered primary key, ``{strict}`` SQLite's STRICT option. ``min_code_version`` is the
    oldest version of the area's code that keeps working once this migration is applied (1 for
    an additive migration: expand first, contract later). ``legacy_version`` is the global schema
    version (commercekit 0.1's single version number) that created these tables, if any, so a
    database from before per-area versions maps forward without running it again.
    """

    version: int
    name: str
    statements: tuple[str, ...]
    min_code_version: int = 1
    legacy_version: int | None = None

    def sql_for(self, dialect: str) -> list[str]:
        """The statements with the dialect's column types filled in."""
        return [statement.format(**_DIALECT_TYPES[dialect]) for statement in self.statements]


@attrs.frozen
class PruneRule:
    """Housekeeping an area offers to :meth:`Store.prune <commercekit.storage.Store.prune>`.

    ``option`` is the keyword argument that turns it on, an age (``carts_idle_for=...``);
    ``None`` means the rule always runs (releasing expired reservations). ``run(tx, cutoff)``
    removes what is older than ``cutoff`` (``now`` for an always-run rule) and returns a count,
    reported under ``name``.
    """

    name: str
    option: str | None
    run: Callable[[SqlTransaction, datetime], int]


Factory = Callable[[SqlTransaction], Any]


@attrs.frozen
class Area:
    """Everything one area brings to a store, in one value.

    ``repositories`` maps each :class:`~commercekit.ports.RepositoryKey` the area declares to a
    factory building its SQL repository inside a transaction; ``migrations`` are the area's own,
    numbered from 1; ``prune`` its housekeeping rules; ``codec_hooks`` teach the JSON converter
    the area's types (``hook(converter)``).
    """

    name: str
    migrations: tuple[Migration, ...] = ()
    repositories: Mapping[RepositoryKey[Any], Factory] = attrs.field(factory=dict)
    prune: tuple[PruneRule, ...] = ()
    codec_hooks: tuple[Callable[[cattrs.Converter], None], ...] = ()

    def __attrs_post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ConfigurationError(
                f"an area name is lower-case letters, digits, _: {self.name!r}"
            )
        versions = [migration.version for migration in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise ConfigurationError(
                f"area {self.name!r} must number its migrations 1, 2, 3, ...: got {versions}"
            )

    @property
    def version(self) -> int:
        """The schema version this code of the area needs (its last migration; 0 if none)."""
        return len(self.migrations)
