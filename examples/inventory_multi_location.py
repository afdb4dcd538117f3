"""Reserve carts across three warehouses, nearest first, then commit, release and expire.

Run: ``python examples/inventory_multi_location.py``
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commercekit import open_store
from commercekit.clock import ManualClock
from commercekit.errors import InsufficientStockError
from commercekit.inventory import InventoryService, NearestLocation, StockPolicy

# Kilometres from each warehouse to two customers.
DISTANCES = {
    "ada": {"lyon": 10, "paris": 460, "berlin": 1050},
    "linus": {"lyon": 1060, "paris": 880, "berlin": 5},
}


def main() -> None:
    """Stock three warehouses, serve two customers nearest-first, and show the ledger."""
    clock = ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    with open_store("memory://", clock=clock) as store:
        inventory = InventoryService(store, ttl=timedelta(minutes=15))
        for location, tees in (("lyon", 2), ("paris", 5), ("berlin", 1)):
            inventory.receive("TEE-M", location, tees, reason="opening stock")
        inventory.receive("MUG", "paris", 3)
        inventory.set_bundle("GIFT-BOX", {"TEE-M": 1, "MUG": 1})
        inventory.set_policy("POSTER", StockPolicy.preorder(10), locations=["berlin"])

        carts = {"ada": [("TEE-M", 2), ("GIFT-BOX", 1)], "linus": [("TEE-M", 1), ("POSTER", 2)]}
        held = {}
        for customer, lines in carts.items():
            nearest = NearestLocation(DISTANCES[customer].__getitem__)
            reservation = inventory.reserve(f"cart-{customer}", lines, strategy=nearest)
            held[customer] = reservation
            where = ", ".join(f"{n.quantity} {n.sku} from {n.location}" for n in reservation.lines)
            print(f"{customer}: {where}")

        try:
            inventory.reserve("cart-grace", {"TEE-M": 9, "MUG": 1})
        except InsufficientStockError as exc:
            print(f"grace: refused, {exc.shortages}")

        inventory.commit(held["ada"], reference="order-1")
        clock.advance(timedelta(minutes=20))
        expired = inventory.sweep()
        print("expired:", [r.key for r in expired])
        for level in inventory.stock("TEE-M"):
            print(
                f"TEE-M at {level.location}: on hand {level.on_hand}, "
                f"reserved {level.reserved}, available {level.available}"
            )
        ledger = inventory.movements("TEE-M", "lyon")
        print("lyon ledger:", [(m.kind.value, m.quantity) for m in ledger])
        lyon = inventory.level("TEE-M", "lyon")
        assert lyon is not None and sum(m.quantity for m in ledger) == lyon.on_hand


if __name__ == "__main__":
    main()
