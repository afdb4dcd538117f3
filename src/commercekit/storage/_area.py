"""The store's own area: aggregates, idempotency records and the outbox, which every area uses."""

from __future__ import annotations

from datetime import datetime

from commercekit.ports import IDEMPOTENCY, OUTBOX, Area, PruneRule, SqlTransaction
from commercekit.storage._records import SqlIdempotencyRepository, SqlOutboxRepository
from commercekit.storage._schema import CORE_MIGRATIONS

__all__ = ["CORE_AREA"]


def _old_idempotency(tx: SqlTransaction, cutoff: datetime) -> int:
    return tx.repository(IDEMPOTENCY).delete_older_than(cutoff)


def _delivered_events(tx: SqlTransaction, cutoff: datetime) -> int:
    return tx.repository(OUTBOX).delete_delivered(before=cutoff)


def _dead_events(tx: SqlTransaction, cutoff: datetime) -> int:
    return tx.repository(OUTBOX).delete_dead(before=cutoff)


#: Always the first area of a store (it is not listed in ``BUILTIN_AREAS``).
CORE_AREA = Area(
    "core",
    migrations=CORE_MIGRATIONS,
    repositories={IDEMPOTENCY: SqlIdempotencyRepository, OUTBOX: SqlOutboxRepository},
    prune=(
        PruneRule("idempotency_records", "idempotency_older_than", _old_idempotency),
        PruneRule("outbox_events", "outbox_delivered_for", _delivered_events),
        PruneRule("dead_outbox_events", "outbox_dead_for", _dead_events),
    ),
)
