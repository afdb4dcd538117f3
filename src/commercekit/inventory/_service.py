"""The inventory service: its parts (ledger, bundles and policies, reservations) in one class."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from commercekit.address import Address
from commercekit.cart import Cart
from commercekit.errors import ConflictError, RetryableConflictError, ValidationError
from commercekit.inventory._allocation import AllocationStrategy, PriorityOrder
from commercekit.inventory._base import ServiceParts, stock
from commercekit.inventory._bundles_policies import BundlesAndPolicies
from commercekit.inventory._checks import Lines, check_sku, check_ttl, normalize_lines, row_order
from commercekit.inventory._demand import cart_demand
from commercekit.inventory._ledger import StockLedger
from commercekit.inventory._lifecycle import ReservationLifecycle
from commercekit.inventory._locations import AllocationPreview, StockLocation
from commercekit.inventory._planning import draft, expand
from commercekit.inventory._records import ReservationLine
from commercekit.inventory._reservations import Reserving
from commercekit.ports import AggregateKind

if TYPE_CHECKING:
    from commercekit.ports import StorePort, TransactionPort
    from commercekit.pricing import Catalog, CatalogEntry

__all__ = ["LOCATION_KIND", "InventoryService", "check_sku", "normalize_lines"]

#: How the store keeps location addresses: one versioned aggregate per location (no table of
#: its own, so no migration).
LOCATION_KIND: AggregateKind[StockLocation] = AggregateKind("stock_location", StockLocation)


class LocationsAndPreviews(ServiceParts):
    """Location addresses and allocation previews (part of ``InventoryService``)."""

    def set_location_address(self, location: str, address: Address | None) -> StockLocation | None:
        """Record where ``location`` ships from (``None`` forgets it); return what is stored.

        The address needs a country (every :class:`~commercekit.address.Address` has one); a
        location need not hold stock yet. Setting the same address again changes nothing.
        """
        location = check_sku(location, name="location")
        if address is not None:
            StockLocation(location, address)  # checks the address before any write
        for attempt in (1, 2):
            try:
                return self._transact(lambda tx: self._set_address(tx, location, address))
            except RetryableConflictError:
                raise
            except ConflictError:
                # Another writer added or changed it first: run again on what it wrote.
                if attempt == 2 or self.store.in_transaction():
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _set_address(
        tx: TransactionPort, location: str, address: Address | None
    ) -> StockLocation | None:
        repo = tx.aggregates(LOCATION_KIND)
        found = repo.find(location)
        if address is None:
            if found is not None:
                repo.delete(found)
            return None
        if found is None:
            return repo.add(StockLocation(location, address))
        if found.address == address:
            return found
        return repo.save(attrs.evolve(found, address=address))

    def location_address(self, location: str) -> Address | None:
        """The address ``location`` ships from, or ``None`` when none was set."""
        location = check_sku(location, name="location")
        with self.store.transaction(readonly=True) as tx:
            found = tx.aggregates(LOCATION_KIND).find(location)
        return None if found is None else found.address

    def location_addresses(self) -> dict[str, Address]:
        """Every location's address, by location (in byte order of the names).

        Pass it as ``locations`` to :func:`commercekit.shipping.shipping_request`.
        """
        found: list[StockLocation] = []
        with self.store.transaction(readonly=True) as tx:
            repo = tx.aggregates(LOCATION_KIND)
            while page := repo.list(limit=100, offset=len(found)):
                found.extend(page)
        return {loc.id: loc.address for loc in sorted(found, key=lambda loc: loc.id.encode())}

    def preview_allocation(
        self,
        cart_or_lines: Cart | Lines,
        *,
        catalog: Catalog | Mapping[str, CatalogEntry] | None = None,
        strategy: AllocationStrategy | None = None,
    ) -> AllocationPreview:
        """How a reservation made now would split a cart across locations; nothing is held.

        ``cart_or_lines`` is a :class:`~commercekit.cart.Cart` (with its ``catalog``, read by
        :func:`~commercekit.inventory.cart_demand`) or lines as :meth:`reserve` takes them.
        Planning is the reservation's own (bundles expanded, expired holds counted as free,
        ``strategy`` or the service's), in a read-only transaction. A short or unknown SKU is
        reported in the preview, not raised: see :class:`AllocationPreview`.
        """
        if isinstance(cart_or_lines, Cart):
            if catalog is None:
                raise ValidationError("a cart is previewed with its catalog: pass catalog=")
            requested = cart_demand(cart_or_lines, catalog)
        else:
            requested = normalize_lines(cart_or_lines)
        plan_with = self.strategy if strategy is None else strategy
        skus = sorted(requested, key=str.encode)
        with self.store.transaction(readonly=True) as tx:
            read = stock(tx).planning_read(skus)
            planned = draft(read, requested, plan_with, tx, preview=True)
        components = read[0]
        bundles: dict[str, dict[str, int]] = {}
        for bundle, part, units in components:
            if bundle in requested:
                bundles.setdefault(bundle, {})[part] = units
        lines = [
            ReservationLine(sku, location, units)
            for (sku, location), units in sorted(
                planned.plan.items(), key=lambda i: row_order(i[0])
            )
        ]
        return AllocationPreview(
            lines,
            demand=expand(requested, components),
            bundles=bundles,
            unknown=planned.unknown,
            shortages=planned.shortages,
        )


class InventoryService(
    StockLedger, BundlesAndPolicies, Reserving, ReservationLifecycle, LocationsAndPreviews
):
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
        store: StorePort,
        *,
        ttl: timedelta = timedelta(minutes=15),
        strategy: AllocationStrategy | None = None,
        max_attempts: int = 8,
    ) -> None:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError(f"max_attempts must be an int >= 1, got {max_attempts!r}")
        self.store = store
        self.ttl = check_ttl(ttl)
        self.strategy: AllocationStrategy = strategy if strategy is not None else PriorityOrder()
        self.max_attempts = max_attempts
