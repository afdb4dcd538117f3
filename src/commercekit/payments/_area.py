"""The payments area as a store sees it: gift card and store credit balances, and their holds."""

from __future__ import annotations

from datetime import datetime

from commercekit.payments._schema import PAYMENTS_MIGRATIONS
from commercekit.payments._sql_credit import SqlGiftCardRepository
from commercekit.ports import GIFT_CARDS, Area, PruneRule, SqlTransaction

__all__ = ["PAYMENTS_AREA"]


def _lapsed_holds(tx: SqlTransaction, now: datetime) -> int:
    return tx.repository(GIFT_CARDS).release_expired()


#: Gift cards, store credit and the holds payments put on them; holds that lapsed with nothing
#: captured are released by every ``store.prune()``. Payments are aggregates (the store's own
#: table) and need no codec hooks beyond the defaults.
PAYMENTS_AREA = Area(
    "payments",
    migrations=PAYMENTS_MIGRATIONS,
    repositories={GIFT_CARDS: SqlGiftCardRepository},
    prune=(PruneRule("credit_holds_expired", None, _lapsed_holds),),
)
