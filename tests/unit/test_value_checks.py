"""Values are checked where they are built (issue 12, point 5).

A catalog entry, a customer and a shipping rate refuse a bad value when they are constructed,
with a typed :class:`~commercekit.errors.CommerceError`, instead of failing later inside the
pipeline with an ``AttributeError`` or, worse, pricing a cart with a negative amount.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from commercekit import Money, errors
from commercekit.cart import Cart, ShippingRate, price_cart
from commercekit.codec import make_json_converter
from commercekit.pricing import CatalogEntry, Customer, InMemoryCatalog, ItemFilter

AT = datetime(2026, 5, 1, tzinfo=UTC)
SURROGATE = "\ud800"


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


# -- CatalogEntry.price ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "price", [12.0, "12.10", Decimal("12.10"), 12, True, ("12.10", "EUR")], ids=repr
)
def test_a_price_that_is_not_money_is_an_invalid_amount(price: object) -> None:
    with pytest.raises(errors.InvalidAmountError, match="price must be Money") as caught:
        CatalogEntry("X", price=price)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)  # hosts catching TypeError keep working
    assert isinstance(caught.value, errors.CommerceError)


def test_a_negative_price_is_refused() -> None:
    with pytest.raises(
        errors.ValidationError, match=re.escape("price must not be negative, got -0.01 EUR")
    ):
        CatalogEntry("X", price=eur("-0.01"))


@pytest.mark.parametrize("amount", ["0", "12.10", "0.0123"])
def test_good_prices_still_work(amount: str) -> None:
    # Zero (a free gift) and a price finer than the minor unit (per gram) are prices.
    assert CatalogEntry("X", price=eur(amount)).price == eur(amount)
    assert CatalogEntry("X").price is None


def test_a_negative_catalog_price_never_reaches_a_total() -> None:
    # Before: the entry was accepted and the grand total came out negative.
    with pytest.raises(errors.ValidationError):
        price_cart(Cart(currency="EUR").add("X"), {"X": CatalogEntry("X", eur("-5"))}, at=AT)


# -- CatalogEntry text fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "label"),
    [("price_list_key", "price_list_key"), ("tax_category", "tax_category")],
)
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (SURROGATE, "surrogate"),
        (f"A{SURROGATE}B", "surrogate"),
        ("", "empty"),
        (" std", "whitespace"),
        ("a\x00b", "control_character"),
        ("x" * 201, "too_long"),
        (7, "not_text"),
    ],
    ids=["surrogate", "inner-surrogate", "empty", "whitespace", "nul", "too-long", "int"],
)
def test_optional_identifiers_follow_the_rules(
    field: str, label: str, value: object, reason: str
) -> None:
    kwargs: dict[str, Any] = {field: value}
    with pytest.raises(errors.InvalidIdentifierError) as caught:
        CatalogEntry("X", **kwargs)
    assert caught.value.reason == reason
    assert str(caught.value).startswith(label)
    str(caught.value).encode("utf-8")  # the message itself always encodes


@pytest.mark.parametrize(("field", "label"), [("tags", "tag"), ("collections", "collection")])
@pytest.mark.parametrize(
    ("value", "reason"),
    [(SURROGATE, "surrogate"), ("", "empty"), ("sale\n", "control_character"), (3, "not_text")],
)
def test_tag_and_collection_names_follow_the_rules(
    field: str, label: str, value: object, reason: str
) -> None:
    kwargs: dict[str, Any] = {field: {"ok", value}}
    with pytest.raises(errors.InvalidIdentifierError) as caught:
        CatalogEntry("X", **kwargs)
    assert caught.value.reason == reason
    assert str(caught.value).startswith(label)


@pytest.mark.parametrize("field", ["tags", "collections"])
@pytest.mark.parametrize("value", ["sale", b"sale", 3, None], ids=repr)
def test_names_must_be_a_collection(field: str, value: object) -> None:
    kwargs: dict[str, Any] = {field: value}
    with pytest.raises(errors.ValidationError, match="expected a collection of names"):
        CatalogEntry("X", **kwargs)


def test_good_text_fields_are_kept_in_nfc() -> None:
    entry = CatalogEntry(
        "TEE-M",
        price_list_key="TEE",
        tax_category="standard rate",
        tags={"Cafe\u0301", "sale"},
        collections=["Été 2026"],
    )
    assert entry.pricing_key == "TEE"
    assert entry.tax_category == "standard rate"
    assert entry.tags == {"Caf\u00e9", "sale"}
    assert entry.collections == {"Été 2026"}
    # A filter's names follow the same rule, so a decomposed tag still matches.
    assert ItemFilter(tags={"Cafe\u0301"}).matches(entry)


@pytest.mark.parametrize("value", [1, 0, "yes", None], ids=repr)
def test_sold_by_measure_is_a_bool(value: object) -> None:
    with pytest.raises(errors.ValidationError, match="sold_by_measure must be True or False"):
        CatalogEntry("X", sold_by_measure=value)  # type: ignore[arg-type]


# -- CatalogEntry.name -----------------------------------------------------------------------


def test_a_display_name_is_optional_and_last() -> None:
    # Positional construction from before the name still means the same fields.
    entry = CatalogEntry(
        "TEA", eur("36.00"), "TEA-ALL", {"tea"}, {"drinks"}, "food", Decimal("1"), True
    )
    assert entry.name is None
    assert (entry.price_list_key, entry.tax_category, entry.sold_by_measure) == (
        "TEA-ALL",
        "food",
        True,
    )
    named = CatalogEntry("TEA", eur("36.00"), name="Assam tea, loose (per kg)")
    assert named.name == "Assam tea, loose (per kg)"
    assert CatalogEntry("TEA", name="The\u0301").name == "Th\u00e9"  # NFC like every text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (SURROGATE, "surrogate"),
        ("two\nlines", "control_character"),
        ("   ", "empty"),
        ("x" * 501, "too_long"),
        (42, "not_text"),
    ],
)
def test_a_bad_display_name_is_refused(value: object, reason: str) -> None:
    with pytest.raises(errors.InvalidIdentifierError) as caught:
        CatalogEntry("TEA", name=value)  # type: ignore[arg-type]
    assert caught.value.reason == reason
    assert str(caught.value).startswith("name ")


def test_the_display_name_round_trips_through_the_codec() -> None:
    converter = make_json_converter()
    entry = CatalogEntry("TEA", eur("36.00"), tags={"tea"}, name="Thé Assam, 1 kg")
    data = json.loads(json.dumps(converter.unstructure(entry)))
    assert data["name"] == "Thé Assam, 1 kg"
    assert converter.structure(data, CatalogEntry) == entry
    plain = CatalogEntry("MUG", eur("8.00"))
    assert converter.structure(converter.unstructure(plain), CatalogEntry).name is None
    # Data written before the name existed has no "name" key and still loads.
    old = converter.unstructure(plain)
    del old["name"]
    assert converter.structure(old, CatalogEntry) == plain


# -- Customer --------------------------------------------------------------------------------


def test_customer_values_are_checked() -> None:
    with pytest.raises(errors.InvalidIdentifierError, match=r"^customer id"):
        Customer(id=SURROGATE)
    with pytest.raises(errors.InvalidIdentifierError, match=r"^customer group"):
        Customer(group=" vip")
    with pytest.raises(errors.ValidationError, match="tax_exempt must be True or False"):
        Customer(tax_exempt="no")  # type: ignore[arg-type]
    assert Customer(id="ada", group="vip", first_order=False).group == "vip"
    assert Customer.guest().is_guest


# -- ShippingRate ----------------------------------------------------------------------------


def test_a_negative_shipping_rate_is_refused() -> None:
    # Before: accepted, and it took 5 off the total.
    with pytest.raises(errors.ValidationError, match="must not be negative"):
        ShippingRate("x", eur("-5"))


@pytest.mark.parametrize("amount", [4.9, "4.90", Decimal("4.90"), None], ids=repr)
def test_a_shipping_amount_that_is_not_money_is_an_invalid_amount(amount: object) -> None:
    with pytest.raises(errors.InvalidAmountError, match="must be Money"):
        ShippingRate("post", amount)  # type: ignore[arg-type]


def test_a_shipping_rate_finer_than_the_minor_unit_is_refused() -> None:
    with pytest.raises(errors.ValidationError, match="finer than the minor unit"):
        ShippingRate("post", Money("4.999", "EUR"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": SURROGATE},
        {"method": ""},
        {"method": "post\t"},
        {"method": 3},
        {"tax_category": SURROGATE},
        {"tax_category": ""},
    ],
    ids=repr,
)
def test_shipping_text_fields_follow_the_rules(kwargs: dict[str, Any]) -> None:
    values: dict[str, Any] = {"method": "post", "amount": eur("4.90"), **kwargs}
    with pytest.raises(errors.InvalidIdentifierError):
        ShippingRate(**values)


def test_good_shipping_rates_still_work() -> None:
    free = ShippingRate("pickup", eur("0"))
    assert free.amount == eur("0") and free.tax_category is None
    rate = ShippingRate("DHL Express", Money("1500", "JPY"), tax_category="standard")
    assert rate.method == "DHL Express"
    result = price_cart(
        Cart(currency="EUR").add("MUG"),
        {"MUG": CatalogEntry("MUG", eur("8.00"))},
        at=AT,
        shipping=ShippingRate("post", eur("4.90")),
    )
    assert result.grand_total == eur("12.90")


def test_a_shipping_rate_in_another_currency_reads_as_english() -> None:
    with pytest.raises(errors.CurrencyMismatchError) as caught:
        price_cart(
            Cart(currency="EUR").add("MUG"),
            {"MUG": CatalogEntry("MUG", eur("8.00"))},
            at=AT,
            shipping=ShippingRate("post", Money("5.00", "USD")),
        )
    assert str(caught.value) == (
        "cannot add a shipping rate in USD to a cart in EUR: currencies differ"
    )
    assert (caught.value.left, caught.value.right) == ("EUR", "USD")


# -- the catalog mapping ---------------------------------------------------------------------


def test_a_catalog_key_must_be_its_entry_sku() -> None:
    cart = Cart(currency="EUR").add("A")
    with pytest.raises(errors.ValidationError) as caught:
        price_cart(cart, {"A": CatalogEntry("B", eur("1.00"))}, at=AT)
    assert "'A'" in str(caught.value) and "'B'" in str(caught.value)


def test_a_catalog_from_the_port_is_keyed_right() -> None:
    catalog = InMemoryCatalog([CatalogEntry("A", eur("1.00")), CatalogEntry("B", eur("2.00"))])
    cart = Cart(currency="EUR").add("A").add("B", 2)
    result = price_cart(cart, catalog.get_entries(["A", "B"]), at=AT)
    assert result.grand_total == eur("5.00")
