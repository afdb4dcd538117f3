"""How often a promotion was used: the record promotion usage counters are read into."""

from __future__ import annotations

import attrs

__all__ = ["UsageCount"]


@attrs.frozen
class UsageCount:
    """How often a promotion was used: in all, and by one customer (0 for guests)."""

    promotion_id: str
    total: int
    by_customer: int
