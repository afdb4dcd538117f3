"""Cart reservations: every line or none, idempotent on the reservation key."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from commercekit.errors import (
    ConflictError,
    IdempotencyConflictError,
    InsufficientStockError,
    RetryableConflictError,
    UnknownSkuError,
)
from commercekit.inventory._allocation import ONE_ROW_NO_CHOICE
from commercekit.inventory._base import ServiceParts, pause, reservations, stock
from commercekit.inventory._checks import (
    Lines,
    check_sku,
    check_ttl,
    normalize_lines,
    row_order,
    shortage_text,
)
from commercekit.inventory._checks import request_hash as hash_request
from commercekit.inventory._events import low_stock
from commercekit.inventory._planning import Draft, Existing, PlainLine, Retry, draft, plain_plan
from commercekit.inventory._records import Reservation, ReservationLine

if TYPE_CHECKING:
    from commercekit.inventory._allocation import AllocationStrategy
    from commercekit.ports import PlanningRead, TransactionPort

__all__ = ["MANY", "Reserving"]

#: Carts of more lines than this go through the stock repository's many-row methods: one
#: set-based statement per step on PostgreSQL, whatever the number of rows (issue 16).
MANY = 1


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
        those SKUs are freed first, the strategy chooses locations, and the stock rows are then
        taken with guarded statements, in (SKU, location) byte order (on PostgreSQL, one
        statement for every row of the cart).

        Idempotent on ``key``: the same key with the same lines (in any order) returns the
        reservation made the first time, whatever its status now; the same key with other
        lines raises :class:`~commercekit.errors.IdempotencyConflictError`. If stock is short,
        raises :class:`~commercekit.errors.InsufficientStockError` whose ``shortages`` name
        every SKU short, and nothing is held.
        """
        key = check_sku(key, name="reservation key")
        requested = normalize_lines(lines)
        digest = hash_request(requested)
        ttl = self.ttl if ttl is None else check_ttl(ttl)
        plan_with = self.strategy if strategy is None else strategy
        skus = sorted(requested, key=str.encode) if len(requested) > 1 else list(requested)
        store = self.store
        # With one stock row per SKU a built-in strategy has no choice to make.
        plain = type(plan_with) in ONE_ROW_NO_CHOICE
        owned = not store.in_transaction()
        for attempt in range(1, self.max_attempts + 1):
            final = attempt == self.max_attempts
            try:
                with store.transaction() as tx:
                    read = stock(tx).planning_read(skus)
                    simple = None if final or not plain else plain_plan(read, requested)
                    if simple is not None:
                        return self._take_plain(tx, key, simple, digest, ttl)
                    planned = self._draft(tx, key, read, requested, plan_with)
                    return self._take(tx, key, planned, digest, ttl, final=final)
            except Retry:
                continue
            except Existing as found:
                return self._replay(found.reservation, digest)
            except RetryableConflictError:
                # Lost a deadlock: the whole transaction rolled back. Run it again if it is ours.
                if not owned or final:
                    raise
                pause(attempt, "reserve")
                continue
            except ConflictError:
                with store.transaction(readonly=True) as tx:
                    existing = reservations(tx).by_key(key)
                if existing is None:
                    raise
                return self._replay(existing, digest)
        raise AssertionError("unreachable: the final attempt raises")  # pragma: no cover

    @staticmethod
    def _replay(existing: Reservation, request_hash: str) -> Reservation:
        if existing.request_hash != request_hash:
            raise IdempotencyConflictError(
                f"reservation key {existing.key!r} was already used for other lines"
            )
        return existing

    @staticmethod
    def _take_plain(
        tx: TransactionPort, key: str, lines: list[PlainLine], digest: str, ttl: timedelta
    ) -> Reservation:
        """Take a :func:`~commercekit.inventory._planning.plain_plan` and record it.

        Most carts come this way: the same guarded statements as :meth:`_take`, without the
        general plan's bookkeeping. A guard that fails (on PostgreSQL, where the rows read
        may have moved since) raises :class:`Retry`; the last attempt never comes here.
        """
        # Every row in one guarded statement where the backend has one (PostgreSQL, two rows or
        # more: locked in byte order), else one per row in the plan's byte order; either way
        # the rows come back changed, so a low-stock threshold needs no read of its own.
        taken = stock(tx).reserve_many(
            [(sku, location, units) for sku, location, units, _ in lines]
        )
        if taken is None:
            raise Retry
        now_by_row = {(level.sku, level.location): level for level in taken}
        held = []
        for sku, location, units, threshold in lines:
            if threshold is not None:
                level = now_by_row[sku, location]
                low_stock(tx, level, level.available + units, threshold)
            held.append(ReservationLine(sku, location, units))
        return reservations(tx).create(key, held, expires_at=tx.now() + ttl, request_hash=digest)

    @staticmethod
    def _draft(
        tx: TransactionPort,
        key: str,
        read: PlanningRead,
        requested: dict[str, int],
        strategy: AllocationStrategy,
    ) -> Draft:
        """Plan from the transaction's read: free expired holds, refuse unknown or short SKUs."""
        # The read is a plain one; the guarded updates that take the plan are what decide.
        planned = draft(read, requested, strategy, tx)
        if planned.unknown:
            unknown = planned.unknown
            raise UnknownSkuError(f"not stocked anywhere: {list(unknown)}", unknown)
        if planned.shortages:
            existing = reservations(tx).by_key(key)
            if existing is not None:
                raise Existing(existing)
            shortages = planned.shortages
            raise InsufficientStockError(
                f"cannot reserve {key!r}: {shortage_text(shortages)}", shortages
            )
        return planned

    @staticmethod
    def _take(
        tx: TransactionPort, key: str, planned: Draft, digest: str, ttl: timedelta, *, final: bool
    ) -> Reservation:
        """Take the plan, then record the reservation.

        Freed holds are given back and planned units taken with one guarded statement per row,
        in byte order. A guard that fails means the stock moved since the plan: :class:`Retry`,
        or on the ``final`` attempt the shortage it found. Without freed holds, and before the
        final attempt, the rows are taken with :meth:`reserve_many
        <commercekit.ports.StockRepository.reserve_many>` instead (one set-based statement on
        PostgreSQL, in the same order).
        """
        plan, freed, thresholds, levels = planned.plan, planned.freed, planned.thresholds, stock(tx)
        if not freed and not final:
            ordered = sorted(plan, key=row_order) if len(plan) > 1 else list(plan)
            taken = levels.reserve_many(
                [(sku, location, plan[sku, location]) for sku, location in ordered]
            )
            if taken is None:
                raise Retry
            now_by_row = {(level.sku, level.location): level for level in taken}
            for row in ordered:
                threshold = thresholds.get(row)
                if threshold is not None:
                    level = now_by_row[row]
                    low_stock(tx, level, level.available + plan[row], threshold)
            lines = [
                ReservationLine(sku, location, plan[sku, location]) for sku, location in ordered
            ]
            return reservations(tx).create(
                key, lines, expires_at=tx.now() + ttl, request_hash=digest
            )
        rows = sorted(plan.keys() | freed.keys(), key=row_order) if freed or len(plan) > 1 else plan
        for row in rows:
            if freed and row in freed:
                levels.unreserve(row[0], row[1], freed[row])
            units = plan.get(row, 0)
            if not units:
                continue
            if not levels.reserve(row[0], row[1], units):
                if not final:
                    raise Retry
                current = levels.level(row[0], row[1])
                assert current is not None
                short = {row[0]: units - (current.available - current.floor)}
                raise InsufficientStockError(
                    f"cannot reserve {key!r}: {shortage_text(short)} at {row[1]}", short
                )
            threshold = thresholds.get(row)
            if threshold is not None:
                after = levels.level(row[0], row[1])
                assert after is not None
                low_stock(tx, after, after.available + units - freed.get(row, 0), threshold)
        lines = [ReservationLine(sku, location, units) for (sku, location), units in plan.items()]
        return reservations(tx).create(key, lines, expires_at=tx.now() + ttl, request_hash=digest)
