"""Worker processes for the deadlock race (importable by "spawn" children)."""

from __future__ import annotations

import random
import time
import traceback
from datetime import timedelta
from typing import Any

from commercekit import open_store
from commercekit.errors import (
    CommerceError,
    InsufficientStockError,
    ReservationError,
)
from commercekit.inventory import InventoryService

HOT = "HOT"


def hot_sku_worker(
    url: str, schema: str, worker: int, seconds: float, barrier: Any, results: Any
) -> None:
    """Reserve the hot SKU with a 150 ms TTL, then commit (70%) or release, often too late.

    Worker 0 sweeps instead. Reports operations done and every error a caller saw other than
    the expected refusals (stock short, a hold that expired and lost its stock).
    """
    rng = random.Random(worker)
    done = 0
    unexpected: list[str] = []
    try:
        with open_store(url, schema=schema, migrate=False, pool_size=2) as store:
            inventory = InventoryService(store, ttl=timedelta(milliseconds=150))
            barrier.wait(60)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    if worker == 0:
                        inventory.sweep()
                        time.sleep(0.02)
                    else:
                        held = inventory.reserve(f"w{worker}-{done}", [(HOT, rng.randint(1, 2))])
                        time.sleep(rng.uniform(0, 0.3))  # often past the 150 ms TTL
                        if rng.random() < 0.7:
                            inventory.commit(held)
                        else:
                            inventory.release(held)
                except (InsufficientStockError, ReservationError):
                    pass
                except CommerceError as exc:
                    unexpected.append(f"{type(exc).__name__}: {exc}")
                done += 1
        results.put({"worker": worker, "done": done, "unexpected": unexpected})
    except BaseException:
        results.put({"worker": worker, "done": done, "unexpected": [traceback.format_exc()]})
