from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commercekit import errors
from commercekit.address import Address
from commercekit.tax import FlatTaxTable, TaxableItem, TaxByCountry, TaxRate, TaxRequest

AT = datetime(2026, 3, 1, tzinfo=UTC)
FR = FlatTaxTable(default=TaxRate("VAT", "0.2", "FR"))
US = FlatTaxTable(default=TaxRate("Sales tax", "0.0825", "US-TX"))


def request(country: str | None) -> TaxRequest:
    return TaxRequest(
        currency="EUR",
        at=AT,
        items=(TaxableItem("l", "A", None, 1, 1000, 0),),
        ship_to=None if country is None else Address(country),
    )


def test_each_destination_is_asked_of_its_own_calculator() -> None:
    router = TaxByCountry({("FR", "MC"): FR, "US": US})
    # 10.00 at 20% = 2.00 for France and Monaco; 10.00 at 8.25% = 0.825 -> 0.83 for the US.
    assert router.calculate(request("MC")).items[0].lines[0].amount_minor == 200
    assert router.calculate(request("us")).items[0].lines[0].amount_minor == 83


def test_a_country_without_rules_is_an_error_never_zero_tax() -> None:
    router = TaxByCountry({"FR": FR})
    with pytest.raises(errors.TaxError, match="no tax calculator for destination country DE"):
        router.calculate(request("DE"))
    with pytest.raises(errors.TaxAddressError):
        router.calculate(request(None))
    fallback = TaxByCountry({"FR": FR}, default=US)
    assert fallback.calculate(request("DE")).items[0].lines[0].jurisdiction == "US-TX"


def test_bad_routes_are_refused_when_built() -> None:
    with pytest.raises(errors.ValidationError, match="routed twice"):
        TaxByCountry({"FR": FR, ("fr", "DE"): US})
    with pytest.raises(errors.ValidationError, match="expected a TaxCalculator"):
        TaxByCountry({"FR": "flat"})  # type: ignore[dict-item]
    with pytest.raises(errors.ValidationError, match="ISO 3166-1"):
        TaxByCountry({"France": FR})
