"""What a tax calculator is asked: who sells, who buys, where goods go, and the amounts.

The pricing pipeline builds a :class:`TaxRequest` from the cart once promotions have run: the
amounts are the *discounted* amounts, in integer minor units of the cart's currency.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from commercekit.address import Address
from commercekit.clock import ensure_utc
from commercekit.errors import ValidationError
from commercekit.money import Currency, Rounding, get_currency
from commercekit.rules import check_identifier

__all__ = [
    "SHIPPING_ITEM",
    "Seller",
    "ShippingTax",
    "TaxBuyer",
    "TaxRequest",
    "TaxRounding",
    "TaxableItem",
]

#: The key of the shipping item in a request and a result: no line id can take it (identifiers
#: never start with a space).
SHIPPING_ITEM = " shipping"


class TaxRounding(enum.StrEnum):
    """How several tax lines on one item are rounded.

    ``COMBINED`` (the default): the item's combined rate is applied and rounded once, then
    split across the jurisdictions exactly (largest remainder, ties in rate order), so the
    lines add up to the combined amount. ``PER_RATE``: each rate is applied and rounded on
    its own. On 9.99 taxed 6.25% + 1% + 0.25%: combined 7.5% of 9.99 = 0.74925, rounded 0.75,
    split 0.63 + 0.10 + 0.02 (exact shares 0.625, 0.10 and 0.025: the tie of remainders goes to
    the first rate); per rate 0.62 + 0.10 + 0.02 = 0.74, a cent less.
    """

    COMBINED = "combined"
    PER_RATE = "per_rate"


class ShippingTax(enum.StrEnum):
    """How shipping is taxed, chosen per shop.

    ``CATEGORY``: at the rates of the shipping rate's own tax category (none: untaxed).
    ``WEIGHTED``: shipping follows the items it ships (the EU's "follows the main supply"):
    it is split across the items in proportion to their discounted net amounts (exactly, by
    largest remainder) and each part is taxed at its item's rates.
    """

    CATEGORY = "category"
    WEIGHTED = "weighted"


def _country(value: str) -> str:
    return Address(value).country


def _registrations(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError("registrations are a set of codes such as {'DE', 'US-CA'}")
    return frozenset(check_identifier(code, name="registration").upper() for code in value)


def _check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {value!r}")
    return value


def _over_threshold(value: bool) -> bool:
    return _check_bool(value, "eu_over_threshold")


def _opt_in(value: bool) -> bool:
    return _check_bool(value, "eu_destination_opt_in")


def _oss(value: bool) -> bool:
    return _check_bool(value, "eu_oss")


def _exempt(value: bool) -> bool:
    return _check_bool(value, "exempt")


def _optional_address(value: Address | None) -> Address | None:
    if value is not None and not isinstance(value, Address):
        raise ValidationError(f"expected an Address, got {value!r}")
    return value


@attrs.frozen
class Seller:
    """Who sells: where it is established, where it is registered, and its EU standing.

    ``registrations`` holds the countries (``"FR"``) and subdivisions (``"US-CA"``) where the
    seller is registered to collect tax (US nexus). ``eu_over_threshold`` says the seller's
    EU cross-border sales to consumers passed the EU-wide EUR 10,000 in this or the previous
    calendar year; ``eu_destination_opt_in`` that it chose destination taxation below it;
    ``eu_oss`` that it files through the One-Stop Shop (how it reports: the amounts are the
    same).

    >>> Seller("de").country
    'DE'
    """

    #: ISO 3166-1 alpha-2 code of the country where the seller is established.
    country: str = attrs.field(converter=_country)
    #: Where goods leave from by default, and the seller's address for origin-based tax.
    address: Address | None = attrs.field(default=None, converter=_optional_address)
    #: Countries and subdivisions where the seller is registered to collect tax.
    registrations: frozenset[str] = attrs.field(factory=frozenset, converter=_registrations)
    #: Whether the EU distance-selling threshold (EUR 10,000 a year) was passed.
    eu_over_threshold: bool = attrs.field(default=False, converter=_over_threshold)
    #: Whether the seller opted in to destination taxation below the threshold.
    eu_destination_opt_in: bool = attrs.field(default=False, converter=_opt_in)
    #: Whether the seller files EU cross-border sales through the One-Stop Shop.
    eu_oss: bool = attrs.field(default=False, converter=_oss)

    def registered_in(self, code: str) -> bool:
        """Whether the seller collects tax in ``code`` (a country or ``"US-CA"``)."""
        return code.upper() in self.registrations or code.upper() == self.country


def _certificate(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="exemption_certificate")


def _vat_id(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="vat_id")


def _items(value: Iterable[TaxableItem]) -> tuple[TaxableItem, ...]:
    return tuple(value)


def _optional_bool(value: bool | None) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"vat_id_validated must be True, False or None, got {value!r}")
    return value


@attrs.frozen
class TaxBuyer:
    """Who buys, as far as tax needs it (built from :class:`~commercekit.pricing.Customer`).

    ``vat_id_validated`` is what an online check said of the VAT id (``True`` valid,
    ``False`` refused, ``None`` not checked online): a calculator checks format and checksum
    itself.
    """

    #: The customer's id, or ``None`` for a guest.
    customer_id: str | None = None
    #: Whether the buyer is exempt from tax everywhere.
    exempt: bool = attrs.field(default=False, converter=_exempt)
    #: The reference of the buyer's exemption certificate, or ``None``.
    exemption_certificate: str | None = attrs.field(default=None, converter=_certificate)
    #: The buyer's VAT id with its country prefix (``"DE123456789"``), or ``None``.
    vat_id: str | None = attrs.field(default=None, converter=_vat_id)
    #: What an online check said of ``vat_id``: ``True``, ``False``, or ``None`` (unchecked).
    vat_id_validated: bool | None = attrs.field(default=None, converter=_optional_bool)


@attrs.frozen
class TaxableItem:
    """One taxable amount: a cart line, or shipping (keyed :data:`SHIPPING_ITEM`).

    ``amount_minor`` is ``subtotal_minor - discount_minor``: what is really paid for the item
    before tax (with tax-inclusive prices, the discounted gross).
    """

    #: The cart line's id, or :data:`SHIPPING_ITEM`.
    key: str
    #: The product's SKU, or ``None`` for shipping.
    sku: str | None
    #: The product tax category (``None``: standard).
    tax_category: str | None
    #: The quantity (a Decimal for goods sold by measure).
    quantity: int | Decimal
    #: Unit price times quantity, in minor units.
    subtotal_minor: int
    #: What promotions took off, in minor units.
    discount_minor: int

    @property
    def amount_minor(self) -> int:
        """The discounted amount, in minor units."""
        return self.subtotal_minor - self.discount_minor


@attrs.frozen
class TaxRequest:
    """Everything a :class:`~commercekit.ports.TaxCalculator` needs to answer for one cart."""

    #: The currency of every amount (a code is accepted).
    currency: Currency = attrs.field(converter=get_currency)
    #: The pricing time (UTC); rates in force at this instant apply.
    at: datetime = attrs.field(converter=ensure_utc)
    #: The cart's lines, in the cart's order.
    items: tuple[TaxableItem, ...] = attrs.field(converter=_items)
    #: The shipping, or ``None``.
    shipping: TaxableItem | None = None
    #: Where the goods go (the cart's shipping address), or ``None``.
    ship_to: Address | None = None
    #: Where the goods leave from (the seller's address unless told otherwise), or ``None``.
    ship_from: Address | None = None
    #: The billing address, or ``None``.
    billing: Address | None = None
    #: Who sells, or ``None`` when the calculator is configured with it.
    seller: Seller | None = None
    #: Who buys.
    buyer: TaxBuyer = attrs.field(factory=TaxBuyer)
    #: Whether the amounts include tax.
    prices_include_tax: bool = False
    #: The rounding mode at every rounding point.
    rounding: Rounding = Rounding.HALF_UP
    #: Whether tax is rounded per line (``False``) or on the sum of like lines (``True``).
    per_total: bool = False
    #: How several taxes on one item are rounded.
    tax_rounding: TaxRounding = TaxRounding.COMBINED
    #: How shipping is taxed.
    shipping_tax: ShippingTax = ShippingTax.CATEGORY

    @property
    def destination(self) -> Address | None:
        """Where tax is owed by default: the ship-to address, else the billing address."""
        return self.ship_to if self.ship_to is not None else self.billing
