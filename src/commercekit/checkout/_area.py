"""The checkout area as a store sees it: checkout records, pruned once finished and old."""

from __future__ import annotations

from datetime import datetime

from commercekit.checkout._record import CHECKOUT_KIND
from commercekit.ports import Area, PruneRule, SqlTransaction

__all__ = ["CHECKOUT_AREA"]


def _finished_checkouts(tx: SqlTransaction, cutoff: datetime) -> int:
    """Delete finished (completed or failed) checkouts last changed before ``cutoff``.

    Open ones and those awaiting the customer are kept whatever their age: a recovery pass
    still has work to do on them. A deleted checkout's key may be used again, so keep them
    longer than a client may retry (a day is plenty).
    """
    return tx.execute(
        "DELETE FROM ck_aggregates WHERE kind = ? AND status = 'done' AND updated_at < ?",
        (CHECKOUT_KIND.name, tx.db_time(cutoff)),
    ).rowcount


#: Checkout records live in the store's aggregates table; finished ones older than
#: ``store.prune(checkouts_finished_for=...)`` are deleted.
CHECKOUT_AREA = Area(
    "checkout",
    prune=(PruneRule("checkouts", "checkouts_finished_for", _finished_checkouts),),
)
