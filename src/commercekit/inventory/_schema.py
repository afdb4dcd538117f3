"""The inventory area's tables: stock counters, the ledger, reservations, bundles and rules.

Written once for both dialects (see :class:`~commercekit.ports.Migration` for the
placeholders). Version 1 and 2 were part of commercekit 0.1's global schema versions 1 and 2.
"""

from __future__ import annotations

from commercekit.ports import Migration

__all__ = ["INVENTORY_MIGRATIONS"]

INVENTORY_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "stock levels, movements, reservations",
        (
            # A counter per (sku, location); available = on_hand - reserved never below floor.
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
                status TEXT NOT NULL CHECK (status IN
                    ('active', 'committed', 'released', 'expired')),
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
        ),
        legacy_version=1,
    ),
    Migration(
        2,
        "bundles, stock policies, low-stock thresholds",
        (
            # A bundle SKU is sold as its components: reserving one bundle holds each component.
            """CREATE TABLE ck_bundle_components (
            bundle_sku TEXT NOT NULL,
            component_sku TEXT NOT NULL,
            quantity {int} NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (bundle_sku, component_sku),
            CHECK (bundle_sku <> component_sku)
        ){strict}""",
            "CREATE INDEX ck_bundle_components_component ON ck_bundle_components (component_sku)",
            # Backorder / preorder policy per SKU: every stock row of the SKU gets floor -allowance.
            """CREATE TABLE ck_stock_policies (
            sku TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('none', 'backorder', 'preorder')),
            allowance {int} NOT NULL CHECK (allowance >= 0),
            updated_at {ts} NOT NULL,
            CHECK (kind <> 'none' OR allowance = 0)
        ){strict}""",
            # Low-stock thresholds per (sku, location); location '' is the SKU's default.
            """CREATE TABLE ck_stock_thresholds (
            sku TEXT NOT NULL,
            location TEXT NOT NULL,
            threshold {int} NOT NULL CHECK (threshold >= 0),
            PRIMARY KEY (sku, location)
        ){strict}""",
        ),
        legacy_version=2,
    ),
    Migration(
        3,
        "idempotency keys of ledger movements",
        (
            "ALTER TABLE ck_stock_movements ADD COLUMN movement_key TEXT",
            # Unique where given (NULLs never collide): a movement retried under its key is
            # recorded once, even by two processes at the same moment.
            "CREATE UNIQUE INDEX ck_stock_movements_key ON ck_stock_movements (movement_key)",
        ),
    ),
)
