"""Reading the free per-state US sales tax rate files (CSV), checked row by row.

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
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, TypeVar

from commercekit.errors import TaxTableError, ValidationError
from commercekit.money import to_decimal
from commercekit.tax._us_zip_rate import ZipRate, _risk

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["CSV_COLUMNS"]

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

_T = TypeVar("_T")


class _Parsed(dict[str, _T]):
    """Text -> value, parsed once: the same few rates repeat over thousands of rows."""

    def __init__(self, parse: Callable[[str], _T]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, key: str) -> _T:
        value = self[key] = self._parse(key)
        return value


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
