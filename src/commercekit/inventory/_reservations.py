"""Cart reservations: every line or none, idempotent on the reservation key."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from commercekit.errors import (
    ConflictError,
    IdempotencyConflictError,
    InsufficientStockError,
    UnknownSkuError,
)
from commercekit.inventory import _tables
from commercekit.inventory._base import ServiceParts
from commercekit.inventory._checks import (
    Lines,
    Row,
    check_sku,
    check_ttl,
    normalize_lines,
    row_order,
    shortage_text,
)
from commercekit.inventory._checks import request_hash as hash_request
from commercekit.inventory._events import low_stock
from commercekit.inventory._planning import Existing, Retry, expand, expire
from commercekit.inventory._planning import plan as allocate
from commercekit.storage import Reservation, ReservationLine, StockLevel

if TYPE_CHECKING:
    from commercekit.inventory._allocation import AllocationStrategy
    from commercekit.storage import Transaction

__all__ = ["Reserving"]


class Reserving(ServiceParts):
    """Taking stock for a cart (part of ``InventoryService``)."""

    def reserve(
        self,
        key: str,
        lines: Lines,
        *,
        ttl: timedelta | None = None,
        strategy: AllocationStrategy | None = None,
    ) -> Reservation:
        """Hold stock for every line of a cart, or for none of them.

        Units are summed per SKU across lines and across bundle components, expired holds on
        those SKUs are freed first, the strategy chooses locations, and each stock row is then
        taken with one guarded statement, in (SKU, location) byte order.

        Idempotent on ``key``: the same key with the same lines (in any order) returns the
        reservation made the first time, whatever its status now; the same key with other
        lines raises :class:`~commercekit.errors.IdempotencyConflictError`. If stock is short,
        raises :class:`~commercekit.errors.InsufficientStockError` whose ``shortages`` name
        every SKU short, and nothing is held.
        """
        check_sku(key, name="reservation key")
        requested = normalize_lines(lines)
        request_hash = hash_request(requested)
        ttl = self.ttl if ttl is None else check_ttl(ttl)
        plan_with = self.strategy if strategy is None else strategy
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.store.transaction() as tx:
                    return self._reserve(
                        tx,
                        key,
                        requested,
                        request_hash,
                        ttl,
                        plan_with,
                        final=attempt == self.max_attempts,
                    )
            except Retry:
                continue
            except Existing as found:
                return self._replay(found.reservation, request_hash)
            except ConflictError:
                with self.store.transaction(readonly=True) as tx:
                    existing = tx.reservations.by_key(key)
                if existing is None:
                    raise
                return self._replay(existing, request_hash)
        raise AssertionError("unreachable: the final attempt raises")  # pragma: no cover

    @staticmethod
    def _replay(existing: Reservation, request_hash: str) -> Reservation:
        if existing.request_hash != request_hash:
            raise IdempotencyConflictError(
                f"reservation key {existing.key!r} was already used for other lines"
            )
        return existing

    def _reserve(
        self,
        tx: Transaction,
        key: str,
        requested: dict[str, int],
        request_hash: str,
        ttl: timedelta,
        strategy: AllocationStrategy,
        *,
        final: bool,
    ) -> Reservation:
        # One read plans the whole cart: bundles, stock rows, and whether holds expired. It
        # is a plain read; the guarded updates below are what decide.
        components, snapshot, any_expired = _tables.read_for_reservation(
            tx, sorted(requested, key=str.encode)
        )
        demand = expand(requested, components)
        skus = sorted(demand, key=str.encode)
        freed = expire(tx, skus) if any_expired else {}
        levels: list[StockLevel] = []
        thresholds: dict[Row, int | None] = {}
        for level, threshold in snapshot:
            if level.sku not in demand:
                continue  # a bundle SKU that also has a stock row of its own
            row = (level.sku, level.location)
            if row in freed:
                level = attrs.evolve(level, reserved=level.reserved - freed[row])
            levels.append(level)
            thresholds[row] = threshold
        stocked = {level.sku for level in levels}
        unknown = tuple(sku for sku in skus if sku not in stocked)
        if unknown:
            raise UnknownSkuError(f"not stocked anywhere: {list(unknown)}", unknown)
        plan = allocate(strategy, demand, levels)
        planned: dict[str, int] = dict.fromkeys(demand, 0)
        for (sku, _), units in plan.items():
            planned[sku] += units
        shortages = {sku: demand[sku] - planned[sku] for sku in skus if planned[sku] < demand[sku]}
        if shortages:
            existing = tx.reservations.by_key(key)
            if existing is not None:
                raise Existing(existing)
            raise InsufficientStockError(
                f"cannot reserve {key!r}: {shortage_text(shortages)}", shortages
            )
        for row in sorted(plan.keys() | freed.keys(), key=row_order):
            if row in freed:
                tx.stock.unreserve(row[0], row[1], freed[row])
            units = plan.get(row, 0)
            if not units:
                continue
            if not tx.stock.reserve(row[0], row[1], units):
                if not final:
                    raise Retry
                current = tx.stock.level(row[0], row[1])
                assert current is not None
                short = {row[0]: units - (current.available - current.floor)}
                raise InsufficientStockError(
                    f"cannot reserve {key!r}: {shortage_text(short)} at {row[1]}", short
                )
            threshold = thresholds.get(row)
            if threshold is not None:
                after = tx.stock.level(row[0], row[1])
                assert after is not None
                low_stock(tx, after, after.available + units - freed.get(row, 0), threshold)
        lines = [ReservationLine(sku, location, units) for (sku, location), units in plan.items()]
        return tx.reservations.create(
            key, lines, expires_at=tx.now() + ttl, request_hash=request_hash
        )
