"""The totals pipeline: a pure function from a cart and plain data to a breakdown.

Steps, in order: base prices, promotions (items lane, then order lane, shipping discounts
included), shipping, tax on the discounted amounts, then cash rounding. Everything is computed
in integer minor units of the cart's currency; Money values are built only for the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import attrs

from commercekit.address import Address
from commercekit.cart._assemble import assemble
from commercekit.cart._breakdown import Breakdown
from commercekit.cart._cart import Cart
from commercekit.cart._policy import PricingPolicy, RoundingPolicy, ShippingRate
from commercekit.cart._taxes import NO_TAX, answers, tax_request
from commercekit.clock import ensure_utc
from commercekit.errors import (
    CurrencyMismatchError,
    InvalidQuantityError,
    PriceNotFoundError,
    ValidationError,
)
from commercekit.money import Currency, Money, Rounding, div_round
from commercekit.pricing import (
    CatalogEntry,
    Customer,
    ExchangeRates,
    PriceList,
    Promotion,
    ResolvedPrice,
    UsageCounts,
    applicable_price_lists,
    resolve_price,
    resolve_price_in_lists,
)
from commercekit.pricing.promotions import Outcome, Row, ShippingRow, run_promotions
from commercekit.tax import Seller, TaxCalculator, TaxRequest, TaxResult

__all__ = ["PreparedCart", "prepare_cart", "price_cart"]


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
        raise CurrencyMismatchError(
            currency.code,
            money.currency.code,
            message=f"cannot add {what} in {money.currency.code} to a cart in {currency.code}:"
            " currencies differ",
        )
    num, den = money.amount.as_integer_ratio()
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
    seller: Seller | None = None,
    ship_from: Address | None = None,
) -> Breakdown:
    """Price ``cart`` at time ``at`` from plain data; no I/O, no clock, no side effects.

    ``catalog`` maps each SKU of the cart to its entry (what :meth:`Catalog.get_entries
    <commercekit.ports.Catalog.get_entries>` returns). ``customer`` defaults to a customer
    with the cart's ``customer_id`` and no group. ``usage`` holds the promotion usage counts
    read from the store; ``tax`` (a :class:`~commercekit.ports.TaxCalculator` that answers
    from memory), ``seller`` (who sells, for tax), ``ship_from`` (where the goods leave from;
    the seller's address by default) and ``shipping`` are optional. The same inputs always
    give the same breakdown, whatever the order of the cart's lines.

    It is :func:`prepare_cart` followed by :meth:`PreparedCart.finish` with the calculator's
    answer; a service that asks a remote tax service calls the two halves itself.
    """
    prepared = prepare_cart(
        cart,
        catalog,
        at=at,
        customer=customer,
        price_lists=price_lists,
        promotions=promotions,
        usage=usage,
        shipping=shipping,
        exchange_rates=exchange_rates,
        policy=policy,
        seller=seller,
        ship_from=ship_from,
    )
    if tax is None:
        return prepared.finish(None)
    return prepared.finish(tax.calculate(prepared.tax_request))


@attrs.frozen
class PreparedCart:
    """A cart priced up to its taxable amounts: the first pure half of :func:`price_cart`.

    :attr:`tax_request` is what to ask a :class:`~commercekit.ports.TaxCalculator`;
    :meth:`finish` builds the breakdown from the answer.
    """

    #: The cart.
    cart: Cart
    #: The pricing time (UTC).
    at: datetime
    #: The policy in force.
    policy: PricingPolicy
    #: The request a tax calculator answers.
    tax_request: TaxRequest
    _rows: list[Row] = attrs.field(alias="rows", repr=False)
    _prices: list[ResolvedPrice] = attrs.field(alias="prices", repr=False)
    _shipment: ShippingRow | None = attrs.field(alias="shipment", repr=False)
    _shipping: ShippingRate | None = attrs.field(alias="shipping", repr=False)
    _outcomes: list[Outcome] = attrs.field(alias="outcomes", repr=False)
    _usage: UsageCounts = attrs.field(alias="usage", repr=False)

    def finish(self, result: TaxResult | None) -> Breakdown:
        """The breakdown, with the taxes of ``result`` (``None``: no tax calculator).

        An answer that does not fit the request (an unknown item, a negative tax, a price
        restated while prices exclude tax) is a :class:`~commercekit.errors.ValidationError`.
        """
        if result is None:
            result = NO_TAX
        taxes = answers(result)
        return assemble(
            self.cart,
            self.at,
            self.policy,
            self._rows,
            self._prices,
            self._shipment,
            self._shipping,
            taxes,
            result.notes,
            self._outcomes,
            self._usage,
        )


def prepare_cart(
    cart: Cart,
    catalog: Mapping[str, CatalogEntry],
    *,
    at: datetime,
    customer: Customer | None = None,
    price_lists: Sequence[PriceList] = (),
    promotions: Sequence[Promotion] = (),
    usage: UsageCounts | None = None,
    shipping: ShippingRate | None = None,
    exchange_rates: ExchangeRates | None = None,
    policy: PricingPolicy | None = None,
    seller: Seller | None = None,
    ship_from: Address | None = None,
) -> PreparedCart:
    """The first half of :func:`price_cart`: base prices, promotions and the tax request.

    Pure, like :func:`price_cart`, whose arguments it takes (all but ``tax``).
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
        shipment = ShippingRow(_minor(shipping.amount, currency, "a shipping rate"))
    counts = usage or _NO_USAGE
    outcomes = run_promotions(
        rows,
        shipment,
        promotions,
        customer=customer,
        coupons=cart.coupons,
        at=at,
        usage=counts,
        currency=currency,
        per_total=per_total,
        rounding=mode,
    )
    request = tax_request(rows, shipment, shipping, cart, customer, at, policy, seller, ship_from)
    return PreparedCart(
        cart, at, policy, request, rows, prices, shipment, shipping, outcomes, counts
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
    lists = applicable_price_lists(price_lists, currency, cart.channel, customer.group, at)
    entries: list[CatalogEntry] = []
    quantities: list[int | Decimal] = []
    per_key: dict[str, int | Decimal] = {}
    for line in cart.lines:
        entry = catalog.get(line.sku)
        if entry is None:
            raise PriceNotFoundError(f"no catalog entry for {line.sku!r}")
        if entry.sku != line.sku:
            raise ValidationError(
                f"the catalog maps {line.sku!r} to the entry of {entry.sku!r}: each key must be"
                " its entry's SKU"
            )
        quantity = _quantity(line.quantity, entry, line.id)
        entries.append(entry)
        quantities.append(quantity)
        key = entry.pricing_key
        per_key[key] = per_key.get(key, 0) + quantity
    rows: list[Row] = []
    prices: list[ResolvedPrice] = []
    cache: dict[str, ResolvedPrice] = {}
    half_up = mode == Rounding.HALF_UP
    for line, entry, quantity in zip(cart.lines, entries, quantities, strict=True):
        key = entry.pricing_key
        resolved = cache.get(key)
        price = entry.price
        if resolved is None and not lists and price is not None and price.currency is currency:
            resolved = ResolvedPrice(price, None, "catalog")
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
        num, den = resolved.unit_price.amount.as_integer_ratio()
        qnum, qden = quantity.as_integer_ratio()
        if half_up:
            subtotal = (2 * num * qnum * scale + den * qden) // (2 * den * qden)
        else:
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
    found = resolve_price_in_lists(key, total, base, lists)
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
