"""Pricing values: catalog, price lists, exchange rates, tax tables, promotions, coupon codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from commercekit import Money, errors
from commercekit.codec import make_json_converter
from commercekit.ports import Catalog, ExchangeRates, TaxCalculator
from commercekit.pricing import (
    CODE_ALPHABET,
    AmountOffItems,
    AmountOffOrder,
    AmountOffShipping,
    BuyXGetY,
    CatalogEntry,
    ContainsItems,
    CouponCode,
    Customer,
    CustomerGroupIn,
    DateWindow,
    FirstOrder,
    FixedPrice,
    InMemoryCatalog,
    ItemFilter,
    Lane,
    PercentOffItems,
    PercentOffOrder,
    PercentOffShipping,
    PriceList,
    PriceListKind,
    PriceTier,
    Promotion,
    QuantityAtLeast,
    SpendTier,
    Stacking,
    StaticExchangeRates,
    SubtotalAtLeast,
    TieredSpend,
    UsageCounts,
    convert,
    generate_coupon_codes,
    resolve_price,
)
from commercekit.tax import FlatTaxTable, TaxRate

AT = datetime(2026, 3, 1, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def test_reference_adapters_satisfy_their_ports() -> None:
    assert isinstance(InMemoryCatalog(), Catalog)
    assert isinstance(StaticExchangeRates({}), ExchangeRates)
    assert isinstance(FlatTaxTable(), TaxCalculator)


def test_catalog_entry_validation() -> None:
    with pytest.raises(errors.ValidationError):
        CatalogEntry(" MUG")
    with pytest.raises(errors.ValidationError):
        CatalogEntry("MUG", tags="kitchen")
    with pytest.raises(errors.ValidationError):
        CatalogEntry("MUG", tags={""})
    with pytest.raises(errors.ValidationError):
        CatalogEntry("MUG", weight=-1)
    assert CatalogEntry("MUG", weight="0.35").weight == Decimal("0.35")
    assert CatalogEntry("MUG-M", price_list_key="MUG").pricing_key == "MUG"
    with pytest.raises(errors.ValidationError):
        InMemoryCatalog().put("MUG")  # type: ignore[arg-type]


def test_customer_guest() -> None:
    assert Customer.guest() == Customer()
    assert not Customer(id="ada").is_guest


def test_price_list_validation_and_windows() -> None:
    with pytest.raises(errors.CurrencyMismatchError):
        PriceList("x", "USD", {"A": Money("1", "EUR")})
    with pytest.raises(errors.ValidationError):
        PriceList("x", "USD", {"A": usd("1")}, starts_at=AT, ends_at=AT)
    with pytest.raises(errors.ValidationError):
        PriceList("x", "USD", {"A": []})
    with pytest.raises(errors.ValidationError):
        PriceList("x", "USD", {"A": [PriceTier(usd("1")), PriceTier(usd("2"))]})
    with pytest.raises(errors.ValidationError):
        PriceList("x", "USD", {"A": ["1.00"]})  # type: ignore[list-item]
    with pytest.raises(errors.ValidationError):
        PriceTier(usd("-1"))
    with pytest.raises(errors.InvalidQuantityError):
        PriceTier(usd("1"), 0)
    timed = PriceList(
        "t", "USD", {"A": usd("1")}, channels={"web"}, starts_at=AT, ends_at=AT + timedelta(1)
    )
    cur = timed.currency
    assert timed.applies(cur, "web", None, AT)
    assert not timed.applies(cur, "pos", None, AT)
    assert not timed.applies(cur, "web", None, AT - timedelta(seconds=1))
    assert not timed.applies(cur, "web", None, AT + timedelta(1))
    assert timed.price_for("B", 1) is None
    tiered = PriceList("t", "USD", {"A": [PriceTier(usd("2"), 5)]})
    assert tiered.price_for("A", 4) is None


def test_resolve_price_rules() -> None:
    low = PriceList("low", "USD", {"A": usd("5")}, priority=1)
    high = PriceList("high", "USD", {"A": usd("9")}, priority=2)
    sale_high = PriceList("sale", "USD", {"A": usd("9.50")}, PriceListKind.SALE)
    sale_only = PriceList("only", "USD", {"B": usd("3")}, PriceListKind.SALE)
    found = resolve_price(
        "A", 1, currency="USD", base_price=usd("7"), price_lists=[low, high, sale_high], at=AT
    )
    assert (found.unit_price, found.compare_at, found.source) == (usd("9"), None, "price-list:high")
    only = resolve_price("B", 1, currency="USD", base_price=None, price_lists=[sale_only], at=AT)
    assert only.unit_price == usd("3")
    assert only.compare_at is None
    with pytest.raises(errors.PriceNotFoundError):
        resolve_price("C", 1, currency="USD", base_price=None, at=AT)
    eur_list = PriceList("eur", "EUR", {"A": [PriceTier(Money("10", "EUR"), 2)]})
    rates = StaticExchangeRates({("EUR", "USD"): "1.08"})
    converted = resolve_price(
        "A",
        2,
        currency="USD",
        base_price=Money("12", "EUR"),
        price_lists=[eur_list],
        at=AT,
        exchange_rates=rates,
    )
    assert converted.unit_price == usd("10.80")
    assert converted.source == "price-list:eur+fx"
    sale = PriceList("s", "EUR", {"A": Money("10", "EUR")}, PriceListKind.SALE)
    converted = resolve_price(
        "A",
        1,
        currency="KWD",
        base_price=Money("12", "EUR"),
        price_lists=[sale],
        at=AT,
        exchange_rates=StaticExchangeRates({("EUR", "KWD"): "0.33333"}),
    )
    assert converted.unit_price == Money("3.333", "KWD")
    assert converted.compare_at == Money("4.000", "KWD")


def test_exchange_rates() -> None:
    rates = StaticExchangeRates({("EUR", "USD"): Decimal("1.25")})
    assert rates.get_rate("USD", "EUR") == Decimal("0.8")
    with pytest.raises(errors.PriceNotFoundError):
        rates.get_rate("USD", "JPY")
    with pytest.raises(errors.ValidationError):
        StaticExchangeRates({("EUR", "USD"): 0})
    with pytest.raises(errors.UnknownCurrencyError):
        StaticExchangeRates({("EUR", "ZZZ"): 1})
    assert convert(usd("1.00"), "JPY", Decimal("150.5")) == Money("151", "JPY")


def test_tax_values() -> None:
    with pytest.raises(errors.ValidationError):
        TaxRate("VAT", "-0.1")
    with pytest.raises(errors.ValidationError):
        TaxRate("VAT", "20")  # a percentage, not a fraction
    with pytest.raises(errors.ValidationError):
        FlatTaxTable({"x": ["0.2"]})  # type: ignore[list-item]
    table = FlatTaxTable({"food": TaxRate("VAT", "0.07")})
    assert table.rates_for("unknown") == ()


def test_action_and_condition_validation() -> None:
    with pytest.raises(errors.ValidationError):
        PercentOffItems(0)
    with pytest.raises(errors.ValidationError):
        PercentOffOrder("100.01")
    with pytest.raises(errors.ValidationError):
        AmountOffItems(usd("-1"))
    with pytest.raises(errors.ValidationError):
        AmountOffOrder("1")  # type: ignore[arg-type]
    with pytest.raises(errors.ValidationError):
        FixedPrice(usd("-1"))
    with pytest.raises(errors.ValidationError):
        AmountOffShipping(usd("-1"))
    with pytest.raises(errors.InvalidQuantityError):
        BuyXGetY(0, 1)
    with pytest.raises(errors.InvalidQuantityError):
        BuyXGetY(1, 1, max_applications=0)
    with pytest.raises(errors.ValidationError):
        SpendTier(usd("1"))
    with pytest.raises(errors.ValidationError):
        SpendTier(usd("1"), percent=5, amount=usd("1"))
    with pytest.raises(errors.ValidationError):
        SpendTier(usd("1"), amount=Money("1", "EUR"))
    with pytest.raises(errors.ValidationError):
        TieredSpend([])
    with pytest.raises(errors.ValidationError):
        TieredSpend([usd("1")])  # type: ignore[list-item]
    with pytest.raises(errors.ValidationError):
        TieredSpend([SpendTier(usd("1"), percent=1), SpendTier(Money("2", "EUR"), percent=2)])
    with pytest.raises(errors.InvalidQuantityError):
        QuantityAtLeast(0)
    with pytest.raises(errors.ValidationError):
        CouponCode(set())
    with pytest.raises(errors.ValidationError):
        CouponCode({1})  # type: ignore[arg-type]
    assert CouponCode("abc").codes == frozenset({"ABC"})
    with pytest.raises(errors.ValidationError):
        DateWindow(AT, AT)
    with pytest.raises(errors.ValidationError):
        Promotion("", "x", [PercentOffItems(1)])
    with pytest.raises(errors.ValidationError):
        Promotion("x", "x", [])
    with pytest.raises(errors.ValidationError):
        Promotion("x", "x", [PercentOffItems(1)], max_discount=usd("-1"))
    with pytest.raises(errors.ValidationError):
        Promotion("x", "x", [PercentOffItems(1)], usage_limit=-1)
    with pytest.raises(errors.ValidationError):
        UsageCounts(promotions={"x": -1})


def test_item_filter() -> None:
    entry = CatalogEntry("MUG", tags={"kitchen"}, collections={"dining"})
    assert ItemFilter().matches(entry)
    assert ItemFilter(collections={"dining"}).matches(entry)
    assert ItemFilter(skus={"MUG"}).matches(entry)
    assert not ItemFilter(skus={"PEN"}).matches(entry)
    assert not ItemFilter(exclude_skus={"MUG"}).matches(entry)


def test_coupon_codes_are_random_distinct_and_avoid_existing() -> None:
    codes = generate_coupon_codes(500, length=8, prefix="spring-", existing=["SPRING-AAAAAAAA"])
    assert len(set(codes)) == 500
    assert all(code.startswith("SPRING-") and len(code) == 15 for code in codes)
    assert all(set(code[7:]) <= set(CODE_ALPHABET) for code in codes)
    assert generate_coupon_codes(500, length=8) != generate_coupon_codes(500, length=8)
    assert generate_coupon_codes(0) == []
    with pytest.raises(errors.ValidationError):
        generate_coupon_codes(10_000, length=3)
    with pytest.raises(errors.ValidationError):
        generate_coupon_codes(-1)
    with pytest.raises(errors.ValidationError):
        generate_coupon_codes(1, length=0)
    with pytest.raises(errors.ValidationError):
        generate_coupon_codes(1, alphabet="A")


VALUES: list[Any] = [
    CatalogEntry("MUG", price=usd("8.00"), tags={"b", "a"}, weight="0.3", tax_category="std"),
    PriceList(
        "p",
        "KWD",
        {"A": [PriceTier(Money("1.250", "KWD")), PriceTier(Money("1.1", "KWD"), "2.5")]},
        kind=PriceListKind.SALE,
        channels={"web"},
        starts_at=AT,
    ),
    StaticExchangeRates({("EUR", "USD"): "1.08"}),
    FlatTaxTable({"food": [TaxRate("State", "0.05", "US-CA")]}, default=TaxRate("VAT", "0.2")),
    UsageCounts(promotions={"a": 1}, customer={"a": 0}, codes={"x": 2}),
    Customer(id="ada", group="vip", first_order=False, tax_exempt=True),
    Promotion(
        "everything",
        "All kinds",
        [
            PercentOffItems("12.5", ItemFilter(tags={"a"}, exclude_skus={"X"})),
            AmountOffItems(usd("1"), per_unit=False),
            FixedPrice(usd("3")),
            PercentOffOrder(5),
            AmountOffOrder(usd("2")),
            PercentOffShipping(100),
            AmountOffShipping(usd("1")),
            BuyXGetY(3, 1, get_items=ItemFilter(skus={"B"}), max_applications=2),
            TieredSpend([SpendTier(usd("10"), percent=5), SpendTier(usd("20"), amount=usd("3"))]),
        ],
        [
            SubtotalAtLeast(usd("10")),
            QuantityAtLeast(2),
            ContainsItems(ItemFilter(collections={"c"})),
            CustomerGroupIn({"vip"}),
            FirstOrder(),
            CouponCode({"a", "b"}),
            DateWindow(AT, AT + timedelta(days=3)),
        ],
        lane=Lane.ORDER,
        priority=3,
        stacking=Stacking.STOP,
        max_discount=usd("50"),
        usage_limit=10,
        usage_limit_per_customer=1,
        usage_limit_per_code=1,
    ),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_round_trip_through_json(value: Any) -> None:
    converter = make_json_converter()
    data = json.loads(json.dumps(converter.unstructure(value)))
    assert converter.structure(data, type(value)) == value


def test_condition_and_action_kinds_are_tagged() -> None:
    converter = make_json_converter()
    promo = VALUES[-1]
    data = converter.unstructure(promo)
    assert data["actions"][0]["type"] == "percent_off_items"
    assert data["conditions"][-1]["type"] == "date_window"
    assert data["lane"] == "order"
