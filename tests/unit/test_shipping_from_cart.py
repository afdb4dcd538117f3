"""What shipping knows from the catalog, and a cart's shipping request per stock location."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Cart, price_cart
from commercekit.codec import make_json_converter
from commercekit.errors import ValidationError
from commercekit.inventory import ReservationLine
from commercekit.inventory._locations import AllocationPreview, StockLocation
from commercekit.pricing import CatalogEntry, InMemoryCatalog, Variant
from commercekit.pricing.promotions import PercentOffItems, Promotion
from commercekit.shipping import Dimensions, Weight
from commercekit.shipping._from_cart import RequoteCheck, requote_needed, shipping_request

AT = datetime(2026, 3, 2, 12, tzinfo=UTC)
HOME = Address("FR", postal_code="69001", city="Lyon")
PARIS = Address("FR", postal_code="75011", city="Paris")
BERLIN = Address("DE", postal_code="10115", city="Berlin")
MUG_KG = Weight("0.35", "kg")
MUG_BOX = Dimensions("12", "9", "9", "cm")

CATALOG = {
    "MUG": CatalogEntry(
        "MUG",
        price=Money("8.00", "EUR"),
        tags={"fragile"},
        shipping_weight=MUG_KG,
        dimensions=MUG_BOX,
    ),
    "BEANS": CatalogEntry(
        "BEANS",
        price=Money("24.00", "EUR"),
        sold_by_measure=True,
        stock_units=1000,
        shipping_weight=Weight("1", "kg"),
    ),
    "TEE": CatalogEntry(
        "TEE",
        price=Money("20.00", "EUR"),
        shipping_weight=Weight("7", "oz"),
        variants=[Variant("TEE-M", {"size": "M"}), Variant("TEE-L", {"size": "L"})],
    ),
    "GIFT": CatalogEntry("GIFT", price=Money("30.00", "EUR"), shipping_weight=Weight("2", "lb")),
    "CUP": CatalogEntry("CUP", price=Money("5.00", "EUR"), shipping_weight=Weight("150", "g")),
}


def cart(**lines: Any) -> Cart:
    result = Cart(currency="EUR", id="c1", shipping_address=HOME)
    for sku, quantity in lines.items():
        result = result.add(sku, quantity)
    return result


# -- the catalog ----------------------------------------------------------------------------


def test_catalog_entry_carries_weight_and_box_with_units() -> None:
    entry = CATALOG["MUG"]
    assert entry.shipping_weight == Weight(Decimal("0.35"), "kg")
    assert entry.shipping_weight.grams == 350
    assert entry.dimensions is not None and entry.dimensions.volume == 12 * 9 * 9
    plain = CatalogEntry("PLAIN")
    assert (plain.shipping_weight, plain.dimensions) == (None, None)


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: CatalogEntry("MUG", shipping_weight=Weight("-0.35", "kg")), "weight"),
        (lambda: CatalogEntry("MUG", shipping_weight=Weight("0", "kg")), "weight"),
        (lambda: CatalogEntry("MUG", shipping_weight=Weight("1", "stone")), "weight unit"),
        (lambda: CatalogEntry("MUG", dimensions=Dimensions("12", "0", "9")), "length"),
        (lambda: CatalogEntry("MUG", dimensions=Dimensions("12", "9", "9", "ft")), "length unit"),
        (
            lambda: CatalogEntry("MUG", shipping_weight=cast(Any, Decimal("0.35"))),
            "shipping_weight",
        ),
        (lambda: CatalogEntry("MUG", shipping_weight=cast(Any, "0.35 kg")), "shipping_weight"),
        (lambda: CatalogEntry("MUG", dimensions=cast(Any, (12, 9, 9))), "dimensions"),
        (lambda: CatalogEntry("MUG", dimensions=cast(Any, MUG_KG)), "dimensions"),
    ],
)
def test_catalog_refuses_bad_weights_and_boxes(build: Any, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        build()


def test_catalog_entry_and_inventory_values_round_trip_through_the_codec() -> None:
    converter = make_json_converter()
    line = ReservationLine("MUG", "paris", 2)
    samples: list[Any] = [
        CatalogEntry("MUG", shipping_weight=MUG_KG, dimensions=MUG_BOX),
        StockLocation("paris", PARIS),
        AllocationPreview([line], demand={"MUG": 2}, bundles={"GIFT": {"MUG": 1}}),
    ]
    for sample in samples:
        text = json.dumps(converter.unstructure(sample))
        assert converter.structure(json.loads(text), type(sample)) == sample


# -- the request ----------------------------------------------------------------------------


def test_a_cart_from_one_location_is_one_shipment_with_catalog_weights() -> None:
    request = shipping_request(
        cart(MUG=2), CATALOG, [ReservationLine("MUG", "paris", 2)], locations={"paris": PARIS}
    )
    (shipment,) = request.shipments
    assert (shipment.location, shipment.origin) == ("paris", PARIS)
    (item,) = shipment.items
    assert (item.sku, item.quantity, item.weight, item.dimensions) == ("MUG", 2, MUG_KG, MUG_BOX)
    assert item.tags == {"fragile"}
    assert request.destination == HOME and request.currency.code == "EUR"


def test_a_split_cart_becomes_two_shipments_with_amounts_after_discounts() -> None:
    the_cart = cart(MUG=3, CUP=1)
    ten_off = Promotion("ten", "10% off", [PercentOffItems("10")])
    breakdown = price_cart(the_cart, CATALOG, at=AT, promotions=[ten_off])
    allocation = [
        ReservationLine("CUP", "berlin", 1),
        ReservationLine("MUG", "berlin", 1),
        ReservationLine("MUG", "paris", 2),
    ]
    request = shipping_request(
        the_cart,
        CATALOG,
        allocation,
        locations={"paris": PARIS, "berlin": BERLIN},
        breakdown=breakdown,
    )
    assert [(s.location, s.origin) for s in request.shipments] == [
        ("berlin", BERLIN),
        ("paris", PARIS),
    ]
    berlin, paris = request.shipments
    assert [(i.sku, i.quantity) for i in berlin.items] == [("MUG", 1), ("CUP", 1)]
    assert [(i.sku, i.quantity) for i in paris.items] == [("MUG", 2)]
    # Mugs: 3 x 8.00 = 2400, less 10% = 2160, split 1:2 between Berlin and Paris.
    mug_after = 2400 - 240
    assert berlin.items[0].amount_minor == mug_after // 3
    assert paris.items[0].amount_minor == mug_after - mug_after // 3
    # The cup: 500 less 50.
    assert berlin.items[1].amount_minor == 450
    assert request.subtotal_minor == mug_after + 450
    assert sum(i.amount_minor for i in request.items) == request.subtotal_minor


def test_variants_measures_and_a_location_without_an_address() -> None:
    the_cart = (
        Cart(currency="EUR", id="c1", shipping_address=HOME)
        .add("TEE", 2, options={"size": "M"})
        .add("BEANS", Decimal("0.250"))
    )
    allocation = [ReservationLine("TEE-M", "lyon", 2), ReservationLine("BEANS", "lyon", 250)]
    (shipment,) = shipping_request(
        the_cart, InMemoryCatalog(CATALOG.values()), allocation
    ).shipments
    assert shipment.origin is None
    tee, beans = shipment.items
    assert (tee.sku, tee.quantity, tee.weight) == ("TEE-M", 2, Weight("7", "oz"))
    # 250 g of beans sold by the kilogram: one piece weighing 1 kg x 250/1000.
    assert (beans.sku, beans.quantity, beans.weight) == ("BEANS", 1, Weight("0.25", "kg"))
    assert beans.dimensions is None


def test_a_bundle_ships_whole_where_its_parts_are_and_loose_where_they_are_not() -> None:
    parts = {"GIFT": {"MUG": 1, "CUP": 2}}
    whole = [ReservationLine("CUP", "paris", 4), ReservationLine("MUG", "paris", 2)]
    (shipment,) = shipping_request(cart(GIFT=2), CATALOG, whole, bundles=parts).shipments
    assert [(i.sku, i.quantity, i.weight) for i in shipment.items] == [
        ("GIFT", 2, Weight("2", "lb"))
    ]
    # One gift box can be packed in Paris (1 mug, 2 cups); the second's mug is in Berlin.
    split = [
        ReservationLine("CUP", "paris", 4),
        ReservationLine("MUG", "berlin", 1),
        ReservationLine("MUG", "paris", 1),
    ]
    request = shipping_request(cart(GIFT=2), CATALOG, split, bundles=parts)
    berlin, paris = request.shipments
    assert [(i.sku, i.quantity) for i in berlin.items] == [("MUG", 1)]
    assert [(i.sku, i.quantity) for i in paris.items] == [("GIFT", 1), ("CUP", 2)]
    assert paris.items[1].weight == Weight("150", "g")


def test_a_cart_without_a_shipping_address_says_which_field() -> None:
    no_address = Cart(currency="EUR").add("MUG", 1)
    allocation = [ReservationLine("MUG", "paris", 1)]
    with pytest.raises(ValidationError, match="shipping_address"):
        shipping_request(no_address, CATALOG, allocation)
    request = shipping_request(no_address, CATALOG, allocation, destination=BERLIN)
    assert request.destination == BERLIN


@pytest.mark.parametrize(
    ("allocation", "says"),
    [
        ([ReservationLine("MUG", "paris", 1)], "MUG short by 1"),
        ([ReservationLine("MUG", "paris", 3)], "does not need"),
        ([ReservationLine("MUG", "paris", 2), ReservationLine("CUP", "paris", 1)], "does not"),
    ],
)
def test_an_allocation_of_another_cart_is_refused(
    allocation: list[ReservationLine], says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        shipping_request(cart(MUG=2), CATALOG, allocation)


def test_a_breakdown_of_another_cart_is_refused() -> None:
    other = price_cart(Cart(currency="EUR", id="c2").add("MUG", 1), CATALOG, at=AT)
    with pytest.raises(ValidationError, match="breakdown"):
        shipping_request(cart(MUG=1), CATALOG, [ReservationLine("MUG", "x", 1)], breakdown=other)


# -- the re-quote check ---------------------------------------------------------------------


def test_requote_needed_when_the_reservation_splits_differently() -> None:
    the_cart = cart(MUG=3)
    places = {"paris": PARIS, "berlin": BERLIN}
    quoted = shipping_request(
        the_cart, CATALOG, [ReservationLine("MUG", "paris", 3)], locations=places
    )
    same = shipping_request(
        the_cart, CATALOG, [ReservationLine("MUG", "paris", 3)], locations=places
    )
    assert requote_needed(quoted, same) == RequoteCheck()
    assert not requote_needed(quoted, same)
    split = shipping_request(
        the_cart,
        CATALOG,
        [ReservationLine("MUG", "berlin", 1), ReservationLine("MUG", "paris", 2)],
        locations=places,
    )
    check = requote_needed(quoted, split)
    assert check.needed and check.added == ("berlin",) and check.changed == ("paris",)
    assert check.removed == () and not check.destination_changed
    moved = shipping_request(
        the_cart, CATALOG, [ReservationLine("MUG", "berlin", 3)], locations=places
    )
    assert requote_needed(quoted, moved) == RequoteCheck(added=("berlin",), removed=("paris",))


def test_a_changed_subtotal_asks_for_a_new_quote_even_with_the_same_split() -> None:
    from commercekit.address import Address
    from commercekit.shipping import Shipment, ShippableItem, ShippingRequest
    from commercekit.shipping._from_cart import requote_needed

    items = [ShippableItem("MUG", 2)]
    quoted = ShippingRequest("EUR", Address("FR"), [Shipment("paris", None, items)], 5000)
    same = ShippingRequest("EUR", Address("FR"), [Shipment("paris", None, items)], 5000)
    cheaper = ShippingRequest("EUR", Address("FR"), [Shipment("paris", None, items)], 4500)
    assert not requote_needed(quoted, same)
    check = requote_needed(quoted, cheaper)  # a price band may change: quote again
    assert check.needed and check.subtotal_changed and check.changed == ()
