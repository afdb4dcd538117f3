"""The store's own tables: versioned aggregates, idempotency records and the outbox.

Written once for both dialects (see :class:`~commercekit.ports.Migration` for the
placeholders). Amounts are integer minor units; documents are canonical JSON text in which
amounts are exact decimal strings. Each area keeps its own tables beside its code.
"""

from __future__ import annotations

from commercekit.ports import Migration

__all__ = ["CORE_MIGRATIONS"]

CORE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "aggregates, idempotency records, outbox",
        (
            # Versioned aggregates (carts, orders, payments, ...): one row per (kind, id).
            """CREATE TABLE ck_aggregates (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                version {int} NOT NULL CHECK (version >= 1),
                customer_id TEXT,
                status TEXT,
                currency TEXT CHECK (currency IS NULL OR length(currency) = 3),
                amount_minor {int},
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (kind, id)
            ){strict}""",
            "CREATE INDEX ck_aggregates_customer ON ck_aggregates (kind, customer_id)",
            "CREATE INDEX ck_aggregates_updated ON ck_aggregates (kind, updated_at)",
            """CREATE TABLE ck_idempotency (
                scope TEXT NOT NULL,
                idem_key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('started', 'completed')),
                response TEXT,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                PRIMARY KEY (scope, idem_key)
            ){strict}""",
            "CREATE INDEX ck_idempotency_created ON ck_idempotency (created_at)",
            """CREATE TABLE ck_outbox (
                id {id},
                topic TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at {ts} NOT NULL,
                available_at {ts} NOT NULL,
                attempts {int} NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                delivered_at {ts},
                last_error TEXT
            ){strict}""",
            "CREATE INDEX ck_outbox_pending ON ck_outbox (delivered_at, available_at)",
        ),
        legacy_version=1,
    ),
    Migration(
        2,
        "outbox leases: which consumer holds an event, and until when",
        (
            # Both NULL: nobody holds the event. Additive: code from before keeps running beside it.
            "ALTER TABLE ck_outbox ADD COLUMN claimed_by TEXT",
            "ALTER TABLE ck_outbox ADD COLUMN claimed_until {ts}",
            # Claiming walks undelivered events in id order; delivered ones are not indexed.
            # The leased columns are left out so that claiming a row does not update the index.
            "CREATE INDEX ck_outbox_claimable ON ck_outbox (id) WHERE delivered_at IS NULL",
        ),
    ),
    Migration(
        3,
        "outbox dead letters: events given up on after too many failed deliveries",
        (
            # NULL: alive. A dead event is neither delivered nor claimable until it is revived.
            "ALTER TABLE ck_outbox ADD COLUMN dead_at {ts}",
            # Dead events leave the claim index, so claims never walk over them. Code from before
            # names this index in its SQLite claim (INDEXED BY) without the dead_at condition,
            # which the new index cannot answer, and would claim dead events on PostgreSQL:
            # it must not run on this schema.
            "DROP INDEX ck_outbox_claimable",
            "CREATE INDEX ck_outbox_claimable ON ck_outbox (id)"
            " WHERE delivered_at IS NULL AND dead_at IS NULL",
            # Listing the dead letters, oldest first, reads only them.
            "CREATE INDEX ck_outbox_dead ON ck_outbox (id) WHERE dead_at IS NOT NULL",
        ),
        min_code_version=3,
    ),
)
