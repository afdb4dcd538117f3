"""Low-stock events: written to the outbox in the transaction of the change that crosses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from commercekit.inventory._base import policies
from commercekit.inventory._policy import LOW_STOCK_TOPIC
from commercekit.ports import OUTBOX

if TYPE_CHECKING:
    from commercekit.inventory._records import StockLevel
    from commercekit.ports import TransactionPort

__all__ = ["low_stock"]


def low_stock(tx: TransactionPort, level: StockLevel, before: int, threshold: Any = ...) -> None:
    """Write a ``stock.low`` event if available stock crossed the threshold of ``level``.

    Crossing means going from ``before`` (above it) to at or below it. The threshold is read
    from the store unless given (``None``: the row has none).
    """
    if threshold is ...:
        threshold = policies(tx).threshold(level.sku, level.location)
    if threshold is not None and before > threshold >= level.available:
        tx.repository(OUTBOX).append(
            LOW_STOCK_TOPIC,
            {
                "sku": level.sku,
                "location": level.location,
                "available": level.available,
                "on_hand": level.on_hand,
                "reserved": level.reserved,
                "threshold": threshold,
            },
        )
