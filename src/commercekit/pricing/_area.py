"""The pricing area as a store sees it: promotion usage counters and its codec hooks."""

from __future__ import annotations

from commercekit.ports import PROMOTION_USAGE, Area, Migration
from commercekit.pricing._codec import register_pricing_hooks
from commercekit.pricing._sql_usage import SqlPromotionUsageRepository

__all__ = ["PRICING_AREA"]

#: Promotion usage counters and the tagged unions of conditions and actions.
PRICING_AREA = Area(
    "pricing",
    migrations=(
        Migration(
            1,
            "promotion usage counters",
            (
                # customer_key '' counts every use of the promotion.
                """CREATE TABLE ck_promotion_usage (
                    promotion_id TEXT NOT NULL,
                    customer_key TEXT NOT NULL,
                    used {int} NOT NULL CHECK (used >= 0),
                    PRIMARY KEY (promotion_id, customer_key)
                ){strict}""",
            ),
            legacy_version=1,
        ),
    ),
    repositories={PROMOTION_USAGE: SqlPromotionUsageRepository},
    codec_hooks=(register_pricing_hooks,),
)
