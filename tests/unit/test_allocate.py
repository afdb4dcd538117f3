from __future__ import annotations

from decimal import Decimal

import pytest

from commercekit import Money, allocate, errors
from commercekit.money import allocate_minor


def amounts(parts: list[Money]) -> list[str]:
    return [str(p.amount) for p in parts]


def test_even_split_gives_leftover_to_lowest_keys() -> None:
    assert amounts(allocate(Money("100.00", "USD"), [1, 1, 1])) == ["33.34", "33.33", "33.33"]


def test_keys_decide_ties_not_position() -> None:
    a = allocate(Money("100.00", "USD"), [1, 1, 1], keys=["line-b", "line-c", "line-a"])
    assert amounts(a) == ["33.33", "33.33", "33.34"]
    reordered = allocate(Money("100.00", "USD"), [1, 1, 1], keys=["line-a", "line-b", "line-c"])
    assert amounts(reordered) == ["33.34", "33.33", "33.33"]


def test_largest_remainder_wins_before_keys() -> None:
    # exact shares 1.666.., 3.333..: the larger remainder (0.666) gets the leftover cent
    assert allocate_minor(5, [1, 2]) == [2, 3]
    assert allocate_minor(5, [1, 2], keys=["z", "a"]) == [2, 3]


def test_weights_as_decimals_and_money() -> None:
    parts = allocate(Money("10.00", "EUR"), [Decimal("0.5"), Decimal("0.25"), Decimal("0.25")])
    assert amounts(parts) == ["5.00", "2.50", "2.50"]
    by_subtotal = allocate(Money("1.00", "EUR"), [Money("3.00", "EUR"), Money("1.00", "EUR")])
    assert amounts(by_subtotal) == ["0.75", "0.25"]


def test_zero_weights_split_evenly_and_zero_weight_gets_nothing() -> None:
    assert allocate_minor(10, [0, 0, 0]) == [4, 3, 3]
    assert allocate_minor(10, [0, 1, 0, 2]) == [0, 3, 0, 7]


def test_negative_amounts_mirror_positive_ones() -> None:
    assert amounts(allocate(Money("-100.00", "USD"), [1, 1, 1])) == ["-33.34", "-33.33", "-33.33"]
    assert allocate_minor(0, [1, 2]) == [0, 0]


def test_zero_and_three_decimal_currencies() -> None:
    assert amounts(allocate(Money("100", "JPY"), [1, 1, 1])) == ["34", "33", "33"]
    assert amounts(allocate(Money("1.000", "KWD"), [1, 1, 1])) == ["0.334", "0.333", "0.333"]


@pytest.mark.parametrize(
    "weights", [[], [-1, 2], [1.0, 2], [True, 1], ["x", 1], [Decimal("NaN"), 1]]
)
def test_bad_weights(weights: list[object]) -> None:
    with pytest.raises(errors.AllocationError) as info:
        allocate(Money("1.00", "USD"), weights)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_bad_keys() -> None:
    with pytest.raises(errors.AllocationError):
        allocate_minor(10, [1, 1], keys=["a"])
    with pytest.raises(errors.AllocationError):
        allocate_minor(10, [1, 1], keys=["a", "a"])
    with pytest.raises(errors.AllocationError):
        allocate_minor(1, [1, 1], keys=["a", 1])
    with pytest.raises(errors.AllocationError):
        allocate_minor(10, [1, -1])
    with pytest.raises(errors.AllocationError):
        allocate_minor(10, [1, Decimal(1)])  # type: ignore[list-item]


def test_weights_in_another_currency_are_refused() -> None:
    with pytest.raises(errors.AllocationError):
        allocate(Money("1.00", "USD"), [Money(1, "EUR")])


def test_amount_must_be_whole_minor_units_and_money() -> None:
    with pytest.raises(errors.ValidationError):
        allocate(Money("1.005", "USD"), [1, 1])
    with pytest.raises(errors.InvalidAmountError):
        allocate(Decimal("1.00"), [1])  # type: ignore[arg-type]
