"""Hypothesis properties of the tax engine: every tax line follows the stated rounding rule.

The rules (``commercekit.tax._engine``): exclusive prices, combined: ``round(A x R)`` split
across the rates in proportion to their weights; per rate: ``round(A x r)``, compound rates on
the amount plus the plain taxes. Inclusive: ``round(G x R / (1 + R))`` (per rate
``round(G x w / (1 + R))``). A compound rate ``c`` weighs ``c x (1 + S)``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from commercekit.money import Rounding, div_round
from commercekit.tax import (
    SHIPPING_ITEM,
    FlatTaxTable,
    ShippingTax,
    TaxableItem,
    TaxBuyer,
    TaxRate,
    TaxRequest,
    TaxResult,
    TaxRounding,
)

AT = datetime(2026, 6, 1, tzinfo=UTC)
RATES = ["0", "0.05", "0.055", "0.0625", "0.07", "0.077", "0.1", "0.19", "0.2", "0.21", "0.25"]
MODES = [Rounding.HALF_UP, Rounding.HALF_EVEN, Rounding.DOWN, Rounding.UP]


@st.composite
def rate_sets(draw: st.DrawFn) -> tuple[TaxRate, ...]:
    plain = draw(st.lists(st.sampled_from(RATES), min_size=1, max_size=4))
    rates = [TaxRate(f"T{i}", r, jurisdiction=f"J{i}") for i, r in enumerate(plain)]
    if draw(st.booleans()):
        rates.append(TaxRate("C", draw(st.sampled_from(RATES)), "JC", compound=True))
    return tuple(rates)


@st.composite
def requests(draw: st.DrawFn) -> tuple[TaxRequest, FlatTaxTable]:
    categories = {f"c{i}": draw(rate_sets()) for i in range(3)}
    table = FlatTaxTable(categories, default=draw(rate_sets()))
    items = tuple(
        TaxableItem(
            f"line-{i}",
            f"SKU{i}",
            draw(st.sampled_from([None, "c0", "c1", "c2", "exempt-ish"])),
            1,
            subtotal := draw(st.integers(0, 10**7)),
            draw(st.integers(0, subtotal)),
        )
        for i in range(draw(st.integers(0, 8)))
    )
    shipping = None
    if draw(st.booleans()):
        shipping = TaxableItem(
            SHIPPING_ITEM,
            None,
            draw(st.sampled_from([None, "c0"])),
            1,
            draw(st.integers(0, 10**5)),
            0,
        )
    request = TaxRequest(
        currency=(draw(st.sampled_from(["EUR", "JPY", "KWD"]))),
        at=AT,
        items=items,
        shipping=shipping,
        buyer=TaxBuyer(exempt=draw(st.booleans())),
        prices_include_tax=draw(st.booleans()),
        rounding=draw(st.sampled_from(MODES)),
        per_total=draw(st.booleans()),
        tax_rounding=draw(st.sampled_from(list(TaxRounding))),
        shipping_tax=draw(st.sampled_from(list(ShippingTax))),
    )
    return request, table


def weights(rates: tuple[TaxRate, ...]) -> list[Fraction]:
    plain = sum((Fraction(r.rate) for r in rates if not r.compound), Fraction(0))
    return [Fraction(r.rate) * (1 + plain) if r.compound else Fraction(r.rate) for r in rates]


def rounded(value: Fraction, mode: str) -> int:
    return div_round(value.numerator, value.denominator, mode)


def expected(amount: int, rates: tuple[TaxRate, ...], request: TaxRequest) -> list[int] | None:
    """The stated rule, written again independently; ``None`` where allocation decides."""
    mode = request.rounding
    w = weights(rates)
    total = sum(w, Fraction(0))
    if request.tax_rounding is TaxRounding.PER_RATE:
        if request.prices_include_tax:
            taxes = [rounded(amount * wi / (1 + total), mode) for wi in w]
            excess = sum(taxes) - amount  # the last rates give up what exceeds the gross
            for i in reversed(range(len(taxes))):
                cut = min(max(excess, 0), taxes[i])
                taxes[i] -= cut
                excess -= cut
            return taxes
        plain = [0 if r.compound else rounded(amount * Fraction(r.rate), mode) for r in rates]
        base = amount + sum(plain)
        return [
            rounded(base * Fraction(r.rate), mode) if r.compound else p
            for r, p in zip(rates, plain, strict=True)
        ]
    return None


def combined(amount: int, rates: tuple[TaxRate, ...], request: TaxRequest) -> int:
    total = sum(weights(rates), Fraction(0))
    if request.prices_include_tax:
        return rounded(amount * total / (1 + total), request.rounding)
    return rounded(amount * total, request.rounding)


@settings(max_examples=400)
@given(case=requests())
def test_every_tax_line_follows_the_stated_rule(case: tuple[TaxRequest, FlatTaxTable]) -> None:
    request, table = case
    result = table.calculate(request)
    answered = {item.key: item for item in result.items}
    for item in request.items:
        rates = table.rates_for(item.tax_category)
        got = answered.get(item.key)
        amounts = [line.amount_minor for line in got.lines] if got is not None else []
        assert all(a >= 0 for a in amounts)  # tax is never negative
        if request.buyer.exempt:
            assert amounts == []
            adjustment = got.adjustment_minor if got is not None else 0
            if request.prices_include_tax and not request.per_total and rates:
                # The exempt buyer pays the net: minus the tax the shelf price includes.
                rule = expected(item.amount_minor, rates, request)
                shelf = (
                    sum(rule) if rule is not None else combined(item.amount_minor, rates, request)
                )
                assert adjustment == -shelf
            elif not request.prices_include_tax:
                assert adjustment == 0
            assert item.amount_minor + adjustment >= 0
            continue
        assert (got is None) == (not rates)
        if got is None or request.per_total:
            continue
        assert got.adjustment_minor == 0
        assert [line.rate for line in got.lines] == [r.rate for r in rates]
        rule = expected(item.amount_minor, rates, request)
        if rule is not None:
            assert amounts == rule
            continue
        total = combined(item.amount_minor, rates, request)
        assert sum(amounts) == total
        w = weights(rates)
        whole = sum(w, Fraction(0))
        for share, part in zip(w, amounts, strict=True):
            exact = total * share / whole if whole else Fraction(0)
            assert abs(part - exact) < 1  # largest remainder: within one minor unit
        if request.prices_include_tax:
            assert item.amount_minor - sum(amounts) >= 0  # net + tax = gross, net >= 0


@settings(max_examples=300)
@given(case=requests(), data=st.data())
def test_the_same_inputs_give_the_same_tax_whatever_the_order(
    case: tuple[TaxRequest, FlatTaxTable], data: st.DataObject
) -> None:
    request, table = case
    shuffled = attrs.evolve(request, items=data.draw(st.permutations(request.items)))
    first, second = table.calculate(request), table.calculate(shuffled)
    assert _by_key(first) == _by_key(second)


@settings(max_examples=300)
@given(case=requests())
def test_per_total_taxes_add_up_to_the_tax_of_the_sum(
    case: tuple[TaxRequest, FlatTaxTable],
) -> None:
    request, table = case
    if not request.per_total or request.buyer.exempt:
        return
    result = _by_key(table.calculate(request))
    groups: dict[tuple[TaxRate, ...], list[TaxableItem]] = {}
    for item in request.items:
        groups.setdefault(table.rates_for(item.tax_category), []).append(item)
    for rates, members in groups.items():
        if not rates:
            continue
        base = sum(m.amount_minor for m in members)
        taxed = sum(line.amount_minor for m in members for line in result.get(m.key, ((), 0))[0])
        rule = expected(base, rates, request)
        assert taxed == (sum(rule) if rule is not None else combined(base, rates, request))


def _by_key(result: TaxResult) -> dict[str, Any]:
    return {item.key: (tuple(item.lines), item.adjustment_minor) for item in result.items}


def test_the_stated_tie_of_the_issue() -> None:
    # 20% included in 490.47: 49047 x 0.2 / 1.2 = 8174.5, a tie; the tax rounds half-up to
    # 81.75 (rounding the net 408.725 half-up instead would leave a tax of 81.74).
    request = TaxRequest(
        currency="EUR",
        at=AT,
        items=(TaxableItem("l", "A", None, 1, 49047, 0),),
        prices_include_tax=True,
    )
    result = FlatTaxTable(default=TaxRate("VAT", Decimal("0.2"))).calculate(request)
    assert result.items[0].lines[0].amount_minor == 8175
