"""The inventory area as a store sees it: its tables, repositories and prune rules."""

from __future__ import annotations

from datetime import datetime

from commercekit.inventory._schema import INVENTORY_MIGRATIONS
from commercekit.inventory._sql_reservations import SqlReservationRepository
from commercekit.inventory._sql_rules import SqlBundleRepository, SqlStockPolicyRepository
from commercekit.inventory._sql_stock import SqlStockRepository
from commercekit.ports import (
    BUNDLES,
    RESERVATIONS,
    STOCK,
    STOCK_POLICIES,
    Area,
    PruneRule,
    SqlTransaction,
)

__all__ = ["INVENTORY_AREA"]


def _release_expired(tx: SqlTransaction, now: datetime) -> int:
    return len(tx.repository(RESERVATIONS).release_expired())


def _closed_reservations(tx: SqlTransaction, cutoff: datetime) -> int:
    return tx.repository(RESERVATIONS).delete_closed(before=cutoff)


#: Stock, its ledger, reservations, bundles, policies and thresholds.
INVENTORY_AREA = Area(
    "inventory",
    migrations=INVENTORY_MIGRATIONS,
    repositories={
        STOCK: SqlStockRepository,
        RESERVATIONS: SqlReservationRepository,
        BUNDLES: SqlBundleRepository,
        STOCK_POLICIES: SqlStockPolicyRepository,
    },
    prune=(
        PruneRule("reservations_expired", None, _release_expired),
        PruneRule("reservations_deleted", "reservations_closed_for", _closed_reservations),
    ),
)
