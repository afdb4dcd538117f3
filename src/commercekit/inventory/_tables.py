"""SQL over the inventory tables of schema version 2 (bundles, policies, thresholds).

Reads only, or writes to rows no reservation path locks: stock counters themselves move only
through the guarded statements of :class:`~commercekit.storage.SqlStockRepository`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from commercekit.inventory._policy import PolicyKind, StockPolicy
from commercekit.storage import StockLevel

if TYPE_CHECKING:
    from commercekit.storage import Transaction

__all__ = [
    "bundle",
    "components_of",
    "delete_bundle",
    "is_component",
    "policy",
    "ReservationRead",
    "StockRow",
    "read_for_reservation",
    "save_bundle",
    "save_policy",
    "save_threshold",
    "snapshot",
    "threshold",
]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def components_of(tx: Transaction, skus: Sequence[str]) -> list[tuple[str, str, int]]:
    """(bundle, component, units) for every bundle among ``skus``."""
    rows = tx.execute(
        "SELECT bundle_sku, component_sku, quantity FROM ck_bundle_components"
        f" WHERE bundle_sku IN ({_marks(len(skus))})",
        tuple(skus),
    ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def bundle(tx: Transaction, sku: str) -> dict[str, int]:
    """The components of bundle ``sku`` (empty if it is not a bundle), in byte order."""
    rows = components_of(tx, [sku])
    return {c: n for _, c, n in sorted(rows, key=lambda r: r[1].encode())}


def is_component(tx: Transaction, sku: str) -> bool:
    """Whether ``sku`` is a component of some bundle."""
    row = tx.execute(
        "SELECT 1 FROM ck_bundle_components WHERE component_sku = ? LIMIT 1", (sku,)
    ).fetchone()
    return row is not None


def save_bundle(tx: Transaction, sku: str, components: dict[str, int]) -> None:
    """Replace the components of bundle ``sku``."""
    delete_bundle(tx, sku)
    for component, units in sorted(components.items(), key=lambda kv: kv[0].encode()):
        tx.execute(
            "INSERT INTO ck_bundle_components (bundle_sku, component_sku, quantity)"
            " VALUES (?, ?, ?)",
            (sku, component, units),
        )


def delete_bundle(tx: Transaction, sku: str) -> bool:
    """Forget bundle ``sku``; ``False`` if it was not one."""
    return tx.execute("DELETE FROM ck_bundle_components WHERE bundle_sku = ?", (sku,)).rowcount > 0


def policy(tx: Transaction, sku: str) -> StockPolicy:
    """The stock policy of ``sku`` (no backorder unless one was set)."""
    row = tx.execute(
        "SELECT kind, allowance FROM ck_stock_policies WHERE sku = ?", (sku,)
    ).fetchone()
    return StockPolicy() if row is None else StockPolicy(PolicyKind(row[0]), int(row[1]))


def save_policy(tx: Transaction, sku: str, value: StockPolicy) -> None:
    """Upsert the policy of ``sku``."""
    tx.execute(
        "INSERT INTO ck_stock_policies (sku, kind, allowance, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (sku) DO UPDATE SET kind = excluded.kind,"
        " allowance = excluded.allowance, updated_at = excluded.updated_at",
        (sku, value.kind.value, value.allowance, tx.db_now()),
    )


def threshold(tx: Transaction, sku: str, location: str) -> int | None:
    """The low-stock threshold of ``sku`` at ``location`` (else the SKU's default), or None."""
    row = tx.execute(
        "SELECT threshold FROM ck_stock_thresholds WHERE sku = ? AND location IN (?, '')"
        " ORDER BY location DESC LIMIT 1",
        (sku, location),
    ).fetchone()
    return None if row is None else int(row[0])


def save_threshold(tx: Transaction, sku: str, location: str, value: int | None) -> None:
    """Set (or with ``None`` remove) a threshold; location ``''`` is the SKU's default."""
    if value is None:
        tx.execute(
            "DELETE FROM ck_stock_thresholds WHERE sku = ? AND location = ?", (sku, location)
        )
        return
    tx.execute(
        "INSERT INTO ck_stock_thresholds (sku, location, threshold) VALUES (?, ?, ?)"
        " ON CONFLICT (sku, location) DO UPDATE SET threshold = excluded.threshold",
        (sku, location, value),
    )


def snapshot(tx: Transaction, skus: Sequence[str]) -> list[tuple[StockLevel, int | None]]:
    """Every stock row of ``skus`` with its low-stock threshold, in one statement.

    A plain read: the reservation that follows is guarded, so a stale row can only make it
    plan again, never oversell.
    """
    rows = tx.execute(
        "SELECT s.sku, s.location, s.on_hand, s.reserved, s.stock_floor,"
        " COALESCE(t.threshold, d.threshold)"
        " FROM ck_stock_levels s"
        " LEFT JOIN ck_stock_thresholds t ON t.sku = s.sku AND t.location = s.location"
        " LEFT JOIN ck_stock_thresholds d ON d.sku = s.sku AND d.location = ''"
        f" WHERE s.sku IN ({_marks(len(skus))})",
        tuple(skus),
    ).fetchall()
    return [
        (
            StockLevel(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])),
            None if r[5] is None else int(r[5]),
        )
        for r in rows
    ]


