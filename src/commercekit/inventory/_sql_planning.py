"""The reads a reservation plans from: stock rows with thresholds, bundles, expired holds.

Plain reads: the reservation that follows is guarded, so a stale row can only make it plan
again, never oversell.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commercekit.ports import PlanningRead, SqlTransaction, StockRow

__all__ = ["in_set", "marks", "planning_read", "with_thresholds"]


def marks(count: int) -> str:
    """``count`` comma-separated ``?`` placeholders."""
    return ", ".join("?" * count)


# Up to this many SKUs a set is written as placeholders; beyond, as one parameter, so a cart of
# any size stays within the backends' parameter limits (PostgreSQL 65,535; SQLite 32,766).
_FEW = 64


def in_set(tx: SqlTransaction, values: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
    """``IN (...)`` over ``values`` and its parameters: placeholders for a few, one for many.

    Many values go as a PostgreSQL array (``= ANY(?)``) or, on SQLite, a JSON array read with
    ``json_each``: one parameter however large the cart.
    """
    if len(values) <= _FEW:
        return f"IN ({marks(len(values))})", tuple(values)
    if tx.dialect == "postgresql":
        return "= ANY(?)", (list(values),)
    return "IN (SELECT value FROM json_each(?))", (json.dumps(list(values)),)


def with_thresholds(tx: SqlTransaction, skus: Sequence[str]) -> list[StockRow]:
    """Every stock row of ``skus`` with its low-stock threshold, in one statement."""
    wanted, params = in_set(tx, skus)
    rows = tx.execute(
        "SELECT s.sku, s.location, s.on_hand, s.reserved, s.stock_floor,"
        " COALESCE(t.threshold, d.threshold)"
        " FROM ck_stock_levels s"
        " LEFT JOIN ck_stock_thresholds t ON t.sku = s.sku AND t.location = s.location"
        " LEFT JOIN ck_stock_thresholds d ON d.sku = s.sku AND d.location = ''"
        f" WHERE s.sku {wanted}",
        params,
    ).fetchall()
    return [
        (str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), None if r[5] is None else int(r[5]))
        for r in rows
    ]


@functools.lru_cache(maxsize=64)
def _reservation_sql(holes: str) -> str:
    """The planning read of a set of SKUs (``holes``: ``IN (...)``) and their bundles' parts."""
    wanted = f"{holes} OR {{col}} IN (SELECT component_sku FROM ck_bundle_components" + (
        f" WHERE bundle_sku {holes})"
    )
    return (
        "SELECT 'b', bundle_sku, component_sku, quantity, NULL, NULL, NULL"
        f" FROM ck_bundle_components WHERE bundle_sku {holes}"
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


def _parse(rows: Iterable[Any]) -> PlanningRead:
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
def _plain_cart_sql(holes: str) -> str:
    """Stock rows of a set of SKUs (``holes``) with their threshold and two flags per row.

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
        f" WHERE s.sku {holes}"
    )


def planning_read(tx: SqlTransaction, skus: Sequence[str]) -> PlanningRead:
    """What a reservation of ``skus`` needs to plan.

    Returns the bundle components among ``skus``; the stock rows (with their low-stock
    thresholds) of ``skus`` and of those components; and whether any active reservation on
    them is past its expiry (only then does the caller look them up and free them).

    Most carts hold no bundle: a first statement reads the stock rows of ``skus`` with flags
    for bundles and expired holds, and only when some SKU is a bundle or has no stock row is a
    second one run over bundles and their components as well.
    """
    now = tx.db_now()
    holes, params = in_set(tx, skus)
    rows = tx.execute(_plain_cart_sql(holes), (now, *params)).fetchall()
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
    sql = _reservation_sql(holes)
    return _parse(tx.execute(sql, (*params, *params, *params, now, *params, *params)).fetchall())
