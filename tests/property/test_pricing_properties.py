"""Hypothesis properties of the totals pipeline: exact, order-independent, reproducible."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from commercekit import Money, Rounding
from commercekit.cart import (
    Breakdown,
    Cart,
    CartLine,
    PricingPolicy,
    RoundingPolicy,
    ShippingRate,
    price_cart,
)
from commercekit.codec import make_json_converter
from commercekit.money import is_minor_unit_exact
from commercekit.pricing import (
    Action,
    AmountOffItems,
    AmountOffOrder,
    AmountOffShipping,
    BuyXGetY,
    CatalogEntry,
    Condition,
    CouponCode,
    Customer,
    FixedPrice,
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
    SubtotalAtLeast,
    TieredSpend,
    UsageCounts,
)
from commercekit.tax import FlatTaxTable, ShippingTax, TaxRate, TaxRounding

AT = datetime(2026, 6, 1, tzinfo=UTC)
SKUS = ["A", "B", "C", "D", "E", "F"]
TAGS = ["red", "blue"]
CURRENCIES = ["USD", "JPY", "KWD", "CHF", "EUR"]
converter = make_json_converter()


def money_in(draw: st.DrawFn, code: str, high: int = 50_000, finer: bool = False) -> Money:
    exponent = {"USD": 2, "JPY": 0, "KWD": 3, "CHF": 2, "EUR": 2}[code]
    places = exponent + (draw(st.integers(0, 2)) if finer else 0)
    units = draw(st.integers(0, high))
    return Money(Decimal(units).scaleb(-places), code)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(CURRENCIES))
    catalog = {}
    for sku in SKUS:
        catalog[sku] = CatalogEntry(
            sku,
            price=money_in(draw, code, finer=True),
            tags=draw(st.frozensets(st.sampled_from(TAGS))),
            tax_category=draw(st.sampled_from([None, "std", "food", "comp"])),
            sold_by_measure=sku == "F",
        )
    lines = {}
    for _ in range(draw(st.integers(0, 7))):
        sku = draw(st.sampled_from(SKUS))
        options = draw(st.sampled_from([(), (("size", "M"),), (("size", "L"),)]))
        if sku == "F":
            quantity: int | Decimal = Decimal(draw(st.integers(1, 5000))).scaleb(-3)
        else:
            quantity = draw(st.integers(1, 12))
        line = CartLine(sku, quantity, options)
        lines[line.id] = line
    coupons = draw(st.lists(st.sampled_from(["C1", "C2", "ZZ"]), max_size=2, unique=True))
    cart = Cart(id="cart", currency=code, lines=list(lines.values()), coupons=coupons)
    promotions = [draw(promotion(code, f"p{index}")) for index in range(draw(st.integers(0, 6)))]
    price_lists = []
    if draw(st.booleans()):
        price_lists.append(
            PriceList(
                "list",
                code,
                {
                    sku: [PriceTier(money_in(draw, code)), PriceTier(money_in(draw, code), 5)]
                    for sku in draw(st.sets(st.sampled_from(SKUS)))
                },
                kind=draw(st.sampled_from(list(PriceListKind))),
            )
        )
    tax = FlatTaxTable(
        {
            "std": TaxRate("VAT", draw(st.sampled_from(["0.2", "0.19", "0.077"]))),
            "food": [TaxRate("State", "0.0625"), TaxRate("City", "0.0125")],
            "comp": [TaxRate("GST", "0.05"), TaxRate("QST", "0.09975", compound=True)],
        }
    )
    shipping = None
    if draw(st.booleans()):
        shipping = ShippingRate("post", money_in(draw, code), draw(st.sampled_from([None, "std"])))
    policy = PricingPolicy(
        prices_include_tax=draw(st.booleans()),
        rounding_policy=draw(st.sampled_from(list(RoundingPolicy))),
        rounding=draw(st.sampled_from([Rounding.HALF_UP, Rounding.HALF_EVEN, Rounding.DOWN])),
        cash_rounding=Decimal("0.05") if code == "CHF" and draw(st.booleans()) else None,
        tax_rounding=draw(st.sampled_from(list(TaxRounding))),
        shipping_tax=draw(st.sampled_from(list(ShippingTax))),
    )
    usage = UsageCounts(promotions={"p0": draw(st.integers(0, 2))}, codes={"C2": 1})
    return {
        "cart": cart,
        "catalog": catalog,
        "promotions": promotions,
        "price_lists": price_lists,
        "tax": tax,
        "shipping": shipping,
        "policy": policy,
        "usage": usage,
        "customer": Customer(
            group=draw(st.sampled_from([None, "vip"])), tax_exempt=draw(st.booleans())
        ),
    }


@st.composite
def item_filters(draw: st.DrawFn) -> ItemFilter:
    return draw(
        st.sampled_from(
            [
                ItemFilter(),
                ItemFilter(tags={"red"}),
                ItemFilter(skus={"A", "B"}),
                ItemFilter(exclude_tags={"blue"}),
            ]
        )
    )


@st.composite
def promotion(draw: st.DrawFn, code: str, promo_id: str) -> Promotion:
    percent = draw(st.sampled_from(["5", "10", "12.5", "33.3", "50", "100"]))
    items = draw(item_filters())
    action_choices: list[Action] = [
        PercentOffItems(percent, items),
        AmountOffItems(money_in(draw, code, 500), items, draw(st.booleans())),
        FixedPrice(money_in(draw, code, 2000), items),
        PercentOffOrder(percent),
        AmountOffOrder(money_in(draw, code, 5000)),
        PercentOffShipping(percent),
        AmountOffShipping(money_in(draw, code, 500)),
        BuyXGetY(draw(st.integers(1, 3)), draw(st.integers(1, 2)), items),
        TieredSpend(
            [
                SpendTier(money_in(draw, code, 3000), percent=percent),
                SpendTier(money_in(draw, code, 9000), amount=money_in(draw, code)),
            ]
        ),
    ]
    actions = draw(st.lists(st.sampled_from(action_choices), min_size=1, max_size=2))
    condition_choices: list[Condition] = [
        SubtotalAtLeast(money_in(draw, code, 10_000)),
        QuantityAtLeast(draw(st.integers(1, 6))),
        CouponCode({draw(st.sampled_from(["C1", "C2"]))}),
    ]
    conditions = draw(st.lists(st.sampled_from(condition_choices), max_size=2))
    return Promotion(
        promo_id,
        f"Promotion {promo_id}",
        actions,
        conditions,
        lane=draw(st.sampled_from(list(Lane))),
        priority=draw(st.integers(0, 3)),
        stacking=draw(st.sampled_from([Stacking.STACK] * 4 + [Stacking.EXCLUSIVE, Stacking.STOP])),
        max_discount=draw(st.one_of(st.none(), st.just(money_in(draw, code, 3000)))),
        usage_limit=draw(st.sampled_from([None, 1])),
        usage_limit_per_code=draw(st.sampled_from([None, 1])),
    )


def price(scenario: dict[str, Any], cart: Cart | None = None) -> Breakdown:
    return price_cart(
        cart or scenario["cart"],
        scenario["catalog"],
        at=AT,
        customer=scenario["customer"],
        price_lists=scenario["price_lists"],
        promotions=scenario["promotions"],
        usage=scenario["usage"],
        tax=scenario["tax"],
        shipping=scenario["shipping"],
        policy=scenario["policy"],
    )


def amounts(breakdown: Breakdown) -> list[Money]:
    found = [
        breakdown.subtotal,
        breakdown.discount_total,
        breakdown.shipping_total,
        breakdown.tax_total,
        breakdown.rounding,
        breakdown.grand_total,
    ]
    parts: list[Any] = list(breakdown.lines)
    if breakdown.shipping is not None:
        parts.append(breakdown.shipping)
    for part in parts:
        found += [part.discount_total, part.tax_total, part.total]
        found += [adj.amount for adj in part.adjustments]
        found += [tax.amount for tax in part.tax_lines]
    found += [line.subtotal for line in breakdown.lines]
    return found


@settings(max_examples=200)
@given(scenario=scenarios(), data=st.data())
def test_totals_do_not_depend_on_line_order(scenario: dict[str, Any], data: st.DataObject) -> None:
    cart = scenario["cart"]
    shuffled = Cart(
        id=cart.id,
        currency=cart.currency,
        lines=data.draw(st.permutations(cart.lines)),
        coupons=cart.coupons,
    )
    first, second = price(scenario), price(scenario, shuffled)
    assert sorted(first.lines, key=lambda line: line.line_id) == sorted(
        second.lines, key=lambda line: line.line_id
    )
    assert (first.grand_total, first.discount_total, first.tax_total) == (
        second.grand_total,
        second.discount_total,
        second.tax_total,
    )
    assert first.shipping == second.shipping
    assert first.promotions == second.promotions


@settings(max_examples=300)
@given(scenario=scenarios())
def test_parts_sum_exactly_and_discounts_never_exceed_what_they_discount(
    scenario: dict[str, Any],
) -> None:
    result = price(scenario)
    zero = Money.zero(result.currency)
    inclusive = result.prices_include_tax
    parts: list[Any] = list(result.lines)
    if result.shipping is not None:
        parts.append(result.shipping)
    for part in parts:
        base = part.subtotal if hasattr(part, "subtotal") else part.amount
        assert all(adj.amount > zero for adj in part.adjustments)
        assert sum((adj.amount for adj in part.adjustments), zero) == part.discount_total
        assert zero <= part.discount_total <= base
        assert sum((tax.amount for tax in part.tax_lines), zero) == part.tax_total
        assert part.tax_total >= zero
        added = zero if inclusive else part.tax_total
        assert part.total == base - part.discount_total + part.tax_adjustment + added
        if inclusive:
            assert part.tax_total <= part.total
        else:
            assert part.tax_adjustment == zero
    shipping_total = result.shipping.total if result.shipping is not None else zero
    line_totals = sum((line.total for line in result.lines), zero)
    assert line_totals + shipping_total + result.rounding == result.grand_total
    tax = zero if inclusive else result.tax_total
    assert (
        result.subtotal
        + result.shipping_total
        - result.discount_total
        + result.tax_adjustment_total
        + tax
        + result.rounding
        == result.grand_total
    )
    assert result.grand_total >= zero
    assert sum((o.amount for o in result.promotions), zero) == result.discount_total
    assert all(is_minor_unit_exact(amount) for amount in amounts(result))
    assert all(amount.currency is result.currency for amount in amounts(result))


@settings(max_examples=200)
@given(scenario=scenarios())
def test_hundred_percent_off_everything_is_exactly_zero(scenario: dict[str, Any]) -> None:
    free = Promotion(
        "free", "Free", [PercentOffOrder(100), PercentOffShipping(100)], stacking=Stacking.EXCLUSIVE
    )
    scenario = {**scenario, "promotions": [free], "policy": PricingPolicy()}
    result = price(scenario)
    assert result.grand_total == Money.zero(result.currency)
    assert result.tax_total == Money.zero(result.currency)
    assert result.discount_total == result.subtotal + result.shipping_total


@settings(max_examples=150)
@given(scenario=scenarios())
def test_repricing_from_the_stored_snapshot_gives_identical_totals(
    scenario: dict[str, Any],
) -> None:
    types: dict[str, Any] = {
        "cart": Cart,
        "customer": Customer,
        "promotions": list[Promotion],
        "price_lists": list[PriceList],
        "tax": FlatTaxTable,
        "shipping": ShippingRate | None,
        "policy": PricingPolicy,
        "usage": UsageCounts,
        "catalog": dict[str, CatalogEntry],
    }
    stored = json.dumps({key: converter.unstructure(scenario[key], types[key]) for key in types})
    loaded = json.loads(stored)
    restored = {key: converter.structure(loaded[key], types[key]) for key in types}
    assert restored == scenario
    first, again = price(scenario), price(restored)
    assert first == again
    snapshot = json.loads(json.dumps(converter.unstructure(first)))
    assert converter.structure(snapshot, Breakdown) == first


@settings(max_examples=50)
@given(scenario=scenarios())
def test_pricing_twice_is_deterministic(scenario: dict[str, Any]) -> None:
    assert price(scenario) == price(scenario)


def test_jpy_and_kwd_minor_units_in_a_worked_example() -> None:
    for code, price_text, expected in [("JPY", "333", "899"), ("KWD", "1.333", "3.599")]:
        entry = CatalogEntry("A", price=Money(price_text, code))
        promo = Promotion("ten", "10%", [PercentOffOrder(10)])
        cart = Cart(currency=code).add("A", 3)
        result = price_cart(cart, {"A": entry}, at=AT, promotions=[promo])
        assert result.grand_total == Money(expected, code)
        assert str(result.grand_total.amount) == expected
