"""The totals pipeline: a pure function from a cart and plain data to a breakdown.

Steps, in order: base prices, promotions (items lane, then order lane, shipping discounts
included), shipping, tax on the discounted amounts, then cash rounding. Everything is computed
in integer minor units of the cart's currency; Money values are built only for the result.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from math import lcm

import attrs

from commercekit.cart._arith import div_round, ratio
from commercekit.cart._breakdown import (
    Adjustment,
    Breakdown,
    CouponStatus,
    LineBreakdown,
    PriceChange,
    PromotionOutcome,
    ShippingBreakdown,
    TaxLine,
)
from commercekit.cart._cart import Cart
from commercekit.cart._discounts import SHIPPING_KEY, Outcome, Row, Shipment, run_promotions
from commercekit.clock import ensure_utc
from commercekit.errors import (
    CurrencyMismatchError,
    InvalidQuantityError,
    PriceNotFoundError,
    ValidationError,
)
from commercekit.money import CTX, Currency, Money, Rounding, allocate_minor, cash_round
from commercekit.money._money import _make
from commercekit.ports import ExchangeRates, TaxCalculator
from commercekit.pricing import (
    CatalogEntry,
    CouponRefusal,
    Customer,
    PriceList,
    Promotion,
    ResolvedPrice,
    TaxRate,
    UsageCounts,
    resolve_price,
)
from commercekit.pricing._price_lists import _order_lists, _resolve_in

__all__ = [
    "PricingPolicy",
    "RoundingPolicy",
    "ShippingRate",
    "price_cart",
    "price_changes",
]


class RoundingPolicy(enum.StrEnum):
    """Where discounts and taxes are rounded to the minor unit.

    Ten per cent off lines of 1.06, 2.06, 3.06 and 4.06 takes off 0.11 + 0.21 + 0.31 + 0.41
    = 1.04 per line, but 1.02 (10% of 10.24) per total. Order-level amounts (order discounts,
    caps) are always computed on the total and allocated to lines exactly.
    """

    #: Each line's percentage discounts and taxes are rounded on the line (the default).
    PER_LINE = "per_line"
    #: Percentage item discounts and each tax rate are rounded once on the sum of the lines
    #: they apply to, and allocated to those lines by largest remainder (ties by line id).
    PER_TOTAL = "per_total"


def _increment(value: Decimal | int | str | None) -> Decimal | None:
    if value is None:
        return None
    from commercekit.money import to_decimal

    step = to_decimal(value)
    if step <= 0:
        raise ValidationError(f"a cash rounding increment must be positive, got {step}")
    return step


@attrs.frozen
class PricingPolicy:
    """How the pipeline treats tax and rounding.

    >>> PricingPolicy(prices_include_tax=True, cash_rounding=Decimal("0.05")).rounding
    <Rounding.HALF_UP: 'ROUND_HALF_UP'>
    """

    #: Whether unit prices (and shipping rates) include tax.
    prices_include_tax: bool = False
    #: Where rounding to the minor unit happens.
    rounding_policy: RoundingPolicy = RoundingPolicy.PER_LINE
    #: The rounding mode at every rounding point.
    rounding: Rounding = Rounding.HALF_UP
    #: Cash-rounding increment of the grand total (``Decimal("0.05")`` for CHF), or ``None``.
    cash_rounding: Decimal | None = attrs.field(default=None, converter=_increment)


@attrs.frozen
class ShippingRate:
    """The chosen shipping rate; ``tax_category=None`` means shipping is not taxed."""

    #: The shipping method's name.
    method: str
    #: The rate, in the cart's currency, a whole number of minor units.
    amount: Money
    #: The tax category the tax calculator uses for shipping, or ``None``.
    tax_category: str | None = None


class _Money:
    """Builds Money from minor units of one currency, fast."""

    def __init__(self, currency: Currency) -> None:
        self.currency = currency
        self.exponent = -currency.minor_units
        self.zero = self(0)

    def __call__(self, units: int) -> Money:
        return _make(Decimal(units).scaleb(self.exponent, CTX), self.currency)


def _quantity(line_quantity: int | Decimal, entry: CatalogEntry, line_id: str) -> int | Decimal:
    if entry.sold_by_measure or isinstance(line_quantity, int):
        return line_quantity
    if line_quantity != line_quantity.to_integral_value():
        raise InvalidQuantityError(
            f"line {line_id!r}: {entry.sku} is not sold by measure; {line_quantity} is not whole"
        )
    return int(line_quantity)


def _minor(money: Money, currency: Currency, what: str) -> int:
    if money.currency is not currency:
        raise CurrencyMismatchError(currency.code, money.currency.code, what)
    num, den = ratio(money.amount)
    scaled = Fraction(num * 10**currency.minor_units, den)
    if scaled.denominator != 1:
        raise ValidationError(f"{what}: {money} is finer than the minor unit")
    return scaled.numerator


def price_cart(
    cart: Cart,
    catalog: Mapping[str, CatalogEntry],
    *,
    at: datetime,
    customer: Customer | None = None,
    price_lists: Sequence[PriceList] = (),
    promotions: Sequence[Promotion] = (),
    usage: UsageCounts | None = None,
    tax: TaxCalculator | None = None,
    shipping: ShippingRate | None = None,
    exchange_rates: ExchangeRates | None = None,
    policy: PricingPolicy | None = None,
) -> Breakdown:
    """Price ``cart`` at time ``at`` from plain data; no I/O, no clock, no side effects.

    ``catalog`` maps each SKU of the cart to its entry (what :meth:`Catalog.get_entries
    <commercekit.ports.Catalog.get_entries>` returns). ``customer`` defaults to a customer
    with the cart's ``customer_id`` and no group. ``usage`` holds the promotion usage counts
    read from the store; ``tax`` (a :class:`~commercekit.ports.TaxCalculator` that answers
    from memory) and ``shipping`` are optional. The same inputs always give the same
    breakdown, whatever the order of the cart's lines.
    """
    policy = policy or _DEFAULT_POLICY
    at = ensure_utc(at)
    currency = cart.currency
    if customer is None:
        customer = Customer(id=cart.customer_id)
    elif cart.customer_id is not None and customer.id != cart.customer_id:
        raise ValidationError(
            f"cart {cart.id!r} belongs to {cart.customer_id!r}, not {customer.id!r}"
        )
    mode = policy.rounding
    per_total = policy.rounding_policy is RoundingPolicy.PER_TOTAL
    rows, prices = _base_prices(cart, catalog, at, customer, price_lists, exchange_rates, mode)
    shipment = None
    if shipping is not None:
        shipment = Shipment(_minor(shipping.amount, currency, "shipping rate"))
    outcomes = run_promotions(
        rows,
        shipment,
        promotions,
        customer=customer,
        coupons=cart.coupons,
        at=at,
        usage=usage or _NO_USAGE,
        currency=currency,
        per_total=per_total,
        rounding=mode,
    )
    taxes = _taxes(rows, shipment, shipping, cart, tax, customer, at, policy)
    return _assemble(
        cart, at, policy, rows, prices, shipment, shipping, taxes, outcomes, usage or _NO_USAGE
    )


_DEFAULT_POLICY = PricingPolicy()
_NO_USAGE = UsageCounts()


def _base_prices(
    cart: Cart,
    catalog: Mapping[str, CatalogEntry],
    at: datetime,
    customer: Customer,
    price_lists: Sequence[PriceList],
    exchange_rates: ExchangeRates | None,
    mode: str,
) -> tuple[list[Row], list[ResolvedPrice]]:
    currency = cart.currency
    scale = 10**currency.minor_units
    lists = _order_lists(
        pl for pl in price_lists if pl.applies(currency, cart.channel, customer.group, at)
    )
    entries: list[CatalogEntry] = []
    quantities: list[int | Decimal] = []
    per_key: dict[str, int | Decimal] = {}
    for line in cart.lines:
        entry = catalog.get(line.sku)
        if entry is None:
            raise PriceNotFoundError(f"no catalog entry for {line.sku!r}")
        quantity = _quantity(line.quantity, entry, line.id)
        entries.append(entry)
        quantities.append(quantity)
        key = entry.pricing_key
        per_key[key] = per_key.get(key, 0) + quantity
    rows: list[Row] = []
    prices: list[ResolvedPrice] = []
    cache: dict[str, ResolvedPrice] = {}
    for line, entry, quantity in zip(cart.lines, entries, quantities, strict=True):
        key = entry.pricing_key
        resolved = cache.get(key)
        if resolved is None:
            resolved = _resolve(
                key,
                per_key[key],
                entry,
                lists,
                currency,
                cart,
                customer,
                at,
                price_lists,
                exchange_rates,
            )
            cache[key] = resolved
        num, den = ratio(resolved.unit_price.amount)
        qnum, qden = ratio(quantity)
        subtotal = div_round(num * qnum * scale, den * qden, mode)
        units = 0 if entry.sold_by_measure else int(quantity)
        rows.append(Row(line.id, entry, (qnum, qden), units, subtotal))
        prices.append(resolved)
    return rows, prices


def _resolve(
    key: str,
    total: int | Decimal,
    entry: CatalogEntry,
    lists: Sequence[PriceList],
    currency: Currency,
    cart: Cart,
    customer: Customer,
    at: datetime,
    price_lists: Sequence[PriceList],
    exchange_rates: ExchangeRates | None,
) -> ResolvedPrice:
    base = entry.price if entry.price is not None and entry.price.currency is currency else None
    found = _resolve_in(key, total, base, lists)
    if found is not None:
        return found
    return resolve_price(
        key,
        total,
        currency=currency,
        base_price=entry.price,
        price_lists=price_lists,
        channel=cart.channel,
        customer_group=customer.group,
        at=at,
        exchange_rates=exchange_rates,
    )


_Taxed = dict[str, list[tuple[TaxRate, int]]]


def _rate_weights(rates: tuple[TaxRate, ...]) -> list[int]:
    fractions = [Fraction(*rate.rate.as_integer_ratio()) for rate in rates]
    common = lcm(*(f.denominator for f in fractions))
    return [int(f * common) for f in fractions]


def _split(amount: int, rates: tuple[TaxRate, ...]) -> list[tuple[TaxRate, int]]:
    if len(rates) == 1:
        return [(rates[0], amount)]
    parts = allocate_minor(amount, _rate_weights(rates))
    return list(zip(rates, parts, strict=True))


def _included(gross: int, rates: tuple[TaxRate, ...], mode: str) -> int:
    total = sum((Fraction(*r.rate.as_integer_ratio()) for r in rates), Fraction(0))
    net = div_round(gross * total.denominator, total.denominator + total.numerator, mode)
    return gross - net


def _taxes(
    rows: list[Row],
    shipment: Shipment | None,
    shipping: ShippingRate | None,
    cart: Cart,
    tax: TaxCalculator | None,
    customer: Customer,
    at: datetime,
    policy: PricingPolicy,
) -> _Taxed:
    if tax is None or customer.tax_exempt:
        return {}
    mode = policy.rounding
    cache: dict[str | None, tuple[TaxRate, ...]] = {}

    def rates_for(category: str | None) -> tuple[TaxRate, ...]:
        found = cache.get(category)
        if found is None:
            found = tuple(tax.rates_for(category, address=cart.shipping_address, at=at))
            cache[category] = found
        return found

    items: list[tuple[str, int, tuple[TaxRate, ...]]] = [
        (row.id, row.remaining, rates_for(row.entry.tax_category)) for row in rows
    ]
    if shipment is not None and shipping is not None and shipping.tax_category is not None:
        items.append((SHIPPING_KEY, shipment.remaining, rates_for(shipping.tax_category)))
    result: _Taxed = {}
    if policy.rounding_policy is RoundingPolicy.PER_LINE:
        for key, amount, rates in items:
            if not rates:
                continue
            if policy.prices_include_tax:
                result[key] = _split(_included(amount, rates, mode), rates)
            else:
                result[key] = [
                    (rate, div_round(amount * n, d, mode))
                    for rate in rates
                    for n, d in (rate.rate.as_integer_ratio(),)
                ]
        return result
    groups: dict[tuple[TaxRate, ...], list[tuple[str, int]]] = {}
    for key, amount, rates in items:
        if rates:
            groups.setdefault(rates, []).append((key, amount))
    for rates, members in groups.items():
        keys = [key for key, _ in members]
        amounts = [amount for _, amount in members]
        base = sum(amounts)
        if policy.prices_include_tax:
            shares = allocate_minor(_included(base, rates, mode), amounts, keys)
            for key, share in zip(keys, shares, strict=True):
                result[key] = _split(share, rates)
            continue
        for key in keys:
            result[key] = []
        for rate in rates:
            n, d = rate.rate.as_integer_ratio()
            shares = allocate_minor(div_round(base * n, d, mode), amounts, keys)
            for key, share in zip(keys, shares, strict=True):
                result[key].append((rate, share))
    return result


def _assemble(
    cart: Cart,
    at: datetime,
    policy: PricingPolicy,
    rows: list[Row],
    prices: list[ResolvedPrice],
    shipment: Shipment | None,
    shipping: ShippingRate | None,
    taxes: _Taxed,
    outcomes: list[Outcome],
    usage: UsageCounts,
) -> Breakdown:
    money = _Money(cart.currency)
    labels = {outcome.promotion.id: outcome.promotion.label for outcome in outcomes}
    inclusive = policy.prices_include_tax
    lines: list[LineBreakdown] = []
    subtotal = discount = tax_total = grand = 0
    for line, row, price in zip(cart.lines, rows, prices, strict=True):
        adjustments = tuple(
            Adjustment(pid, labels[pid], money(amount)) for pid, amount in row.adjustments.items()
        )
        line_tax = taxes.get(row.id, ())
        tax_lines = tuple(
            TaxLine(rate.name, rate.jurisdiction, rate.rate, money(amount))
            for rate, amount in line_tax
        )
        line_discount = row.subtotal - row.remaining
        taxed = sum(amount for _, amount in line_tax)
        total = row.remaining if inclusive else row.remaining + taxed
        lines.append(
            LineBreakdown(
                row.id,
                line.sku,
                line.quantity,
                price.unit_price,
                price.compare_at,
                price.source,
                money(row.subtotal),
                adjustments,
                money(line_discount),
                tax_lines,
                money(taxed),
                money(total),
            )
        )
        subtotal += row.subtotal
        discount += line_discount
        tax_total += taxed
        grand += total
    shipping_part = None
    shipping_amount = 0
    if shipment is not None and shipping is not None:
        ship_tax = taxes.get(SHIPPING_KEY, ())
        taxed = sum(amount for _, amount in ship_tax)
        total = shipment.remaining if inclusive else shipment.remaining + taxed
        shipping_part = ShippingBreakdown(
            shipping.method,
            money(shipment.amount),
            tuple(
                Adjustment(pid, labels[pid], money(amount))
                for pid, amount in shipment.adjustments.items()
            ),
            money(shipment.amount - shipment.remaining),
            tuple(TaxLine(r.name, r.jurisdiction, r.rate, money(a)) for r, a in ship_tax),
            money(taxed),
            money(total),
        )
        shipping_amount = shipment.amount
        discount += shipment.amount - shipment.remaining
        tax_total += taxed
        grand += total
    rounding = 0
    if policy.cash_rounding is not None:
        cash = cash_round(money(grand), policy.cash_rounding, policy.rounding)
        rounding = int(cash.difference.amount.scaleb(cart.currency.minor_units, CTX))
    return Breakdown(
        cart_id=cart.id,
        currency=cart.currency,
        priced_at=at,
        prices_include_tax=inclusive,
        lines=tuple(lines),
        shipping=shipping_part,
        subtotal=money(subtotal),
        discount_total=money(discount),
        shipping_total=money(shipping_amount),
        tax_total=money(tax_total),
        rounding=money(rounding),
        grand_total=money(grand + rounding),
        promotions=tuple(
            PromotionOutcome(o.promotion.id, o.reason is None, o.reason, money(o.amount), o.code)
            for o in outcomes
        ),
        coupons=_coupon_statuses(cart.coupons, outcomes, usage),
    )


def _coupon_statuses(
    codes: Iterable[str], outcomes: list[Outcome], usage: UsageCounts
) -> tuple[CouponStatus, ...]:
    statuses = []
    for code in codes:
        related = [o for o in outcomes if code in o.promotion.coupon_codes]
        if not related:
            statuses.append(CouponStatus(code, False, None, CouponRefusal.UNKNOWN_CODE))
            continue
        used = next((o for o in related if o.reason is None and o.code == code), None)
        if used is not None:
            statuses.append(CouponStatus(code, True, used.promotion.id, None))
            continue
        first = related[0]
        limit = first.promotion.usage_limit_per_code
        if limit is not None and usage.codes.get(code, 0) >= limit:
            reason = CouponRefusal.USAGE_EXHAUSTED
        else:
            reason = first.reason or CouponRefusal.NOT_COMBINABLE
        statuses.append(CouponStatus(code, False, first.promotion.id, reason))
    return tuple(statuses)


def price_changes(cart: Cart, breakdown: Breakdown) -> tuple[PriceChange, ...]:
    """Lines whose unit price now differs from the one the customer saw (``seen_unit_price``).

    Lines without a seen price are not reported.
    """
    current = breakdown.unit_prices()
    changes = []
    for line in cart.lines:
        now = current.get(line.id)
        if line.seen_unit_price is not None and now is not None and now != line.seen_unit_price:
            changes.append(PriceChange(line.id, line.seen_unit_price, now))
    return tuple(changes)
