"""Hypothesis properties for the money invariants of the foundation."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from commercekit import Money, Rounding, errors, from_minor_units, quantize, to_minor_units
from commercekit.codec import make_json_converter
from commercekit.money import all_currencies, allocate, allocate_minor, cash_round

CURRENCIES = [c.code for c in all_currencies()]
codes = st.sampled_from(CURRENCIES)
special_codes = st.sampled_from(["USD", "JPY", "KWD", "IQD", "CLF", "BHD", "EUR"])
any_code = st.one_of(codes, special_codes)
minor_units = st.integers(min_value=-(10**20), max_value=10**20)
amounts = st.decimals(
    min_value=Decimal("-1e20"),
    max_value=Decimal("1e20"),
    allow_nan=False,
    allow_infinity=False,
    places=6,
)
roundings = st.sampled_from(list(Rounding))


@st.composite
def money_in_minor_units(draw: st.DrawFn, code: str | None = None) -> Money:
    return from_minor_units(draw(minor_units), code or draw(any_code))


@given(units=minor_units, code=any_code)
def test_minor_unit_round_trip(units: int, code: str) -> None:
    money = from_minor_units(units, code)
    assert to_minor_units(money) == units
    assert from_minor_units(to_minor_units(money), code) == money


@given(amount=amounts, code=any_code, mode=roundings)
def test_quantize_is_idempotent_and_within_one_minor_unit(
    amount: Decimal, code: str, mode: Rounding
) -> None:
    money = Money(amount, code)
    once = quantize(money, mode)
    assert quantize(once, mode) == once
    assert to_minor_units(once) == to_minor_units(quantize(once, Rounding.DOWN))
    step = once.currency.quantum
    assert abs(once.amount - money.amount) < step


@given(amount=amounts, code=any_code)
def test_half_up_ties_go_away_from_zero(amount: Decimal, code: str) -> None:
    money = Money(amount, code)
    rounded = quantize(money, Rounding.HALF_UP).amount
    diff = abs(rounded - money.amount)
    half = money.currency.quantum / 2
    assert diff <= half
    if diff == half and money.amount:
        assert abs(rounded) > abs(money.amount)


@given(
    total=money_in_minor_units(),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_allocation_sums_exactly_and_each_part_is_within_one_unit(
    total: Money, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts, Money.zero(total.currency)) == total
    units = to_minor_units(total)
    effective = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact = Fraction(units * weight, sum(effective))
        assert abs(Fraction(to_minor_units(part)) - exact) < 1
        assert part.currency is total.currency


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weighted=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20),
    data=st.data(),
)
def test_allocation_does_not_depend_on_order_when_keyed(
    total: int, weighted: list[int], data: st.DataObject
) -> None:
    keys = [f"line-{i:03d}" for i in range(len(weighted))]
    base = dict(zip(keys, allocate_minor(total, weighted, keys), strict=True))
    order = data.draw(st.permutations(range(len(weighted))))
    shuffled = allocate_minor(total, [weighted[i] for i in order], [keys[i] for i in order])
    assert dict(zip([keys[i] for i in order], shuffled, strict=True)) == base


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20),
)
def test_negated_total_allocates_to_negated_parts(total: int, weights: list[int]) -> None:
    assert allocate_minor(-total, weights) == [-p for p in allocate_minor(total, weights)]


@given(
    a=money_in_minor_units(code="USD"),
    b=money_in_minor_units(code="USD"),
    c=money_in_minor_units(code="USD"),
)
def test_addition_is_exact_associative_and_commutative(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + b - b == a
    assert to_minor_units(a + b) == to_minor_units(a) + to_minor_units(b)


@given(a=money_in_minor_units(), b=money_in_minor_units())
def test_no_silent_currency_mixing(a: Money, b: Money) -> None:
    assume(a.currency is not b.currency)
    for op in (lambda: a + b, lambda: a - b, lambda: a < b, lambda: a >= b):
        with pytest.raises(errors.CurrencyMismatchError):
            op()
    assert a != b


@given(a=money_in_minor_units(), k=st.integers(min_value=-1000, max_value=1000))
def test_multiplication_by_int_is_repeated_addition(a: Money, k: int) -> None:
    assert to_minor_units(a * k) == to_minor_units(a) * k


@given(amount=amounts, code=any_code, prec=st.integers(min_value=1, max_value=8))
def test_results_do_not_depend_on_the_ambient_context(
    amount: Decimal, code: str, prec: int
) -> None:
    money = Money(amount, code)
    expected = (quantize(money * 7 + money, Rounding.HALF_EVEN), to_minor_units(quantize(money)))
    with decimal.localcontext() as ctx:
        ctx.prec = prec
        ctx.rounding = decimal.ROUND_FLOOR
        got = (quantize(money * 7 + money, Rounding.HALF_EVEN), to_minor_units(quantize(money)))
    assert got == expected


@given(money=money_in_minor_units(code="CHF"), steps=st.sampled_from(["0.05", "0.10", "1", "0.01"]))
def test_cash_rounding_difference_is_visible_and_bounded(money: Money, steps: str) -> None:
    result = cash_round(money, steps)
    assert result.rounded - money == result.difference
    assert abs(result.difference.amount) <= Decimal(steps) / 2
    assert result.rounded.amount % Decimal(steps) == 0


@given(amount=amounts, code=any_code)
def test_codec_round_trip(amount: Decimal, code: str) -> None:
    converter = make_json_converter()
    money = Money(amount, code)
    data = converter.unstructure(money)
    back = converter.structure(data, Money)
    assert back == money and str(back.amount) == str(money.amount)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_always_refused(value: float) -> None:
    with pytest.raises(errors.InvalidAmountError):
        Money(value, "USD")  # type: ignore[arg-type]
