"""Bundle definitions, stock policies and low-stock thresholds, in SQL both backends run.

Reads, or writes to rows no reservation path locks: stock counters themselves move only
through the guarded statements of the stock repository.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from commercekit.inventory._policy import PolicyKind, StockPolicy
from commercekit.inventory._sql_planning import in_set

if TYPE_CHECKING:
    from commercekit.ports import SqlTransaction

__all__ = ["SqlBundleRepository", "SqlStockPolicyRepository"]


class SqlBundleRepository:
    """Bundle definitions: which component SKUs (and how many) one bundle SKU stands for."""

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def components_of(self, skus: Sequence[str]) -> list[tuple[str, str, int]]:
        """(bundle, component, units) for every bundle among ``skus``."""
        wanted, params = in_set(self._tx, skus)
        rows = self._tx.execute(
            "SELECT bundle_sku, component_sku, quantity FROM ck_bundle_components"
            f" WHERE bundle_sku {wanted}",
            params,
        ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def get(self, sku: str) -> dict[str, int]:
        """The components of bundle ``sku`` (empty if it is not a bundle), in byte order."""
        rows = self.components_of([sku])
        return {c: n for _, c, n in sorted(rows, key=lambda r: r[1].encode())}

    def is_component(self, sku: str) -> bool:
        """Whether ``sku`` is a component of some bundle."""
        row = self._tx.execute(
            "SELECT 1 FROM ck_bundle_components WHERE component_sku = ? LIMIT 1", (sku,)
        ).fetchone()
        return row is not None

    def save(self, sku: str, components: Mapping[str, int]) -> None:
        """Replace the components of bundle ``sku``."""
        self.delete(sku)
        for component, units in sorted(components.items(), key=lambda kv: kv[0].encode()):
            self._tx.execute(
                "INSERT INTO ck_bundle_components (bundle_sku, component_sku, quantity)"
                " VALUES (?, ?, ?)",
                (sku, component, units),
            )

    def delete(self, sku: str) -> bool:
        """Forget bundle ``sku``; ``False`` if it was not one."""
        return (
            self._tx.execute(
                "DELETE FROM ck_bundle_components WHERE bundle_sku = ?", (sku,)
            ).rowcount
            > 0
        )


class SqlStockPolicyRepository:
    """Backorder and preorder policies per SKU, and low-stock thresholds per stock row."""

    __slots__ = ("_tx",)

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def policy(self, sku: str) -> StockPolicy:
        """The stock policy of ``sku`` (no backorder unless one was set)."""
        row = self._tx.execute(
            "SELECT kind, allowance FROM ck_stock_policies WHERE sku = ?", (sku,)
        ).fetchone()
        return StockPolicy() if row is None else StockPolicy(PolicyKind(row[0]), int(row[1]))

    def save_policy(self, sku: str, policy: StockPolicy) -> None:
        """Upsert the policy of ``sku``."""
        self._tx.execute(
            "INSERT INTO ck_stock_policies (sku, kind, allowance, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (sku) DO UPDATE SET kind = excluded.kind,"
            " allowance = excluded.allowance, updated_at = excluded.updated_at",
            (sku, policy.kind.value, policy.allowance, self._tx.db_now()),
        )

    def threshold(self, sku: str, location: str) -> int | None:
        """The low-stock threshold of ``sku`` at ``location`` (else the SKU's default)."""
        row = self._tx.execute(
            "SELECT threshold FROM ck_stock_thresholds WHERE sku = ? AND location IN (?, '')"
            " ORDER BY location DESC LIMIT 1",
            (sku, location),
        ).fetchone()
        return None if row is None else int(row[0])

    def save_threshold(self, sku: str, location: str, threshold: int | None) -> None:
        """Set (or with ``None`` remove) a threshold; location ``''`` is the SKU's default."""
        if threshold is None:
            self._tx.execute(
                "DELETE FROM ck_stock_thresholds WHERE sku = ? AND location = ?", (sku, location)
            )
            return
        self._tx.execute(
            "INSERT INTO ck_stock_thresholds (sku, location, threshold) VALUES (?, ?, ?)"
            " ON CONFLICT (sku, location) DO UPDATE SET threshold = excluded.threshold",
            (sku, location, threshold),
        )
