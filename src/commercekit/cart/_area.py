"""The cart area as a store sees it: carts are aggregates; idle ones can be pruned."""

from __future__ import annotations

from datetime import datetime

from commercekit.cart._codec import register_cart_hooks
from commercekit.cart._service import CART_KIND
from commercekit.ports import Area, PruneRule, SqlTransaction

__all__ = ["CART_AREA"]


def _idle_carts(tx: SqlTransaction, cutoff: datetime) -> int:
    return tx.aggregates(CART_KIND).delete_idle(before=cutoff)


#: Carts (stored in the store's aggregates table) and their codec hooks.
CART_AREA = Area(
    "cart",
    prune=(PruneRule("carts", "carts_idle_for", _idle_carts),),
    codec_hooks=(register_cart_hooks,),
)
