"""The breakdown: what a priced cart costs, line by line, with every adjustment explained.

Every amount is stored as an integer count of the currency's minor units (the ``*_minor``
fields, which is also how it serializes) and read as Money through the property of the same
name without the suffix (``line.total_minor == 1999``, ``line.total == Money("19.99",
"USD")``). Unit prices are Money: they may be finer than the minor unit (a price per gram).
The parts add up exactly:

- a line's ``total`` is ``subtotal - discount_total + tax_adjustment``, plus ``tax_total``
  when prices exclude tax (when they include it, the tax lines say how much of the total is
  tax). ``tax_adjustment`` is zero unless a tax-inclusive price was restated for the buyer:
  minus the included tax for an exempt or zero-rated buyer (who pays the net price), or the
  difference a destination's rate makes when a shop keeps net prices constant;
- shipping's ``total`` is built the same way from its ``amount``;
- the cart's ``grand_total`` is the sum of the line totals, the shipping total and
  ``rounding`` (cash rounding, else zero), and equally ``subtotal + shipping -
  discount_total + tax_adjustment_total`` (+ ``tax_total`` when prices exclude tax)
  ``+ rounding``.

Promotion thresholds (a minimum subtotal, a spend tier) are judged on the prices as stated,
before tax and before any tax adjustment: an exempt customer qualifies for the same
promotions as any other.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from commercekit.cart._quantity import Quantity
from commercekit.errors import UnknownLineError
from commercekit.money import CTX, Currency, Money
from commercekit.pricing import CouponRefusal
from commercekit.tax import TaxLine, TaxNote

_trusted = Money.from_trusted


def _money(units: int, currency: Currency) -> Money:
    return _trusted(Decimal(units).scaleb(-currency.minor_units, CTX), currency)


__all__ = [
    "Adjustment",
    "Breakdown",
    "CouponStatus",
    "LineBreakdown",
    "PriceChange",
    "PromotionOutcome",
    "ShippingBreakdown",
    "TaxLine",
]


@attrs.frozen
class Adjustment:
    """An amount a promotion took off a line or off shipping."""

    #: The promotion that made it.
    promotion_id: str
    #: The promotion's label, for people.
    label: str
    #: The amount taken off, in minor units (never negative).
    amount_minor: int
    #: The currency.
    currency: Currency

    @property
    def amount(self) -> Money:
        """The amount taken off."""
        return _money(self.amount_minor, self.currency)


@attrs.frozen
class LineBreakdown:
    """How one cart line was priced."""

    #: The cart line's id.
    line_id: str
    #: The product.
    sku: str
    #: The quantity priced.
    quantity: Quantity
    #: The unit price in force (may be finer than the minor unit).
    unit_price: Money
    #: The price a sale undercut ("was"), or ``None``.
    compare_at_price: Money | None
    #: Where the unit price came from (``"catalog"``, ``"price-list:<id>"``, ``...+fx``).
    price_source: str
    #: ``unit_price * quantity``, rounded to the minor unit.
    subtotal_minor: int
    #: The promotions' adjustments, in the order they applied.
    adjustments: tuple[Adjustment, ...]
    #: The sum of the adjustments.
    discount_total_minor: int
    #: Taxes on the discounted amount.
    tax_lines: tuple[TaxLine, ...]
    #: The sum of the tax lines.
    tax_total_minor: int
    #: What the line costs (see the module docs).
    total_minor: int
    #: The change tax made to a tax-inclusive price (see the module docs), in minor units.
    tax_adjustment_minor: int = 0

    @property
    def subtotal(self) -> Money:
        """``unit_price * quantity``, rounded to the minor unit."""
        return _money(self.subtotal_minor, self.unit_price.currency)

    @property
    def tax_adjustment(self) -> Money:
        """The change tax made to a tax-inclusive price (see the module docs)."""
        return _money(self.tax_adjustment_minor, self.unit_price.currency)

    @property
    def discount_total(self) -> Money:
        """The sum of the adjustments."""
        return _money(self.discount_total_minor, self.unit_price.currency)

    @property
    def tax_total(self) -> Money:
        """The sum of the tax lines."""
        return _money(self.tax_total_minor, self.unit_price.currency)

    @property
    def total(self) -> Money:
        """What the line costs."""
        return _money(self.total_minor, self.unit_price.currency)


@attrs.frozen
class ShippingBreakdown:
    """How the chosen shipping rate was priced."""

    #: The shipping method's name.
    method: str
    #: The currency.
    currency: Currency
    #: The rate before discounts.
    amount_minor: int
    #: Shipping promotions' adjustments.
    adjustments: tuple[Adjustment, ...]
    #: The sum of the adjustments.
    discount_total_minor: int
    #: Taxes on the discounted shipping amount.
    tax_lines: tuple[TaxLine, ...]
    #: The sum of the tax lines.
    tax_total_minor: int
    #: What shipping costs (see the module docs).
    total_minor: int
    #: The change tax made to a tax-inclusive rate (see the module docs), in minor units.
    tax_adjustment_minor: int = 0

    @property
    def tax_adjustment(self) -> Money:
        """The change tax made to a tax-inclusive rate (see the module docs)."""
        return _money(self.tax_adjustment_minor, self.currency)

    @property
    def amount(self) -> Money:
        """The rate before discounts."""
        return _money(self.amount_minor, self.currency)

    @property
    def discount_total(self) -> Money:
        """The sum of the adjustments."""
        return _money(self.discount_total_minor, self.currency)

    @property
    def tax_total(self) -> Money:
        """The sum of the tax lines."""
        return _money(self.tax_total_minor, self.currency)

    @property
    def total(self) -> Money:
        """What shipping costs."""
        return _money(self.total_minor, self.currency)


@attrs.frozen
class PromotionOutcome:
    """Whether a promotion applied, and if not, why."""

    #: The promotion.
    promotion_id: str
    #: Whether it took something off.
    applied: bool
    #: Why not, or ``None`` when applied.
    reason: CouponRefusal | None
    #: What it took off in total, in minor units.
    amount_minor: int
    #: The currency.
    currency: Currency
    #: The coupon code that unlocked it, or ``None``: the code the checkout consumes a use of.
    coupon_code: str | None

    @property
    def amount(self) -> Money:
        """What it took off in total."""
        return _money(self.amount_minor, self.currency)


@attrs.frozen
class CouponStatus:
    """Whether a coupon code on the cart was accepted, and if not, why."""

    #: The code, normalized.
    code: str
    #: Whether a promotion it unlocks applied.
    accepted: bool
    #: The promotion it unlocked or was refused by, or ``None`` for an unknown code.
    promotion_id: str | None
    #: Why it was refused, or ``None`` when accepted.
    reason: CouponRefusal | None


@attrs.frozen
class PriceChange:
    """A line whose unit price differs from the one the customer saw."""

    #: The cart line's id.
    line_id: str
    #: The unit price the customer saw.
    seen: Money
    #: The unit price now.
    current: Money


@attrs.frozen
class Breakdown:
    """A priced cart: per line, shipping, and cart totals (see the module docs)."""

    #: The cart priced.
    cart_id: str
    #: The currency of every amount.
    currency: Currency
    #: The pricing time.
    priced_at: datetime
    #: Whether prices (and so totals) include tax.
    prices_include_tax: bool
    #: One per cart line, in the cart's order.
    lines: tuple[LineBreakdown, ...]
    #: The shipping, or ``None`` when no rate was chosen.
    shipping: ShippingBreakdown | None
    #: The sum of the line subtotals.
    subtotal_minor: int
    #: Everything promotions took off, lines and shipping.
    discount_total_minor: int
    #: The shipping rate before discounts (zero without shipping).
    shipping_total_minor: int
    #: Every tax line, lines and shipping.
    tax_total_minor: int
    #: The cash-rounding difference (zero without cash rounding).
    rounding_minor: int
    #: What the customer pays.
    grand_total_minor: int
    #: Every promotion considered, applied or not (promotions behind a coupon code the cart
    #: does not carry are left out).
    promotions: tuple[PromotionOutcome, ...]
    #: One per coupon code on the cart.
    coupons: tuple[CouponStatus, ...]
    #: Every tax adjustment, lines and shipping (see the module docs).
    tax_adjustment_total_minor: int = 0
    #: Notes on the tax treatment for the invoice (a reverse charge, an export).
    tax_notes: tuple[TaxNote, ...] = ()

    @property
    def tax_adjustment_total(self) -> Money:
        """Every tax adjustment, lines and shipping (see the module docs)."""
        return _money(self.tax_adjustment_total_minor, self.currency)

    @property
    def subtotal(self) -> Money:
        """The sum of the line subtotals."""
        return _money(self.subtotal_minor, self.currency)

    @property
    def discount_total(self) -> Money:
        """Everything promotions took off, lines and shipping."""
        return _money(self.discount_total_minor, self.currency)

    @property
    def shipping_total(self) -> Money:
        """The shipping rate before discounts (zero without shipping)."""
        return _money(self.shipping_total_minor, self.currency)

    @property
    def tax_total(self) -> Money:
        """Every tax line, lines and shipping."""
        return _money(self.tax_total_minor, self.currency)

    @property
    def rounding(self) -> Money:
        """The cash-rounding difference (zero without cash rounding)."""
        return _money(self.rounding_minor, self.currency)

    @property
    def grand_total(self) -> Money:
        """What the customer pays."""
        return _money(self.grand_total_minor, self.currency)

    def unit_prices(self) -> dict[str, Money]:
        """Unit prices by line id, for :meth:`commercekit.cart.Cart.with_seen_prices`."""
        return {line.line_id: line.unit_price for line in self.lines}

    def line(self, line_id: str) -> LineBreakdown:
        """The breakdown of line ``line_id``; an unknown id is an UnknownLineError."""
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise UnknownLineError(line_id)
