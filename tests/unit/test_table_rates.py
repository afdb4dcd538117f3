"""TableRates: the eligible methods' quotes cheapest first, refusals, and split carts.

A split cart is one parcel per shipment (per location), each priced on its own and summed.
"""

from __future__ import annotations

import pytest

from commercekit.address import Address
from commercekit.errors import CurrencyMismatchError, MissingWeightError, ValidationError
from commercekit.money import Money
from commercekit.shipping import (
    RateProvider,
    Shipment,
    ShippableItem,
    ShippingRequest,
    Weight,
)
from commercekit.shipping._calculators import (
    FlatRate,
    FreeOver,
    PerItem,
    PriceBands,
    WeightBands,
)
from commercekit.shipping._methods import ShippingMethod
from commercekit.shipping._tables import TableRates
from commercekit.tax import TaxZone


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


DE = Address("DE", postal_code="10115")
BANDS = WeightBands(
    [(Weight("1", "kg"), eur("5.00")), (Weight("5", "kg"), eur("8.00"))],
    over=eur("20.00"),
)
STANDARD = ShippingMethod("standard", "Standard", BANDS, carrier="DHL", service="Paket")
EXPRESS = ShippingMethod("express", "Express", FlatRate(eur("12.00")), zones=[TaxZone("de", "DE")])
ECONOMY = ShippingMethod("economy", "Economy", PerItem(eur("3.00"), eur("0.50")), max_quantity=4)
TABLE = TableRates([EXPRESS, STANDARD, ECONOMY], name="shop-table")


def one(*items: ShippableItem, subtotal: int = 3000, to: Address = DE) -> ShippingRequest:
    return ShippingRequest("EUR", to, [Shipment("main", None, items)], subtotal_minor=subtotal)


def test_table_rates_is_a_rate_provider() -> None:
    assert isinstance(TABLE, RateProvider)
    assert TABLE.name == "shop-table"


def test_quotes_come_cheapest_first_with_the_table_as_source() -> None:
    # 2 x 0.4 kg = 0.8 kg: standard 5.00; economy 3.00 + 0.50; express 12.00
    quotes = TABLE.quote(one(ShippableItem("MUG", 2, weight=Weight("400", "g"))))
    assert [(q.method, q.amount) for q in quotes] == [
        ("economy", eur("3.50")),
        ("standard", eur("5.00")),
        ("express", eur("12.00")),
    ]
    assert {q.source for q in quotes} == {"shop-table"}
    assert quotes[1].carrier == "DHL"


def test_equal_prices_keep_the_table_order() -> None:
    first = ShippingMethod("b-first", "B", FlatRate(eur("5.00")))
    second = ShippingMethod("a-second", "A", FlatRate(eur("5.00")))
    quotes = TableRates([first, second]).quote(one(ShippableItem("MUG", 1)))
    assert [q.method for q in quotes] == ["b-first", "a-second"]


def test_refusals_list_the_methods_that_do_not_apply() -> None:
    req = one(ShippableItem("MUG", 5, weight=Weight("400", "g")), to=Address("FR"))
    assert [q.method for q in TABLE.quote(req)] == ["standard"]
    assert [(r.method, r.reason) for r in TABLE.refusals(req)] == [
        ("express", "outside_zones"),
        ("economy", "too_many_items"),
    ]


def test_a_split_cart_is_two_parcels_summed() -> None:
    berlin = Shipment("berlin", None, [ShippableItem("MUG", 2, weight=Weight("400", "g"))])
    hamburg = Shipment("hamburg", None, [ShippableItem("LAMP", 1, weight=Weight("3", "kg"))])
    req = ShippingRequest("EUR", DE, [berlin, hamburg], subtotal_minor=9000)
    quotes = {q.method: q for q in TABLE.quote(req)}
    standard = quotes["standard"]
    # berlin: 2 x 400 g = 800 g, 5.00; hamburg: 3 kg, 8.00 (each parcel in its first unit)
    assert standard.amount == eur("5.00") + eur("8.00")
    assert [(p.location, p.weight, p.contents) for p in standard.parcels] == [
        ("berlin", Weight("800", "g"), (("MUG", 2),)),
        ("hamburg", Weight("3", "kg"), (("LAMP", 1),)),
    ]
    # a flat rate is paid per parcel too: 2 x 12.00
    assert quotes["express"].amount == eur("12.00") * 2
    # per item per parcel: (3.00 + 0.50) + 3.00
    assert quotes["economy"].amount == eur("3.50") + eur("3.00")


