"""US sales tax rates per 5-digit ZIP code, loaded from the free per-state CSV rate files.

The widely used free rate tables (one file per state, refreshed monthly) have a header row and
one row per ZIP code::

    State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,EstimatedCityRate,EstimatedSpecialRate,RiskLevel
    CA,90001,LOS ANGELES COUNTY,0.102500,0.060000,0.002500,0.000000,0.040000,1

Columns are found by name (others are ignored), rates are decimal fractions parsed as
:class:`~decimal.Decimal` from the text. :meth:`UsZipRates.from_csv` checks every row and
refuses the file with a :class:`~commercekit.errors.TaxTableError` naming the file and line.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import IO, TYPE_CHECKING, TypeVar, overload

import attrs

from commercekit.errors import TaxTableError, ValidationError
from commercekit.money import to_decimal
from commercekit.rules import check_identifier

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["CSV_COLUMNS", "US_STATES", "UsZipRates", "ZipRate"]

#: The 50 states and the District of Columbia, as two-letter USPS codes.
US_STATES: frozenset[str] = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
        "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
        "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
        "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    }
)  # fmt: skip

#: The columns :meth:`UsZipRates.from_csv` needs, by name, in the files' order.
CSV_COLUMNS = (
    "State",
    "ZipCode",
    "TaxRegionName",
    "EstimatedCombinedRate",
    "StateRate",
    "EstimatedCountyRate",
    "EstimatedCityRate",
    "EstimatedSpecialRate",
    "RiskLevel",
)

# The files round every rate to 6 places, so the combined rate may be off by a rounding.
_TOLERANCE = Decimal("0.00001")
_MAX_REGION = 100
_T = TypeVar("_T")


def _rate(value: object, column: str) -> Decimal:
    rate = value if isinstance(value, Decimal) else to_decimal(value)
    if not (rate.is_finite() and 0 <= rate < 1):
        raise TaxTableError(
            f"{column} {rate} is not a rate in [0, 1): rates are fractions such as 0.0725"
        )
    return rate


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


class _Parsed(dict[str, _T]):
    """Text -> value, parsed once: the same few rates repeat over thousands of rows."""

    def __init__(self, parse: Callable[[str], _T]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, key: str) -> _T:
        value = self[key] = self._parse(key)
        return value


def _name(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="rate table name")


def _label(source: object, name: str | None) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fsdecode(source)
    file_name = getattr(source, "name", None)
    return file_name if isinstance(file_name, str) else (name or "<text>")


def _unparsable(row: list[str], names: list[str]) -> str | None:
    """Which rate cell is not a number (looked for only once a row is refused)."""
    for column in CSV_COLUMNS[3:8]:
        text = row[names.index(column.lower())]
        try:
            to_decimal(text)
        except ValidationError:
            return f"{column} {text!r} is not a number"
    return None


class _Loader:
    """Reads files into one dict, so a ZIP found twice is reported with both places."""

    def __init__(self) -> None:
        self.found: dict[str, ZipRate] = {}
        self.files: list[tuple[str, dict[str, int]]] = []
        self.rates = _Parsed(to_decimal)
        self.risks = _Parsed(_risk)

    def read(self, source: str | os.PathLike[str] | IO[str], label: str) -> None:
        if isinstance(source, str | os.PathLike):
            with open(source, encoding="utf-8-sig", newline="") as file:
                self._read(file, label)
        else:
            self._read(source, label)

    def _read(self, file: IO[str], label: str) -> None:
        reader = csv.reader(file)
        try:
            self._rows(reader, label)
        except csv.Error as exc:
            raise TaxTableError(f"{label}, line {max(reader.line_num, 1)}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise TaxTableError(
                f"{label}: not UTF-8 text ({exc.reason}); pass the file opened with its encoding"
            ) from exc

    def _rows(self, reader: Reader, label: str) -> None:
        header = next(reader, None)
        if header is None:
            raise TaxTableError(f"{label}, line 1: the file is empty; expected a header row")
        names = [cell.strip().lstrip("\ufeff").strip().lower() for cell in header]
        for column in CSV_COLUMNS:
            if column.lower() not in names:
                raise TaxTableError(f"{label}, line 1: missing column {column!r}")
        st, zc, rn, comb, sr, co, ci, sp, rl = (names.index(c.lower()) for c in CSV_COLUMNS)
        width = max(st, zc, rn, comb, sr, co, ci, sp, rl) + 1
        found, rates, risks = self.found, self.rates, self.risks
        lines: dict[str, int] = {}
        self.files.append((label, lines))
        for row in reader:
            if len(row) < width:
                if any(cell.strip() for cell in row):
                    raise TaxTableError(
                        f"{label}, line {reader.line_num}: {len(row)} fields, expected {width}"
                    )
                continue
            code = row[zc].strip()
            if len(code) < 5 and code.isascii() and code.isdigit():
                code = code.zfill(5)  # a spreadsheet dropped the leading zeros
            try:
                rate = ZipRate(
                    row[st],
                    code,
                    row[rn].strip(),
                    rates[row[sr]],
                    rates[row[co]],
                    rates[row[ci]],
                    rates[row[sp]],
                    rates[row[comb]],
                    risks[row[rl]],
                )
            except ValidationError as exc:
                raise TaxTableError(
                    f"{label}, line {reader.line_num}: {_unparsable(row, names) or exc}"
                ) from None
            if code in found:
                raise TaxTableError(
                    f"{label}, line {reader.line_num}: ZIP {code} appears twice (first at"
                    f" {self._where(code)})"
                )
            found[code] = rate
            lines[code] = reader.line_num

    def _where(self, code: str) -> str:
        for label, lines in self.files:
            if code in lines:
                return f"{label}, line {lines[code]}"
        return "?"  # pragma: no cover - every found ZIP has a line


class UsZipRates(Mapping[str, ZipRate]):
    r"""US sales tax rates by 5-digit ZIP code: a read-only mapping of ZIP to :class:`ZipRate`.

    Load the free per-state rate files with :meth:`from_csv` (one file) or
    :meth:`from_csv_files` (one per state); ``name`` (such as ``"2026-03"``) is recorded in the
    source of every tax line computed from the table. A lookup is one dict access.

    >>> import io
    >>> text = ("State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,"
    ...         "EstimatedCountyRate,EstimatedCityRate,EstimatedSpecialRate,RiskLevel\n"
    ...         "MA,1001,AGAWAM,0.0625,0.0625,0,0,0,1\n")
    >>> rates = UsZipRates.from_csv(io.StringIO(text), name="2026-03")
    >>> rates.get("01001").state_rate, "99999" in rates
    (Decimal('0.0625'), False)
    """

    __slots__ = ("_name", "_rates")

    def __init__(self, rates: Iterable[ZipRate] = (), *, name: str | None = None) -> None:
        table: dict[str, ZipRate] = {}
        for rate in rates:
            if not isinstance(rate, ZipRate):
                raise TaxTableError(f"expected ZipRate, got {rate!r}")
            if rate.zip in table:
                raise TaxTableError(f"ZIP {rate.zip} appears twice in rate table {name!r}")
            table[rate.zip] = rate
        self._rates = table
        self._name = _name(name)

    @classmethod
    def _of(cls, rates: dict[str, ZipRate], name: str | None) -> UsZipRates:
        table = cls.__new__(cls)
        table._rates = rates
        table._name = _name(name)
        return table

    @classmethod
    def from_csv(
        cls, source: str | os.PathLike[str] | IO[str], *, name: str | None = None
    ) -> UsZipRates:
        """The table in one CSV file: a path (read as UTF-8) or a text file object.

        Every row is checked; the first problem is a
        :class:`~commercekit.errors.TaxTableError` naming the file and line: a missing
        column, a ZIP code that is not 5 digits (one that lost its leading zeros, such as
        ``501``, is padded to ``00501``), a rate outside [0, 1), a combined rate that is not
        the sum of its parts to within 0.00001, a ZIP code seen twice, a state that is not a
        US state or DC. A file that cannot be opened raises the usual :class:`OSError`.
        """
        return cls.from_csv_files([source], name=name)

    @classmethod
    def from_csv_files(
        cls, sources: Iterable[str | os.PathLike[str] | IO[str]], *, name: str | None = None
    ) -> UsZipRates:
        """One table from several CSV files (one per state), checked as :meth:`from_csv`.

        A ZIP code in two files is an error naming both places.
        """
        if isinstance(sources, str | os.PathLike):
            raise ValidationError("from_csv_files takes a list of files; use from_csv for one")
        loader = _Loader()
        for source in sources:
            loader.read(source, _label(source, name))
        return cls._of(loader.found, name)

    def merge(self, *others: UsZipRates, name: str | None = None) -> UsZipRates:
        """A table with the ZIP codes of this one and ``others``; a ZIP in two is an error.

        The result is called ``name``; without one, it keeps the tables' name when they all
        have the same, and has none otherwise.
        """
        merged = dict(self._rates)
        for other in others:
            if not isinstance(other, UsZipRates):
                raise TaxTableError(f"can only merge UsZipRates, got {other!r}")
            for code, rate in other._rates.items():
                if code in merged:
                    raise TaxTableError(
                        f"ZIP {code} is in more than one of the merged tables (last in"
                        f" {other.name or 'an unnamed table'})"
                    )
                merged[code] = rate
        if name is None:
            names = {table.name for table in (self, *others)}
            name = names.pop() if len(names) == 1 else None
        return UsZipRates._of(merged, name)

    @property
    def name(self) -> str | None:
        """The table's name (a version such as ``"2026-03"``), or ``None``."""
        return self._name

    @property
    def states(self) -> frozenset[str]:
        """The states with at least one ZIP code in the table."""
        return frozenset(rate.state for rate in self._rates.values())

    @overload
    def get(self, key: str, /) -> ZipRate | None: ...
    @overload
    def get(self, key: str, /, default: ZipRate | _T) -> ZipRate | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        """The rates of 5-digit ZIP code ``key``, or ``default``."""
        return self._rates.get(key, default)

    def __getitem__(self, key: str) -> ZipRate:
        return self._rates[key]

    def __contains__(self, key: object) -> bool:
        return key in self._rates

    def __iter__(self) -> Iterator[str]:
        return iter(self._rates)

    def __len__(self) -> int:
        return len(self._rates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UsZipRates):
            return NotImplemented
        return self._name == other._name and self._rates == other._rates

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"UsZipRates(name={self._name!r}, {len(self._rates)} ZIP codes)"
