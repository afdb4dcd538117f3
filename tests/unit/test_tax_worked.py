"""Worked examples of tax in the pipeline; every expected number is derived in a comment.

The rounding rules are those of ``commercekit.tax._engine`` (the tax guide states them too).
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from commercekit import Money, errors
from commercekit.address import Address
from commercekit.cart import Cart, PricingPolicy, ShippingRate, prepare_cart, price_cart
from commercekit.money import get_currency
from commercekit.pricing import (
    AmountOffOrder,
    CatalogEntry,
    Customer,
    Promotion,
    SubtotalAtLeast,
)
from commercekit.tax import (
    SHIPPING_ITEM,
    FlatTaxTable,
    ItemTax,
    Seller,
    ShippingTax,
    TaxLine,
    TaxRate,
    TaxResult,
    TaxRounding,
)
from tests.unit.test_pipeline import assert_sums

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
US_RATES = [
    TaxRate("State", "0.0625", "US-TX"),
    TaxRate("County", "0.01", "US-TX-TRAVIS"),
    TaxRate("City", "0.0025", "US-TX-AUSTIN"),
]


def one_line(
    price: str, currency: str, category: str | None = None
) -> tuple[Cart, dict[str, CatalogEntry]]:
    entry = CatalogEntry("A", price=Money(price, currency), tax_category=category)
    return Cart(id="c", currency=currency).add("A", 1), {"A": entry}


def test_inclusive_tax_is_what_gets_rounded_at_a_tie() -> None:
    # 20% included in 490.47: 490.47 x 0.2 / 1.2 = 81.745, a tie: half-up gives 81.75 (net
    # 408.72). Rounding the net (408.725 -> 408.73) would have left a tax of 81.74.
    cart, catalog = one_line("490.47", "EUR")
    policy = PricingPolicy(prices_include_tax=True)
    result = price_cart(
        cart, catalog, at=AT, tax=FlatTaxTable(default=TaxRate("VAT", "0.2")), policy=policy
    )
    assert result.lines[0].tax_total == Money("81.75", "EUR")
    assert result.grand_total == Money("490.47", "EUR")
    assert_sums(result)


def test_combined_rounding_and_per_rate_rounding_differ_by_a_cent() -> None:
    # 9.99 at 6.25% + 1% + 0.25% = 7.5%: 0.74925 rounds to 0.75, split in proportion
    # 625 : 100 : 25 -> exact 0.625, 0.100, 0.025; floors 0.62 + 0.10 + 0.02 = 0.74 and the cent
    # left goes to the largest remainder (a tie of .5 and .5: the first rate): 0.63, 0.10, 0.02.
    # Per rate: 0.624375 -> 0.62, 0.0999 -> 0.10, 0.024975 -> 0.02, together 0.74.
    cart, catalog = one_line("9.99", "USD")
    table = FlatTaxTable(default=US_RATES)
    combined = price_cart(cart, catalog, at=AT, tax=table)
    per_rate = price_cart(
        cart, catalog, at=AT, tax=table, policy=PricingPolicy(tax_rounding=TaxRounding.PER_RATE)
    )
    assert [t.amount_minor for t in combined.lines[0].tax_lines] == [63, 10, 2]
    assert [t.amount_minor for t in per_rate.lines[0].tax_lines] == [62, 10, 2]
    assert combined.grand_total == Money("10.74", "USD")
    assert per_rate.grand_total == Money("10.73", "USD")
    assert [t.jurisdiction for t in combined.lines[0].tax_lines] == [
        "US-TX",
        "US-TX-TRAVIS",
        "US-TX-AUSTIN",
    ]
    assert {t.source for t in combined.lines[0].tax_lines} == {"flat"}


def test_a_compound_rate_is_a_tax_on_the_tax() -> None:
    # 100.00 with 5% and a compound 9.975% on (100.00 + 5.00): 5.00 + 10.47375. Combined:
    # R = 0.05 + 0.09975 x 1.05 = 0.1547375 -> 15.47375 -> 15.47, split 0.05 : 0.1047375 ->
    # exact 4.9988 and 10.4712 -> floors 4.99 + 10.47 = 15.46, the cent to the larger remainder
    # (.88 against .12): 5.00 and 10.47.
    cart, catalog = one_line("100.00", "CAD")
    table = FlatTaxTable(default=[TaxRate("GST", "0.05"), TaxRate("QST", "0.09975", compound=True)])
    result = price_cart(cart, catalog, at=AT, tax=table)
    lines = result.lines[0].tax_lines
    assert [(t.name, t.amount_minor, t.compound) for t in lines] == [
        ("GST", 500, False),
        ("QST", 1047, True),
    ]
    assert result.grand_total == Money("115.47", "CAD")


@pytest.mark.parametrize(
    ("price", "currency", "rate", "tax"),
    [
        ("1000", "JPY", "0.1", "100"),  # 0 decimals: 1,000 yen x 10% = 100 yen
        ("19.99", "EUR", "0.19", "3.80"),  # 2 decimals: 3.7981 -> 3.80
        ("1.234", "KWD", "0.05", "0.062"),  # 3 decimals: 0.0617 -> 0.062 (61.7 fils -> 62)
    ],
)
def test_currencies_with_zero_two_and_three_decimals(
    price: str, currency: str, rate: str, tax: str
) -> None:
    cart, catalog = one_line(price, currency)
    result = price_cart(cart, catalog, at=AT, tax=FlatTaxTable(default=TaxRate("VAT", rate)))
    assert result.tax_total == Money(tax, currency)
    assert result.grand_total == Money(price, currency) + Money(tax, currency)


def test_order_discounts_are_allocated_before_tax_exclusive_prices() -> None:
    # 60.00 (20%) + 40.00 (7%), 10.00 off the order allocated 6.00 / 4.00: taxed on 54.00 and
    # 36.00 -> 10.80 and 2.52; grand total 90.00 + 13.32 = 103.32.
    catalog = {
        "A": CatalogEntry("A", price=Money("60.00", "EUR"), tax_category="std"),
        "B": CatalogEntry("B", price=Money("40.00", "EUR"), tax_category="books"),
    }
    cart = Cart(id="c", currency="EUR").add("A", 1).add("B", 1)
    table = FlatTaxTable({"std": TaxRate("VAT", "0.2"), "books": TaxRate("VAT", "0.07")})
    promo = Promotion("ten", "10 off", [AmountOffOrder(Money("10.00", "EUR"))])
    result = price_cart(cart, catalog, at=AT, tax=table, promotions=[promo])
    assert [line.tax_total for line in result.lines] == [
        Money("10.80", "EUR"),
        Money("2.52", "EUR"),
    ]
    assert result.grand_total == Money("103.32", "EUR")
    assert_sums(result)


def test_inclusive_prices_with_a_discount() -> None:
    # 119.00 including 19%, 10% off -> 107.10 gross; tax 107.10 x 0.19 / 1.19 = 17.10 exactly.
    from commercekit.pricing import PercentOffItems

    cart, catalog = one_line("119.00", "EUR")
    promo = Promotion("p", "10%", [PercentOffItems(10)])
    result = price_cart(
        cart,
        catalog,
        at=AT,
        promotions=[promo],
        tax=FlatTaxTable(default=TaxRate("VAT", "0.19")),
        policy=PricingPolicy(prices_include_tax=True),
    )
    assert result.lines[0].tax_total == Money("17.10", "EUR")
    assert result.grand_total == Money("107.10", "EUR")


def test_an_exempt_customer_pays_the_net_of_a_tax_inclusive_price() -> None:
    # Shelf 119.00 including 19%; "10 off over 100" is judged on the stated price (119.00), so
    # the exempt customer gets it too: 109.00 gross, whose included tax 109 x 0.19 / 1.19 =
    # 17.4034 -> 17.40 is taken off as the line's tax adjustment: the customer pays 91.60.
    cart, catalog = one_line("119.00", "EUR")
    promo = Promotion(
        "big",
        "10 off over 100",
        [AmountOffOrder(Money("10", "EUR"))],
        [SubtotalAtLeast(Money("100", "EUR"))],
    )
    table = FlatTaxTable(default=TaxRate("VAT", "0.19"))
    policy = PricingPolicy(prices_include_tax=True)
    exempt = price_cart(
        cart,
        catalog,
        at=AT,
        tax=table,
        promotions=[promo],
        policy=policy,
        customer=Customer(tax_exempt=True),
    )
    line = exempt.lines[0]
    assert line.tax_lines == ()
    assert line.discount_total == Money("10", "EUR")
    assert line.tax_adjustment == Money("-17.40", "EUR")
    assert line.total == Money("91.60", "EUR")
    assert exempt.tax_adjustment_total == Money("-17.40", "EUR")
    assert exempt.grand_total == Money("91.60", "EUR")
    assert_sums(exempt)
    taxed = price_cart(cart, catalog, at=AT, tax=table, promotions=[promo], policy=policy)
    assert taxed.grand_total == Money("109.00", "EUR")
    assert taxed.tax_total == Money("17.40", "EUR")
    # With exclusive prices an exempt customer simply has no tax lines and no adjustment.
    plain = price_cart(cart, catalog, at=AT, tax=table, customer=Customer(tax_exempt=True))
    assert (plain.tax_total, plain.tax_adjustment_total) == (Money("0", "EUR"), Money("0", "EUR"))


def test_shipping_follows_the_items_it_ships_when_weighted() -> None:
    # A 100.00 at 20% and B 50.00 at 5.5%, shipping 9.00: split by the net amounts 100 : 50
    # -> 6.00 and 3.00, taxed 1.20 and 0.165 -> 0.17 (half-up): 1.37 on shipping. With the
    # category rule at the standard rate: 9.00 x 20% = 1.80.
    catalog = {
        "A": CatalogEntry("A", price=Money("100.00", "EUR"), tax_category="std"),
        "B": CatalogEntry("B", price=Money("50.00", "EUR"), tax_category="food"),
    }
    cart = Cart(id="c", currency="EUR").add("A", 1).add("B", 1)
    table = FlatTaxTable({"std": TaxRate("VAT", "0.2"), "food": TaxRate("VAT", "0.055")})
    shipping = ShippingRate("post", Money("9.00", "EUR"), tax_category="std")
    weighted = price_cart(
        cart,
        catalog,
        at=AT,
        tax=table,
        shipping=shipping,
        policy=PricingPolicy(shipping_tax=ShippingTax.WEIGHTED),
    )
    assert weighted.shipping is not None
    assert [(t.rate, t.amount_minor) for t in weighted.shipping.tax_lines] == [
        (Decimal("0.2"), 120),
        (Decimal("0.055"), 17),
    ]
    by_category = price_cart(cart, catalog, at=AT, tax=table, shipping=shipping)
    assert by_category.shipping is not None
    assert by_category.shipping.tax_total == Money("1.80", "EUR")
    assert_sums(weighted)


def test_the_request_holds_the_discounted_amounts_and_who_sells_and_buys() -> None:
    cart, catalog = one_line("50.00", "EUR")
    cart = attrs.evolve(cart, shipping_address=Address("fr", postal_code="75001"))
    seller = Seller("DE", Address("DE", postal_code="10115"), {"FR"}, eu_over_threshold=True)
    promo = Promotion("five", "5 off", [AmountOffOrder(Money("5", "EUR"))])
    prepared = prepare_cart(
        cart,
        catalog,
        at=AT,
        promotions=[promo],
        seller=seller,
        customer=Customer(vat_id="fr 40 303 265 045", vat_id_validated=True),
        shipping=ShippingRate("post", Money("4.90", "EUR"), tax_category="std"),
    )
    request = prepared.tax_request
    assert [(i.subtotal_minor, i.discount_minor, i.amount_minor) for i in request.items] == [
        (5000, 500, 4500)
    ]
    assert request.shipping is not None and request.shipping.key == SHIPPING_ITEM
    assert request.ship_to == Address("FR", postal_code="75001")
    assert request.ship_from == seller.address
    assert request.buyer.vat_id == "FR40303265045"
    assert request.buyer.vat_id_validated is True
    assert request.seller is seller


def test_an_answer_that_does_not_fit_the_request_is_refused() -> None:
    cart, catalog = one_line("10.00", "EUR")
    prepared = prepare_cart(cart, catalog, at=AT)
    line_id = cart.lines[0].id
    stray = TaxResult(
        [ItemTax("nope", (TaxLine("VAT", "", Decimal("0.2"), 1, get_currency("EUR"), source="x"),))]
    )
    with pytest.raises(errors.ValidationError, match="unknown item 'nope'"):
        prepared.finish(stray)
    negative = TaxResult(
        [
            ItemTax(
                line_id, (TaxLine("VAT", "", Decimal("0.2"), -1, get_currency("EUR"), source="x"),)
            )
        ]
    )
    with pytest.raises(errors.ValidationError, match="non-negative"):
        prepared.finish(negative)
    restated = TaxResult([ItemTax(line_id, (), -100)])
    with pytest.raises(errors.ValidationError, match="prices exclude tax"):
        prepared.finish(restated)
    good = TaxResult(
        [
            ItemTax(
                line_id, (TaxLine("VAT", "", Decimal("0.2"), 200, get_currency("EUR"), source="x"),)
            )
        ]
    )
    assert prepared.finish(good).grand_total == Money("12.00", "EUR")


def test_the_old_pricing_names_still_import_with_a_warning() -> None:
    import commercekit.pricing as pricing
    from commercekit import tax

    with pytest.warns(DeprecationWarning, match="moved to commercekit.tax.TaxRate"):
        assert pricing.TaxRate is tax.TaxRate
    with pytest.warns(DeprecationWarning, match="commercekit.address.Address"):
        assert pricing.Address is Address
    with warnings.catch_warnings(), pytest.raises(AttributeError):
        pricing.NoSuchName  # noqa: B018


def test_rates_outside_zero_to_one_are_refused() -> None:
    with pytest.raises(errors.ValidationError, match=r"\[0, 1\)"):
        TaxRate("VAT", "1")
    with pytest.raises(errors.ValidationError):
        TaxRate("VAT", "-0.01")
    with pytest.raises(errors.MalformedAmountError):
        TaxRate("VAT", "NaN")


def test_zero_and_exempt_categories_in_a_flat_table_and_a_rule_table() -> None:
    from commercekit.tax import TaxRule, TaxRuleTable, TaxZone

    flat = FlatTaxTable(default=TaxRate("VAT", "0.2", "FR"))
    assert flat.rates_for("exempt") == ()
    assert [r.rate for r in flat.rates_for("zero")] == [Decimal(0)]
    assert flat.rates_for("books") == flat.default
    table = TaxRuleTable([TaxZone("FR", "FR")], [TaxRule("FR", "standard", TaxRate("VAT", "0.2"))])
    catalog = {
        sku: CatalogEntry(sku, price=Money("10.00", "EUR"), tax_category=category)
        for sku, category in [("Z", "zero"), ("E", "exempt"), ("S", None)]
    }
    cart = attrs.evolve(
        Cart(id="c", currency="EUR").add("Z", 1).add("E", 1).add("S", 1),
        shipping_address=Address("FR"),
    )
    for tax in (flat, table):
        result = price_cart(cart, catalog, at=AT, tax=tax)
        lines = {
            line.sku: [(t.rate, t.amount_minor) for t in line.tax_lines] for line in result.lines
        }
        # Zero-rated: a 0% VAT line of 0.00; exempt: no line; standard: 10.00 x 20% = 2.00.
        assert lines == {"Z": [(Decimal(0), 0)], "E": [], "S": [(Decimal("0.2"), 200)]}


def test_an_answer_about_shipping_on_a_cart_without_shipping_is_refused() -> None:
    cart, catalog = one_line("10.00", "EUR")
    prepared = prepare_cart(cart, catalog, at=AT)
    line = TaxLine("VAT", "", Decimal("0.2"), 1, get_currency("EUR"), source="x")
    with pytest.raises(errors.ValidationError, match="unknown item ' shipping'"):
        prepared.finish(TaxResult([ItemTax(SHIPPING_ITEM, (line,))]))


def test_an_answer_in_another_currency_is_refused() -> None:
    cart, catalog = one_line("10.00", "EUR")
    prepared = prepare_cart(cart, catalog, at=AT)
    dollars = TaxLine("VAT", "", Decimal("0.2"), 200, get_currency("USD"), source="x")
    with pytest.raises(errors.CurrencyMismatchError, match="answered in USD, not in EUR"):
        prepared.finish(TaxResult([ItemTax(cart.lines[0].id, (dollars,))]))


def test_bad_sellers_and_buyers_are_refused_where_they_are_built() -> None:
    with pytest.raises(errors.ValidationError, match="ISO 3166-1"):
        Seller("France")
    with pytest.raises(errors.ValidationError, match="True or False"):
        Seller("DE", eu_over_threshold="yes")  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidIdentifierError):
        Customer(vat_id="")
    with pytest.raises(errors.ValidationError):
        Customer(vat_id_validated=1)  # type: ignore[arg-type]
