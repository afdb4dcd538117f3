"""The orders area's tables. Orders themselves are aggregates (the store's own table)."""

from __future__ import annotations

from commercekit.ports import Migration

__all__ = ["ORDERS_MIGRATIONS"]

ORDERS_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "order number sequences",
        (
            """CREATE TABLE ck_order_sequences (
                name TEXT PRIMARY KEY,
                last_number {int} NOT NULL CHECK (last_number >= 0)
            ){strict}""",
        ),
    ),
)
