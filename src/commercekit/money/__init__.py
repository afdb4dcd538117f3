"""Money, currencies, rounding at named points, allocation and formatting.

Everything here runs in commercekit's own decimal context (:data:`CTX`), so a host that
changes ``decimal.getcontext()`` changes nothing in commercekit.
"""

from commercekit.money._allocate import allocate, allocate_minor
from commercekit.money._context import CTX, MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, Rounding
from commercekit.money._currency import Currency, all_currencies, get_currency
from commercekit.money._format import format_money
from commercekit.money._money import Money, sum_money, to_decimal
from commercekit.money._rounding import (
    CashRounding,
    cash_round,
    div_round,
    from_minor_units,
    is_minor_unit_exact,
    quantize,
    to_minor_units,
)

__all__ = [
    "CTX",
    "MAX_FRACTION_DIGITS",
    "MAX_INTEGER_DIGITS",
    "CashRounding",
    "Currency",
    "Money",
    "Rounding",
    "all_currencies",
    "allocate",
    "allocate_minor",
    "cash_round",
    "div_round",
    "format_money",
    "from_minor_units",
    "get_currency",
    "is_minor_unit_exact",
    "quantize",
    "sum_money",
    "to_decimal",
    "to_minor_units",
]
