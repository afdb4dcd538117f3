"""Rate calculators: every price derived by hand, in minor units, from the stated rules.

1 lb = 0.45359237 kg exactly; bands are inclusive at ``up_to``; a dimensional weight is
volume / divisor rounded up to 3 places; every amount is whole minor units (nothing rounds).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from commercekit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from commercekit.money import Money, get_currency
from commercekit.shipping import Dimensions, Weight
from commercekit.shipping._calculators import (
    Combined,
    FlatRate,
    FreeOver,
    PerItem,
    PerStep,
    PriceBands,
    WeightBands,
)
from commercekit.shipping._methods import NoRate, RateBasis, RateCalculator, RefusalReason

EUR = get_currency("EUR")
LB_IN_KG = Decimal("0.45359237")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def basis(
    *,
    quantity: int = 1,
    weight: Weight | None = None,
    dimensions: Dimensions | None = None,
    subtotal: int = 0,
    currency: str = "EUR",
) -> RateBasis:
    return RateBasis(get_currency(currency), subtotal, quantity, weight, dimensions)


KG_BANDS = WeightBands([(Weight("1", "kg"), eur("8.00")), (Weight("2", "kg"), eur("12.00"))])


def test_flat_rate_is_the_same_for_any_parcel() -> None:
    flat = FlatRate(eur("4.90"))
    assert flat.rate(basis(quantity=1)) == 490
    assert flat.rate(basis(quantity=9, weight=Weight("30", "kg"))) == 490
    assert flat.needs_weights is False
    assert isinstance(flat, RateCalculator)


def test_flat_rate_in_a_zero_decimal_currency() -> None:
    assert FlatRate(Money("500", "JPY")).rate(basis(currency="JPY")) == 500


def test_per_item_charges_first_then_each_additional() -> None:
    per_item = PerItem(eur("5.00"), eur("1.50"))
    # 4 units: 5.00 + 3 x 1.50 = 9.50
    assert per_item.rate(basis(quantity=4)) == 500 + 3 * 150
    assert per_item.rate(basis(quantity=1)) == 500


def test_weight_bands_in_kg_judge_items_in_lb_exactly() -> None:
    # 2.2 lb = 2.2 x 0.45359237 = 0.997903214 kg: under 1 kg
    assert Decimal("2.2") * LB_IN_KG < 1
    assert KG_BANDS.rate(basis(weight=Weight("2.2", "lb"))) == 800
    # 2.205 lb = 1.00017117585 kg: over 1 kg, in the 2 kg band
    assert Decimal("2.205") * LB_IN_KG > 1
    assert KG_BANDS.rate(basis(weight=Weight("2.205", "lb"))) == 1200


def test_weight_band_up_to_is_inclusive() -> None:
    assert KG_BANDS.rate(basis(weight=Weight("1000", "g"))) == 800
    assert KG_BANDS.rate(basis(weight=Weight("1000.001", "g"))) == 1200
    assert KG_BANDS.rate(basis(weight=Weight("2", "kg"))) == 1200


def test_weight_bands_without_over_have_no_rate_above_the_last_band() -> None:
    found = KG_BANDS.rate(basis(weight=Weight("2.001", "kg")))
    assert isinstance(found, NoRate)
    assert found.reason == "too_heavy"
    assert "2.001 kg" in found.message


def test_weight_bands_with_a_flat_over() -> None:
    bands = WeightBands([(Weight("1", "kg"), eur("8.00"))], over=eur("25.00"))
    assert bands.rate(basis(weight=Weight("7", "kg"))) == 2500


def test_per_step_over_the_last_band_counts_every_started_step() -> None:
    bands = WeightBands(KG_BANDS.bands, over=PerStep(Weight("1", "kg"), eur("2.00")))
    # 3.5 kg: 1.5 kg over 2 kg, two started kilograms: 12.00 + 2 x 2.00
    assert bands.rate(basis(weight=Weight("3.5", "kg"))) == 1200 + 2 * 200
    # 4 kg: exactly two kilograms over
    assert bands.rate(basis(weight=Weight("4", "kg"))) == 1200 + 2 * 200
    # 4.001 kg: a third kilogram is started
    assert bands.rate(basis(weight=Weight("4.001", "kg"))) == 1200 + 3 * 200


def test_weight_bands_need_a_weight() -> None:
    assert KG_BANDS.needs_weights is True
    found = KG_BANDS.rate(basis())
    assert isinstance(found, NoRate)
    assert found.reason is RefusalReason.MISSING_WEIGHT


def test_billable_weight_is_the_dimensional_weight_when_heavier() -> None:
    bands = WeightBands(
        [(Weight("2", "kg"), eur("6.00")), (Weight("5", "kg"), eur("9.00"))],
        divisor=5000,
        divisor_units=("cm", "kg"),
    )
    box = Dimensions("40", "30", "20", "cm")
    # 40 x 30 x 20 = 24000 cm3, / 5000 = 4.8 kg > 1 kg actual: the 5 kg band
    assert bands.billable(Weight("1", "kg"), box) == Weight("4.8", "kg")
    assert bands.rate(basis(weight=Weight("1", "kg"), dimensions=box)) == 900
    # Without a box the actual weight is billed
    assert bands.rate(basis(weight=Weight("1", "kg"))) == 600
    # A heavier actual weight wins over the dimensional one
    assert bands.billable(Weight("4.9", "kg"), box) == Weight("4.9", "kg")


def test_dimensional_weight_in_inches_and_pounds() -> None:
    bands = WeightBands(
        [(Weight("5", "lb"), eur("6.00")), (Weight("10", "lb"), eur("9.00"))],
        divisor=139,
        divisor_units=("in", "lb"),
    )
    # 12 x 10 x 8 in = 960 in3, / 139 = 6.90647... lb, rounded up to 6.907
    billable = bands.billable(Weight("2", "lb"), Dimensions("12", "10", "8", "in"))
    assert billable == Weight("6.907", "lb")
    # A box given in cm is converted to inches first: 30.48 cm = 12 in exactly
    box_cm = Dimensions("30.48", "25.4", "20.32", "cm")
    assert bands.billable(Weight("2", "lb"), box_cm) == Weight("6.907", "lb")
    assert bands.rate(basis(weight=Weight("2", "lb"), dimensions=box_cm)) == 900


def test_price_bands_judge_the_discounted_subtotal() -> None:
    bands = PriceBands([(eur("25.00"), eur("6.00")), (eur("50.00"), eur("4.00"))], over=eur("0"))
    # A cart of 60.00 before a 15.00 discount pays on 45.00: the 50.00 band
    assert bands.rate(basis(subtotal=6000 - 1500)) == 400
    assert bands.rate(basis(subtotal=2500)) == 600  # inclusive
    assert bands.rate(basis(subtotal=2501)) == 400
    assert bands.rate(basis(subtotal=5001)) == 0


def test_price_bands_without_over_have_no_rate_above_the_last_band() -> None:
    bands = PriceBands([(eur("25.00"), eur("6.00"))])
    found = bands.rate(basis(subtotal=2501))
    assert isinstance(found, NoRate)
    assert found.reason == "subtotal_too_high"


def test_free_over_a_threshold_inclusive() -> None:
    free = FreeOver(eur("50.00"), otherwise=FlatRate(eur("4.90")))
    assert free.rate(basis(subtotal=4999)) == 490
    assert free.rate(basis(subtotal=5000)) == 0
    assert free.rate(basis(subtotal=12000)) == 0
    assert free.needs_weights is False
    assert FreeOver(eur("50.00"), otherwise=KG_BANDS).needs_weights is True


def test_combined_sum_min_max() -> None:
    flat, per_item = FlatRate(eur("3.00")), PerItem(eur("1.00"), eur("0.50"))
    three = basis(quantity=3)
    # per item, 3 units: 1.00 + 2 x 0.50 = 2.00
    assert per_item.rate(three) == 200
    assert Combined([flat, per_item]).rate(three) == 300 + 200
    assert Combined([flat, per_item], how="min").rate(three) == 200
    assert Combined([flat, per_item], how="max").rate(three) == 300


def test_combined_with_a_part_without_rate() -> None:
    flat = FlatRate(eur("20.00"))
    heavy = basis(weight=Weight("3", "kg"))
    assert Combined([KG_BANDS, flat], how="min").rate(heavy) == 2000
    assert isinstance(Combined([KG_BANDS, flat]).rate(heavy), NoRate)
    assert isinstance(Combined([KG_BANDS, flat], how="max").rate(heavy), NoRate)
    assert Combined([KG_BANDS, flat]).needs_weights is True


def test_a_request_in_another_currency_is_a_mismatch() -> None:
    for calculator in (
        FlatRate(eur("1.00")),
        KG_BANDS,
        FreeOver(eur("50.00"), otherwise=FlatRate(eur("1.00"))),
        Combined([FlatRate(eur("1.00"))]),
    ):
        with pytest.raises(CurrencyMismatchError, match="ExchangeRates"):
            calculator.rate(basis(currency="USD", weight=Weight("1", "kg")))


def test_amounts_in_two_currencies_are_refused_when_built() -> None:
    with pytest.raises(CurrencyMismatchError, match="each_additional"):
        PerItem(eur("1.00"), Money("1.00", "USD"))
    with pytest.raises(CurrencyMismatchError, match=r"bands\[1\]"):
        WeightBands([(Weight("1", "kg"), eur("1.00")), (Weight("2", "kg"), Money("2", "USD"))])
    with pytest.raises(CurrencyMismatchError, match="otherwise"):
        FreeOver(Money("50", "USD"), otherwise=FlatRate(eur("1.00")))
    with pytest.raises(CurrencyMismatchError, match=r"parts\[1\]"):
        Combined([FlatRate(eur("1.00")), FlatRate(Money("1", "USD"))])
    with pytest.raises(CurrencyMismatchError, match="over"):
        PriceBands([(eur("10.00"), eur("1.00"))], over=Money("1", "USD"))


def test_bad_amounts_are_typed_errors_naming_the_field() -> None:
    with pytest.raises(InvalidAmountError, match="amount must be Money"):
        FlatRate(4.9)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="amount must not be negative"):
        FlatRate(eur("-1.00"))
    with pytest.raises(ValidationError, match="first is finer than the minor unit"):
        PerItem(eur("1.005"), eur("1.00"))
    with pytest.raises(InvalidAmountError, match="threshold must be Money"):
        FreeOver("50", otherwise=FlatRate(eur("1.00")))  # type: ignore[arg-type]


def test_bad_bands_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        WeightBands([])
    with pytest.raises(ValidationError, match="must increase"):
        WeightBands([(Weight("2", "kg"), eur("1.00")), (Weight("1000", "g"), eur("2.00"))])
    with pytest.raises(ValidationError, match=r"bands\[0\] is an \(up_to Weight"):
        WeightBands([("1 kg", eur("1.00"))])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="divisor must be positive"):
        WeightBands(KG_BANDS.bands, divisor=0)
    with pytest.raises(ValidationError, match="unknown weight unit"):
        WeightBands(KG_BANDS.bands, divisor=5000, divisor_units=("cm", "stone"))
    with pytest.raises(ValidationError, match="must be a Weight"):
        PerStep("1 kg", eur("1.00"))  # type: ignore[arg-type]


def test_bad_combinations_are_refused() -> None:
    with pytest.raises(ValidationError, match="'sum', 'min' or 'max'"):
        Combined([FlatRate(eur("1.00"))], how="avg")
    with pytest.raises(ValidationError, match="at least one"):
        Combined([])
    with pytest.raises(ValidationError, match="rate calculator"):
        FreeOver(eur("50.00"), otherwise=eur("4.90"))  # type: ignore[arg-type]


def test_weights_and_dimensions_refuse_bad_values() -> None:
    with pytest.raises(ValidationError, match="weight must be positive"):
        Weight("0", "kg")
    with pytest.raises(ValidationError, match="weight must be positive"):
        Weight("-1", "kg")
    with pytest.raises(ValidationError, match="unknown weight unit"):
        Weight("1", "stone")
    with pytest.raises(ValidationError, match="length must be positive"):
        Dimensions("10", "0", "5")
