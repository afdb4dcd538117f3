"""Where the fake gateway keeps its intents: in memory, or in a store.

:class:`MemoryBook` and :class:`StoreBook` keep the records
(:class:`~commercekit.gateways.payments._fake_rules.FakeCharge`) and the responses stored under
idempotency keys, each call all or nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import attrs

from commercekit.errors import (
    ConfigurationError,
    ConflictError,
    GatewayUnavailableError,
    IdempotencyConflictError,
)
from commercekit.gateways.payments._fake_rules import FakeCharge
from commercekit.ports import IDEMPOTENCY, AggregateKind, AggregateRepository, StorePort

__all__ = ["Book", "Intents", "MemoryBook", "StoreBook", "Work"]


class Intents(Protocol):
    """The intents one call reads and writes, inside its all-or-nothing unit."""

    def find(self, reference: str) -> FakeCharge | None:
        """The intent, or ``None``."""
        ...

    def put(self, charge: FakeCharge) -> None:
        """Write the intent (new, or read in this unit)."""
        ...


#: One call: reads and writes intents, returns the response text stored under its key.
Work = Callable[[Intents], str]


class Book(Protocol):
    """Intents and idempotency keys: :class:`MemoryBook` or :class:`StoreBook`."""

    def run(self, key: str | None, request_hash: str, work: Work) -> tuple[str, bool]:
        """Run ``work`` once per key, all or nothing; return its response and whether it ran.

        A key already used for the same request (same hash) returns the stored response
        without running ``work``; for another request it is an IdempotencyConflictError. If
        ``work`` raises, nothing is stored, key included.
        """
        ...

    def find(self, reference: str) -> FakeCharge | None:
        """The intent as stored, or ``None``."""
        ...

    def all(self) -> list[FakeCharge]:
        """Every intent, oldest first."""
        ...


def _replay(key: str, request_hash: str, stored: tuple[str, str]) -> str:
    if stored[0] != request_hash:
        raise IdempotencyConflictError(
            f"idempotency key {key!r} was first used for a different request: use a new key"
        )
    return stored[1]


def _oldest_first(charges: list[FakeCharge]) -> list[FakeCharge]:
    return sorted(charges, key=lambda charge: (charge.created, charge.id))


class _Staged:
    """Writes kept aside until the call succeeds, so a refusal changes nothing."""

    def __init__(self, charges: dict[str, FakeCharge]) -> None:
        self._charges = charges
        self.written: dict[str, FakeCharge] = {}

    def find(self, reference: str) -> FakeCharge | None:
        return self.written.get(reference) or self._charges.get(reference)

    def put(self, charge: FakeCharge) -> None:
        self.written[charge.id] = attrs.evolve(charge, version=charge.version + 1)


class MemoryBook:
    """Intents and keys in this process's memory; calls run one at a time (a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._charges: dict[str, FakeCharge] = {}
        self._keys: dict[str, tuple[str, str]] = {}

    def run(self, key: str | None, request_hash: str, work: Work) -> tuple[str, bool]:
        """See :meth:`Book.run`."""
        with self._lock:
            stored = None if key is None else self._keys.get(key)
            if key is not None and stored is not None:
                return _replay(key, request_hash, stored), False
            staged = _Staged(self._charges)
            response = work(staged)
            self._charges.update(staged.written)
            if key is not None:
                self._keys[key] = (request_hash, response)
            return response, True

    def find(self, reference: str) -> FakeCharge | None:
        """See :meth:`Book.find`."""
        with self._lock:
            return self._charges.get(reference)

    def all(self) -> list[FakeCharge]:
        """See :meth:`Book.all`."""
        with self._lock:
            return _oldest_first(list(self._charges.values()))


class _StoredIntents:
    def __init__(self, repository: AggregateRepository[FakeCharge]) -> None:
        self._repository = repository

    def find(self, reference: str) -> FakeCharge | None:
        return self._repository.find(reference)

    def put(self, charge: FakeCharge) -> None:
        self._repository.save(charge)


# A stale save means another process moved the intent first: the call runs again on what it
# did (a capture then sees the new amounts). Each lost round is one more writer finished.
_ATTEMPTS = 20
_PAGE = 1000


class StoreBook:
    """Intents as versioned aggregates and keys as idempotency records, in a store.

    Every call is one store transaction: the key is claimed, the intent read, changed by a
    version-checked save, and the response stored beside the key, or none of it. Processes
    sharing the store share the fake: a second call with a key waits for the first one's
    transaction and replays its response; two calls changing one intent at once are applied
    one after the other.
    """

    def __init__(self, store: StorePort, name: str) -> None:
        self._store = store
        self._provider = name
        self._scope = f"fake_gateway.{name}"
        self._kind: AggregateKind[FakeCharge] = AggregateKind(
            self._scope,
            FakeCharge,
            status=lambda charge: charge.status.value,
            amount=lambda charge: charge.amount,
        )

    def run(self, key: str | None, request_hash: str, work: Work) -> tuple[str, bool]:
        """See :meth:`Book.run`."""
        if self._store.in_transaction():
            raise ConfigurationError(
                "the fake gateway was called inside a transaction of its store: a payment"
                " provider's work is not undone when your transaction rolls back, so call"
                " gateways after committing (or give the fake a store of its own)"
            )
        for _ in range(_ATTEMPTS):
            try:
                return self._attempt(key, request_hash, work)
            except IdempotencyConflictError:
                raise
            except ConflictError:
                continue
        raise GatewayUnavailableError(
            "the fake gateway lost the race for a payment intent too often: retry later",
            provider=self._provider,
            code="lock_timeout",
            status=429,
        )

    def _attempt(self, key: str | None, request_hash: str, work: Work) -> tuple[str, bool]:
        with self._store.transaction() as tx:
            keys = tx.repository(IDEMPOTENCY)
            if key is not None:
                record = keys.begin(self._scope, key, request_hash)
                if not record.is_new:
                    # The claim and its response commit together: a record is complete.
                    assert record.response is not None
                    return _replay(key, request_hash, (record.request_hash, record.response)), False
            response = work(_StoredIntents(tx.aggregates(self._kind)))
            if key is not None:
                keys.complete(self._scope, key, response)
        return response, True

    def find(self, reference: str) -> FakeCharge | None:
        """See :meth:`Book.find`."""
        with self._store.transaction(readonly=True) as tx:
            return tx.aggregates(self._kind).find(reference)

    def all(self) -> list[FakeCharge]:
        """See :meth:`Book.all`."""
        found: list[FakeCharge] = []
        with self._store.transaction(readonly=True) as tx:
            repository = tx.aggregates(self._kind)
            while True:
                page = repository.list(limit=_PAGE, offset=len(found))
                found += page
                if len(page) < _PAGE:
                    return _oldest_first(found)