@functools.lru_cache(maxsize=64)
def _reservation_sql(count: int) -> str:
    """The planning read of ``count`` SKUs and the components of those that are bundles."""
    marks = _marks(count)
    wanted = f"IN ({marks}) OR {{col}} IN (SELECT component_sku FROM ck_bundle_components" + (
        f" WHERE bundle_sku IN ({marks}))"
    )
    return (
        "SELECT 'b', bundle_sku, component_sku, quantity, NULL, NULL, NULL"
        f" FROM ck_bundle_components WHERE bundle_sku IN ({marks})"
        " UNION ALL"
        " SELECT 's', s.sku, s.location, s.on_hand, s.reserved, s.stock_floor,"
        " COALESCE(t.threshold, d.threshold)"
        " FROM ck_stock_levels s"
        " LEFT JOIN ck_stock_thresholds t ON t.sku = s.sku AND t.location = s.location"
        " LEFT JOIN ck_stock_thresholds d ON d.sku = s.sku AND d.location = ''"
        f" WHERE s.sku {wanted.format(col='s.sku')}"
        " UNION ALL"
        " SELECT 'x', NULL, NULL, NULL, NULL, NULL, NULL WHERE EXISTS ("
        " SELECT 1 FROM ck_reservations r WHERE r.status = 'active' AND r.expires_at <= ?"
        " AND EXISTS (SELECT 1 FROM ck_reservation_lines l WHERE l.reservation_id = r.id"
        f" AND (l.sku {wanted.format(col='l.sku')})))"
    )


# A stock row as the planning read returns it: (sku, location, on_hand, reserved, floor,
# low-stock threshold). Plain tuples: most carts are planned without building a StockLevel.
StockRow = tuple[str, str, int, int, int, int | None]
ReservationRead = tuple[list[tuple[str, str, int]], list[StockRow], bool]


def _parse(rows: Iterable[Any]) -> ReservationRead:
    bundles: list[tuple[str, str, int]] = []
    levels: list[StockRow] = []
    expired = False
    for r in rows:
        kind = r[0]
        if kind == "s":
            levels.append(r[1:])
        elif kind == "b":
            bundles.append((r[1], r[2], r[3]))
        else:
            expired = True
    return bundles, levels, expired


@functools.lru_cache(maxsize=64)
def _plain_cart_sql(count: int) -> str:
    """Stock rows of ``count`` SKUs with their threshold and two flags per row.

    The flags: the row's SKU is also a bundle; an active reservation holding the SKU is past
    its expiry. Cheaper than :func:`_reservation_sql`, which is needed only when a SKU has no
    stock row (a bundle, or unknown) or is a bundle.
    """
    return (
        "SELECT s.sku, s.location, s.on_hand, s.reserved, s.stock_floor,"
        " COALESCE(t.threshold, d.threshold),"
        " EXISTS (SELECT 1 FROM ck_bundle_components b WHERE b.bundle_sku = s.sku),"
        " EXISTS (SELECT 1 FROM ck_reservations r WHERE r.status = 'active'"
        " AND r.expires_at <= ? AND EXISTS (SELECT 1 FROM ck_reservation_lines l"
        " WHERE l.reservation_id = r.id AND l.sku = s.sku))"
        " FROM ck_stock_levels s"
        " LEFT JOIN ck_stock_thresholds t ON t.sku = s.sku AND t.location = s.location"
        " LEFT JOIN ck_stock_thresholds d ON d.sku = s.sku AND d.location = ''"
        f" WHERE s.sku IN ({_marks(count)})"
    )


def read_for_reservation(tx: Transaction, skus: Sequence[str]) -> ReservationRead:
    """What a reservation of ``skus`` needs to plan.

    Returns the bundle components among ``skus``; the stock rows (with their low-stock
    thresholds) of ``skus`` and of those components; and whether any active reservation on
    them is past its expiry (only then does the caller look them up and free them).

    Most carts hold no bundle: a first statement reads the stock rows of ``skus`` with flags
    for bundles and expired holds, and only when some SKU is a bundle or has no stock row is a
    second one run over bundles and their components as well.
    """
    now = tx.db_now()
    rows = tx.execute(_plain_cart_sql(len(skus)), (now, *skus)).fetchall()
    levels: list[StockRow] = []
    expired = False
    for r in rows:
        if r[6]:
            break  # a bundle
        levels.append(r[:6])
        expired = expired or bool(r[7])
    else:
        # Every SKU has a row (the rows' SKUs are among ``skus``), so none is a bundle.
        if (len({r[0] for r in levels}) if len(levels) > 1 else len(levels)) == len(skus):
            return [], levels, expired
    sql = _reservation_sql(len(skus))
    return _parse(tx.execute(sql, (*skus, *skus, *skus, now, *skus, *skus)).fetchall())
