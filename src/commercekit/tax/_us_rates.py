"""US sales tax rates per 5-digit ZIP code: the table, :class:`UsZipRates`.

It is loaded from the free per-state CSV rate files (:mod:`commercekit.tax._us_csv` reads and
checks them); each ZIP code's rates are a :class:`~commercekit.tax.ZipRate`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, TypeVar, overload

from commercekit.errors import TaxTableError, ValidationError
from commercekit.rules import check_identifier
from commercekit.tax._us_csv import _label, _Loader
from commercekit.tax._us_zip_rate import ZipRate

__all__ = ["UsZipRates"]

_T = TypeVar("_T")


def _name(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="rate table name")


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
