"""Location addresses and allocation previews, on every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from commercekit.address import Address
from commercekit.cart import Cart
from commercekit.clock import ManualClock
from commercekit.errors import ValidationError
from commercekit.inventory import FewestShipments, InventoryService, ReservationLine
from commercekit.inventory._locations import StockLocation
from commercekit.pricing import CatalogEntry
from commercekit.shipping import Weight
from commercekit.shipping._from_cart import requote_needed, shipping_request
from commercekit.storage import Store

PARIS = Address("FR", postal_code="75011", city="Paris", lines=["12 rue Oberkampf"])
LYON = Address("FR", postal_code="69001", city="Lyon")
HOME = Address("DE", postal_code="10115", city="Berlin")


@pytest.fixture
def inv(store: Store) -> InventoryService:
    return InventoryService(store, ttl=timedelta(minutes=10))


def written(store: Store) -> list[Any]:
    """Everything the inventory writes, to prove a preview changes nothing."""
    with store.transaction(readonly=True) as tx:
        return [
            tx.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("ck_stock_levels", "ck_reservations", "ck_reservation_lines", "ck_outbox")
        ]


# -- addresses ------------------------------------------------------------------------------


def test_location_addresses_are_stored_changed_and_forgotten(inv: InventoryService) -> None:
    assert inv.location_address("paris") is None
    stored = inv.set_location_address("paris", PARIS)
    assert stored == StockLocation("paris", PARIS, version=1)
    inv.set_location_address("lyon", LYON)
    assert inv.location_address("paris") == PARIS
    assert inv.location_addresses() == {"lyon": LYON, "paris": PARIS}
    # The same address again writes nothing; another one is a new version.
    assert inv.set_location_address("paris", PARIS) == stored
    moved = Address("FR", postal_code="75010", city="Paris")
    assert inv.set_location_address("paris", moved) == StockLocation("paris", moved, version=2)
    assert inv.location_address("paris") == moved
    assert inv.set_location_address("paris", None) is None
    assert inv.location_address("paris") is None
    assert inv.location_addresses() == {"lyon": LYON}
    assert inv.set_location_address("paris", None) is None  # forgetting twice is harmless


def test_bad_location_addresses_are_refused_and_store_nothing(inv: InventoryService) -> None:
    with pytest.raises(ValidationError, match="country"):
        inv.set_location_address("paris", Address(""))
    with pytest.raises(ValidationError, match="Address"):
        inv.set_location_address("paris", {"country": "FR"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="location"):
        inv.set_location_address(" paris", PARIS)
    with pytest.raises(ValidationError, match="location"):
        inv.location_address("")
    assert inv.location_addresses() == {}


def test_many_location_addresses_are_all_listed(inv: InventoryService) -> None:
    names = [f"store-{n:03d}" for n in range(130)]  # more than one page of the store's list
    for name in names:
        inv.set_location_address(name, LYON)
    assert list(inv.location_addresses()) == names


# -- previews -------------------------------------------------------------------------------


def test_a_preview_matches_the_reservation_that_follows(
    inv: InventoryService, store: Store
) -> None:
    inv.receive("MUG", "paris", 2)
    inv.receive("MUG", "lyon", 5)
    inv.receive("CUP", "lyon", 4)
    inv.set_bundle("GIFT", {"MUG": 1, "CUP": 2})
    before = written(store)
    preview = inv.preview_allocation([("GIFT", 1), ("MUG", 3)])
    assert written(store) == before  # nothing held, nothing written
    assert preview.complete and preview.bundles == {"GIFT": {"MUG": 1, "CUP": 2}}
    assert preview.demand == {"MUG": 4, "CUP": 2}
    # Priority order (byte order of names): lyon before paris.
    assert preview.lines == (
        ReservationLine("CUP", "lyon", 2),
        ReservationLine("MUG", "lyon", 4),
    )
    held = inv.reserve("cart-1", [("GIFT", 1), ("MUG", 3)])
    assert held.lines == preview.lines
    # Another strategy, previewed and reserved alike.
    fewest = FewestShipments(priority=["paris"])
    # Left: 2 mugs in Paris, 1 in Lyon; no one place has 3, so both ship.
    preview = inv.preview_allocation({"MUG": 3}, strategy=fewest)
    assert preview.lines == (ReservationLine("MUG", "lyon", 1), ReservationLine("MUG", "paris", 2))
    assert inv.reserve("cart-2", {"MUG": 3}, strategy=fewest).lines == preview.lines


def test_a_preview_reports_what_a_reservation_would_refuse(inv: InventoryService) -> None:
    inv.receive("MUG", "paris", 2)
    preview = inv.preview_allocation({"MUG": 5, "NOPE": 1})
    assert not preview.complete and preview.unknown == ("NOPE",)
    short = inv.preview_allocation({"MUG": 5})
    assert short.shortages == {"MUG": 3} and short.lines == (ReservationLine("MUG", "paris", 2),)
    assert inv.level("MUG", "paris").reserved == 0  # type: ignore[union-attr]


def test_a_preview_counts_expired_holds_as_free_and_leaves_them(
    inv: InventoryService, store: Store, clock: ManualClock
) -> None:
    inv.receive("MUG", "paris", 3)
    old = inv.reserve("old-cart", {"MUG": 3})
    clock.advance(timedelta(minutes=11))
    preview = inv.preview_allocation({"MUG": 2})
    assert preview.complete and preview.lines == (ReservationLine("MUG", "paris", 2),)
    assert inv.get(old).status.value == "active"  # not swept by a preview
    assert inv.level("MUG", "paris").reserved == 3  # type: ignore[union-attr]
    assert inv.reserve("new-cart", {"MUG": 2}).lines == preview.lines


def test_a_cart_previewed_then_reserved_ships_as_quoted_or_says_so(
    inv: InventoryService, store: Store
) -> None:
    catalog = {"MUG": CatalogEntry("MUG", shipping_weight=Weight("0.35", "kg"))}
    cart = Cart(currency="EUR", shipping_address=HOME).add("MUG", 3)
    with pytest.raises(ValidationError, match="catalog"):
        inv.preview_allocation(cart)
    inv.receive("MUG", "lyon", 2)
    inv.receive("MUG", "paris", 5)
    inv.set_location_address("lyon", LYON)
    inv.set_location_address("paris", PARIS)
    places = inv.location_addresses()
    fewest = FewestShipments()
    preview = inv.preview_allocation(cart, catalog=catalog, strategy=fewest)
    quoted = shipping_request(cart, catalog, preview.lines, locations=places)
    assert [(s.location, s.origin) for s in quoted.shipments] == [("paris", PARIS)]
    # Between quote and checkout, someone buys most of Paris's mugs: the cart now splits.
    inv.sell("MUG", "paris", 4)
    held = inv.reserve("checkout-1", {"MUG": 3}, strategy=fewest)
    reserved = shipping_request(cart, catalog, held.lines, locations=places)
    check = requote_needed(quoted, reserved)
    assert check.needed and check.added == ("lyon",) and check.changed == ("paris",)
    assert [(s.location, s.origin) for s in reserved.shipments] == [
        ("lyon", LYON),
        ("paris", PARIS),
    ]
