"""Tax from rates: the pure arithmetic every local calculator shares.

A calculator says which rates apply to each item (:class:`ItemRates`); :func:`compute_tax`
turns them into amounts with the request's rounding rules. The rules, stated once:

- *Exclusive prices.* ``COMBINED``: the item's combined rate ``R`` is applied and rounded once
  (``round(amount x R)``), then split across its rates in proportion to their shares of
  ``R``, exactly (largest remainder). ``PER_RATE``: each non-compound rate is rounded on the
  amount, then each compound rate on the amount plus those taxes.
- *Inclusive prices.* The tax is what gets rounded: ``tax = round(gross x R / (1 + R))`` and
  ``net = gross - tax``; ``PER_RATE`` rounds ``gross x w / (1 + R)`` per rate (``w`` the
  rate's weight, below), and where rounding up several rates of a tiny amount would take
  more than the gross, the last rates give up the excess: the net is never negative.
- *Compound rates* are levied on the amount plus every non-compound tax, so a compound rate
  ``c`` adds ``c x (1 + S)`` to ``R``, where ``S`` is the sum of the non-compound rates.
- *Per total* (``RoundingPolicy.PER_TOTAL``): items with the same rates are summed, taxed as
  one amount, and each tax allocated back to them in proportion to their amounts (largest
  remainder, ties by key).
- *Restated prices.* With inclusive prices an item whose :attr:`ItemRates.shelf_rates` differ
  from its rates is restated: the shelf price's tax at ``shelf_rates`` is taken out (the net),
  the item's rates are applied to the net, and the difference is the item's
  ``adjustment_minor``. An exempt buyer is the case with no rates: the buyer pays the net.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any

import attrs

from commercekit.money import Currency, allocate_minor, div_round
from commercekit.tax._rates import TaxRate
from commercekit.tax._request import (
    SHIPPING_ITEM,
    ShippingTax,
    TaxableItem,
    TaxRequest,
    TaxRounding,
)
from commercekit.tax._result import ItemTax, TaxLine, TaxNote, TaxResult
from commercekit.values import trusted_constructor

__all__ = ["ItemRates", "compute_tax", "tax_amounts"]


@attrs.frozen
class ItemRates:
    """The rates a calculator found for one item.

    ``shelf_rates``, when not ``None``, are the rates the tax-inclusive shelf price was set
    with; the price is restated when they differ from ``rates`` (see the module docs).
    Ignored when prices exclude tax.
    """

    #: The rates that apply, in order (compound ones after the ones they are levied on).
    rates: tuple[TaxRate, ...] = ()
    #: The rates the shelf price includes, when the net price is to be kept; else ``None``.
    shelf_rates: tuple[TaxRate, ...] | None = None


_ONE = Fraction(1)


@attrs.frozen
class _Plan:
    """A rate tuple's arithmetic in integers: weights over one common denominator."""

    weights: tuple[int, ...]
    denominator: int
    total: int
    ratios: tuple[tuple[int, int], ...]
    compound: tuple[bool, ...]


@functools.lru_cache(maxsize=4096)
def _plan(rates: tuple[TaxRate, ...]) -> _Plan:
    plain = sum((Fraction(r.rate) for r in rates if not r.compound), Fraction(0))
    exact = [Fraction(r.rate) * (_ONE + plain) if r.compound else Fraction(r.rate) for r in rates]
    denominator = lcm(*(w.denominator for w in exact))
    weights = tuple(int(w * denominator) for w in exact)
    return _Plan(
        weights,
        denominator,
        sum(weights),
        tuple(r.rate.as_integer_ratio() for r in rates),
        tuple(r.compound for r in rates),
    )


def _split(total: int, weights: tuple[int, ...]) -> list[int]:
    if total == 0 or len(weights) == 1:
        return [total] + [0] * (len(weights) - 1)
    return allocate_minor(total, weights)


def _capped(taxes: list[int], gross: int) -> list[int]:
    """Per-rate taxes included in ``gross`` never exceed it (tiny amounts rounded up)."""
    excess = sum(taxes) - gross
    for index in range(len(taxes) - 1, -1, -1):
        if excess <= 0:
            break
        cut = min(excess, taxes[index])
        taxes[index] -= cut
        excess -= cut
    return taxes


