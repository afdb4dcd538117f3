"""Goods sold by measure and variants reach inventory as whole stock units (issue 12, point 9)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commercekit import Money, open_store
from commercekit.cart import Cart
from commercekit.errors import InvalidQuantityError, ValidationError
from commercekit.inventory import InventoryService, cart_demand
from commercekit.pricing import CatalogEntry, InMemoryCatalog, Variant

BEANS = CatalogEntry(
    "BEANS", price=Money("24.00", "EUR"), sold_by_measure=True, stock_units=1000, name="Beans"
)
TEE = CatalogEntry(
    "TEE",
    price=Money("20.00", "EUR"),
    variants=[Variant("TEE-M", {"size": "M"}), Variant("TEE-L", {"size": "L"})],
)
SIXPACK = CatalogEntry("SIX", price=Money("9.00", "EUR"), stock_units=6)
CATALOG = {entry.sku: entry for entry in (BEANS, TEE, SIXPACK)}


def test_measures_become_whole_stock_units_and_options_choose_variants() -> None:
    cart = (
        Cart(currency="EUR")
        .add("BEANS", Decimal("0.250"))
        .add("BEANS", Decimal("1.5"), options={"grind": "fine"})
        .add("TEE", 2, options={"size": "M", "gift": "wrap"})
        .add("TEE", 1, options={"size": "L"})
        .add("SIX", 2)
    )
    assert cart_demand(cart, CATALOG) == {"BEANS": 1750, "TEE-M": 2, "TEE-L": 1, "SIX": 12}
    assert cart_demand(cart, InMemoryCatalog(CATALOG.values())) == cart_demand(cart, CATALOG)


def test_what_cannot_be_held_exactly_is_refused() -> None:
    with pytest.raises(InvalidQuantityError, match="not a whole number"):
        cart_demand(Cart(currency="EUR").add("BEANS", Decimal("0.2505")), CATALOG)
    with pytest.raises(ValidationError, match="choose 0 of its variants"):
        cart_demand(Cart(currency="EUR").add("TEE", 1, options={"size": "XL"}), CATALOG)
    with pytest.raises(ValidationError, match="not in the catalog"):
        cart_demand(Cart(currency="EUR").add("GHOST", 1), CATALOG)
    with pytest.raises(ValidationError, match="no lines"):
        cart_demand(Cart(currency="EUR"), CATALOG)
    for bad in (0, -1, True, 1.5, 10**10):
        with pytest.raises(InvalidQuantityError):
            CatalogEntry("X", stock_units=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CatalogEntry("X", variants=[Variant("X-1", {"c": "red"}), Variant("X-1", {"c": "blue"})])


@given(grams=st.integers(min_value=1, max_value=10**6))
def test_a_measure_in_whole_grams_converts_exactly(grams: int) -> None:
    kilograms = Decimal(grams).scaleb(-3)
    cart = Cart(currency="EUR").add("BEANS", kilograms)
    assert cart_demand(cart, CATALOG) == {"BEANS": grams}


def test_the_demand_reserves_and_reserve_takes_whole_decimals() -> None:
    with open_store("memory://") as store:
        inventory = InventoryService(store)
        inventory.receive("BEANS", "paris", 5000)
        inventory.receive("TEE-M", "paris", 3)
        cart = (
            Cart(currency="EUR").add("BEANS", Decimal("0.5")).add("TEE", 2, options={"size": "M"})
        )
        held = inventory.reserve("cart-1", cart_demand(cart, CATALOG))
        assert {(line.sku, line.quantity) for line in held.lines} == {("BEANS", 500), ("TEE-M", 2)}
        again = inventory.reserve("cart-2", [("TEE-M", Decimal("1"))])
        assert again.lines[0].quantity == 1
        with pytest.raises(InvalidQuantityError, match="cart_demand"):
            inventory.reserve("cart-3", [("BEANS", Decimal("0.5"))])
