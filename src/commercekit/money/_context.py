"""The decimal context commercekit owns, and the named rounding modes."""

from __future__ import annotations

import decimal
import enum

__all__ = ["CTX", "MAX_FRACTION_DIGITS", "MAX_INTEGER_DIGITS", "Rounding"]

#: Amounts may have at most this many digits before the decimal point (about 10**30).
MAX_INTEGER_DIGITS = 30
#: Amounts may have at most this many digits after the decimal point (unit prices per gram).
MAX_FRACTION_DIGITS = 30

#: The context every commercekit calculation runs in. Its precision holds any in-range amount
#: times any in-range factor exactly, so results do not depend on the host's ambient context
#: (``decimal.getcontext().prec = 5`` in a host changes nothing here). Invalid operations and
#: division by zero raise instead of producing NaN or infinity.
CTX = decimal.Context(
    prec=120,
    rounding=decimal.ROUND_HALF_UP,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


class Rounding(enum.StrEnum):
    """Named rounding modes; each value is the matching :mod:`decimal` constant.

    Any of the :mod:`decimal` ``ROUND_*`` constants is accepted wherever a ``Rounding`` is.
    """

    #: Ties away from zero (2.5 -> 3, -2.5 -> -3): the commercial default.
    HALF_UP = decimal.ROUND_HALF_UP
    #: Ties to the even neighbour (2.5 -> 2, 3.5 -> 4): banker's rounding.
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    #: Ties towards zero (2.5 -> 2, -2.5 -> -2).
    HALF_DOWN = decimal.ROUND_HALF_DOWN
    #: Towards zero (truncation).
    DOWN = decimal.ROUND_DOWN
    #: Away from zero.
    UP = decimal.ROUND_UP
    #: Towards positive infinity.
    CEILING = decimal.ROUND_CEILING
    #: Towards negative infinity.
    FLOOR = decimal.ROUND_FLOOR
    #: Away from zero only if the last digit after rounding towards zero is 0 or 5.
    ZERO_FIVE_UP = decimal.ROUND_05UP