def tax_amounts(
    amount: int,
    rates: Sequence[TaxRate],
    *,
    inclusive: bool,
    rounding: TaxRounding,
    mode: str,
) -> list[int]:
    """The tax of each rate on ``amount`` minor units, by the rules of the module docs.

    >>> from commercekit.tax import TaxRate, TaxRounding
    >>> rates = [TaxRate("State", "0.0625"), TaxRate("County", "0.01"), TaxRate("City", "0.0025")]
    >>> mode = "ROUND_HALF_UP"
    >>> tax_amounts(999, rates, inclusive=False, rounding=TaxRounding.COMBINED, mode=mode)
    [63, 10, 2]
    >>> tax_amounts(999, rates, inclusive=False, rounding=TaxRounding.PER_RATE, mode=mode)
    [62, 10, 2]
    """
    if not rates:
        return []
    plan = _plan(tuple(rates))
    weights, denominator, total = plan.weights, plan.denominator, plan.total
    if inclusive:
        if rounding is TaxRounding.COMBINED:
            return _split(div_round(amount * total, denominator + total, mode), weights)
        return _capped([div_round(amount * w, denominator + total, mode) for w in weights], amount)
    if rounding is TaxRounding.COMBINED:
        return _split(div_round(amount * total, denominator, mode), weights)
    plain = [
        0 if compound else div_round(amount * n, d, mode)
        for (n, d), compound in zip(plan.ratios, plan.compound, strict=True)
    ]
    base = amount + sum(plain)
    return [
        div_round(base * n, d, mode) if compound else tax
        for (n, d), compound, tax in zip(plan.ratios, plan.compound, plain, strict=True)
    ]


def _one(amount: int, found: ItemRates, request: TaxRequest) -> tuple[list[int], int]:
    """(taxes per rate, adjustment) for one amount."""
    inclusive = request.prices_include_tax
    mode = request.rounding
    shelf = found.shelf_rates
    if inclusive and shelf is not None and shelf != found.rates:
        included = tax_amounts(
            amount, shelf, inclusive=True, rounding=request.tax_rounding, mode=mode
        )
        net = amount - sum(included)
        taxes = tax_amounts(
            net, found.rates, inclusive=False, rounding=request.tax_rounding, mode=mode
        )
        return taxes, net + sum(taxes) - amount
    taxes = tax_amounts(
        amount, found.rates, inclusive=inclusive, rounding=request.tax_rounding, mode=mode
    )
    return taxes, 0


class _Answer:
    """Taxes and adjustments per item key, accumulated (shipping may be added to twice)."""

    def __init__(self, source: str, currency: Currency) -> None:
        self.source = source
        self.currency = currency
        self.lines: dict[str, list[TaxLine]] = {}
        self.adjustments: dict[str, int] = {}
        self.merged: set[str] = set()
        self.done: dict[str, ItemTax] = {}

    def add(
        self, key: str, rates: Sequence[TaxRate], taxes: Iterable[int], adjustment: int
    ) -> None:
        lines = self.lines.get(key)
        if lines is None:
            lines = self.lines[key] = []
        elif lines:
            self.merged.add(key)
        source, currency = self.source, self.currency
        lines.extend(
            [
                TaxLine(
                    rate.name,
                    rate.jurisdiction,
                    rate.rate,
                    tax,
                    currency,
                    rate.compound,
                    rate.source or source,
                )
                for rate, tax in zip(rates, taxes, strict=True)
            ]
        )
        if adjustment:
            self.adjustments[key] = self.adjustments.get(key, 0) + adjustment

    def item(self, key: str) -> ItemTax | None:
        done = self.done.get(key)
        if done is not None:
            return done
        lines = self.lines.get(key, [])
        adjustment = self.adjustments.get(key, 0)
        if not lines and not adjustment:
            return None
        if key in self.merged:
            lines = _merge(lines)
        return ItemTax(key, tuple(lines), adjustment)


def _merge(lines: list[TaxLine]) -> list[TaxLine]:
    """Like taxes (same name, jurisdiction, rate, compounding and source) summed into one."""
    merged: dict[tuple[str, str, object, bool, str], TaxLine] = {}
    for line in lines:
        ident = (line.name, line.jurisdiction, line.rate, line.compound, line.source)
        found = merged.get(ident)
        merged[ident] = (
            line
            if found is None
            else attrs.evolve(found, amount_minor=found.amount_minor + line.amount_minor)
        )
    return list(merged.values())


_UNSEEN: Any = object()
# Built from a checked rate and an integer amount: no converter has anything to do.
_tax_line = trusted_constructor(TaxLine)
_item_tax = trusted_constructor(ItemTax)


def _single(
    found: ItemRates, request: TaxRequest, source: str
) -> tuple[int, int, tuple[str, str, Decimal, bool, str]] | None:
    """(numerator, denominator, line fields) when ``found`` is one rate and nothing restated.

    With one rate, combined and per-rate rounding are the same, and so is the cap of the
    per-rate inclusive rule (the tax of a single rate never exceeds the gross).
    """
    rates = found.rates
    if len(rates) != 1:
        return None
    inclusive = request.prices_include_tax
    if inclusive and found.shelf_rates is not None and found.shelf_rates != rates:
        return None
    rate = rates[0]
    plan = _plan(rates)
    denominator = plan.denominator + plan.total if inclusive else plan.denominator
    fields = (rate.name, rate.jurisdiction, rate.rate, rate.compound, rate.source or source)
    return plan.total, denominator, fields


