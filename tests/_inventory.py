"""Helpers shared by the inventory tests: the invariant checker and a store factory."""

from __future__ import annotations

from commercekit.storage import Store


def audit(store: Store) -> list[str]:
    """Every broken stock invariant, as text (empty: all hold).

    Per (SKU, location): on hand equals the sum of its ledger; reserved equals the sum of the
    active reservation lines on it; available never passes the floor; and the units promised
    to buyers (active holds plus sales) never exceed what came in (receipts, returns,
    adjustments, transfers) plus the backorder room: otherwise stock was oversold.
    """
    problems: list[str] = []
    with store.transaction(readonly=True) as tx:
        rows = tx.execute(
            "SELECT sku, location, on_hand, reserved, stock_floor FROM ck_stock_levels"
            " ORDER BY sku, location"
        ).fetchall()
        for sku, location, on_hand, reserved, floor in rows:
            ledger = tx.execute(
                "SELECT kind, COALESCE(SUM(quantity), 0) FROM ck_stock_movements"
                " WHERE sku = ? AND location = ? GROUP BY kind",
                (sku, location),
            ).fetchall()
            by_kind = {str(kind): int(total) for kind, total in ledger}
            held = int(
                tx.execute(
                    "SELECT COALESCE(SUM(l.quantity), 0) FROM ck_reservation_lines l"
                    " JOIN ck_reservations r ON r.id = l.reservation_id"
                    " WHERE l.sku = ? AND l.location = ? AND r.status = 'active'",
                    (sku, location),
                ).fetchone()[0]
            )
            where = f"{sku} at {location}"
            if on_hand != sum(by_kind.values()):
                problems.append(f"{where}: on hand {on_hand} != ledger {sum(by_kind.values())}")
            if reserved != held:
                problems.append(f"{where}: reserved {reserved} != active holds {held}")
            if on_hand - reserved < floor:
                problems.append(f"{where}: available {on_hand - reserved} below floor {floor}")
            sold = -by_kind.get("sale", 0)
            supplied = sum(units for kind, units in by_kind.items() if kind != "sale")
            if held + sold > supplied - floor:
                problems.append(
                    f"{where}: oversold: {held} held + {sold} sold > {supplied} supplied"
                    f" (floor {floor})"
                )
    return problems
