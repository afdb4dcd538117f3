"""The inventory service: stock movements, bundles, policies and cart reservations."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from commercekit.errors import (
    ConflictError,
    IdempotencyConflictError,
    InsufficientStockError,
    InvalidQuantityError,
    InventoryError,
    NotFoundError,
    ReservationError,
    UnknownSkuError,
    ValidationError,
)
from commercekit.inventory import _tables
from commercekit.inventory._allocation import AllocationStrategy, PriorityOrder
from commercekit.inventory._policy import LOW_STOCK_TOPIC, StockPolicy
from commercekit.storage import (
    MovementKind,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Store,
)
from commercekit.storage._checks import MAX_QUANTITY, check_key, check_quantity

if TYPE_CHECKING:
    from commercekit.storage import Transaction

__all__ = ["InventoryService", "check_sku", "normalize_lines"]

Row = tuple[str, str]
Lines = Mapping[str, int] | Iterable[tuple[str, int]] | Iterable[ReservationLine]

_ACTIVE = ReservationStatus.ACTIVE
_EXPIRED = ReservationStatus.EXPIRED


def _row_order(row: Row) -> tuple[bytes, bytes]:
    return (row[0].encode(), row[1].encode())


def check_sku(value: Any, *, name: str = "sku") -> str:
    """A SKU or location name: 1-200 characters of valid Unicode text without NUL."""
    check_key(value, name=name)
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValidationError(f"{name} must be valid Unicode text: {value!r}") from None
    return str(value)


def _check_text(value: Any, *, name: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 500 or "\x00" in value:
        raise ValidationError(f"{name} must be text of 1-500 characters without NUL: {value!r}")
    return value


def _check_ttl(value: Any) -> timedelta:
    if not isinstance(value, timedelta) or not timedelta(0) < value <= timedelta(days=366):
        raise ValidationError(f"a reservation TTL is a timedelta in (0, 366 days], got {value!r}")
    return value


def normalize_lines(lines: Any) -> dict[str, int]:
    """Cart lines as units per SKU, summed across lines; every SKU and quantity checked.

    ``lines`` is a mapping of SKU to units, or an iterable of ``(sku, units)`` pairs or of
    objects with ``sku`` and ``quantity`` attributes (a SKU may appear on several lines).

    >>> normalize_lines([("TEE", 1), ("MUG", 2), ("TEE", 3)])
    {'TEE': 4, 'MUG': 2}
    """
    if isinstance(lines, Mapping):
        items: list[Any] = list(lines.items())
    elif isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise ValidationError(f"cart lines are a mapping or an iterable of lines, got {lines!r}")
    else:
        items = list(lines)
    demand: dict[str, int] = {}
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            sku, units = item
        elif hasattr(item, "sku") and hasattr(item, "quantity"):
            sku, units = item.sku, item.quantity
        else:
            raise ValidationError(f"a cart line is (sku, quantity), got {item!r}")
        check_sku(sku)
        check_quantity(units)
        total = demand.get(sku, 0) + units
        if total > MAX_QUANTITY:
            raise InvalidQuantityError(f"{total} units of {sku} is beyond {MAX_QUANTITY}")
        demand[sku] = total
    if not demand:
        raise ValidationError("nothing to reserve: the cart has no lines")
    return demand


def _request_hash(demand: Mapping[str, int]) -> str:
    # SKUs never contain NUL (check_sku), so NUL-separated text is unambiguous.
    text = "\x00".join(f"{sku}\x00{units}" for sku, units in sorted(demand.items()))
    return hashlib.sha256(text.encode()).hexdigest()


class _Retry(Exception):
    """The stock moved between the plan and the guarded statement: plan again."""


class _Existing(Exception):
    """The key already names a reservation: roll back and replay it."""

    def __init__(self, reservation: Reservation) -> None:
        super().__init__(reservation.key)
        self.reservation = reservation


def _shortage_text(shortages: Mapping[str, int]) -> str:
    return ", ".join(f"{sku} short by {units}" for sku, units in shortages.items())


class InventoryService:
    """Stock per SKU and location, its ledger, bundles, policies and cart reservations.

    ``store`` is any store from :func:`commercekit.open_store`; expiry is judged by its clock.
    ``ttl`` is how long a reservation holds stock unless committed; ``strategy`` decides which
    locations serve a cart (:class:`PriorityOrder` by default: locations in byte order).
    ``max_attempts`` bounds how often a reservation plans again when concurrent buyers moved the
    stock between its read and its guarded update.

    Every method runs in one transaction of its own, or joins the caller's if one is open in
    this thread (``with store.transaction(): ...``), so a host can reserve stock and save its
    order atomically. Bad input raises a :class:`~commercekit.errors.CommerceError` subclass
    before anything is written, and a failed call changes nothing.
    """

    def __init__(
        self,
        store: Store,
        *,
        ttl: timedelta = timedelta(minutes=15),
        strategy: AllocationStrategy | None = None,
        max_attempts: int = 8,
    ) -> None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError(f"max_attempts must be an int >= 1, got {max_attempts!r}")
        self.store = store
        self.ttl = _check_ttl(ttl)
        self.strategy: AllocationStrategy = strategy if strategy is not None else PriorityOrder()
        self.max_attempts = max_attempts

    # -- stock and its ledger ---------------------------------------------------------------

    def _ensure(self, tx: Transaction, sku: str, location: str) -> StockLevel:
        level = tx.stock.level(sku, location)
        if level is None:
            level = tx.stock.ensure(sku, location, floor=_tables.policy(tx, sku).floor)
        return level

    def _require(self, tx: Transaction, sku: str, location: str) -> StockLevel:
        level = tx.stock.level(sku, location)
        if level is None:
            raise UnknownSkuError(f"{sku!r} is not stocked at {location!r}", (sku,))
        return level

    def _move(
        self,
        tx: Transaction,
        sku: str,
        location: str,
        quantity: int,
        kind: MovementKind,
        reason: str | None,
        reference: str | None,
    ) -> StockLevel:
        if quantity > 0:
            self._ensure(tx, sku, location)
        else:
            self._require(tx, sku, location)
        try:
            level = tx.stock.move(sku, location, quantity, kind, reason=reason, reference=reference)
        except InsufficientStockError as exc:
            current = self._require(tx, sku, location)
            short = -quantity - (current.available - current.floor)
            raise InsufficientStockError(str(exc), {sku: short}) from None
        if quantity < 0:
            self._low_stock(tx, level, level.available - quantity)
        return level

    def _low_stock(
        self, tx: Transaction, level: StockLevel, before: int, threshold: Any = ...
    ) -> None:
        if threshold is ...:
            threshold = _tables.threshold(tx, level.sku, level.location)
        if threshold is not None and before > threshold >= level.available:
            tx.outbox.append(
                LOW_STOCK_TOPIC,
                {
                    "sku": level.sku,
                    "location": level.location,
                    "available": level.available,
                    "on_hand": level.on_hand,
                    "reserved": level.reserved,
                    "threshold": threshold,
                },
            )

    def receive(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> StockLevel:
        """Add ``quantity`` units received at ``location`` (a ``receive`` movement).

        The stock row is created on first receipt, with the floor of the SKU's policy.
        """
        check_sku(sku)
        check_sku(location, name="location")
        check_quantity(quantity)
        _check_text(reason, name="reason")
        _check_text(reference, name="reference")
        with self.store.transaction() as tx:
            return self._move(tx, sku, location, quantity, MovementKind.RECEIVE, reason, reference)

    def adjust(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str,
        reference: str | None = None,
    ) -> StockLevel:
        """Correct on hand by a signed ``quantity`` (a stock count, damage); a reason is required.

        A negative adjustment that would take available stock below the floor raises
        :class:`~commercekit.errors.InsufficientStockError`.
        """
        check_sku(sku)
        check_sku(location, name="location")
        check_quantity(quantity, allow_negative=True)
        _check_text(reason, name="reason", required=True)
        _check_text(reference, name="reference")
        with self.store.transaction() as tx:
            return self._move(tx, sku, location, quantity, MovementKind.ADJUST, reason, reference)

    def record_return(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> StockLevel:
        """Put ``quantity`` returned units back on hand at ``location`` (a ``return`` movement)."""
        check_sku(sku)
        check_sku(location, name="location")
        check_quantity(quantity)
        _check_text(reason, name="reason")
        _check_text(reference, name="reference")
        with self.store.transaction() as tx:
            return self._move(tx, sku, location, quantity, MovementKind.RETURN, reason, reference)

    def sell(
        self,
        sku: str,
        location: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> StockLevel:
        """Sell ``quantity`` units straight from available stock (a till sale, no reservation)."""
        check_sku(sku)
        check_sku(location, name="location")
        check_quantity(quantity)
        _check_text(reason, name="reason")
        _check_text(reference, name="reference")
        with self.store.transaction() as tx:
            return self._move(tx, sku, location, -quantity, MovementKind.SALE, reason, reference)

    def transfer(
        self,
        sku: str,
        source: str,
        destination: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> tuple[StockLevel, StockLevel]:
        """Move ``quantity`` units from ``source`` to ``destination`` in one transaction.

        Records a ``transfer_out`` and a ``transfer_in`` movement; returns the (source,
        destination) levels. Refused with :class:`~commercekit.errors.InsufficientStockError`
        if ``source`` cannot spare the units.
        """
        check_sku(sku)
        check_sku(source, name="source")
        check_sku(destination, name="destination")
        check_quantity(quantity)
        _check_text(reason, name="reason")
        _check_text(reference, name="reference")
        if source == destination:
            raise ValidationError(f"a transfer needs two different locations, got {source!r}")
        moves = sorted(
            [
                (source, -quantity, MovementKind.TRANSFER_OUT),
                (destination, quantity, MovementKind.TRANSFER_IN),
            ],
            key=lambda move: move[0].encode(),
        )
        with self.store.transaction() as tx:
            self._require(tx, sku, source)
            levels = {
                location: self._move(tx, sku, location, units, kind, reason, reference)
                for location, units, kind in moves
            }
        return levels[source], levels[destination]

    def level(self, sku: str, location: str) -> StockLevel | None:
        """The stock of ``sku`` at ``location``, or ``None`` if it was never stocked there."""
        check_sku(sku)
        check_sku(location, name="location")
        with self.store.transaction(readonly=True) as tx:
            return tx.stock.level(sku, location)

    def stock(self, sku: str) -> list[StockLevel]:
        """The stock rows of ``sku`` at every location, in location order."""
        check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            return tx.stock.levels([sku])

    def sellable(self, sku: str) -> int:
        """Units of ``sku`` a reservation could still take across all locations.

        That is available stock plus the backorder room of each row (``available - floor``).
        A bundle's sellable count is how many whole bundles its components allow.
        """
        check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            components = _tables.bundle(tx, sku) or {sku: 1}
            rows = _tables.snapshot(tx, list(components))
        room: dict[str, int] = dict.fromkeys(components, 0)
        for level, _ in rows:
            room[level.sku] += level.available - level.floor
        return min(room[c] // units for c, units in components.items())

    def movements(self, sku: str, location: str) -> list[StockMovement]:
        """The ledger of ``sku`` at ``location``, oldest first; it sums to on hand."""
        check_sku(sku)
        check_sku(location, name="location")
        with self.store.transaction(readonly=True) as tx:
            return tx.stock.movements(sku, location)

    # -- bundles, policies, thresholds ------------------------------------------------------

    def set_bundle(self, sku: str, components: Mapping[str, int]) -> None:
        """Define (or redefine) bundle ``sku`` as ``components``: component SKU -> units.

        Reserving one bundle holds every component; components are plain SKUs (a bundle
        cannot contain a bundle, nor itself).
        """
        check_sku(sku)
        if not isinstance(components, Mapping) or not components:
            raise ValidationError(f"a bundle needs at least one component, got {components!r}")
        parts: dict[str, int] = {}
        for component, units in components.items():
            check_sku(component, name="component sku")
            check_quantity(units)
            if component == sku:
                raise ValidationError(f"bundle {sku!r} cannot contain itself")
            parts[component] = units
        with self.store.transaction() as tx:
            if _tables.is_component(tx, sku):
                raise ValidationError(f"{sku!r} is a component of another bundle")
            nested = [c for c in parts if _tables.bundle(tx, c)]
            if nested:
                raise ValidationError(f"bundle components cannot be bundles: {nested}")
            _tables.save_bundle(tx, sku, parts)

    def bundle(self, sku: str) -> dict[str, int]:
        """The components of bundle ``sku`` (an empty dict if it is not a bundle)."""
        check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            return _tables.bundle(tx, sku)

    def remove_bundle(self, sku: str) -> bool:
        """Forget bundle ``sku``; ``False`` if it was not one. Reservations keep their lines."""
        check_sku(sku)
        with self.store.transaction() as tx:
            return _tables.delete_bundle(tx, sku)

    def set_policy(
        self, sku: str, policy: StockPolicy, *, locations: Iterable[str] = ()
    ) -> list[StockLevel]:
        """Set the backorder/preorder policy of ``sku`` and the floor of its stock rows.

        The floor (``-policy.allowance``) applies to every row of the SKU, and rows are created
        at ``locations`` (a preorder SKU has no stock yet). Lowering the allowance below what
        is already sold past zero raises :class:`~commercekit.errors.InsufficientStockError`.
        Returns the SKU's rows.
        """
        check_sku(sku)
        if not isinstance(policy, StockPolicy):
            raise ValidationError(f"policy must be a StockPolicy, got {policy!r}")
        wanted = [check_sku(loc, name="location") for loc in locations]
        with self.store.transaction() as tx:
            _tables.save_policy(tx, sku, policy)
            rows = {level.location for level in tx.stock.levels([sku])} | set(wanted)
            for location in sorted(rows, key=str.encode):
                tx.stock.ensure(sku, location, floor=policy.floor)
                tx.stock.set_floor(sku, location, policy.floor)
            return tx.stock.levels([sku])

    def policy(self, sku: str) -> StockPolicy:
        """The policy of ``sku`` (no backorder unless :meth:`set_policy` said otherwise)."""
        check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            return _tables.policy(tx, sku)

    def set_low_stock_threshold(
        self, sku: str, threshold: int | None, *, location: str | None = None
    ) -> None:
        """Write a ``stock.low`` outbox event when available stock falls to ``threshold``.

        The event is written in the transaction of the change that crosses the threshold
        (available goes from above it to at or below it). ``location=None`` sets the SKU's
        default; a location's own threshold wins over it. ``None`` removes the threshold.
        """
        check_sku(sku)
        if location is not None:
            check_sku(location, name="location")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int)
            or not 0 <= threshold <= MAX_QUANTITY
        ):
            raise InvalidQuantityError(f"a threshold is an int >= 0 or None, got {threshold!r}")
        with self.store.transaction() as tx:
            _tables.save_threshold(tx, sku, location or "", threshold)

    # -- reservations -----------------------------------------------------------------------

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
        request_hash = _request_hash(requested)
        ttl = self.ttl if ttl is None else _check_ttl(ttl)
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
            except _Retry:
                continue
            except _Existing as found:
                return self._replay(found.reservation, request_hash)
            except ConflictError:
                existing = self.by_key(key)
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

    @staticmethod
    def _expand(
        requested: dict[str, int], components: list[tuple[str, str, int]]
    ) -> dict[str, int]:
        if not components:
            return requested
        bundles: dict[str, list[tuple[str, int]]] = {}
        for bundle_sku, component, units in components:
            bundles.setdefault(bundle_sku, []).append((component, units))
        demand: dict[str, int] = {}
        for sku, units in requested.items():
            for part, each in bundles.get(sku, [(sku, 1)]):
                demand[part] = demand.get(part, 0) + units * each
        too_many = [sku for sku, units in demand.items() if units > MAX_QUANTITY]
        if too_many:
            raise InvalidQuantityError(f"the cart needs more than {MAX_QUANTITY} of {too_many}")
        return demand

    @staticmethod
    def _expire(tx: Transaction, skus: list[str]) -> dict[Row, int]:
        """Mark expired reservations on ``skus`` expired; return the holds to give back.

        Only the status flips here (reservation rows, in the storage's expiry order); the
        holds are given back by the caller in its byte-ordered pass over stock rows, so no
        transaction ever locks stock rows out of order.
        """
        freed: dict[Row, int] = {}
        for expired in tx.reservations.expired(skus=skus):
            if tx.reservations.transition(expired.id, _ACTIVE, _EXPIRED):
                for line in expired.lines:
                    row = (line.sku, line.location)
                    freed[row] = freed.get(row, 0) + line.quantity
        return freed

    def _plan(
        self,
        strategy: AllocationStrategy,
        demand: dict[str, int],
        levels: list[StockLevel],
    ) -> dict[Row, int]:
        by_row = {(level.sku, level.location): level for level in levels}
        plan: dict[Row, int] = {}
        for line in strategy.allocate(dict(demand), list(levels)):
            row = (line.sku, line.location)
            level = by_row.get(row)
            units = line.quantity
            if level is None or isinstance(units, bool) or not isinstance(units, int) or units <= 0:
                raise InventoryError(f"allocation strategy {strategy!r} returned a bad line {line}")
            plan[row] = plan.get(row, 0) + units
            if plan[row] > level.available - level.floor:
                raise InventoryError(f"allocation strategy {strategy!r} overfilled {row}")
        planned: dict[str, int] = {}
        for (sku, _), units in plan.items():
            planned[sku] = planned.get(sku, 0) + units
        if any(units > demand[sku] for sku, units in planned.items()):
            raise InventoryError(f"allocation strategy {strategy!r} allocated more than asked")
        return plan

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
        demand = self._expand(requested, components)
        skus = sorted(demand, key=str.encode)
        freed = self._expire(tx, skus) if any_expired else {}
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
        plan = self._plan(strategy, demand, levels)
        planned: dict[str, int] = dict.fromkeys(demand, 0)
        for (sku, _), units in plan.items():
            planned[sku] += units
        shortages = {sku: demand[sku] - planned[sku] for sku in skus if planned[sku] < demand[sku]}
        if shortages:
            existing = tx.reservations.by_key(key)
            if existing is not None:
                raise _Existing(existing)
            raise InsufficientStockError(
                f"cannot reserve {key!r}: {_shortage_text(shortages)}", shortages
            )
        for row in sorted(plan.keys() | freed.keys(), key=_row_order):
            if row in freed:
                tx.stock.unreserve(row[0], row[1], freed[row])
            units = plan.get(row, 0)
            if not units:
                continue
            if not tx.stock.reserve(row[0], row[1], units):
                if not final:
                    raise _Retry
                current = tx.stock.level(row[0], row[1])
                assert current is not None
                short = {row[0]: units - (current.available - current.floor)}
                raise InsufficientStockError(
                    f"cannot reserve {key!r}: {_shortage_text(short)} at {row[1]}", short
                )
            threshold = thresholds.get(row)
            if threshold is not None:
                after = tx.stock.level(row[0], row[1])
                assert after is not None
                self._low_stock(tx, after, after.available + units - freed.get(row, 0), threshold)
        lines = [ReservationLine(sku, location, units) for (sku, location), units in plan.items()]
        return tx.reservations.create(
            key, lines, expires_at=tx.now() + ttl, request_hash=request_hash
        )

    @staticmethod
    def _get(tx: Transaction, reservation: Reservation | str) -> Reservation:
        ident = reservation.id if isinstance(reservation, Reservation) else reservation
        check_key(ident, name="reservation id")
        try:
            return tx.reservations.get(ident)
        except NotFoundError:
            raise ReservationError(f"no reservation with id {ident!r}") from None

    def get(self, reservation: Reservation | str) -> Reservation:
        """The current state of a reservation (by value or id).

        Raises :class:`~commercekit.errors.ReservationError` if there is none.
        """
        with self.store.transaction(readonly=True) as tx:
            return self._get(tx, reservation)

    def by_key(self, key: str) -> Reservation | None:
        """The reservation made under ``key``, or ``None``."""
        check_sku(key, name="reservation key")
        with self.store.transaction(readonly=True) as tx:
            return tx.reservations.by_key(key)

    def commit(
        self, reservation: Reservation | str, *, reference: str | None = None
    ) -> Reservation:
        """Turn the held stock into sales (``sale`` movements, ``reference`` or the key).

        Committing twice returns the committed reservation. A reservation past its expiry is
        committed only if its stock can be taken again (expired holds freed first); otherwise
        :class:`~commercekit.errors.ReservationError` says which SKUs are gone, and nothing
        changes. A released reservation cannot be committed.
        """
        _check_text(reference, name="reference")
        for _ in range(self.max_attempts):
            try:
                with self.store.transaction() as tx:
                    return self._commit(tx, reservation, reference)
            except _Retry:
                continue
        raise ReservationError(f"reservation {reservation!r} kept changing while committing")

    def _commit(
        self, tx: Transaction, reservation: Reservation | str, reference: str | None
    ) -> Reservation:
        current = self._get(tx, reservation)
        if current.status is ReservationStatus.COMMITTED:
            return current
        if current.status is ReservationStatus.RELEASED:
            raise ReservationError(f"reservation {current.key!r} was released; reserve again")
        reference = reference or current.key
        lines = sorted(current.lines, key=lambda ln: _row_order((ln.sku, ln.location)))
        if current.status is _ACTIVE and current.expires_at > tx.now():
            if not tx.reservations.transition(current.id, _ACTIVE, ReservationStatus.COMMITTED):
                raise _Retry
            for line in lines:
                tx.stock.sell_reserved(line.sku, line.location, line.quantity, reference=reference)
            return tx.reservations.get(current.id)
        # Expired (swept or not): free the expired holds on its SKUs, itself included, then sell
        # its lines again from available stock, guarded like any reservation.
        freed = self._expire(tx, sorted({ln.sku for ln in lines}, key=str.encode))
        if not tx.reservations.transition(current.id, _EXPIRED, ReservationStatus.COMMITTED):
            raise _Retry
        wanted = {(ln.sku, ln.location): ln.quantity for ln in lines}
        for row in sorted(wanted.keys() | freed.keys(), key=_row_order):
            if row in freed:
                tx.stock.unreserve(row[0], row[1], freed[row])
            if row not in wanted:
                continue
            try:
                level = tx.stock.move(
                    row[0],
                    row[1],
                    -wanted[row],
                    MovementKind.SALE,
                    reason="expired reservation committed",
                    reference=reference,
                )
            except InsufficientStockError:
                raise ReservationError(
                    f"reservation {current.key!r} expired at {current.expires_at.isoformat()} "
                    f"and {row[0]} at {row[1]} no longer has {wanted[row]} available; "
                    "reserve again"
                ) from None
            self._low_stock(tx, level, level.available + wanted[row] - freed.get(row, 0))
        return tx.reservations.get(current.id)

    def release(self, reservation: Reservation | str) -> Reservation:
        """Give the held stock back (a cancelled checkout). Releasing twice is harmless.

        An expired reservation is returned as it is (its stock is already free); a committed
        one raises :class:`~commercekit.errors.ReservationError`.
        """
        for _ in range(self.max_attempts):
            try:
                with self.store.transaction() as tx:
                    current = self._get(tx, reservation)
                    if current.status is ReservationStatus.COMMITTED:
                        raise ReservationError(
                            f"reservation {current.key!r} was committed; record a return instead"
                        )
                    if current.status is not _ACTIVE:
                        return current
                    if not tx.reservations.transition(
                        current.id, _ACTIVE, ReservationStatus.RELEASED
                    ):
                        raise _Retry
                    for line in sorted(
                        current.lines, key=lambda ln: _row_order((ln.sku, ln.location))
                    ):
                        tx.stock.unreserve(line.sku, line.location, line.quantity)
                    return tx.reservations.get(current.id)
            except _Retry:
                continue
        raise ReservationError(f"reservation {reservation!r} kept changing while releasing")

    def extend(self, reservation: Reservation | str, ttl: timedelta | None = None) -> Reservation:
        """Hold an active reservation for ``ttl`` (default: the service's) from now.

        An expired, committed or released reservation raises
        :class:`~commercekit.errors.ReservationError`: reserve again instead.
        """
        ttl = self.ttl if ttl is None else _check_ttl(ttl)
        with self.store.transaction() as tx:
            current = self._get(tx, reservation)
            if current.status is not _ACTIVE or current.expires_at <= tx.now():
                raise ReservationError(
                    f"reservation {current.key!r} is {current.status.value}"
                    f"{' (expired)' if current.status is _ACTIVE else ''}; reserve again"
                )
            if not tx.reservations.extend(current.id, tx.now() + ttl):
                raise ReservationError(f"reservation {current.key!r} changed; reserve again")
            return tx.reservations.get(current.id)

    def sweep(self) -> list[Reservation]:
        """Free the stock of every expired reservation (judged by the store's clock).

        Reservations free expired holds on the SKUs they touch by themselves; run a sweep
        now and then (a cron job, a worker) for the rest. Returns what it released.
        """
        with self.store.transaction() as tx:
            return tx.reservations.release_expired()
