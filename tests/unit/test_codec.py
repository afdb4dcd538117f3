from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from commercekit import Money, errors, get_currency
from commercekit.codec import make_json_converter
from commercekit.money import Currency


@attrs.frozen
class Sample:
    price: Money
    rate: Decimal
    currency: Currency
    at: datetime


def test_round_trip_and_wire_shape() -> None:
    converter = make_json_converter()
    value = Sample(
        Money("1.005", "KWD"),
        Decimal("0.0825"),
        get_currency("JPY"),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    data = converter.unstructure(value)
    assert data == {
        "price": {"amount": "1.005", "currency": "KWD"},
        "rate": "0.0825",
        "currency": "JPY",
        "at": "2026-01-02T03:04:05+00:00",
    }
    assert converter.structure(data, Sample) == value


@pytest.mark.parametrize(
    "bad",
    [
        {"price": {"amount": 1.5, "currency": "USD"}},
        {"price": {"amount": "1", "currency": "ABC"}},
        {"price": {"amount": "1"}},
        {"price": {"amount": "1", "currency": "USD"}, "rate": 0.1},
        {"at": "2026-01-01T00:00:00"},
        {"at": 5},
    ],
)
def test_bad_data_is_a_commerce_error(bad: dict[str, object]) -> None:
    converter = make_json_converter()
    data: dict[str, object] = {
        "price": {"amount": "1", "currency": "USD"},
        "rate": "1",
        "currency": "USD",
        "at": "2026-01-01T00:00:00+00:00",
    }
    data.update(bad)
    with pytest.raises((errors.CommerceError, ExceptionGroup)) as info:
        converter.structure(data, Sample)
    # cattrs wraps hook errors in an exception group; the cause is always ours.
    causes = getattr(info.value, "exceptions", [info.value])
    assert all(isinstance(c, errors.CommerceError) for c in causes)


def test_an_areas_codec_hooks_apply_to_the_converters_built_for_it() -> None:
    import cattrs

    from commercekit.areas import BUILTIN_AREAS
    from commercekit.ports import Area

    @attrs.frozen
    class Percent:
        value: Decimal

    def hook(converter: cattrs.Converter) -> None:
        converter.register_unstructure_hook(Percent, lambda p: f"{p.value}%")

    mine = Area("loyalty", codec_hooks=(hook,))
    with_area = make_json_converter([*BUILTIN_AREAS, mine])
    assert with_area.unstructure(Percent(Decimal("7.5"))) == "7.5%"
    # The default converter knows the built-in areas only, whatever was built before.
    assert make_json_converter().unstructure(Percent(Decimal("7.5"))) == {"value": "7.5"}


def test_plain_decimals_round_trip_beyond_money_limits() -> None:
    from decimal import Decimal

    import pytest

    from commercekit.codec import make_json_converter
    from commercekit.errors import InvalidAmountError, ValidationError

    converter = make_json_converter()
    for value in (Decimal("1E-40"), Decimal("1E+40"), Decimal("-0.000"), Decimal("9.99999")):
        assert converter.structure(converter.unstructure(value), Decimal) == value
        assert str(converter.structure(converter.unstructure(value), Decimal)) == str(value)
    for bad in ("NaN", "Infinity", "1_000", "١٢", "abc", None):
        with pytest.raises(ValidationError):
            converter.structure(bad, Decimal)
    with pytest.raises(InvalidAmountError):
        converter.structure(0.1, Decimal)
    assert converter.structure(7, Decimal) == Decimal(7)
