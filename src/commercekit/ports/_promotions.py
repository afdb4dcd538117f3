"""The promotion usage port: counters with an atomic, limit-guarded consume."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from commercekit.ports._storage import RepositoryKey

if TYPE_CHECKING:
    from commercekit.pricing import UsageCount

__all__ = ["PROMOTION_USAGE", "PromotionUsageRepository"]


class PromotionUsageRepository(Protocol):
    """Promotion usage counters with an atomic consume."""

    def count(self, promotion_id: str, customer_id: str | None = None) -> UsageCount:
        """Uses in all and by ``customer_id``."""
        ...

    def consume(
        self,
        promotion_id: str,
        *,
        customer_id: str | None = None,
        limit: int | None = None,
        per_customer_limit: int | None = None,
        quantity: int = 1,
    ) -> bool:
        """Count uses if that keeps within both limits; ``False`` changes nothing."""
        ...

    def release(
        self, promotion_id: str, *, customer_id: str | None = None, quantity: int = 1
    ) -> None:
        """Give back uses counted by :meth:`consume`."""
        ...


#: Promotion usage counters (``tx.repository(PROMOTION_USAGE)``, shorthand
#: ``tx.promotion_usage``).
PROMOTION_USAGE: RepositoryKey[PromotionUsageRepository] = RepositoryKey("promotion_usage")