def _tax_groups(
    members: list[tuple[str, int, ItemRates]], request: TaxRequest, answer: _Answer
) -> None:
    """Tax ``(key, amount, rates)`` per item, or per group of like items when per total."""
    if not request.per_total:
        fast: dict[int, tuple[int, int, tuple[str, str, Decimal, bool, str]] | None] = {}
        done, currency, mode = answer.done, answer.currency, request.rounding
        for key, amount, found in members:
            spec = fast.get(id(found), _UNSEEN)
            if spec is _UNSEEN:
                spec = fast[id(found)] = _single(found, request, answer.source)
            if spec is None:
                taxes, adjustment = _one(amount, found, request)
                answer.add(key, found.rates, taxes, adjustment)
                continue
            # One rate, no restating: the common case, computed without the general machinery.
            numerator, denominator, (name, jurisdiction, rate, compound, source) = spec
            tax = div_round(amount * numerator, denominator, mode)
            line = _tax_line(name, jurisdiction, rate, tax, currency, compound, source)
            done[key] = _item_tax(key, (line,), 0)
        return
    groups: dict[ItemRates, list[tuple[str, int]]] = {}
    for key, amount, found in members:
        groups.setdefault(found, []).append((key, amount))
    for found, group in groups.items():
        keys = [key for key, _ in group]
        amounts = [amount for _, amount in group]
        taxes, adjustment = _one(sum(amounts), found, request)
        per_rate = [allocate_minor(tax, amounts, keys) for tax in taxes]
        adjusted = allocate_minor(adjustment, amounts, keys)
        for index, key in enumerate(keys):
            answer.add(key, found.rates, [shares[index] for shares in per_rate], adjusted[index])


def compute_tax(
    request: TaxRequest,
    rates_for: Callable[[TaxableItem], ItemRates],
    *,
    source: str,
    notes: Sequence[TaxNote] = (),
    shipping_taxable: bool = True,
) -> TaxResult:
    """Tax every item of ``request`` at the rates ``rates_for`` finds, by the module's rules.

    An exempt buyer (``request.buyer.exempt``) gets no tax lines; with tax-inclusive prices
    the tax the shelf price includes is taken off (the item's ``adjustment_minor``).
    Shipping is taxed as ``request.shipping_tax`` says, unless ``shipping_taxable`` is false.
    ``source`` is recorded on every tax line whose rate does not name its own.
    """
    exempt = request.buyer.exempt
    as_exempt: dict[int, tuple[ItemRates, ItemRates]] = {}

    def find(item: TaxableItem) -> ItemRates:
        found = rates_for(item)
        if not exempt:
            return found
        # One ItemRates per distinct answer, so that like items still group (per total).
        known = as_exempt.get(id(found))
        if known is None:
            shelf = found.rates if found.shelf_rates is None else found.shelf_rates
            # The answer is kept with its replacement, so its id cannot be reused meanwhile.
            known = as_exempt[id(found)] = (found, ItemRates((), shelf))
        return known[1]

    answer = _Answer(source, request.currency)
    lookup = find if exempt else rates_for
    members = [(item.key, item.amount_minor, lookup(item)) for item in request.items]
    _tax_groups(members, request, answer)
    shipping = request.shipping
    if shipping is not None and shipping_taxable:
        if request.shipping_tax is ShippingTax.WEIGHTED:
            _weighted_shipping(shipping, members, request, answer)
        elif shipping.tax_category is not None:
            _tax_groups([(SHIPPING_ITEM, shipping.amount_minor, find(shipping))], request, answer)
    item = answer.item
    found = [item(key) for key, _, _ in members]
    if shipping is not None:
        found.append(item(SHIPPING_ITEM))
    return TaxResult([tax for tax in found if tax is not None], notes)


def _weighted_shipping(
    shipping: TaxableItem,
    members: list[tuple[str, int, ItemRates]],
    request: TaxRequest,
    answer: _Answer,
) -> None:
    """Split shipping over the items by their discounted net amounts; tax each part alike."""
    nets = []
    for key, amount, _ in members:
        item = answer.item(key)
        taxed = item.total_minor if item is not None and request.prices_include_tax else 0
        adjustment = item.adjustment_minor if item is not None else 0
        nets.append(max(amount + adjustment - taxed, 0))
    if not members or not any(nets):
        return
    keys = [key for key, _, _ in members]
    parts = allocate_minor(shipping.amount_minor, nets, keys)
    by_rates: dict[ItemRates, int] = {}
    # In key order, so that shipping's tax lines do not depend on the order of the cart.
    for (_, _, found), part in sorted(zip(members, parts, strict=True), key=lambda m: m[0][0]):
        by_rates[found] = by_rates.get(found, 0) + part
    for found, part in by_rates.items():
        taxes, adjustment = _one(part, found, request)
        answer.add(SHIPPING_ITEM, found.rates, taxes, adjustment)
