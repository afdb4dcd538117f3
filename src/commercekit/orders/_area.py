"""The orders area as a store sees it: order number sequences (orders are aggregates)."""

from __future__ import annotations

from commercekit.orders._codec import register_order_hooks
from commercekit.orders._schema import ORDERS_MIGRATIONS
from commercekit.orders._sql_numbers import SqlOrderNumbers
from commercekit.ports import ORDER_NUMBERS, Area

__all__ = ["ORDERS_AREA"]

#: Order number sequences; orders and checkouts are aggregates in the store's own table.
ORDERS_AREA = Area(
    "orders",
    migrations=ORDERS_MIGRATIONS,
    repositories={ORDER_NUMBERS: SqlOrderNumbers},
    codec_hooks=(register_order_hooks,),
)
