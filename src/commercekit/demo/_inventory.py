"""Demo section: a whole cart reserved across warehouses, then committed or refused."""

from __future__ import annotations

from datetime import timedelta
from typing import TextIO

from commercekit.demo._common import section
from commercekit.errors import InsufficientStockError
from commercekit.inventory import InventoryService, PriorityOrder
from commercekit.storage import Store

__all__ = ["inventory_tour"]


def inventory_tour(out: TextIO, store: Store, run: str) -> None:
    """Reserve a cart with a bundle across two warehouses; refuse one that cannot be served."""
    section(out, "Inventory: a whole cart reserved across warehouses, or nothing")
    tee, mug, box = f"TEE-{run}", f"MUG-{run}", f"GIFT-{run}"
    inventory = InventoryService(store, ttl=timedelta(minutes=15))
    inventory.receive(tee, "lyon", 2, reason="demo delivery")
    inventory.receive(tee, "paris", 5, reason="demo delivery")
    inventory.receive(mug, "paris", 1, reason="demo delivery")
    inventory.set_bundle(box, {tee: 1, mug: 1})
    lyon_first = PriorityOrder(["lyon", "paris"])

    held = inventory.reserve(f"cart-a-{run}", [(tee, 2), (box, 1)], strategy=lyon_first)
    where = ", ".join(f"{line.quantity} {line.sku} from {line.location}" for line in held.lines)
    print(f"  cart A (2 tees + a gift box = 3 tees, 1 mug): {where}", file=out)
    try:
        inventory.reserve(f"cart-b-{run}", [(tee, 1), (box, 1)])
    except InsufficientStockError as exc:
        print(f"  cart B refused whole, nothing held: short {exc.shortages}", file=out)
    committed = inventory.commit(held, reference=f"order-{run}")
    print(
        f"  cart A {committed.status.value}; {tee} sellable now: {inventory.sellable(tee)}",
        file=out,
    )
