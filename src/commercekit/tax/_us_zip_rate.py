"""The US states, and the sales tax rates of one ZIP code (:class:`ZipRate`), checked."""

from __future__ import annotations

from decimal import Decimal

import attrs

from commercekit.errors import TaxTableError
from commercekit.money import to_decimal
from commercekit.rules import check_identifier

__all__ = ["US_STATES", "ZipRate"]

#: The 50 states and the District of Columbia, as two-letter USPS codes.
US_STATES: frozenset[str] = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
        "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
        "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
        "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    }
)  # fmt: skip

# The files round every rate to 6 places, so the combined rate may be off by a rounding.
_TOLERANCE = Decimal("0.00001")
_MAX_REGION = 100


def _rate(value: object, column: str) -> Decimal:
    rate = value if isinstance(value, Decimal) else to_decimal(value)
    if not (rate.is_finite() and 0 <= rate < 1):
        raise TaxTableError(
            f"{column} {rate} is not a rate in [0, 1): rates are fractions such as 0.0725"
        )
    # The files write six places ("0.060000"); tax lines and invoices show the rate as 6%.
    return rate.normalize() if rate else Decimal(0)


def _state_rate(value: object) -> Decimal:
    return _rate(value, "StateRate")


def _county_rate(value: object) -> Decimal:
    return _rate(value, "EstimatedCountyRate")


def _city_rate(value: object) -> Decimal:
    return _rate(value, "EstimatedCityRate")


def _special_rate(value: object) -> Decimal:
    return _rate(value, "EstimatedSpecialRate")


def _combined_rate(value: object) -> Decimal:
    return _rate(value, "EstimatedCombinedRate")


def _state(value: str) -> str:
    if value in US_STATES:
        return value
    code = value.strip().upper() if isinstance(value, str) else value
    if code not in US_STATES:
        raise TaxTableError(f"State {value!r} is not a US state or DC (two letters, such as CA)")
    return code


def _zip(value: str) -> str:
    if not (isinstance(value, str) and len(value) == 5 and value.isascii() and value.isdigit()):
        raise TaxTableError(f"ZipCode {value!r} is not a 5-digit ZIP code")
    return value


def _region(value: str) -> str:
    if value == "":
        return ""
    name = check_identifier(value, name="TaxRegionName")
    if len(name) > _MAX_REGION:  # it goes into tax lines' jurisdictions (200 at most)
        raise TaxTableError(f"TaxRegionName is longer than {_MAX_REGION} characters: {name!r}")
    return name


def _risk(value: int | str | None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        return int(value)
    if value.__class__ is int and value >= 0:
        return value
    raise TaxTableError(f"RiskLevel {value!r} is not a whole number")


@attrs.frozen
class ZipRate:
    """The sales tax rates of one ZIP code, as a rate file states them.

    The combined rate must be the sum of the four parts to within 0.00001 (the files round
    each rate to 6 places); tax is computed from the parts, one tax line each.

    >>> rate = ZipRate("CA", "90001", "LOS ANGELES COUNTY", "0.06", "0.0025", "0", "0.04",
    ...                "0.1025")
    >>> rate.combined_rate, rate.parts_rate
    (Decimal('0.1025'), Decimal('0.1025'))
    """

    #: The two-letter state code (``"CA"``; ``"DC"`` for the District of Columbia).
    state: str = attrs.field(converter=_state)
    #: The 5-digit ZIP code, as text (``"00501"``).
    zip: str = attrs.field(converter=_zip)
    #: The file's name for the tax region (``"LOS ANGELES COUNTY"``), or empty.
    region_name: str = attrs.field(converter=_region)
    #: The state's rate.
    state_rate: Decimal = attrs.field(converter=_state_rate)
    #: The county's rate (an estimate: a ZIP may span counties).
    county_rate: Decimal = attrs.field(converter=_county_rate)
    #: The city's rate (an estimate).
    city_rate: Decimal = attrs.field(converter=_city_rate)
    #: The special districts' rates, summed (an estimate).
    special_rate: Decimal = attrs.field(converter=_special_rate)
    #: The combined rate the file states.
    combined_rate: Decimal = attrs.field(converter=_combined_rate)
    #: The file's risk level (how likely the ZIP spans tax regions), or ``None``.
    risk_level: int | None = attrs.field(default=None, converter=_risk)

    def __attrs_post_init__(self) -> None:
        parts = self.parts_rate
        if abs(self.combined_rate - parts) > _TOLERANCE:
            raise TaxTableError(
                f"EstimatedCombinedRate {self.combined_rate} of ZIP {self.zip} is not the sum"
                f" of its parts ({parts}): off by more than {_TOLERANCE}"
            )

    @property
    def parts_rate(self) -> Decimal:
        """The sum of the state, county, city and special rates: the rate that is charged."""
        return self.state_rate + self.county_rate + self.city_rate + self.special_rate
