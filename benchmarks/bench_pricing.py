"""Pricing a cart: the totals pipeline against a plain-Decimal implementation of the same rules.

Targets (issue 4): a 100-line cart with 20 active promotions and tax prices in at most 3x the
time of the plain-Decimal baseline, run in the same process; a 1,000-line cart takes at most
15x the time of a 100-line one. Neither touches storage.

The baseline is written plainly (no commercekit types, no validation, no breakdown objects):
Decimal prices, quantize per line, the same promotions (percentage off tagged items in
priority order, an amount off the order split by largest remainder, free shipping over a
threshold) and per-line exclusive tax.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from benchmarks._harness import Ratio, compare, report
from commercekit import Money
from commercekit.cart import Cart, ShippingRate, price_cart
from commercekit.pricing import (
    AmountOffOrder,
    CatalogEntry,
    ItemFilter,
    Lane,
    PercentOffItems,
    PercentOffShipping,
    Promotion,
    SubtotalAtLeast,
)
from commercekit.tax import FlatTaxTable, TaxRate

AT = datetime(2026, 3, 1, tzinfo=UTC)
CENT = Decimal("0.01")
TAGS = [f"tag{i}" for i in range(17)]
RATES = {"std": Decimal("0.2"), "food": Decimal("0.07")}


def build(lines: int) -> tuple[Cart, dict[str, CatalogEntry], list[Promotion]]:
    """A cart of ``lines`` lines, its catalog, and 20 promotions that all apply."""
    catalog = {}
    cart = Cart(id="bench", currency="USD")
    for index in range(lines):
        sku = f"SKU{index:05d}"
        catalog[sku] = CatalogEntry(
            sku,
            price=Money(Decimal(199 + index * 37 % 5000).scaleb(-2), "USD"),
            tags={TAGS[index % 17], TAGS[(index * 7) % 17]},
            tax_category="food" if index % 3 == 0 else "std",
        )
        cart = cart.add(sku, 1 + index % 4)
    promotions = [
        Promotion(f"tag{i}", f"{i}% off tag {i}", [PercentOffItems(i + 1, ItemFilter(tags={t}))])
        for i, t in enumerate(TAGS)
    ]
    promotions.append(
        Promotion(
            "order5",
            "5 off over 50",
            [AmountOffOrder(Money("5", "USD"))],
            [SubtotalAtLeast(Money("50", "USD"))],
            lane=Lane.ORDER,
        )
    )
    promotions.append(
        Promotion(
            "order1",
            "1 off",
            [AmountOffOrder(Money("1", "USD"))],
            lane=Lane.ORDER,
        )
    )
    promotions.append(
        Promotion(
            "ship",
            "Free shipping over 100",
            [PercentOffShipping(100)],
            [SubtotalAtLeast(Money("100", "USD"))],
        )
    )
    return cart, catalog, promotions


TAX = FlatTaxTable({"std": TaxRate("VAT", "0.2"), "food": TaxRate("VAT", "0.07")})
SHIPPING = ShippingRate("post", Money("4.99", "USD"))


def candidate(cart: Cart, catalog: dict[str, CatalogEntry], promotions: list[Promotion]) -> Money:
    """Price with the pipeline; returns the grand total."""
    return price_cart(
        cart, catalog, at=AT, promotions=promotions, tax=TAX, shipping=SHIPPING
    ).grand_total


def _allocate(total: Decimal, weights: list[Decimal], keys: list[str]) -> list[Decimal]:
    units = int(total / CENT)
    ints = [int(w / CENT) for w in weights]
    denominator = sum(ints) or 1
    shares = [divmod(units * w, denominator) for w in ints]
    parts = [share for share, _ in shares]
    leftover = units - sum(parts)
    order = sorted(range(len(ints)), key=lambda i: (-shares[i][1], keys[i]))
    for i in order[:leftover]:
        parts[i] += 1
    return [Decimal(p) * CENT for p in parts]


def baseline(
    lines: list[tuple[str, Decimal, int, frozenset[str], str]],
    percent_promos: list[tuple[str, Decimal, str]],
) -> dict[str, Any]:
    """The same rules in plain Decimal arithmetic, explained the same way: per line its
    subtotal, adjustments (promotion id, amount), tax and total; then the cart totals."""
    rows: list[dict[str, Any]] = []
    for sku, price, quantity, tags, category in lines:
        subtotal = (price * quantity).quantize(CENT, ROUND_HALF_UP)
        rows.append(
            {
                "id": sku,
                "subtotal": subtotal,
                "left": subtotal,
                "tags": tags,
                "category": category,
                "adjustments": [],
            }
        )
    for promo_id, percent, tag in percent_promos:  # items lane, priority order
        for row in rows:
            if tag in row["tags"] and row["left"] > 0:
                off = (row["left"] * percent / 100).quantize(CENT, ROUND_HALF_UP)
                if off:
                    row["left"] -= off
                    row["adjustments"].append((promo_id, off))
    start = sum(row["left"] for row in rows)
    shipping = Decimal("4.99")
    shipping_discount = Decimal(0)
    if sum(row["subtotal"] for row in rows) >= 100:
        shipping_discount = shipping
    for promo_id, amount, minimum in (
        ("order1", Decimal(1), Decimal(0)),
        ("order5", Decimal(5), Decimal(50)),
    ):  # order lane
        if start >= minimum:
            weights = [row["left"] for row in rows]
            off = min(amount, sum(weights))
            keys = [row["id"] for row in rows]
            for row, part in zip(rows, _allocate(off, weights, keys), strict=True):
                if part:
                    row["left"] -= part
                    row["adjustments"].append((promo_id, part))
    grand = shipping - shipping_discount
    tax_total = Decimal(0)
    for row in rows:
        rate = RATES[row["category"]]
        tax = (row["left"] * rate).quantize(CENT, ROUND_HALF_UP)
        row["tax"] = [("VAT", rate, tax)]
        row["total"] = row["left"] + tax
        tax_total += tax
        grand += row["total"]
    return {
        "lines": rows,
        "tax_total": tax_total,
        "shipping_discount": shipping_discount,
        "grand_total": grand,
    }


def _baseline_inputs(
    cart: Cart, catalog: dict[str, CatalogEntry]
) -> tuple[list[tuple[str, Decimal, int, frozenset[str], str]], list[tuple[str, Decimal, str]]]:
    lines = []
    for line in cart.lines:
        entry = catalog[line.sku]
        assert entry.price is not None and entry.tax_category is not None
        assert isinstance(line.quantity, int)
        lines.append((line.id, entry.price.amount, line.quantity, entry.tags, entry.tax_category))
    percents = [(f"tag{i}", Decimal(i + 1), t) for i, t in enumerate(TAGS)]
    percents.sort()  # the pipeline runs equal priorities by promotion id
    return lines, percents


def _runner(lines: int) -> tuple[Callable[[], object], Callable[[], object]]:
    cart, catalog, promotions = build(lines)
    base_lines, percents = _baseline_inputs(cart, catalog)
    expected = baseline(base_lines, percents)
    got = price_cart(cart, catalog, at=AT, promotions=promotions, tax=TAX, shipping=SHIPPING)
    # The baseline really implements the same rules: same totals, line by line.
    assert got.grand_total.amount == expected["grand_total"], (got.grand_total, expected)
    for line, row in zip(got.lines, expected["lines"], strict=True):
        assert line.total.amount == row["total"]
        assert [(a.promotion_id, a.amount.amount) for a in line.adjustments] == row["adjustments"]
    return (lambda: candidate(cart, catalog, promotions)), (lambda: baseline(base_lines, percents))


def run(rounds: int = 9, number: int = 20) -> list[tuple[Ratio, str]]:
    """Measure and return (ratio, target) pairs."""
    cand_100, base_100 = _runner(100)
    cand_1000, _ = _runner(1000)
    return [
        (
            compare(
                "100 lines, 20 promos, tax vs Decimal",
                cand_100,
                base_100,
                rounds=rounds,
                number=number,
            ),
            "<= 3x",
        ),
        (
            compare(
                "1,000 lines vs 100 lines",
                cand_1000,
                cand_100,
                rounds=rounds,
                number=max(1, number // 4),
            ),
            "<= 15x",
        ),
    ]


def main() -> None:
    """Print the pricing benchmark."""
    print("cart pricing (median ratio, candidate / baseline)")
    print(report(run()))


if __name__ == "__main__":
    main()
