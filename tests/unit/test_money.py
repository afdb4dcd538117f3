from __future__ import annotations

import copy
import decimal
import pickle
from decimal import Decimal

import moneyed
import pytest

from commercekit import CommerceError, Money, errors, get_currency, sum_money
from commercekit.money import MAX_INTEGER_DIGITS, to_decimal


class TestConstruction:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            (Decimal("19.99"), Decimal("19.99")),
            (5, Decimal(5)),
            ("0.10", Decimal("0.10")),
            ("  -3.5 ", Decimal("-3.5")),
            ("1e2", Decimal("100")),
            (Decimal("0.0000001"), Decimal("0.0000001")),  # finer than the minor unit: allowed
        ],
    )
    def test_accepts_exact_amounts(self, amount: object, expected: Decimal) -> None:
        money = Money(amount, "USD")  # type: ignore[arg-type]
        assert money.amount == expected
        assert money.currency is get_currency("USD")

    @pytest.mark.parametrize("amount", [0.1, 1.0, float("nan"), True, False, None, [1], b"1"])
    def test_refuses_wrong_types_with_type_error(self, amount: object) -> None:
        with pytest.raises(errors.InvalidAmountError) as info:
            Money(amount, "USD")  # type: ignore[arg-type]
        assert isinstance(info.value, TypeError)
        assert isinstance(info.value, CommerceError)

    def test_float_message_says_what_to_do(self) -> None:
        with pytest.raises(errors.InvalidAmountError, match=r"Decimal, an int or a string"):
            Money(0.1, "USD")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "amount",
        [
            "nan",
            "NaN",
            "sNaN",
            "inf",
            "-Infinity",
            Decimal("NaN"),
            Decimal("Infinity"),
            "abc",
            "",
            "1,5",
            "1_000",
            "0x10",
            "١٢",
            "1e30",
            10**30,
            "1e-31",
            Decimal("1E+40"),
        ],
    )
    def test_refuses_malformed_values_with_value_error(self, amount: object) -> None:
        with pytest.raises(errors.MalformedAmountError) as info:
            Money(amount, "USD")  # type: ignore[arg-type]
        assert isinstance(info.value, ValueError)

    def test_largest_amount_in_range(self) -> None:
        biggest = "9" * MAX_INTEGER_DIGITS
        assert Money(biggest, "USD").amount == Decimal(biggest)

    @pytest.mark.parametrize("code", ["usd", " USD ", "Usd"])
    def test_currency_codes_are_normalised(self, code: str) -> None:
        assert Money(1, code).currency.code == "USD"

    @pytest.mark.parametrize("code", ["ABC", "US", "", "€", "USDX", "123"])
    def test_unknown_currency(self, code: str) -> None:
        with pytest.raises(errors.UnknownCurrencyError) as info:
            Money(1, code)
        assert isinstance(info.value, ValueError)
        assert info.value.code == code

    @pytest.mark.parametrize("code", ["XAU", "XAG", "XXX", "XTS", "XDR"])
    def test_codes_without_minor_unit_are_refused(self, code: str) -> None:
        with pytest.raises(errors.UnsupportedCurrencyError):
            Money(1, code)

    def test_currency_object_that_is_not_a_code(self) -> None:
        with pytest.raises(errors.UnknownCurrencyError):
            Money(1, 840)


class TestArithmetic:
    def test_add_and_subtract(self) -> None:
        assert Money("1.10", "EUR") + Money("2.20", "EUR") == Money("3.30", "EUR")
        assert Money("1.10", "EUR") - Money("2.20", "EUR") == Money("-1.10", "EUR")

    @pytest.mark.parametrize("op", ["add", "sub", "lt", "le", "gt", "ge", "truediv"])
    def test_currencies_never_mix(self, op: str) -> None:
        usd, eur = Money(1, "USD"), Money(1, "EUR")
        with pytest.raises(errors.CurrencyMismatchError) as info:
            getattr(usd, f"__{op}__")(eur)
        assert (info.value.left, info.value.right) == ("USD", "EUR")
        assert isinstance(info.value, ValueError)

    def test_equality_across_currencies_is_false_not_an_error(self) -> None:
        assert Money(1, "USD") != Money(1, "EUR")

    def test_multiply_by_int_and_decimal(self) -> None:
        assert Money("19.99", "USD") * 3 == Money("59.97", "USD")
        assert 3 * Money("19.99", "USD") == Money("59.97", "USD")
        assert Money("2.50", "USD") * Decimal("0.5") == Money("1.25", "USD")

    @pytest.mark.parametrize("factor", [0.5, True, "x"])
    def test_multiply_refuses_non_numbers(self, factor: object) -> None:
        with pytest.raises(CommerceError):
            Money(1, "USD") * factor  # type: ignore[operator]

    def test_money_times_money_is_refused(self) -> None:
        with pytest.raises(errors.InvalidAmountError):
            Money(1, "USD") * Money(1, "USD")  # type: ignore[operator]

    def test_multiplication_out_of_range(self) -> None:
        with pytest.raises(errors.MalformedAmountError):
            Money("9" * 29, "USD") * 10**5

    def test_division(self) -> None:
        assert Money("10.00", "USD") / 4 == Money("2.50", "USD")
        third = Money("10.00", "USD") / 3
        assert third.amount.as_tuple().exponent < -2  # finer than cents: not rounded implicitly
        assert Money("10", "USD") / Money("4", "USD") == Decimal("2.5")

    @pytest.mark.parametrize("divisor", [0, Decimal(0), "0"])
    def test_division_by_zero(self, divisor: object) -> None:
        with pytest.raises(errors.MalformedAmountError):
            Money(1, "USD") / divisor  # type: ignore[operator]
        with pytest.raises(errors.MalformedAmountError):
            Money(1, "USD") / Money(0, "USD")

    def test_unary_and_bool(self) -> None:
        m = Money("-2.50", "USD")
        assert -m == Money("2.50", "USD")
        assert +m is m
        assert abs(m) == Money("2.50", "USD")
        assert not Money(0, "USD")
        assert m

    def test_builtin_sum_starts_from_zero(self) -> None:
        parts = [Money("1.00", "USD"), Money("2.50", "USD")]
        assert sum(parts) == Money("3.50", "USD")

    def test_adding_non_money_is_a_typed_error(self) -> None:
        with pytest.raises(errors.InvalidAmountError):
            Money(1, "USD") + 5  # type: ignore[operator]
        with pytest.raises(errors.InvalidAmountError):
            5 + Money(1, "USD")
        with pytest.raises(errors.InvalidAmountError):
            Money(1, "USD") - Decimal(1)  # type: ignore[operator]

    def test_comparisons(self) -> None:
        a, b = Money("1.00", "USD"), Money("2", "USD")
        assert a < b <= b and b > a >= a
        assert sorted([b, a]) == [a, b]
        with pytest.raises(errors.InvalidAmountError):
            a < 5  # type: ignore[operator]  # noqa: B015

    def test_sum_money(self) -> None:
        assert sum_money([], "JPY") == Money(0, "JPY")
        assert str(sum_money([], "KWD").amount) == "0.000"
        with pytest.raises(errors.CurrencyMismatchError):
            sum_money([Money(1, "USD")], "EUR")


