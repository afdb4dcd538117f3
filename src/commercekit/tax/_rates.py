"""Tax rates and the standard product tax categories."""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from commercekit.errors import ValidationError
from commercekit.money import to_decimal
from commercekit.rules import check_identifier

__all__ = ["TaxCategory", "TaxRate", "check_rate", "zero_rated"]


class TaxCategory(enum.StrEnum):
    """The product tax categories every rule table understands; custom ones are plain strings.

    A product without a category is ``STANDARD``. ``ZERO`` is taxed at 0% (a tax line of
    zero is shown, as on an invoice for zero-rated goods); ``EXEMPT`` is outside the tax (no
    tax line at all).
    """

    STANDARD = "standard"
    REDUCED = "reduced"
    SUPER_REDUCED = "super_reduced"
    ZERO = "zero"
    EXEMPT = "exempt"


def check_rate(value: Decimal | int | str) -> Decimal:
    """A tax rate as a Decimal fraction in [0, 1); anything else is a ValidationError.

    >>> check_rate("0.2")
    Decimal('0.2')
    """
    rate = to_decimal(value)
    if rate < 0 or rate >= 1:
        raise ValidationError(f"a tax rate is a fraction in [0, 1) such as 0.2 (20%), got {rate}")
    return rate


def _name(value: str) -> str:
    return check_identifier(value, name="tax name")


def _jurisdiction(value: str) -> str:
    return "" if value == "" else check_identifier(value, name="jurisdiction")


def _source(value: str) -> str:
    return "" if value == "" else check_identifier(value, name="tax source")


def _flag(value: bool) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"compound must be True or False, got {value!r}")
    return value


@attrs.frozen(cache_hash=True)
class TaxRate:
    """One tax levied on an amount: ``rate`` is a fraction in [0, 1) (``Decimal("0.2")``: 20%).

    A ``compound`` rate is levied on the amount plus every non-compound tax of the same item
    (a tax on a tax). ``source`` names the table or service the rate came from; a calculator
    fills it in when empty.

    >>> TaxRate("VAT", "0.19", jurisdiction="DE").rate
    Decimal('0.19')
    """

    #: The tax's name as shown on a receipt (``"VAT"``, ``"State tax"``).
    name: str = attrs.field(converter=_name)
    #: The rate as a fraction in [0, 1).
    rate: Decimal = attrs.field(converter=check_rate)
    #: Where it is levied (``"DE"``, ``"US-CA"``), or empty.
    jurisdiction: str = attrs.field(default="", converter=_jurisdiction)
    #: Whether it is levied on the amount plus the item's non-compound taxes.
    compound: bool = attrs.field(default=False, converter=_flag)
    #: The table or service it came from, or empty.
    source: str = attrs.field(default="", converter=_source)


def zero_rated(rates: tuple[TaxRate, ...]) -> tuple[TaxRate, ...]:
    """The same taxes at 0%: how a ``"zero"`` item is taxed where no zero rule is written.

    >>> zero_rated((TaxRate("VAT", "0.2", "FR"),))[0].rate
    Decimal('0')
    """
    return tuple(attrs.evolve(rate, rate=Decimal(0)) for rate in rates)
