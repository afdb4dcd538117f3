"""Workers that keep reserving and committing while a backup is taken (``spawn`` children)."""

from __future__ import annotations

import os
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from commercekit.errors import InsufficientStockError
from commercekit.inventory import InventoryService
from commercekit.storage import open_store

__all__ = ["SKUS", "shop_worker"]

SKUS = ("SKU-A", "SKU-B")
MAX_ROUNDS = 400


def shop_worker(
    url: str,
    schema: str | None,
    index: int,
    stop: Event,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Until ``stop``: receive stock now and then, reserve a cart, commit, release or keep it."""
    unexpected: list[str] = []
    rounds = 0
    try:
        with open_store(url, schema=schema, migrate=False) as store:
            inventory = InventoryService(store)
            barrier.wait(60)
            while not stop.is_set() and rounds < MAX_ROUNDS:
                rounds += 1
                try:
                    if rounds % 5 == 0:
                        inventory.receive(SKUS[rounds % 2], "main", 3, reason=f"w{index}")
                    held = inventory.reserve(f"w{index}-{rounds}", {SKUS[0]: 1, SKUS[1]: 1})
                except InsufficientStockError:
                    continue
                if rounds % 3 == 0:
                    inventory.commit(held)
                elif rounds % 3 == 1:
                    inventory.release(held)
    except Exception as exc:
        unexpected.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    results.put({"pid": os.getpid(), "rounds": rounds, "unexpected": unexpected})