def test_free_over_judges_the_whole_carts_discounted_subtotal() -> None:
    free = ShippingMethod("free", "Free", FreeOver(eur("50.00"), otherwise=FlatRate(eur("4.90"))))
    table = TableRates([free])
    split = [
        Shipment("a", None, [ShippableItem("MUG", 1, amount_minor=3000)]),
        Shipment("b", None, [ShippableItem("LAMP", 1, amount_minor=3000)]),
    ]
    # 60.00 of goods, 10.00 off: 50.00 pays no shipping on either parcel
    req = ShippingRequest("EUR", DE, split, subtotal_minor=6000 - 1000)
    assert table.quote(req)[0].amount == eur("0")
    below = ShippingRequest("EUR", DE, split, subtotal_minor=6000 - 1001)
    assert table.quote(below)[0].amount == eur("4.90") * 2


def test_price_bands_through_the_table_on_the_discounted_subtotal() -> None:
    bands = PriceBands([(eur("25.00"), eur("6.00")), (eur("50.00"), eur("4.00"))], over=eur("0"))
    table = TableRates([ShippingMethod("price", "Price", bands)])
    # 60.00 before a 20.00 discount: 40.00, the 50.00 band
    assert table.quote(one(ShippableItem("MUG", 1), subtotal=6000 - 2000))[0].amount == eur("4.00")


def test_missing_weight_is_a_refusal_and_quote_strict_raises() -> None:
    req = one(ShippableItem("MUG", 1, weight=Weight("1", "kg")), ShippableItem("POSTER", 1))
    assert [q.method for q in TABLE.quote(req)] == ["economy", "express"]
    refused = TABLE.refusals(req)
    assert [(r.method, r.reason, r.sku) for r in refused] == [
        ("standard", "missing_weight", "POSTER")
    ]
    with pytest.raises(MissingWeightError, match="'POSTER' has none") as info:
        TABLE.quote_strict(req)
    assert info.value.refusal == refused[0]
    assert [
        q.method for q in TABLE.quote_strict(one(ShippableItem("MUG", 1, weight=Weight("1", "kg"))))
    ] == [
        "economy",
        "standard",
        "express",
    ]


def test_a_request_in_another_currency_is_a_mismatch() -> None:
    req = ShippingRequest("USD", DE, [Shipment(None, None, [ShippableItem("MUG", 1)])])
    with pytest.raises(CurrencyMismatchError):
        TABLE.quote(req)


def test_bad_tables_and_requests_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        TableRates([])
    with pytest.raises(ValidationError, match="used twice"):
        TableRates([STANDARD, STANDARD])
    with pytest.raises(ValidationError, match=r"methods\[0\] must be a ShippingMethod"):
        TableRates([FlatRate(eur("1.00"))])  # type: ignore[list-item]
    with pytest.raises(CurrencyMismatchError, match=r"methods\[1\]"):
        TableRates([STANDARD, ShippingMethod("usd", "USD", FlatRate(Money("1", "USD")))])
    with pytest.raises(ValidationError, match="nothing to ship"):
        TABLE.quote(ShippingRequest("EUR", DE, [Shipment(None, None, [])]))
    with pytest.raises(ValidationError, match=r"request\.destination must be an Address"):
        TABLE.quote(ShippingRequest("EUR", None, [Shipment(None, None, [ShippableItem("A", 1)])]))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="request must be a ShippingRequest"):
        TABLE.quote("cart")  # type: ignore[arg-type]
