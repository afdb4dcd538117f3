"""Bundles, stock policies (backorder, preorder) and low-stock thresholds per SKU."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from commercekit.errors import InvalidQuantityError, ValidationError
from commercekit.inventory._base import ServiceParts, bundles, policies, stock
from commercekit.inventory._checks import check_sku
from commercekit.inventory._policy import StockPolicy
from commercekit.inventory._records import StockLevel
from commercekit.rules import MAX_QUANTITY, check_count

__all__ = ["BundlesAndPolicies"]


class BundlesAndPolicies(ServiceParts):
    """What is known about a SKU besides its stock (part of ``InventoryService``)."""

    def set_bundle(self, sku: str, components: Mapping[str, int]) -> None:
        """Define (or redefine) bundle ``sku`` as ``components``: component SKU -> units.

        Reserving one bundle holds every component; components are plain SKUs (a bundle
        cannot contain a bundle, nor itself).
        """
        sku = check_sku(sku)
        if not isinstance(components, Mapping) or not components:
            raise ValidationError(f"a bundle needs at least one component, got {components!r}")
        parts: dict[str, int] = {}
        for component, units in components.items():
            component = check_sku(component, name="component sku")
            check_count(units)
            if component == sku:
                raise ValidationError(f"bundle {sku!r} cannot contain itself")
            parts[component] = units
        with self.store.transaction() as tx:
            if bundles(tx).is_component(sku):
                raise ValidationError(f"{sku!r} is a component of another bundle")
            nested = [c for c in parts if bundles(tx).get(c)]
            if nested:
                raise ValidationError(f"bundle components cannot be bundles: {nested}")
            bundles(tx).save(sku, parts)

    def bundle(self, sku: str) -> dict[str, int]:
        """The components of bundle ``sku`` (an empty dict if it is not a bundle)."""
        sku = check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            return bundles(tx).get(sku)

    def remove_bundle(self, sku: str) -> bool:
        """Forget bundle ``sku``; ``False`` if it was not one. Reservations keep their lines."""
        sku = check_sku(sku)
        with self.store.transaction() as tx:
            return bundles(tx).delete(sku)

    def set_policy(
        self, sku: str, policy: StockPolicy, *, locations: Iterable[str] = ()
    ) -> list[StockLevel]:
        """Set the backorder/preorder policy of ``sku`` and the floor of its stock rows.

        The floor (``-policy.allowance``) applies to every row of the SKU, and rows are created
        at ``locations`` (a preorder SKU has no stock yet). Lowering the allowance below what
        is already sold past zero raises :class:`~commercekit.errors.InsufficientStockError`.
        Returns the SKU's rows.
        """
        sku = check_sku(sku)
        if not isinstance(policy, StockPolicy):
            raise ValidationError(f"policy must be a StockPolicy, got {policy!r}")
        wanted = [check_sku(loc, name="location") for loc in locations]
        with self.store.transaction() as tx:
            policies(tx).save_policy(sku, policy)
            rows = {level.location for level in stock(tx).levels([sku])} | set(wanted)
            for location in sorted(rows, key=str.encode):
                stock(tx).ensure(sku, location, floor=policy.floor)
                stock(tx).set_floor(sku, location, policy.floor)
            return stock(tx).levels([sku])

    def policy(self, sku: str) -> StockPolicy:
        """The policy of ``sku`` (no backorder unless :meth:`set_policy` said otherwise)."""
        sku = check_sku(sku)
        with self.store.transaction(readonly=True) as tx:
            return policies(tx).policy(sku)

    def set_low_stock_threshold(
        self, sku: str, threshold: int | None, *, location: str | None = None
    ) -> None:
        """Write a ``stock.low`` outbox event when available stock falls to ``threshold``.

        The event is written in the transaction of the change that crosses the threshold
        (available goes from above it to at or below it). ``location=None`` sets the SKU's
        default; a location's own threshold wins over it. ``None`` removes the threshold.
        """
        sku = check_sku(sku)
        if location is not None:
            location = check_sku(location, name="location")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int)
            or not 0 <= threshold <= MAX_QUANTITY
        ):
            raise InvalidQuantityError(f"a threshold is an int >= 0 or None, got {threshold!r}")
        with self.store.transaction() as tx:
            policies(tx).save_threshold(sku, location or "", threshold)
