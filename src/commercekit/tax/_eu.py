"""EuVat: EU VAT on goods, from the dated table, by the distance-selling and B2B rules.

The rules, in the order they are applied to a request (the seller is established in the EU):

1. *Where.* The destination is the ship-to address, else the billing address; none is a
   :class:`~commercekit.errors.TaxAddressError`.
2. *Export.* Outside the EU: zero-rated, no VAT line, a ``TaxNote("export", ...)``.
3. *B2B across member states.* The buyer's VAT id must pass the offline check
   (:func:`~commercekit.tax._vat_ids.check_vat_id`) and not have been refused online
   (``TaxBuyer.vat_id_validated is not False``); an id that fails is noted
   (``"vat_id_invalid"``, with the reason) and the buyer treated as a consumer. A valid id
   of a member state other than the seller's, for goods going to a member state other than
   the seller's, is a reverse charge: no VAT line, a ``TaxNote("reverse_charge", ...)``.
   Any other B2B sale (domestic) is taxed at the seller's rates.
4. *B2C.* The seller's rates, unless the seller passed the EU-wide distance-selling
   threshold (``Seller.eu_over_threshold``) or opted in to destination taxation
   (``Seller.eu_destination_opt_in``): then the destination's. ``Seller.eu_oss`` changes
   nothing here: the One-Stop Shop is how the seller files destination VAT, not how much
   it is.
5. *Rates.* The rates in force at ``request.at`` in the taxing country's own time zone (a
   change happens at local midnight), per item category: none or ``"standard"``, the
   standard rate; an :class:`~commercekit.tax._eu_data.EuCategory` (or a custom category
   with rows of its own), its rate in that country, else the standard rate; ``"reduced"``
   and ``"super_reduced"`` (and ``"parking"``), the country's highest reduced, its
   super-reduced (its parking) rate, else the standard rate; ``"zero"``, a 0% VAT line;
   ``"exempt"``, no line. A category the table does not know is taxed at the standard rate.

*Tax-inclusive prices* are shelf prices set at the seller's home rates. :attr:`EuVat.keep`
says what happens when another rate applies: ``Keep.GROSS`` keeps the price the buyer sees
(the destination's VAT is extracted from it; an export or a reverse charge pays the full
shelf price); ``Keep.NET`` keeps the seller's net (the price is restated at the destination's
rates, and an export or a reverse charge pays the net).

Every tax line is ``"VAT"``, with the country as jurisdiction and the source
:data:`~commercekit.tax._eu_data.EU_VAT_SOURCE` (``"eu-vat:override"`` for a host's
override). Lookups are indexed by (country, category); a request resolves each category
once per taxing country.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import attrs

from commercekit.errors import ConfigurationError, TaxAddressError, TaxTableError, ValidationError
from commercekit.tax._engine import ItemRates, compute_tax
from commercekit.tax._eu_data import (
    EU_MEMBER_STATES,
    EU_TIME_ZONES,
    EU_VAT_RATES,
    EU_VAT_SOURCE,
    EuVatRate,
)
from commercekit.tax._rates import TaxCategory, TaxRate
from commercekit.tax._request import Seller, TaxableItem, TaxRequest
from commercekit.tax._result import TaxNote, TaxResult
from commercekit.tax._vat_ids import VatIdCheck, check_vat_id

__all__ = ["OVERRIDE_SOURCE", "EuVat", "Keep"]

#: The source recorded on a tax line whose rate came from a host's override.
OVERRIDE_SOURCE = "eu-vat:override"

_STANDARD = TaxCategory.STANDARD.value
_ZERO = TaxCategory.ZERO.value
_EXEMPT = TaxCategory.EXEMPT.value


class Keep(enum.StrEnum):
    """With tax-inclusive prices, which price stays the same across destination rates."""

    #: The price the buyer sees: the destination's VAT is extracted from it.
    GROSS = "gross"
    #: The seller's net: the price is restated at the destination's rates.
    NET = "net"


class _Index:
    """Rates by (country, category), each a list of periods sorted by start."""

    def __init__(self, rates: Iterable[EuVatRate], source: str) -> None:
        grouped: dict[tuple[str, str], list[EuVatRate]] = {}
        for rate in rates:
            grouped.setdefault((rate.country, rate.category), []).append(rate)
        self._periods: dict[tuple[str, str], tuple[list[date], list[EuVatRate], list[TaxRate]]]
        self._periods = {}
        for key, periods in grouped.items():
            periods.sort(key=lambda rate: rate.valid_from)
            for before, after in pairwise(periods):
                if before.valid_until is None or before.valid_until > after.valid_from:
                    raise TaxTableError(
                        f"EU VAT rates overlap: {key[0]} {key[1]} from {before.valid_from} "
                        f"and from {after.valid_from}"
                    )
            self._periods[key] = (
                [rate.valid_from for rate in periods],
                periods,
                [TaxRate("VAT", rate.rate, rate.country, source=source) for rate in periods],
            )

    def find(self, country: str, category: str, day: date) -> TaxRate | None:
        """The rate of ``category`` in ``country`` on ``day``, or ``None``."""
        found = self._periods.get((country, category))
        if found is None:
            return None
        starts, periods, rates = found
        index = bisect_right(starts, day) - 1
        if index < 0 or not periods[index].covers(day):
            return None
        return rates[index]


def _table(value: Iterable[EuVatRate]) -> tuple[EuVatRate, ...]:
    rates = tuple(value)
    for rate in rates:
        if not isinstance(rate, EuVatRate):
            raise TaxTableError(f"expected an EuVatRate, got {rate!r}")
    return rates


def _eu_seller(seller: Seller) -> Seller:
    if not isinstance(seller, Seller):
        raise ConfigurationError(f"EuVat's seller is a Seller such as Seller('DE'), not {seller!r}")
    if seller.country not in EU_MEMBER_STATES:
        raise ConfigurationError(
            f"EuVat computes the VAT of sellers established in the EU; {seller.country} is not "
            "a member state"
        )
    return seller


def _optional_seller(value: Seller | None) -> Seller | None:
    return None if value is None else _eu_seller(value)


def _keep(value: Keep | str) -> Keep:
    try:
        return Keep(value)
    except ValueError:
        raise ValidationError(f"keep is 'gross' or 'net', got {value!r}") from None


@attrs.frozen
class EuVat:
    """EU VAT from the dated table, as a local :class:`~commercekit.ports.TaxCalculator`.

    ``seller`` (else the request's) must be established in the EU. ``rates`` is the table
    (the built-in :data:`~commercekit.tax._eu_data.EU_VAT_RATES` by default, recorded as
    ``source``); ``overrides`` are a host's rows, which win over the table for their period.
    Overlapping periods for one country and category are a
    :class:`~commercekit.errors.TaxTableError` when the calculator is built. The rules are
    in the module docs.

    >>> from commercekit.tax import Seller
    >>> EuVat(Seller("DE")).keep
    <Keep.GROSS: 'gross'>
    """

    #: Who sells, or ``None`` to use the request's seller.
    seller: Seller | None = attrs.field(default=None, converter=_optional_seller)
    #: The dated rates.
    rates: tuple[EuVatRate, ...] = attrs.field(default=EU_VAT_RATES, converter=_table)
    #: A host's rates, which win over :attr:`rates` for their period.
    overrides: tuple[EuVatRate, ...] = attrs.field(default=(), converter=_table)
    #: With tax-inclusive prices, whether the gross or the net price is kept.
    keep: Keep = attrs.field(default=Keep.GROSS, converter=_keep)
    #: The source recorded on tax lines computed from :attr:`rates`.
    source: str = EU_VAT_SOURCE
    _table: _Index = attrs.field(init=False, repr=False, eq=False)
    _overrides: _Index = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_table", _Index(self.rates, self.source))
        object.__setattr__(self, "_overrides", _Index(self.overrides, OVERRIDE_SOURCE))

    def rate(self, country: str, category: str, day: date) -> TaxRate | None:
        """The rate of ``category`` in ``country`` on local ``day`` (overrides first), or None."""
        found = self._overrides.find(country, category, day)
        return found if found is not None else self._table.find(country, category, day)

    def calculate(self, request: TaxRequest) -> TaxResult:
        """The VAT of every item of ``request``, by the rules of the module docs."""
        seller = self._seller(request)
        destination = request.destination
        if destination is None:
            raise TaxAddressError("EU VAT needs where the goods go: a shipping or billing address")
        home = _Country(self, seller.country, request.at)
        notes: list[TaxNote] = []
        if destination.country not in EU_MEMBER_STATES:
            notes.append(
                TaxNote(
                    "export",
                    f"Export to {destination.country}, outside the EU: zero-rated, no VAT "
                    "(Article 146, Council Directive 2006/112/EC)",
                )
            )
            return self._untaxed(request, home, notes)
        business = _business_id(request, notes)
        cross_border = destination.country != seller.country
        if business is not None:
            if cross_border and business.country != seller.country:
                notes.append(
                    TaxNote(
                        "reverse_charge",
                        "Reverse charge: intra-Community supply of goods exempt under Article 138"
                        " of Council Directive 2006/112/EC; VAT is accounted for by the customer,"
                        f" VAT id {business.vat_id}",
                    )
                )
                return self._untaxed(request, home, notes)
            return self._taxed(request, home, home, notes)
        if cross_border and (seller.eu_over_threshold or seller.eu_destination_opt_in):
            return self._taxed(
                request, _Country(self, destination.country, request.at), home, notes
            )
        return self._taxed(request, home, home, notes)

    def _seller(self, request: TaxRequest) -> Seller:
        if self.seller is not None:
            return self.seller
        if request.seller is None:
            raise ConfigurationError(
                "EuVat needs a seller: EuVat(seller=Seller('DE')), or price_cart(..., seller=...)"
            )
        return _eu_seller(request.seller)

    def _taxed(
        self, request: TaxRequest, charged: _Country, home: _Country, notes: list[TaxNote]
    ) -> TaxResult:
        restate = request.prices_include_tax and self.keep is Keep.NET and charged is not home
        found: dict[str | None, ItemRates] = {}

        def rates_for(item: TaxableItem) -> ItemRates:
            category = item.tax_category
            rates = found.get(category)
            if rates is None:
                shelf = home.rates(category) if restate else None
                rates = found[category] = ItemRates(charged.rates(category), shelf)
            return rates

        return compute_tax(request, rates_for, source=self.source, notes=notes)

    def _untaxed(self, request: TaxRequest, home: _Country, notes: list[TaxNote]) -> TaxResult:
        net = request.prices_include_tax and self.keep is Keep.NET
        found: dict[str | None, ItemRates] = {}

        def rates_for(item: TaxableItem) -> ItemRates:
            category = item.tax_category
            rates = found.get(category)
            if rates is None:
                rates = found[category] = ItemRates((), home.rates(category) if net else None)
            return rates

        return compute_tax(request, rates_for, source=self.source, notes=notes)


def _business_id(request: TaxRequest, notes: list[TaxNote]) -> VatIdCheck | None:
    """The buyer's VAT id when it counts for B2B; a note says why one does not."""
    vat_id = request.buyer.vat_id
    if vat_id is None:
        return None
    check = check_vat_id(vat_id)
    if not check.valid:
        notes.append(
            TaxNote(
                "vat_id_invalid", f"{check.reason}: {check.message}; VAT charged as to a consumer"
            )
        )
        return None
    if request.buyer.vat_id_validated is False:
        notes.append(
            TaxNote(
                "vat_id_invalid",
                f"vies_refused: {check.vat_id}: an online check refused this VAT id; VAT charged "
                "as to a consumer",
            )
        )
        return None
    return check


class _Country:
    """One country's rates at one instant, resolved once per category for one request."""

    def __init__(self, vat: EuVat, country: str, at: datetime) -> None:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValidationError(f"the pricing time must be timezone-aware, got {at!r}")
        self._vat = vat
        self._country = country
        self._day = at.astimezone(ZoneInfo(EU_TIME_ZONES[country])).date()
        self._found: dict[str | None, tuple[TaxRate, ...]] = {}

    def rates(self, category: str | None) -> tuple[TaxRate, ...]:
        """The VAT rates of an item of ``category`` (none for exempt, a 0% one for zero)."""
        rates = self._found.get(category)
        if rates is None:
            rates = self._found[category] = self._resolve(category)
        return rates

    def _resolve(self, category: str | None) -> tuple[TaxRate, ...]:
        if category == _EXEMPT:
            return ()
        standard = self._vat.rate(self._country, _STANDARD, self._day)
        if standard is None:
            raise TaxTableError(
                f"the EU VAT table has no standard rate for {self._country} on {self._day}"
            )
        if category == _ZERO:
            return (attrs.evolve(standard, rate=0),)
        if category is None or category == _STANDARD:
            return (standard,)
        found = self._vat.rate(self._country, category, self._day)
        return (standard if found is None else found,)
