"""The tax step of the pipeline: taxes on the discounted amounts, per line or per total."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from math import lcm

from commercekit.cart._cart import Cart
from commercekit.cart._policy import PricingPolicy, RoundingPolicy, ShippingRate
from commercekit.money import allocate_minor, div_round
from commercekit.pricing import Customer, TaxCalculator, TaxRate
from commercekit.pricing.promotions import SHIPPING_KEY, Row, Shipment

__all__ = ["Taxed", "compute_taxes"]


Taxed = dict[str, list[tuple[TaxRate, int]]]


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


def compute_taxes(
    rows: list[Row],
    shipment: Shipment | None,
    shipping: ShippingRate | None,
    cart: Cart,
    tax: TaxCalculator | None,
    customer: Customer,
    at: datetime,
    policy: PricingPolicy,
) -> Taxed:
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
    result: Taxed = {}
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
