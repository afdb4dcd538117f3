"""The tables of schema version 1, written once for both dialects.

Placeholders: ``{ts}`` a UTC timestamp (fixed-width ISO text on SQLite, ``timestamptz`` on
PostgreSQL), ``{int}`` a 64-bit integer, ``{id}`` an auto-numbered primary key, ``{strict}``
SQLite's STRICT table option (declared types enforced, so no column ever takes a float or the
lossy NUMERIC affinity). Amounts are integer minor units; documents are canonical JSON text in
which amounts are exact decimal strings.
"""

from __future__ import annotations

__all__ = ["V1_TABLES"]

V1_TABLES: tuple[str, ...] = (
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
    # Stock: a counter per (sku, location); available = on_hand - reserved never below floor.
    """CREATE TABLE ck_stock_levels (
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        on_hand {int} NOT NULL,
        reserved {int} NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        stock_floor {int} NOT NULL DEFAULT 0 CHECK (stock_floor <= 0),
        updated_at {ts} NOT NULL,
        PRIMARY KEY (sku, location),
        CHECK (on_hand - reserved >= stock_floor)
    ){strict}""",
    """CREATE TABLE ck_stock_movements (
        id {id},
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN
            ('receive', 'adjust', 'sale', 'return', 'transfer_in', 'transfer_out')),
        quantity {int} NOT NULL CHECK (quantity <> 0),
        reason TEXT,
        reference TEXT,
        created_at {ts} NOT NULL,
        FOREIGN KEY (sku, location) REFERENCES ck_stock_levels (sku, location)
    ){strict}""",
    "CREATE INDEX ck_stock_movements_level ON ck_stock_movements (sku, location)",
    """CREATE TABLE ck_reservations (
        id TEXT PRIMARY KEY,
        reservation_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('active', 'committed', 'released', 'expired')),
        request_hash TEXT NOT NULL,
        expires_at {ts} NOT NULL,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL
    ){strict}""",
    "CREATE INDEX ck_reservations_expiry ON ck_reservations (status, expires_at)",
    """CREATE TABLE ck_reservation_lines (
        reservation_id TEXT NOT NULL REFERENCES ck_reservations (id) ON DELETE CASCADE,
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        quantity {int} NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (reservation_id, sku, location),
        FOREIGN KEY (sku, location) REFERENCES ck_stock_levels (sku, location)
    ){strict}""",
    "CREATE INDEX ck_reservation_lines_level ON ck_reservation_lines (sku, location)",
    # Usage counters: customer_key '' counts every use of the promotion.
    """CREATE TABLE ck_promotion_usage (
        promotion_id TEXT NOT NULL,
        customer_key TEXT NOT NULL,
        used {int} NOT NULL CHECK (used >= 0),
        PRIMARY KEY (promotion_id, customer_key)
    ){strict}""",
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
)
