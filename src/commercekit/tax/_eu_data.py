"""The dated EU VAT table: the rates of the 27 member states since 2023, as data.

Compiled from the rates the European Commission publishes in its Taxes in Europe Database
(TEDB, :data:`EU_VAT_TABLE_URL`) as of :data:`EU_VAT_TABLE_TAKEN` (2026-09-23): the standard
rates and their history from TEDB itself; the reduced rates and the categories they cover
from TEDB's category listing (retrieved 2025-08-26) and the national laws published since
(Finland 2026, Lithuania 2026, Germany 2026, the Netherlands 2026, Belgium 2026-03-01,
Ireland 2026-07-01, Sweden 2026-04-01, Latvia 2026-07-01, Austria 2026-07-01). There is no
network here: the table was compiled by hand, not downloaded, and it does not update itself.

What a row means. :class:`EuVatRate` says that from ``valid_from`` (inclusive) until
``valid_until`` (exclusive, ``None``: until further notice) goods of ``category`` are taxed
at ``rate`` in ``country``. The dates are calendar days in the country's own time zone
(:data:`EU_TIME_ZONES`): a rate changes at local midnight. The table starts on
:data:`EU_VAT_TABLE_START` (2023-01-01); earlier dates have no rate.

- ``"standard"``: every state's standard rate, one in force at any instant.
- ``"reduced"``: the state's highest reduced rate (none in Denmark); ``"super_reduced"``: its
  rate below 5% (ES, FR, IE, IT, LU, CY from 2023-07-21, AT from 2026-07-01);
  ``"parking"``: its parking rate (BE, IE, LU, MT, PT).
- An :class:`EuCategory` (``"books"``): the rate the state applies to that kind of product,
  when it is not the standard rate. A category a state taxes at the standard rate has no
  row (the calculator falls back to ``"standard"``); so has a supply a state *exempts*
  (passenger transport in Ireland and Denmark, cultural events in Latvia): sell those with
  the ``"exempt"`` category.

Scope. Only each state's main territory (no Azores, Madeira, Corsica, Greek islands,
Jungholz/Mittelberg rates). A category gets one rate per state: where a state splits it,
the row holds the rate that covers most of it (food: bread, milk, meat and vegetables;
pharmaceuticals: non-prescription medicines in France at 10%, where reimbursed ones are
2.1%). Temporary cuts on a part of a category are left out: Spain's 0%/2% on staple foods
(2023-2024), Portugal's "IVA zero" basket (2023), Cyprus's 0% staples (2023), Austria's 4.9%
staples from 2026-07-01 (only as Austria's ``"super_reduced"`` rate). No energy rates.

Overriding. A host that knows better (a law newer than this table, a category split
differently) passes its own rows, which win over the built-in ones for their period::

    EuVat(overrides=[EuVatRate("FR", "books", Decimal("0.055"), date(2027, 1, 1), None)])

A custom category (``"wine"``) works the same way: rows for it are looked up like the
built-in categories.

Entries a maintainer should re-check against TEDB first (the least certain):

- CZ before 2024-01-01: which categories were at 10% and which at 15%.
- SK before 2025-01-01: restaurant services at 10%; from 2025 restaurant services at 5%
  (non-alcoholic drinks served at 19%); e-books (left at the standard rate).
- RO cultural events (5% to 9% on 2024-01-01 is the cinema and show rate; museums stayed at
  5%); RO medical equipment and passenger transport (left at the standard rate).
- BG restaurant services at 9% until 2024-12-31; BG e-books and periodicals at 9%.
- IE e-books at 0% from 2023-01-01; IE restaurant services back to 9% on 2026-07-01.
- HU cultural events at 18% (open-air music events; other admissions at 27%); HU
  accommodation at 5%.
- HR cultural events at 5%; passenger transport (left at the standard rate).
- LT cultural events at 9% throughout 2023-2025; restaurant services back to the standard
  rate on 2024-01-01.
- LV books and press at 5% throughout; food at 12% only for 2026-07-01 to 2027-06-30.
- GR e-books (left at the standard rate); IT medical equipment at 4%; MT parking rate 12%.
- SE food at 6% from 2026-04-01 to 2027-12-31 (as enacted in late 2025).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

import attrs

from commercekit.errors import TaxTableError, ValidationError
from commercekit.rules import check_identifier
from commercekit.tax._rates import TaxCategory, check_rate

__all__ = [
    "EU_MEMBER_STATES",
    "EU_TIME_ZONES",
    "EU_VAT_RATES",
    "EU_VAT_SOURCE",
    "EU_VAT_TABLE_SOURCE",
    "EU_VAT_TABLE_START",
    "EU_VAT_TABLE_TAKEN",
    "EU_VAT_TABLE_URL",
    "PARKING",
    "VAT_ID_PREFIXES",
    "EuCategory",
    "EuVatRate",
]

#: Where the rates come from.
EU_VAT_TABLE_SOURCE = "European Commission, Taxes in Europe Database (TEDB)"
#: TEDB's address.
EU_VAT_TABLE_URL = "https://ec.europa.eu/taxation_customs/tedb/"
#: The date of the TEDB rates the table was compiled from.
EU_VAT_TABLE_TAKEN = date(2026, 9, 23)
#: The first day the table has rates for.
EU_VAT_TABLE_START = date(2023, 1, 1)
#: The source recorded on every tax line computed from the built-in table.
EU_VAT_SOURCE = f"eu-vat:TEDB:{EU_VAT_TABLE_TAKEN.isoformat()}"
#: The category of a state's parking rate (the generic ones are :class:`TaxCategory` values).
PARKING = "parking"

#: The time zone of each member state's capital: its rates change at local midnight.
EU_TIME_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "AT": "Europe/Vienna",
        "BE": "Europe/Brussels",
        "BG": "Europe/Sofia",
        "CY": "Asia/Nicosia",
        "CZ": "Europe/Prague",
        "DE": "Europe/Berlin",
        "DK": "Europe/Copenhagen",
        "EE": "Europe/Tallinn",
        "ES": "Europe/Madrid",
        "FI": "Europe/Helsinki",
        "FR": "Europe/Paris",
        "GR": "Europe/Athens",
        "HR": "Europe/Zagreb",
        "HU": "Europe/Budapest",
        "IE": "Europe/Dublin",
        "IT": "Europe/Rome",
        "LT": "Europe/Vilnius",
        "LU": "Europe/Luxembourg",
        "LV": "Europe/Riga",
        "MT": "Europe/Malta",
        "NL": "Europe/Amsterdam",
        "PL": "Europe/Warsaw",
        "PT": "Europe/Lisbon",
        "RO": "Europe/Bucharest",
        "SE": "Europe/Stockholm",
        "SI": "Europe/Ljubljana",
        "SK": "Europe/Bratislava",
    }
)

#: The 27 member states, by ISO 3166-1 alpha-2 code (Greece is ``"GR"``; its VAT ids say EL).
EU_MEMBER_STATES: frozenset[str] = frozenset(EU_TIME_ZONES)

#: The VAT id prefix of each member state: its ISO code, except Greece's ``"EL"``.
VAT_ID_PREFIXES: Mapping[str, str] = MappingProxyType(
    {code: ("EL" if code == "GR" else code) for code in sorted(EU_MEMBER_STATES)}
)


class EuCategory(enum.StrEnum):
    """Product kinds that member states commonly tax at a reduced rate (Annex III).

    Set one as a catalog entry's ``tax_category``; what each state charges for it is in
    :data:`EU_VAT_RATES` (its standard rate when the table has no row).
    """

    #: Food for human consumption, without alcoholic drinks.
    FOODSTUFFS = "foodstuffs"
    #: Supply of water.
    WATER_SUPPLY = "water_supply"
    #: Medicines, contraceptives and sanitary protection products.
    PHARMACEUTICALS = "pharmaceuticals"
    #: Medical equipment and aids for disabled persons.
    MEDICAL_EQUIPMENT = "medical_equipment"
    #: Printed books.
    BOOKS = "books"
    #: Books supplied electronically.
    EBOOKS = "ebooks"
    #: Newspapers and periodicals.
    NEWSPAPERS = "newspapers"
    #: Domestic transport of passengers.
    PASSENGER_TRANSPORT = "passenger_transport"
    #: Hotel and holiday accommodation.
    ACCOMMODATION = "accommodation"
    #: Restaurant and catering services (the food; drinks are often taxed apart).
    RESTAURANT = "restaurant"
    #: Admission to shows, theatres, concerts, cinemas and museums.
    CULTURAL_EVENTS = "cultural_events"


def _country(value: str) -> str:
    if not isinstance(value, str) or value.upper() not in EU_MEMBER_STATES:
        hint = " (Greece is 'GR'; 'EL' is only its VAT id prefix)" if value == "EL" else ""
        raise TaxTableError(
            f"an EU VAT rate's country is a member state's ISO code such as 'DE', "
            f"got {value!r}{hint}"
        )
    return value.upper()


def _category(value: str) -> str:
    try:
        return str.__str__(check_identifier(value, name="VAT category"))
    except ValidationError as exc:
        raise TaxTableError(str(exc)) from exc


def _rate(value: Decimal | int | str) -> Decimal:
    try:
        return check_rate(value)
    except ValidationError as exc:
        raise TaxTableError(str(exc)) from exc


def _day(value: date) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TaxTableError(f"a VAT rate's validity starts on a date, got {value!r}")
    return value


def _optional_day(value: date | None) -> date | None:
    return None if value is None else _day(value)


@attrs.frozen
class EuVatRate:
    """One VAT rate of one member state for one category, over a period of days.

    ``valid_until`` is exclusive (``None``: until further notice); both dates are local to
    the country. Anything else than a member state, an identifier category, a rate in
    [0, 1) and an increasing period is a :class:`~commercekit.errors.TaxTableError`.

    >>> EuVatRate("fr", EuCategory.BOOKS, Decimal("0.055"), date(2023, 1, 1), None).country
    'FR'
    """

    #: The member state's ISO 3166-1 alpha-2 code (``"GR"`` for Greece).
    country: str = attrs.field(converter=_country)
    #: ``"standard"``, ``"reduced"``, ``"super_reduced"``, ``"parking"`` or a product kind.
    category: str = attrs.field(converter=_category)
    #: The rate as a fraction in [0, 1).
    rate: Decimal = attrs.field(converter=_rate)
    #: The first day it applies.
    valid_from: date = attrs.field(converter=_day)
    #: The first day it no longer applies, or ``None``.
    valid_until: date | None = attrs.field(default=None, converter=_optional_day)

    def __attrs_post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise TaxTableError(
                f"{self.country} {self.category}: valid_until {self.valid_until} is not after "
                f"valid_from {self.valid_from}"
            )

    def covers(self, day: date) -> bool:
        """Whether the rate applies on ``day`` (a date in the country's time zone)."""
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)