class TestValueSemantics:
    def test_immutable(self) -> None:
        m = Money(1, "USD")
        with pytest.raises(AttributeError):
            m.amount = Decimal(2)  # type: ignore[misc]
        with pytest.raises(AttributeError):
            m.other = 1  # type: ignore[attr-defined]
        with pytest.raises(AttributeError):
            get_currency("USD").code = "EUR"

    def test_hash_and_equality_by_value(self) -> None:
        assert Money("1.0", "USD") == Money("1.00", "USD")
        assert len({Money("1.0", "USD"), Money("1.00", "USD"), Money(1, "EUR")}) == 2

    def test_pickle_and_copy_keep_value_and_interning(self) -> None:
        m = Money("12.345", "KWD")
        clone = pickle.loads(pickle.dumps(m))
        assert clone == m and clone.currency is m.currency
        assert str(clone.amount) == "12.345"
        assert copy.copy(m) is m and copy.deepcopy(m) is m
        assert pickle.loads(pickle.dumps(get_currency("JPY"))) is get_currency("JPY")

    def test_repr_and_str(self) -> None:
        assert repr(Money("1.50", "EUR")) == "Money('1.50', 'EUR')"
        assert str(Money("1.50", "EUR")) == "1.50 EUR"
        assert repr(get_currency("EUR")) == "Currency('EUR')"
        assert str(get_currency("EUR")) == "EUR"

    def test_currency_equality(self) -> None:
        assert get_currency("usd") == get_currency("USD")
        assert get_currency("USD") != get_currency("EUR")
        assert get_currency("USD").__eq__("USD") is NotImplemented


class TestAmbientContextIsIgnored:
    def test_host_precision_and_rounding_change_nothing(self) -> None:
        big = Money("123456789012345678901234.56", "USD")
        with decimal.localcontext() as ctx:
            ctx.prec = 5
            ctx.rounding = decimal.ROUND_FLOOR
            ctx.traps[decimal.Inexact] = True
            total = big + Money("0.01", "USD")
            tripled = big * 3
            parsed = to_decimal("1.23456789")
        assert total.amount == Decimal("123456789012345678901234.57")
        assert tripled.amount == Decimal("370370367037037036703703.68")
        assert parsed == Decimal("1.23456789")


class TestMoneyedInterop:
    def test_round_trip_is_lossless(self) -> None:
        for amount, code in [("1.005", "USD"), ("1000", "JPY"), ("1.234", "KWD"), ("-7.5", "EUR")]:
            ours = Money(amount, code)
            theirs = ours.to_moneyed()
            assert isinstance(theirs, moneyed.Money)
            assert theirs.amount == Decimal(amount)
            assert str(theirs.amount) == amount
            assert theirs.currency.code == code
            assert Money.from_moneyed(theirs) == ours

    def test_codes_py_moneyed_lacks(self) -> None:
        for code in ("XCG", "ZWG", "XAD"):
            theirs = Money("1.25", code).to_moneyed()
            assert theirs.currency.code == code
            assert Money.from_moneyed(theirs) == Money("1.25", code)

    def test_constructor_takes_moneyed_currency(self) -> None:
        assert Money(1, moneyed.get_currency("GBP")).currency.code == "GBP"

    def test_arithmetic_and_comparison_accept_moneyed(self) -> None:
        ours, theirs = Money("1.50", "USD"), moneyed.Money("2.00", "USD")
        assert ours + theirs == Money("3.50", "USD")
        assert ours - theirs == Money("-0.50", "USD")
        assert ours == moneyed.Money("1.5", "USD")
        assert ours < theirs
        with pytest.raises(errors.CurrencyMismatchError):
            ours + moneyed.Money(1, "EUR")
        with pytest.raises(errors.InvalidAmountError):
            ours * theirs
