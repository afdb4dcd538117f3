"""Records every area shares: idempotency records, outbox events and prune reports.

Services write them and storage persists them, so they live below both: the payments,
checkout and inventory areas import them from here, and so does every store backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import attrs

__all__ = ["IdempotencyRecord", "OutboxEvent", "PruneReport"]


@attrs.frozen
class IdempotencyRecord:
    """The first request made under an idempotency key, and its response once completed.

    ``is_new`` is true only for the call that created the record: that caller does the work.
    """

    scope: str
    key: str
    request_hash: str
    completed: bool
    response: str | None
    created_at: datetime
    is_new: bool = False


@attrs.frozen
class OutboxEvent:
    """An event written in the same transaction as the change that caused it.

    ``attempts`` counts finished deliveries (one that succeeded or failed); ``available_at`` is
    when it may next be delivered. ``claimed_by`` and ``claimed_until`` say which consumer holds
    it and until when (see :meth:`OutboxRepository.claim
    <commercekit.ports.OutboxRepository.claim>`); both are ``None`` when nobody does. A lease
    whose time has passed holds nothing: another consumer may claim the event. ``dead_at`` is
    when a consumer gave up on it (:meth:`OutboxRepository.mark_dead
    <commercekit.ports.OutboxRepository.mark_dead>`): a dead event is neither claimed nor
    pending until it is revived; ``None`` while it is alive.
    """

    id: int
    topic: str
    payload: str
    created_at: datetime
    available_at: datetime
    attempts: int
    delivered_at: datetime | None
    last_error: str | None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    dead_at: datetime | None = None


def _counts(value: Mapping[str, int]) -> Mapping[str, int]:
    return dict(sorted(value.items()))


@attrs.frozen(eq=False)
class PruneReport(Mapping[str, int]):
    """What :meth:`Store.prune <commercekit.storage.Store.prune>` removed or freed, per rule.

    A read-only mapping of each prune rule's name to its count (every registered rule is
    present, 0 when it did nothing); the counts are also attributes:

    >>> from commercekit.records import PruneReport
    >>> report = PruneReport({"carts": 2, "outbox_events": 0})
    >>> report.carts, report["outbox_events"], sorted(report)
    (2, 0, ['carts', 'outbox_events'])
    """

    counts: Mapping[str, int] = attrs.field(factory=dict, converter=_counts)

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "counts":
            raise AttributeError(name)
        try:
            return self.counts[name]
        except KeyError:
            raise AttributeError(f"no prune rule named {name!r}") from None
