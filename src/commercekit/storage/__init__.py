"""Persistence: one :func:`open_store` for ``memory://``, SQLite and PostgreSQL.

>>> from commercekit.ports import STOCK
>>> from commercekit.storage import MovementKind, open_store
>>> with open_store("memory://") as store:
...     with store.transaction() as tx:
...         stock = tx.repository(STOCK)      # typed; tx.stock is the untyped shorthand
...         level = stock.move("TEE-M", "main", 10, MovementKind.RECEIVE)
...         stock.reserve("TEE-M", "main", 3)
...     with store.transaction(readonly=True) as tx:
...         tx.stock.level("TEE-M", "main").available
True
7

Every backend runs the same SQL (migrations per area, guarded counters, versioned aggregates)
and passes the same contract suite. Each area registers its own tables and repositories (see
:mod:`commercekit.areas`); the store reads that registry. See the storage guide for choosing a
backend, and :func:`backup` and :func:`restore` for moving a shop between them.

The records re-exported here (``StockLevel``, ``Reservation``, ``UsageCount``, ...) belong to
their areas (:mod:`commercekit.inventory`, :mod:`commercekit.pricing`,
:mod:`commercekit.records`) and stay importable from here for code written against 0.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from commercekit.clock import SystemClock
from commercekit.errors import ConfigurationError
from commercekit.inventory import (
    MovementKind,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from commercekit.ports import AggregateKind, Area, Clock
from commercekit.pricing import UsageCount
from commercekit.records import IdempotencyRecord, OutboxEvent, PruneReport
from commercekit.storage._aggregates import SqlAggregateRepository
from commercekit.storage._area import CORE_AREA
from commercekit.storage._backend import Backend
from commercekit.storage._backup import BackupInfo, backup
from commercekit.storage._migrations import AreaVersion, SchemaState
from commercekit.storage._records import SqlIdempotencyRepository, SqlOutboxRepository
from commercekit.storage._restore import restore, verify_backup
from commercekit.storage._store import DEFAULT_SLOW_TRANSACTION, Store, Transaction
from commercekit.storage._url import DEFAULT_URL, URL_ENV, check_schema_name, parse_url

__all__ = [
    "CORE_AREA",
    "DEFAULT_URL",
    "URL_ENV",
    "AggregateKind",
    "AreaVersion",
    "BackupInfo",
    "IdempotencyRecord",
    "MovementKind",
    "OutboxEvent",
    "PruneReport",
    "Reservation",
    "ReservationLine",
    "ReservationStatus",
    "SchemaState",
    "SqlAggregateRepository",
    "SqlIdempotencyRepository",
    "SqlOutboxRepository",
    "StockLevel",
    "StockMovement",
    "Store",
    "Transaction",
    "UsageCount",
    "backup",
    "open_store",
    "restore",
    "verify_backup",
]

DEFAULT_SCHEMA = "commercekit"


def open_store(
    url: str | None = None,
    *,
    schema: str | None = None,
    clock: Clock | None = None,
    migrate: bool | None = None,
    busy_timeout: float = 30.0,
    pool_size: int = 10,
    connect_timeout: float | None = None,
    areas: Sequence[Area] | None = None,
    slow_transaction: timedelta | None = DEFAULT_SLOW_TRANSACTION,
) -> Store:
    """Open a store.

    ``url`` is ``memory://``, ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``
    or ``postgresql://user:password@host:port/database``; without one, the
    ``COMMERCEKIT_DATABASE_URL`` environment variable, else ``sqlite:///commercekit.db`` (relative
    to the current directory: processes started in different directories would open different
    files, so give services an absolute path). A SQLite URL may say ``?mode=ro`` (read only:
    every write transaction is refused), ``?mode=rw`` (the file must exist) or ``?mode=rwc``
    (the default); any other option is a :class:`~commercekit.errors.ConfigurationError`.

    ``schema`` (PostgreSQL only, default ``"commercekit"``) is the schema the tables live in.
    ``migrate``: apply missing migrations on open; by default yes for ``memory://`` and SQLite,
    no for PostgreSQL, whose schema is migrated once per deploy (``commercekit migrate URL``).
    ``busy_timeout`` is how long a write waits for a lock or a pooled connection, in seconds;
    ``pool_size`` bounds the PostgreSQL connection pool of each process. ``connect_timeout``
    bounds each new PostgreSQL connection, in whole seconds (at least 2, libpq's minimum); by
    default the URL's ``connect_timeout`` if it has one, else 5. When the server cannot be used,
    opening fails within it and says why (``connection refused``, ``database "shop" does not
    exist``). ``areas`` are the areas whose tables and repositories the store serves (default
    :data:`~commercekit.areas.BUILTIN_AREAS`; the store's own area always comes first).
    A transaction taking longer than ``slow_transaction`` (default 1 s; ``None``: never) is
    logged as a WARNING on ``commercekit.storage`` (see the logging guide).
    """
    parsed = parse_url(url)
    if (
        isinstance(busy_timeout, bool)
        or not isinstance(busy_timeout, int | float)
        or not (0 < busy_timeout <= 3600)
    ):
        raise ConfigurationError(f"busy_timeout is seconds in (0, 3600], got {busy_timeout!r}")
    if connect_timeout is not None and (
        isinstance(connect_timeout, bool)
        or not isinstance(connect_timeout, int | float)
        or not (0 < connect_timeout <= 3600)
    ):
        raise ConfigurationError(
            f"connect_timeout is seconds in (0, 3600], got {connect_timeout!r}"
        )
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or not 1 <= pool_size <= 1000:
        raise ConfigurationError(f"pool_size must be an int from 1 to 1000, got {pool_size!r}")
    hint = f"commercekit migrate {parsed.redacted}"
    if parsed.backend == "postgresql":
        from commercekit.storage._postgres import PostgresBackend

        schema_name = check_schema_name(schema if schema is not None else DEFAULT_SCHEMA)
        if schema is not None:
            hint += f" --schema {schema_name}"
        backend: Backend = PostgresBackend(
            parsed.target,
            redacted=parsed.redacted,
            schema=schema_name,
            pool_size=pool_size,
            timeout=float(busy_timeout),
            connect_timeout=None if connect_timeout is None else float(connect_timeout),
        )
    else:
        from commercekit.storage._sqlite import SqliteBackend

        if schema is not None:
            raise ConfigurationError(
                "the schema option is for PostgreSQL; SQLite keeps commercekit's tables beside "
                "yours under the ck_ prefix"
            )
        backend = SqliteBackend(parsed.target, busy_timeout=float(busy_timeout))
    try:
        store = Store(
            backend,
            url=parsed.redacted,
            clock=clock if clock is not None else SystemClock(),
            areas=areas,
            migrate_hint=hint,
            slow_transaction=slow_transaction,
        )
    except BaseException:
        backend.close()
        raise
    if migrate if migrate is not None else parsed.backend != "postgresql":
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store