_STD = TaxCategory.STANDARD.value
_RED = TaxCategory.REDUCED.value
_SUPER = TaxCategory.SUPER_REDUCED.value
_PARK = PARKING
_FOOD = EuCategory.FOODSTUFFS.value
_WATER = EuCategory.WATER_SUPPLY.value
_PHARMA = EuCategory.PHARMACEUTICALS.value
_MEDICAL = EuCategory.MEDICAL_EQUIPMENT.value
_BOOKS = EuCategory.BOOKS.value
_EBOOKS = EuCategory.EBOOKS.value
_PRESS = EuCategory.NEWSPAPERS.value
_TRANSPORT = EuCategory.PASSENGER_TRANSPORT.value
_HOTEL = EuCategory.ACCOMMODATION.value
_RESTAURANT = EuCategory.RESTAURANT.value
_CULTURE = EuCategory.CULTURAL_EVENTS.value

_Row = (
    tuple[str, str | tuple[str, ...], str]
    | tuple[str, str | tuple[str, ...], str, str | None]
    | tuple[str, str | tuple[str, ...], str, str | None, str]
)

# (country, category or categories, percent, valid_from or None for the table's start,
# valid_until). Percent strings keep the rates exact (Decimal("5.5") / 100 = 0.055).
_ROWS: tuple[_Row, ...] = (
    ("AT", _STD, "20"),
    ("AT", _RED, "13"),
    ("AT", _SUPER, "4.9", "2026-07-01"),
    ("AT", (_FOOD, _WATER, _PHARMA, _BOOKS, _EBOOKS, _PRESS, _TRANSPORT), "10"),
    ("AT", (_HOTEL, _RESTAURANT), "10"),
    ("AT", _CULTURE, "13"),
    ("BE", _STD, "21"),
    ("BE", _RED, "12"),
    ("BE", _PARK, "12"),
    ("BE", (_FOOD, _WATER, _PHARMA, _MEDICAL, _BOOKS, _EBOOKS, _TRANSPORT, _CULTURE), "6"),
    ("BE", _HOTEL, "6", None, "2026-03-01"),
    ("BE", _HOTEL, "12", "2026-03-01"),
    ("BE", _RESTAURANT, "12"),
    ("BE", _PRESS, "0"),
    ("BG", _STD, "20"),
    ("BG", _RED, "9"),
    ("BG", (_BOOKS, _EBOOKS, _PRESS, _HOTEL), "9"),
    ("BG", _RESTAURANT, "9", None, "2025-01-01"),
    ("CY", _STD, "19"),
    ("CY", _RED, "9"),
    ("CY", _SUPER, "3", "2023-07-21"),
    ("CY", (_FOOD, _WATER, _PHARMA, _TRANSPORT, _CULTURE), "5"),
    ("CY", (_MEDICAL, _BOOKS, _EBOOKS, _PRESS), "5", None, "2023-07-21"),
    ("CY", (_MEDICAL, _BOOKS, _EBOOKS, _PRESS), "3", "2023-07-21"),
    ("CY", (_HOTEL, _RESTAURANT), "9"),
    ("CZ", _STD, "21"),
    ("CZ", _RED, "15", None, "2024-01-01"),
    ("CZ", _RED, "12", "2024-01-01"),
    ("CZ", (_FOOD, _MEDICAL), "15", None, "2024-01-01"),
    ("CZ", (_WATER, _PHARMA, _BOOKS, _EBOOKS, _PRESS), "10", None, "2024-01-01"),
    ("CZ", (_TRANSPORT, _HOTEL, _RESTAURANT, _CULTURE), "10", None, "2024-01-01"),
    ("CZ", (_FOOD, _MEDICAL, _WATER, _PHARMA, _PRESS), "12", "2024-01-01"),
    ("CZ", (_TRANSPORT, _HOTEL, _RESTAURANT, _CULTURE), "12", "2024-01-01"),
    ("CZ", (_BOOKS, _EBOOKS), "0", "2024-01-01"),
    ("DE", _STD, "19"),
    ("DE", _RED, "7"),
    ("DE", (_FOOD, _WATER, _MEDICAL, _BOOKS, _EBOOKS, _PRESS, _TRANSPORT, _HOTEL), "7"),
    ("DE", _CULTURE, "7"),
    ("DE", _RESTAURANT, "7", None, "2024-01-01"),
    ("DE", _RESTAURANT, "7", "2026-01-01"),
    ("DK", _STD, "25"),
    ("DK", _PRESS, "0"),
    ("EE", _STD, "20", None, "2024-01-01"),
    ("EE", _STD, "22", "2024-01-01", "2025-07-01"),
    ("EE", _STD, "24", "2025-07-01"),
    ("EE", _RED, "9", None, "2025-01-01"),
    ("EE", _RED, "13", "2025-01-01"),
    ("EE", (_PHARMA, _MEDICAL, _BOOKS, _EBOOKS), "9"),
    ("EE", _PRESS, "5", None, "2025-01-01"),
    ("EE", _PRESS, "9", "2025-01-01"),
    ("EE", _HOTEL, "9", None, "2025-01-01"),
    ("EE", _HOTEL, "13", "2025-01-01"),
    ("ES", _STD, "21"),
    ("ES", _RED, "10"),
    ("ES", _SUPER, "4"),
    ("ES", (_FOOD, _WATER, _MEDICAL, _TRANSPORT, _HOTEL, _RESTAURANT, _CULTURE), "10"),
    ("ES", (_PHARMA, _BOOKS, _EBOOKS, _PRESS), "4"),
    ("FI", _STD, "24", None, "2024-09-01"),
    ("FI", _STD, "25.5", "2024-09-01"),
    ("FI", _RED, "14", None, "2026-01-01"),
    ("FI", _RED, "13.5", "2026-01-01"),
    ("FI", (_FOOD, _RESTAURANT), "14", None, "2026-01-01"),
    ("FI", (_PHARMA, _BOOKS, _EBOOKS, _TRANSPORT, _HOTEL, _CULTURE), "10", None, "2025-01-01"),
    (
        "FI",
        (_PHARMA, _BOOKS, _EBOOKS, _TRANSPORT, _HOTEL, _CULTURE),
        "14",
        "2025-01-01",
        "2026-01-01",
    ),
    ("FI", (_PHARMA, _BOOKS, _EBOOKS, _TRANSPORT, _HOTEL, _CULTURE), "13.5", "2026-01-01"),
    ("FI", (_FOOD, _RESTAURANT), "13.5", "2026-01-01"),
    ("FI", _PRESS, "10"),
    ("FR", _STD, "20"),
    ("FR", _RED, "10"),
    ("FR", _SUPER, "2.1"),
    ("FR", (_FOOD, _WATER, _MEDICAL, _BOOKS, _EBOOKS, _CULTURE), "5.5"),
    ("FR", (_PHARMA, _TRANSPORT, _HOTEL, _RESTAURANT), "10"),
    ("FR", _PRESS, "2.1"),
    ("GR", _STD, "24"),
    ("GR", _RED, "13"),
    ("GR", (_FOOD, _WATER, _TRANSPORT, _HOTEL, _RESTAURANT), "13"),
    ("GR", (_PHARMA, _MEDICAL, _BOOKS, _PRESS, _CULTURE), "6"),
    ("HR", _STD, "25"),
    ("HR", _RED, "13"),
    ("HR", (_FOOD, _PHARMA, _MEDICAL, _BOOKS, _EBOOKS, _PRESS, _CULTURE), "5"),
    ("HR", (_WATER, _HOTEL, _RESTAURANT), "13"),
    ("HU", _STD, "27"),
    ("HU", _RED, "18"),
    ("HU", (_FOOD, _PHARMA, _BOOKS, _EBOOKS, _PRESS, _HOTEL, _RESTAURANT), "5"),
    ("HU", _CULTURE, "18"),
    ("IE", _STD, "23"),
    ("IE", _RED, "13.5"),
    ("IE", _SUPER, "4.8"),
    ("IE", _PARK, "13.5"),
    ("IE", (_FOOD, _PHARMA, _MEDICAL, _BOOKS, _EBOOKS), "0"),
    ("IE", _PRESS, "9"),
    ("IE", (_HOTEL, _RESTAURANT, _CULTURE), "9", None, "2023-09-01"),
    ("IE", (_HOTEL, _CULTURE), "13.5", "2023-09-01"),
    ("IE", _RESTAURANT, "13.5", "2023-09-01", "2026-07-01"),
    ("IE", _RESTAURANT, "9", "2026-07-01"),
    ("IT", _STD, "22"),
    ("IT", _RED, "10"),
    ("IT", _SUPER, "4"),
    ("IT", (_FOOD, _WATER, _PHARMA, _TRANSPORT, _HOTEL, _RESTAURANT, _CULTURE), "10"),
    ("IT", (_MEDICAL, _BOOKS, _EBOOKS, _PRESS), "4"),
    ("LT", _STD, "21"),
    ("LT", _RED, "9", None, "2026-01-01"),
    ("LT", _RED, "12", "2026-01-01"),
    ("LT", (_PHARMA, _MEDICAL, _PRESS), "5"),
    ("LT", (_BOOKS, _EBOOKS), "9", None, "2026-01-01"),
    ("LT", (_BOOKS, _EBOOKS), "5", "2026-01-01"),
    ("LT", (_TRANSPORT, _HOTEL, _CULTURE), "9", None, "2026-01-01"),
    ("LT", (_TRANSPORT, _HOTEL, _CULTURE), "12", "2026-01-01"),
    ("LT", _RESTAURANT, "9", None, "2024-01-01"),
    ("LU", _STD, "16", None, "2024-01-01"),
    ("LU", _STD, "17", "2024-01-01"),
    ("LU", _RED, "7", None, "2024-01-01"),
    ("LU", _RED, "8", "2024-01-01"),
    ("LU", _PARK, "13", None, "2024-01-01"),
    ("LU", _PARK, "14", "2024-01-01"),
    ("LU", _SUPER, "3"),
    ("LU", (_FOOD, _WATER, _PHARMA, _MEDICAL, _BOOKS, _EBOOKS, _PRESS, _TRANSPORT), "3"),
    ("LU", (_HOTEL, _RESTAURANT, _CULTURE), "3"),
    ("LV", _STD, "21"),
    ("LV", _RED, "12"),
    ("LV", (_PHARMA, _MEDICAL, _TRANSPORT, _HOTEL), "12"),
    ("LV", (_BOOKS, _EBOOKS, _PRESS), "5"),
    ("LV", _FOOD, "12", "2026-07-01", "2027-07-01"),
    ("MT", _STD, "18"),
    ("MT", _RED, "7"),
    ("MT", _PARK, "12"),
    ("MT", (_FOOD, _WATER, _PHARMA, _TRANSPORT), "0"),
    ("MT", (_MEDICAL, _BOOKS, _EBOOKS, _PRESS, _CULTURE), "5"),
    ("MT", _HOTEL, "7"),
    ("NL", _STD, "21"),
    ("NL", _RED, "9"),
    ("NL", (_FOOD, _WATER, _PHARMA, _MEDICAL, _BOOKS, _EBOOKS, _PRESS, _TRANSPORT), "9"),
    ("NL", (_RESTAURANT, _CULTURE), "9"),
    ("NL", _HOTEL, "9", None, "2026-01-01"),
    ("PL", _STD, "23"),
    ("PL", _RED, "8"),
    ("PL", _FOOD, "0", None, "2024-04-01"),
    ("PL", _FOOD, "5", "2024-04-01"),
    ("PL", (_BOOKS, _EBOOKS), "5"),
    ("PL", (_WATER, _PHARMA, _MEDICAL, _PRESS, _TRANSPORT, _HOTEL, _RESTAURANT, _CULTURE), "8"),
    ("PT", _STD, "23"),
    ("PT", _RED, "13"),
    ("PT", _PARK, "13"),
    ("PT", (_FOOD, _WATER, _PHARMA, _MEDICAL, _BOOKS, _EBOOKS, _PRESS, _TRANSPORT), "6"),
    ("PT", (_HOTEL, _CULTURE), "6"),
    ("PT", _RESTAURANT, "13"),
    ("RO", _STD, "19", None, "2025-08-01"),
    ("RO", _STD, "21", "2025-08-01"),
    ("RO", _RED, "9", None, "2025-08-01"),
    ("RO", _RED, "11", "2025-08-01"),
    ("RO", (_FOOD, _WATER, _PHARMA, _HOTEL, _RESTAURANT), "9", None, "2025-08-01"),
    ("RO", (_BOOKS, _EBOOKS, _PRESS), "5", None, "2025-08-01"),
    ("RO", _CULTURE, "5", None, "2024-01-01"),
    ("RO", _CULTURE, "9", "2024-01-01", "2025-08-01"),
    ("RO", (_FOOD, _WATER, _PHARMA, _HOTEL, _RESTAURANT), "11", "2025-08-01"),
    ("RO", (_BOOKS, _EBOOKS, _PRESS, _CULTURE), "11", "2025-08-01"),
    ("SE", _STD, "25"),
    ("SE", _RED, "12"),
    ("SE", _FOOD, "12", None, "2026-04-01"),
    ("SE", _FOOD, "6", "2026-04-01", "2028-01-01"),
    ("SE", _FOOD, "12", "2028-01-01"),
    ("SE", (_HOTEL, _RESTAURANT), "12"),
    ("SE", (_BOOKS, _EBOOKS, _PRESS, _TRANSPORT, _CULTURE), "6"),
    ("SI", _STD, "22"),
    ("SI", _RED, "9.5"),
    ("SI", (_FOOD, _WATER, _PHARMA, _MEDICAL, _TRANSPORT, _HOTEL, _RESTAURANT), "9.5"),
    ("SI", _CULTURE, "9.5"),
    ("SI", (_BOOKS, _EBOOKS, _PRESS), "5"),
    ("SK", _STD, "20", None, "2025-01-01"),
    ("SK", _STD, "23", "2025-01-01"),
    ("SK", _RED, "10", None, "2025-01-01"),
    ("SK", _RED, "19", "2025-01-01"),
    (
        "SK",
        (_FOOD, _PHARMA, _MEDICAL, _BOOKS, _PRESS, _HOTEL, _RESTAURANT),
        "10",
        None,
        "2025-01-01",
    ),
    ("SK", (_FOOD, _PHARMA, _MEDICAL, _BOOKS, _PRESS, _HOTEL, _RESTAURANT), "5", "2025-01-01"),
)


def _rates(rows: tuple[_Row, ...]) -> tuple[EuVatRate, ...]:
    result = []
    for row in rows:
        country, categories, percent = row[0], row[1], row[2]
        start = row[3] if len(row) > 3 else None
        end = row[4] if len(row) > 4 else None
        rate = Decimal(percent).scaleb(-2).normalize()
        for category in (categories,) if isinstance(categories, str) else categories:
            result.append(
                EuVatRate(
                    country,
                    category,
                    rate,
                    EU_VAT_TABLE_START if start is None else date.fromisoformat(start),
                    None if end is None else date.fromisoformat(end),
                )
            )
    return tuple(result)


#: Every built-in rate, from :data:`EU_VAT_TABLE_START` (see the module docs).
EU_VAT_RATES: tuple[EuVatRate, ...] = _rates(_ROWS)
