"""The payments area's tables: gift card and store credit balances, and the holds on them.

Written once for both dialects (see :class:`~commercekit.ports.Migration` for the
placeholders). Amounts are integer minor units in the card's currency. A code is never stored:
only its keyed digest (see :mod:`commercekit.payments._credit`) and its last four characters.
"""

from __future__ import annotations

from commercekit.ports import Migration

__all__ = ["PAYMENTS_MIGRATIONS"]

PAYMENTS_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "gift cards, store credit and their holds",
        (
            # A gift card has a code digest; a customer's store credit has a customer and no
            # code, one row per (customer, currency). Available = balance - held, never < 0.
            """CREATE TABLE ck_gift_cards (
                id TEXT PRIMARY KEY,
                code_digest TEXT UNIQUE,
                code_hint TEXT,
                customer_id TEXT,
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                balance {int} NOT NULL CHECK (balance >= 0),
                held {int} NOT NULL DEFAULT 0 CHECK (held >= 0),
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                UNIQUE (customer_id, currency),
                CHECK (balance - held >= 0),
                CHECK ((code_digest IS NULL) <> (customer_id IS NULL))
            ){strict}""",
            # One hold per authorized payment: held + captured <= authorized, refunds <= taken.
            """CREATE TABLE ck_credit_holds (
                id TEXT PRIMARY KEY,
                card_id TEXT NOT NULL REFERENCES ck_gift_cards (id),
                payment_id TEXT NOT NULL,
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                authorized {int} NOT NULL CHECK (authorized > 0),
                held {int} NOT NULL CHECK (held >= 0),
                captured {int} NOT NULL DEFAULT 0 CHECK (captured >= 0),
                refunded {int} NOT NULL DEFAULT 0 CHECK (refunded >= 0),
                status TEXT NOT NULL CHECK (status IN ('held', 'captured', 'voided', 'expired')),
                expires_at {ts},
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                CHECK (held + captured <= authorized),
                CHECK (refunded <= captured),
                CHECK (status = 'held' OR held = 0)
            ){strict}""",
            "CREATE INDEX ck_credit_holds_card ON ck_credit_holds (card_id)",
            "CREATE INDEX ck_credit_holds_expiry ON ck_credit_holds (status, expires_at)",
        ),
    ),
)
