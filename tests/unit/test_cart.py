"""The Cart value: lines keyed by SKU and options, quantities, coupons, merging, codec."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import attrs
import cattrs
import pytest

from commercekit import Money, errors
from commercekit.address import Address
from commercekit.cart import (
    MAX_QUANTITY,
    Cart,
    CartLine,
    Metadata,
    check_quantity,
    line_id,
    merge_carts,
)
from commercekit.codec import make_json_converter


def test_add_same_key_sums_and_options_make_distinct_lines() -> None:
    cart = (
        Cart(id="c", currency="EUR")
        .add("SHIRT", 1, options={"size": "M"})
        .add("SHIRT", 2, options={"size": "L"})
        .add("SHIRT", 2, options={"size": "M"})
    )
    assert [(line.id, line.quantity) for line in cart.lines] == [
        ("SHIRT?size=M", 3),
        ("SHIRT?size=L", 2),
    ]


def test_changes_return_new_carts_and_leave_the_original() -> None:
    cart = Cart(id="c", currency="EUR").add("MUG", 1)
    bigger = cart.set_quantity("MUG", 5)
    assert cart.lines[0].quantity == 1
    assert bigger.lines[0].quantity == 5
    assert bigger.remove("MUG").lines == ()
    assert bigger.version == cart.version == 0


def test_line_id_escapes_separators_so_keys_stay_unique() -> None:
    assert line_id("A?B", {"x": "1&y=2"}) != line_id("A", {"B": "", "x": "1", "y": "2"})
    assert line_id("SKU", {"b": "2", "a": "1"}) == "SKU?a=1&b=2"


@pytest.mark.parametrize(
    "quantity",
    [0, -1, MAX_QUANTITY + 1, Decimal("NaN"), Decimal("Infinity"), Decimal("0"), Decimal("1e-7")],
)
def test_bad_quantities_are_refused(quantity: object) -> None:
    with pytest.raises(errors.InvalidQuantityError):
        Cart(currency="EUR").add("MUG", quantity)  # type: ignore[arg-type]


@pytest.mark.parametrize("quantity", [1.5, True, "2", None])
def test_quantities_of_the_wrong_type_are_refused(quantity: object) -> None:
    with pytest.raises(errors.InvalidQuantityError):
        check_quantity(quantity)


def test_summed_quantity_over_the_maximum_is_refused() -> None:
    cart = Cart(currency="EUR").add("MUG", MAX_QUANTITY)
    with pytest.raises(errors.InvalidQuantityError):
        cart.add("MUG", 1)
    assert cart.add("TEA", Decimal("0.5")).add("TEA", 1).line("TEA").quantity == Decimal("1.5")


def test_unknown_line_and_bad_values() -> None:
    cart = Cart(currency="EUR").add("MUG")
    with pytest.raises(errors.UnknownLineError) as info:
        cart.remove("TEA")
    assert info.value.line_id == "TEA"
    with pytest.raises(errors.UnknownLineError):
        cart.set_quantity("TEA", 2)
    with pytest.raises(errors.InvalidQuantityError):
        cart.set_quantity("MUG", 0)
    with pytest.raises(errors.ValidationError):
        cart.add("")
    with pytest.raises(errors.ValidationError):
        cart.add("MUG", options={"size": 3})  # type: ignore[dict-item]
    with pytest.raises(errors.ValidationError):
        cart.add("MUG", metadata={"note": 3})  # type: ignore[dict-item]
    with pytest.raises(errors.ValidationError):
        CartLine("MUG", 1, options=[("a", "1"), ("a", "2")])
    with pytest.raises(errors.ValidationError):
        Cart(currency="EUR", lines=[CartLine("A", 1), CartLine("A", 2)])
    with pytest.raises(errors.ValidationError):
        Cart(currency="EUR", version=-1)
    with pytest.raises(errors.ValidationError):
        Cart(currency="EUR", lines=["A"])  # type: ignore[list-item]


def test_currency_is_checked() -> None:
    with pytest.raises(errors.UnknownCurrencyError):
        Cart(currency="ZZZ")
    cart = Cart(currency="EUR")
    with pytest.raises(errors.CurrencyMismatchError):
        cart.add("MUG", seen_unit_price=Money("1.00", "USD"))
    with pytest.raises(errors.CurrencyMismatchError):
        cart.add("MUG").with_seen_prices({"MUG": Money("1.00", "USD")})


def test_coupons_are_normalized_and_deduplicated() -> None:
    cart = Cart(currency="EUR").apply_coupon(" spring ").apply_coupon("SPRING").apply_coupon("b")
    assert cart.coupons == ("SPRING", "B")
    assert cart.remove_coupon("spring").remove_coupon("absent").coupons == ("B",)
    with pytest.raises(errors.ValidationError):
        cart.apply_coupon("  ")
    with pytest.raises(errors.ValidationError):
        Cart(currency="EUR", coupons="ABC")


def test_metadata_merges_and_seen_price_updates_on_add() -> None:
    cart = Cart(currency="EUR").add("MUG", metadata={"a": "1"}, seen_unit_price=Money("2", "EUR"))
    cart = cart.add("MUG", metadata={"b": "2"})
    assert cart.line("MUG").metadata == {"a": "1", "b": "2"}
    assert cart.line("MUG").seen_unit_price == Money("2", "EUR")
    cart = cart.add("MUG", seen_unit_price=Money("3", "EUR"))
    assert cart.line("MUG").seen_unit_price == Money("3", "EUR")


def test_merge_carts_sums_quantities_and_carries_coupons_and_addresses() -> None:
    home = Address("DE", city="Berlin")
    guest = (
        Cart(id="g", currency="EUR", shipping_address=home)
        .add("MUG", 1, metadata={"gift": "yes"}, seen_unit_price=Money("9", "EUR"))
        .add("TEA", Decimal("0.25"))
        .apply_coupon("WELCOME")
    )
    customer = (
        Cart(id="c", currency="EUR", customer_id="ada", version=4)
        .add("PEN", 2)
        .add("MUG", 2, metadata={"gift": "no", "note": "x"})
        .apply_coupon("VIP")
        .apply_coupon("WELCOME")
    )
    merged = merge_carts(guest, customer)
    assert (merged.id, merged.customer_id, merged.version) == ("c", "ada", 4)
    assert [(line.sku, line.quantity) for line in merged.lines] == [
        ("PEN", 2),
        ("MUG", 3),
        ("TEA", Decimal("0.25")),
    ]
    assert merged.line("MUG").metadata == {"gift": "yes", "note": "x"}
    assert merged.line("MUG").seen_unit_price == Money("9", "EUR")
    assert merged.coupons == ("VIP", "WELCOME")
    assert merged.shipping_address == home
    with pytest.raises(errors.CurrencyMismatchError):
        merge_carts(Cart(currency="USD"), customer)


def test_guest_flag() -> None:
    assert Cart(currency="EUR").is_guest
    assert not Cart(currency="EUR", customer_id="ada").is_guest


def test_cart_round_trips_through_json() -> None:
    converter = make_json_converter()
    cart = (
        Cart(id="c", currency="KWD", customer_id="ada", channel="web", version=3)
        .add("SHIRT", 2, options={"size": "M"}, metadata={"gift": "yes"})
        .add("TEA", Decimal("1.125"), seen_unit_price=Money("1.250", "KWD"))
        .apply_coupon("X")
    )
    cart = Cart(
        id=cart.id,
        currency=cart.currency,
        lines=cart.lines,
        customer_id="ada",
        coupons=cart.coupons,
        shipping_address=Address("KW", lines=("Street 1",)),
        metadata={"source": "app"},
        version=3,
    )
    data = json.loads(json.dumps(converter.unstructure(cart)))
    assert data["lines"][0]["quantity"] == 2
    assert data["lines"][1]["quantity"] == "1.125"
    assert converter.structure(data, Cart) == cart
    for bad in (1.5, "abc", "0", None):
        data["lines"][0]["quantity"] = bad
        with pytest.raises(cattrs.ClassValidationError) as info:
            converter.structure(data, Cart)
        assert _leaves(info.value) and all(
            isinstance(leaf, errors.InvalidQuantityError) for leaf in _leaves(info.value)
        )


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def test_metadata_is_read_only_hashable_and_round_trips() -> None:
    source = {"gift": "yes"}
    cart = Cart(id="c", currency="EUR", metadata={"source": "app"}).add("MUG", metadata=source)
    source["gift"] = "no"  # the caller's dict is copied, not shared
    line = cart.line("MUG")
    assert isinstance(line.metadata, Metadata) and line.metadata == {"gift": "yes"}
    with pytest.raises(TypeError):
        line.metadata["gift"] = "no"  # type: ignore[index]
    with pytest.raises(AttributeError):
        cart.metadata.clear()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        cart.metadata._items = {}
    same = Cart(id="c", currency="EUR", metadata=Metadata([("source", "app")])).add(
        "MUG", metadata={"gift": "yes"}
    )
    assert same == cart and hash(same) == hash(cart)
    assert hash(Metadata({"a": "1", "b": "2"})) == hash(Metadata({"b": "2", "a": "1"}))
    assert cart != attrs.evolve(cart, metadata={"source": "web"})
    assert pickle.loads(pickle.dumps(cart)) == cart
    assert repr(Metadata({"a": "1"})) == "Metadata({'a': '1'})"
    converter = make_json_converter()
    data = json.loads(json.dumps(converter.unstructure(cart)))
    assert data["metadata"] == {"source": "app"}
    assert data["lines"][0]["metadata"] == {"gift": "yes"}
    back = converter.structure(data, Cart)
    assert back == cart and isinstance(back.metadata, Metadata)
    data["metadata"] = ["source", "app"]
    with pytest.raises(cattrs.ClassValidationError) as info:
        converter.structure(data, Cart)
    assert all(isinstance(leaf, errors.ValidationError) for leaf in _leaves(info.value))
    data["metadata"] = {"source": 1}
    with pytest.raises(cattrs.ClassValidationError):
        converter.structure(data, Cart)
