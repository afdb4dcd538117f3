"""From a cart to what inventory holds: variant SKUs and whole stock units.

A cart line names what the customer chose (a SKU, its options, a quantity that may be a measure:
0.5 kg of beans); inventory counts stock rows of one SKU in whole units (grams). The catalog
says how one maps to the other: a product's ``variants`` (the SKU stocked for each choice of
options) and its ``stock_units`` (how many stock units one unit sold is: 1000 grams in a
kilogram). :func:`cart_demand` applies both, exactly, or says why it cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from commercekit.cart import Cart, CartLine
from commercekit.errors import InvalidQuantityError, ValidationError
from commercekit.pricing import Catalog, CatalogEntry
from commercekit.rules import MAX_QUANTITY

__all__ = ["cart_demand", "stock_sku", "stock_units"]


def stock_sku(line: CartLine, entry: CatalogEntry) -> str:
    """The SKU inventory holds for ``line``: the variant its options choose, else its own.

    A variant matches when all of its options are among the line's (other options, such as a
    gift message, do not choose a variant). A product with variants whose options the line
    does not settle (none matches, or several do) is a :class:`~commercekit.errors.ValidationError`.
    """
    if not entry.variants:
        return line.sku
    chosen = dict(line.options)
    matches = [
        variant.sku
        for variant in entry.variants
        if all(chosen.get(name) == value for name, value in variant.options)
    ]
    if len(matches) != 1:
        raise ValidationError(
            f"the options {chosen} of {line.sku!r} choose {len(matches)} of its variants "
            f"{[variant.sku for variant in entry.variants]}; exactly one is needed"
        )
    return matches[0]


def stock_units(line: CartLine, entry: CatalogEntry) -> int:
    """``line.quantity`` in whole stock units: ``quantity * entry.stock_units``, exactly.

    0.250 kg of beans stocked in grams (``stock_units=1000``) is 250; 0.2505 kg is an
    :class:`~commercekit.errors.InvalidQuantityError` (half a gram cannot be held), never
    rounded.
    """
    units = Decimal(line.quantity) * entry.stock_units
    whole = int(units)
    if units != whole:
        raise InvalidQuantityError(
            f"{line.quantity} of {line.sku!r} is {units} stock units "
            f"({entry.stock_units} per unit): not a whole number"
        )
    return whole


def cart_demand(cart: Cart, catalog: Catalog | Mapping[str, CatalogEntry]) -> dict[str, int]:
    """The stock units per stocked SKU that ``cart`` needs, ready for ``reserve``.

    Each line goes to its variant SKU (:func:`stock_sku`) and its whole stock units
    (:func:`stock_units`); lines that land on one SKU are summed. ``catalog`` is a
    :class:`~commercekit.ports.Catalog` or a mapping of SKU to entry.

    >>> from decimal import Decimal
    >>> from commercekit import Money
    >>> from commercekit.cart import Cart
    >>> from commercekit.inventory import cart_demand
    >>> from commercekit.pricing import CatalogEntry, Variant
    >>> catalog = {
    ...     "BEANS": CatalogEntry("BEANS", price=Money("24.00", "EUR"), sold_by_measure=True,
    ...                           stock_units=1000),
    ...     "TEE": CatalogEntry("TEE", price=Money("20", "EUR"),
    ...                         variants=[Variant("TEE-M", {"size": "M"}),
    ...                                   Variant("TEE-L", {"size": "L"})]),
    ... }
    >>> cart = (Cart(currency="EUR").add("BEANS", Decimal("0.250"))
    ...         .add("TEE", 2, options={"size": "M"}).add("TEE", 1, options={"size": "L"}))
    >>> cart_demand(cart, catalog)
    {'BEANS': 250, 'TEE-M': 2, 'TEE-L': 1}
    """
    if not cart.lines:
        raise ValidationError("nothing to reserve: the cart has no lines")
    skus = [line.sku for line in cart.lines]
    entries = (
        {sku: catalog[sku] for sku in skus if sku in catalog}
        if isinstance(catalog, Mapping)
        else dict(catalog.get_entries(skus))
    )
    demand: dict[str, int] = {}
    for line in cart.lines:
        entry = entries.get(line.sku)
        if entry is None:
            raise ValidationError(f"{line.sku!r} is not in the catalog")
        sku = stock_sku(line, entry)
        total = demand.get(sku, 0) + stock_units(line, entry)
        if total > MAX_QUANTITY:
            raise InvalidQuantityError(f"{total} stock units of {sku!r} is beyond {MAX_QUANTITY}")
        demand[sku] = total
    return demand
