"""Shipping methods: zones, every refusal with its stable reason, parcels, and bad input.

Weight and item-count limits judge each parcel (one per shipment); subtotal limits judge the
cart's discounted subtotal; every limit is inclusive.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from commercekit.address import Address
from commercekit.errors import (
    CurrencyMismatchError,
    InvalidIdentifierError,
    MethodRefusedError,
    MissingWeightError,
    ValidationError,
)
from commercekit.money import Money
from commercekit.shipping import (
    DeliveryEstimate,
    Dimensions,
    Shipment,
    ShippableItem,
    ShippingQuote,
    ShippingRequest,
    Weight,
)
from commercekit.shipping._calculators import FlatRate, PerItem, WeightBands
from commercekit.shipping._methods import (
    Refusal,
    RefusalReason,
    ShippingMethod,
    build_parcel,
)
from commercekit.tax import PostalRange, TaxZone

BERLIN = Address("DE", region="BE", postal_code="10115")
FLAT = FlatRate(Money("4.90", "EUR"))


def item(
    sku: str = "MUG", quantity: int = 1, kg: str | None = "0.5", **extra: object
) -> ShippableItem:
    weight = None if kg is None else Weight(kg, "kg")
    return ShippableItem(sku, quantity, weight=weight, **extra)  # type: ignore[arg-type]


def request(
    *items: ShippableItem, to: Address = BERLIN, subtotal: int = 2000, currency: str = "EUR"
) -> ShippingRequest:
    return ShippingRequest(currency, to, [Shipment("berlin", None, items)], subtotal_minor=subtotal)


def refusal(method: ShippingMethod, req: ShippingRequest) -> Refusal:
    found = method.eligibility(req)
    assert found is not None
    assert found.method == method.id
    return found


def test_an_eligible_method_has_no_refusal_and_quotes() -> None:
    method = ShippingMethod(
        "std", "Standard", FLAT, carrier="DHL", service="Paket", estimate=DeliveryEstimate(1, 3)
    )
    req = request(item())
    assert method.eligibility(req) is None
    quote = method.quote(req, source="table")
    assert isinstance(quote, ShippingQuote)
    assert (quote.method, quote.carrier, quote.service, quote.source) == (
        "std",
        "DHL",
        "Paket",
        "table",
    )
    assert quote.amount == Money("4.90", "EUR")
    assert quote.estimate == DeliveryEstimate(1, 3)


def test_a_method_without_zones_ships_everywhere() -> None:
    method = ShippingMethod("world", "World", FLAT)
    assert method.eligibility(request(item(), to=Address("JP"))) is None


def test_zones_by_country_subdivision_and_postal_range() -> None:
    zones = [
        TaxZone("de", "DE"),
        TaxZone("california", "US", subdivisions=["CA"]),
        TaxZone("vienna", "AT", postal_codes=[PostalRange("1010", "1239")]),
    ]
    method = ShippingMethod("zoned", "Zoned", FLAT, zones=zones)
    for inside in (BERLIN, Address("US", region="CA"), Address("AT", postal_code="1100")):
        assert method.eligibility(request(item(), to=inside)) is None
    for outside in (Address("US", region="NV"), Address("AT", postal_code="4020"), Address("FR")):
        found = refusal(method, request(item(), to=outside))
        assert found.reason == "outside_zones"
        assert "'de', 'california', 'vienna'" in found.message


def test_excluded_sku_and_excluded_tag_name_the_sku() -> None:
    method = ShippingMethod(
        "air", "Air", FLAT, excluded_skus={"LIGHTER"}, excluded_tags={"hazardous"}
    )
    by_sku = refusal(method, request(item("MUG"), item("LIGHTER")))
    assert (by_sku.reason, by_sku.sku) == (RefusalReason.EXCLUDED_ITEM, "LIGHTER")
    assert "excluded_skus" in by_sku.message
    by_tag = refusal(method, request(item("BATTERY", tags={"hazardous", "fragile"})))
    assert (by_tag.reason, by_tag.sku) == ("excluded_item", "BATTERY")
    assert "'hazardous' (excluded_tags)" in by_tag.message
    assert method.eligibility(request(item("MUG", tags={"fragile"}))) is None


def test_missing_weight_names_the_sku_when_weights_are_needed() -> None:
    bands = WeightBands([(Weight("5", "kg"), Money("6.00", "EUR"))])
    req = request(item("MUG"), item("POSTER", kg=None))
    for method in (
        ShippingMethod("by-weight", "By weight", bands),
        ShippingMethod("asked", "Asked", FLAT, requires_weights=True),
        ShippingMethod("limited", "Limited", FLAT, max_weight=Weight("5", "kg")),
    ):
        assert method.needs_weights
        found = refusal(method, req)
        assert (found.reason, found.sku) == ("missing_weight", "POSTER")
        assert "ShippableItem.weight" in found.message
    flat = ShippingMethod("flat", "Flat", FLAT)
    assert not flat.needs_weights
    assert flat.eligibility(req) is None


def test_too_heavy_and_too_light_judge_the_parcel_inclusively() -> None:
    method = ShippingMethod(
        "letter", "Letter", FLAT, min_weight=Weight("100", "g"), max_weight=Weight("2", "kg")
    )
    # 4 x 0.5 kg = 2 kg: exactly the limit
    assert method.eligibility(request(item(quantity=4))) is None
    heavy = refusal(method, request(item(quantity=4), item("PEN", kg="0.001")))
    assert (heavy.reason, heavy.location) == ("too_heavy", "berlin")
    assert "2.001 kg, over max_weight 2 kg" in heavy.message
    light = refusal(method, request(item(kg="0.099")))
    assert light.reason == "too_light"
    assert "under min_weight 100 g" in light.message
    assert method.eligibility(request(item(kg="0.1"))) is None


def test_weight_limits_in_pounds_against_items_in_grams() -> None:
    # 1 lb = 453.59237 g: 453 g passes, 454 g does not
    method = ShippingMethod("small", "Small", FLAT, max_weight=Weight("1", "lb"))
    assert method.eligibility(request(item(kg="0.453"))) is None
    assert refusal(method, request(item(kg="0.454"))).reason == "too_heavy"


def test_too_many_items_counts_units_in_the_parcel() -> None:
    method = ShippingMethod("box", "Box", FLAT, max_quantity=3)
    assert method.eligibility(request(item(quantity=2), item("PEN"))) is None
    found = refusal(method, request(item(quantity=2), item("PEN", quantity=2)))
    assert found.reason == "too_many_items"
    assert "4 units, over max_quantity 3" in found.message


def test_subtotal_limits_judge_the_discounted_subtotal_inclusively() -> None:
    method = ShippingMethod(
        "mid",
        "Mid",
        FLAT,
        min_subtotal=Money("20.00", "EUR"),
        max_subtotal=Money("100.00", "EUR"),
    )
    assert method.eligibility(request(item(), subtotal=2000)) is None
    assert method.eligibility(request(item(), subtotal=10000)) is None
    low = refusal(method, request(item(), subtotal=1999))
    assert low.reason == "subtotal_too_low"
    assert "19.99 EUR is under min_subtotal 20.00 EUR" in low.message
    assert refusal(method, request(item(), subtotal=10001)).reason == "subtotal_too_high"


def test_a_calculator_without_a_rate_is_a_refusal() -> None:
    bands = WeightBands([(Weight("1", "kg"), Money("6.00", "EUR"))])
    found = refusal(ShippingMethod("light", "Light", bands), request(item(quantity=3)))
    assert (found.reason, found.location) == ("too_heavy", "berlin")


def test_a_request_in_another_currency_is_an_error_not_a_refusal() -> None:
    method = ShippingMethod("std", "Standard", FLAT)
    with pytest.raises(CurrencyMismatchError, match="quotes in EUR, the request is in USD"):
        method.eligibility(request(item(), currency="USD"))


def test_refused_errors_carry_the_refusal() -> None:
    found = Refusal("std", RefusalReason.MISSING_WEIGHT, "no weight", sku="MUG")
    error = MissingWeightError(found.message, refusal=found, reason=found.reason)
    assert isinstance(error, MethodRefusedError)
    assert isinstance(error, ValidationError)
    assert (error.refusal, error.reason, str(error)) == (found, "missing_weight", "no weight")


def test_a_parcel_sums_weights_exactly_and_rounds_up_once() -> None:
    # 3 x 1 lb + 1 x 200 g, in the first item's unit (lb): 3 + 200 / 453.59237 lb
    shipment = Shipment(
        "berlin",
        None,
        [
            ShippableItem("BOOK", 3, weight=Weight("1", "lb")),
            ShippableItem("MUG", 1, weight=Weight("200", "g")),
        ],
    )
    parcel = build_parcel(shipment)
    assert parcel is not None
    exact = 3 + Fraction(200) / Fraction("453.59237")  # 3.44092452... lb
    assert parcel.weight == Weight("3.441", "lb")
    assert (
        Fraction(parcel.weight.value) >= exact > Fraction(parcel.weight.value) - Fraction(1, 1000)
    )
    assert parcel.location == "berlin"
    assert parcel.contents == (("BOOK", 3), ("MUG", 1))
    assert parcel.dimensions is None


def test_a_parcel_stacks_boxes_on_their_smallest_side() -> None:
    shipment = Shipment(
        None,
        None,
        [
            ShippableItem(
                "BOOK", 2, weight=Weight("1", "kg"), dimensions=Dimensions("30", "5", "20")
            ),
            ShippableItem(
                "MUG", 1, weight=Weight("1", "kg"), dimensions=Dimensions("4", "4", "4", "in")
            ),
        ],
    )
    parcel = build_parcel(shipment)
    assert parcel is not None
    # books lie 30 x 20 x 5 cm; the mug is 10.16 cm a side: 30 long, 20 wide, 5 + 5 + 10.16 high
    assert parcel.dimensions == Dimensions("30", "20", Decimal("5") * 2 + Decimal("10.16"))


def test_no_parcel_without_every_weight_and_no_box_without_every_box() -> None:
    assert build_parcel(Shipment(None, None, [item(), item("POSTER", kg=None)])) is None
    boxed = ShippableItem("BOX", 1, weight=Weight("1", "kg"), dimensions=Dimensions(1, 1, 1))
    parcel = build_parcel(Shipment(None, None, [boxed, item()]))
    assert parcel is not None
    assert parcel.dimensions is None


def test_bad_method_configuration_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="min_weight is over max_weight"):
        ShippingMethod("x", "X", FLAT, min_weight=Weight("2", "kg"), max_weight=Weight("1", "kg"))
    with pytest.raises(ValidationError, match="min_subtotal is over max_subtotal"):
        ShippingMethod(
            "x", "X", FLAT, min_subtotal=Money("9", "EUR"), max_subtotal=Money("8", "EUR")
        )
    with pytest.raises(CurrencyMismatchError, match="min_subtotal"):
        ShippingMethod("x", "X", FLAT, min_subtotal=Money("9", "USD"))
    with pytest.raises(ValidationError, match="max_quantity"):
        ShippingMethod("x", "X", FLAT, max_quantity=0)
    with pytest.raises(ValidationError, match=r"zones\[0\] must be a TaxZone"):
        ShippingMethod("x", "X", FLAT, zones=["DE"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="calculator must be a rate calculator"):
        ShippingMethod("x", "X", Money("4.90", "EUR"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="max_weight must be a Weight"):
        ShippingMethod("x", "X", FLAT, max_weight="2 kg")  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError, match="method id"):
        ShippingMethod("", "X", FLAT)
    with pytest.raises(InvalidIdentifierError, match="name"):
        ShippingMethod("x", "", FLAT)


def test_bad_addresses_and_zones_are_refused() -> None:
    with pytest.raises(ValidationError, match="country"):
        Address("")
    with pytest.raises(ValidationError, match="unknown country code"):
        TaxZone("nowhere", "XX")


def test_per_item_prices_each_unit_of_the_parcel() -> None:
    method = ShippingMethod("each", "Each", PerItem(Money("3.00", "EUR"), Money("1.00", "EUR")))
    quote = method.quote(request(item(quantity=3)))
    assert isinstance(quote, ShippingQuote)
    # 3.00 + 2 x 1.00
    assert quote.amount == Money("5.00", "EUR")
