"""US sales tax from ZIP-code rate tables: the calculator.

Its state rules and exemption certificates are in :mod:`commercekit.tax._us_rules`, the rate
tables in :mod:`commercekit.tax._us_rates`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType

import attrs

from commercekit.address import Address
from commercekit.errors import ConfigurationError, TaxAddressError, ValidationError
from commercekit.rules import check_identifier
from commercekit.tax._engine import ItemRates, compute_tax
from commercekit.tax._rates import TaxCategory, TaxRate
from commercekit.tax._request import Seller, TaxableItem, TaxRequest
from commercekit.tax._result import TaxNote, TaxResult
from commercekit.tax._us_rates import UsZipRates
from commercekit.tax._us_rules import (
    DEFAULT_STATE_RULES,
    ExemptionCertificate,
    UsSourcing,
    UsStateRule,
    _state,
)
from commercekit.tax._us_zip_rate import US_STATES, ZipRate

__all__ = ["UsSalesTax"]


def _rules(value: Mapping[str, UsStateRule]) -> Mapping[str, UsStateRule]:
    rules = dict(DEFAULT_STATE_RULES)
    for state, rule in value.items():
        if not isinstance(rule, UsStateRule):
            raise ValidationError(f"expected a UsStateRule for {state!r}, got {rule!r}")
        rules[_state(state)] = rule
    return MappingProxyType(rules)


def _certificates(value: Iterable[ExemptionCertificate]) -> tuple[ExemptionCertificate, ...]:
    certificates = tuple(value)
    seen: set[str] = set()
    for certificate in certificates:
        if not isinstance(certificate, ExemptionCertificate):
            raise ValidationError(f"expected an ExemptionCertificate, got {certificate!r}")
        if certificate.id in seen:
            raise ValidationError(f"two exemption certificates are called {certificate.id!r}")
        seen.add(certificate.id)
    return certificates


def _source(value: str) -> str:
    return check_identifier(value, name="tax source")


_ZIP = re.compile(r"([0-9]{5})(?:-?[0-9]{4})?")
_NO_TAX_CATEGORIES = frozenset({TaxCategory.EXEMPT.value, TaxCategory.ZERO.value})


@attrs.frozen
class UsSalesTax:
    """US sales tax from a ZIP-code rate table (:class:`UsZipRates`): a local calculator.

    ZIP-level rates are approximations: a ZIP code can span several tax regions (cities,
    counties, special districts), and the tables give one estimate per ZIP. Rooftop accuracy
    (the rates of the exact address) needs a tax service, such as the TaxJar adapter.

    For each request:

    - *Destination*: the ship-to address, else the billing address. It must be a US address
      with a 5-digit ZIP code (ZIP+4 accepted) found in the table, else
      :class:`~commercekit.errors.TaxAddressError`: an unknown ZIP is never zero tax. The
      state is the table's state of the ZIP (a different ``region`` on the address is noted
      as ``"zip_region_mismatch"``). Outside the US: no tax, noted ``"outside_us"``.
    - *Nexus*: tax is collected where the seller (``seller``, else the request's) is
      registered (``"US-CA"`` in its registrations) or has its own address; elsewhere no
      tax, noted ``"no_registration"``.
    - *Sourcing*: a sale within an origin-based state (:class:`UsStateRule`) is taxed at the
      rates of the ship-from ZIP (the request's ``ship_from``, else the seller's address; none
      is a :class:`~commercekit.errors.TaxAddressError`); other sales at the destination's.
      California is modelled as destination-based: in reality its state, county and city
      taxes follow the origin and its district taxes the destination.
    - *Shipping* is taxed only where the state's rule says so, and then as the pricing policy
      says (its shipping rate's own tax category, or weighted by the items).
    - *Categories*: ``"exempt"``, ``"zero"`` and the state's ``exempt_categories`` are not
      taxed; every other item is taxed at the ZIP's rates.
    - *Certificates*: a buyer whose ``exemption_certificate`` names one of ``certificates``
      issued to the same customer, valid in the state and not expired pays no tax (noted
      ``"exempt_certificate"``; with tax-inclusive prices, the net price); any other is
      taxed, noted ``"certificate_not_valid"`` with the reason.

    Each taxed item gets up to four lines, zero rates left out: ``"State tax"`` (jurisdiction
    ``"US-CA"``), ``"County tax"``, ``"City tax"`` and ``"Special district tax"``, whose
    jurisdictions are ``"US-CA:<region name>:county"``, ``...:city`` and ``...:special``
    (the table's region name, or the ZIP code when it has none). Lines carry the source
    ``"us-zip:<table name>"`` (``source`` alone for a table without a name).
    """

    #: The rates per ZIP code.
    rates: UsZipRates = attrs.field(validator=attrs.validators.instance_of(UsZipRates), hash=False)
    #: Who sells; ``None``: the request's seller.
    seller: Seller | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Seller))
    )
    #: The rules per state; a state not in it keeps its :data:`DEFAULT_STATE_RULES` rule.
    states: Mapping[str, UsStateRule] = attrs.field(
        default=DEFAULT_STATE_RULES, converter=_rules, hash=False
    )
    #: The exemption certificates on file.
    certificates: tuple[ExemptionCertificate, ...] = attrs.field(
        default=(), converter=_certificates
    )
    #: The source recorded on every tax line (with the table's name).
    source: str = attrs.field(default="us-zip", converter=_source)
    _by_id: Mapping[str, ExemptionCertificate] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    @_by_id.default
    def _index(self) -> Mapping[str, ExemptionCertificate]:
        return MappingProxyType({c.id: c for c in self.certificates})

    def calculate(self, request: TaxRequest) -> TaxResult:
        """The sales tax of every item of ``request`` (see the class docs)."""
        destination = request.destination
        if destination is None:
            raise TaxAddressError("US sales tax needs a ship-to or billing address")
        if destination.country != "US":
            note = f"{destination.country} is outside the US: no US sales tax"
            return self._untaxed(request, TaxNote("outside_us", note))
        found = self._lookup(destination, "ship-to")
        state = found.state
        seller = self.seller if self.seller is not None else request.seller
        if seller is None:
            raise ConfigurationError("UsSalesTax needs a seller, configured or in the request")
        if not self._collects(seller, state):
            note = f"the seller is not registered to collect sales tax in US-{state}"
            return self._untaxed(request, TaxNote("no_registration", note))
        notes: list[TaxNote] = []
        if destination.region and destination.subdivision != f"US-{state}":
            text = f"ZIP {found.zip} is in US-{state}, the address says {destination.region}"
            notes.append(TaxNote("zip_region_mismatch", text))
        rule = self.states[state]
        if rule.sourcing is UsSourcing.ORIGIN:
            origin = request.ship_from if request.ship_from is not None else seller.address
            found = self._origin(origin, state) or found
        rates = self._tax_rates(found)
        exempt = self._certificate(request, state, notes)

        def rates_for(item: TaxableItem) -> ItemRates:
            category = item.tax_category
            if category in _NO_TAX_CATEGORIES or category in rule.exempt_categories:
                return ItemRates(())
            return ItemRates((), shelf_rates=rates) if exempt else ItemRates(rates)

        return compute_tax(
            request,
            rates_for,
            source=self._line_source,
            notes=notes,
            shipping_taxable=rule.shipping_taxable,
        )

    def _untaxed(self, request: TaxRequest, note: TaxNote) -> TaxResult:
        return compute_tax(request, _no_rates, source=self._line_source, notes=[note])

    @property
    def _line_source(self) -> str:
        name = self.rates.name
        return self.source if name is None else f"{self.source}:{name}"

    def _lookup(self, address: Address, role: str) -> ZipRate:
        code = _zip5(address, role)
        found = self.rates.get(code)
        if found is None:
            raise TaxAddressError(
                f"the {role} ZIP code {code} is not in the US rate table"
                f" {self.rates.name or ''}".rstrip()
            )
        return found

    def _state_of(self, address: Address | None) -> str | None:
        """The state of a US address: its region, else its ZIP's; ``None`` if unknown."""
        if address is None or address.country != "US":
            return None
        region = _region_state(address)
        if region is not None:
            return region
        match = _ZIP.fullmatch(address.postal_code)
        found = self.rates.get(match.group(1)) if match else None
        return None if found is None else found.state

    def _collects(self, seller: Seller, state: str) -> bool:
        return seller.registered_in(f"US-{state}") or self._state_of(seller.address) == state

    def _origin(self, origin: Address | None, state: str) -> ZipRate | None:
        """The ship-from ZIP's rates for a sale within ``state``; ``None``: interstate."""
        if origin is None:
            raise TaxAddressError(
                f"US-{state} taxes sales within the state at the origin's rates: the request"
                " needs a ship-from address (or the seller's address)"
            )
        if origin.country != "US":
            return None
        found = self.rates.get(_zip5(origin, "ship-from"))
        if found is None:
            region = _region_state(origin)
            if region is not None and region != state:
                return None
            found = self._lookup(origin, "ship-from")
        return found if found.state == state else None

    def _tax_rates(self, found: ZipRate) -> tuple[TaxRate, ...]:
        state = f"US-{found.state}"
        region = f"{state}:{found.region_name or found.zip}"
        source = self._line_source
        parts = (
            ("State tax", found.state_rate, state),
            ("County tax", found.county_rate, f"{region}:county"),
            ("City tax", found.city_rate, f"{region}:city"),
            ("Special district tax", found.special_rate, f"{region}:special"),
        )
        return tuple(
            TaxRate(name, rate, jurisdiction=where, source=source)
            for name, rate, where in parts
            if rate
        )

    def _certificate(self, request: TaxRequest, state: str, notes: list[TaxNote]) -> bool:
        """Whether a certificate exempts the buyer in ``state``; notes why or why not."""
        buyer = request.buyer
        reference = buyer.exemption_certificate
        if reference is None or buyer.exempt:
            return False
        certificate = self._by_id.get(reference)
        why = (
            "is not on file"
            if certificate is None
            else certificate.refusal(buyer.customer_id, state, _utc_day(request.at))
        )
        if why is not None:
            notes.append(TaxNote("certificate_not_valid", f"certificate {reference} {why}"))
            return False
        notes.append(
            TaxNote("exempt_certificate", f"exempt in US-{state} under certificate {reference}")
        )
        return True


def _region_state(address: Address) -> str | None:
    """The state code an address's region names, or ``None`` (none, or not a state code)."""
    code = address.region.removeprefix("US-")
    return code if code in US_STATES else None


def _utc_day(at: datetime) -> date:
    return (at.astimezone(UTC) if at.tzinfo is not None else at).date()


def _no_rates(_item: TaxableItem) -> ItemRates:
    return ItemRates(())


def _zip5(address: Address, role: str) -> str:
    """The 5-digit ZIP code of a US address (ZIP+4 accepted), or a TaxAddressError."""
    match = _ZIP.fullmatch(address.postal_code)
    if match is None:
        shown = repr(address.postal_code) if address.postal_code else "none"
        raise TaxAddressError(
            f"the {role} address needs a 5-digit ZIP code (ZIP+4 such as 90001-1234 is"
            f" accepted), got {shown}"
        )
    return match.group(1)
