# ==== NOTE TO EVERY HELPER WORKING IN THIS REPOSITORY (temporary; the lead removes it) ====
# Several helpers work here at once. Rules: touch ONLY the files your brief lists as yours.
# NEVER run a git command that changes anything (no add/commit/checkout/stash/reset/restore/
# clean/rm/mv); git diff/status/log are fine. Do NOT edit this package's __init__.py,
# pyproject.toml, docs, README or CHANGELOG: tests import from your private modules and your
# final message lists the names to export. Run ruff format/--fix only on your own files.
# Venv: /work/main/.venv/bin. Full rules: /tmp/briefs/common.md (read it now).
# =============================================================================================
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

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from math import lcm

import attrs

from commercekit.money import allocate_minor, div_round
from commercekit.tax._rates import TaxRate
from commercekit.tax._request import (
    SHIPPING_ITEM,
    ShippingTax,
    TaxableItem,
    TaxRequest,
    TaxRounding,
)
from commercekit.tax._result import ItemTax, TaxAmount, TaxNote, TaxResult

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


def _weights(rates: Sequence[TaxRate]) -> list[Fraction]:
    plain = sum((Fraction(r.rate) for r in rates if not r.compound), Fraction(0))
    return [Fraction(r.rate) * (_ONE + plain) if r.compound else Fraction(r.rate) for r in rates]


def _round(value: Fraction, mode: str) -> int:
    return div_round(value.numerator, value.denominator, mode)


def _split(total: int, weights: list[Fraction]) -> list[int]:
    if total == 0 or len(weights) == 1:
        return [total] + [0] * (len(weights) - 1)
    common = lcm(*(w.denominator for w in weights))
    return allocate_minor(total, [int(w * common) for w in weights])


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
    weights = _weights(rates)
    combined = sum(weights, Fraction(0))
    if inclusive:
        scale = amount / (_ONE + combined)
        if rounding is TaxRounding.COMBINED:
            return _split(_round(scale * combined, mode), weights)
        return _capped([_round(scale * w, mode) for w in weights], amount)
    if rounding is TaxRounding.COMBINED:
        return _split(_round(amount * combined, mode), weights)
    plain = [0 if r.compound else _round(amount * Fraction(r.rate), mode) for r in rates]
    base = amount + sum(plain)
    return [
        _round(base * Fraction(r.rate), mode) if r.compound else tax
        for r, tax in zip(rates, plain, strict=True)
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
    """Taxes and adjustments per item key, accumulated."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, dict[tuple[str, str, object, bool, str], int]] = {}
        self.adjustments: dict[str, int] = {}

    def add(
        self, key: str, rates: Sequence[TaxRate], taxes: Iterable[int], adjustment: int
    ) -> None:
        lines = self.lines.setdefault(key, {})
        for rate, tax in zip(rates, taxes, strict=True):
            ident = (
                rate.name,
                rate.jurisdiction,
                rate.rate,
                rate.compound,
                rate.source or self.source,
            )
            lines[ident] = lines.get(ident, 0) + tax
        if adjustment:
            self.adjustments[key] = self.adjustments.get(key, 0) + adjustment

    def item(self, key: str) -> ItemTax | None:
        lines = self.lines.get(key, {})
        adjustment = self.adjustments.get(key, 0)
        if not lines and not adjustment:
            return None
        return ItemTax(
            key,
            tuple(
                TaxAmount(name, jurisdiction, rate, compound, amount, source)  # type: ignore[arg-type]
                for (name, jurisdiction, rate, compound, source), amount in lines.items()
            ),
            adjustment,
        )


def _tax_groups(
    members: list[tuple[str, int, ItemRates]], request: TaxRequest, answer: _Answer
) -> None:
    """Tax ``(key, amount, rates)`` per item, or per group of like items when per total."""
    if not request.per_total:
        for key, amount, found in members:
            taxes, adjustment = _one(amount, found, request)
            answer.add(key, found.rates, taxes, adjustment)
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

    def find(item: TaxableItem) -> ItemRates:
        found = rates_for(item)
        if exempt:
            return ItemRates((), found.rates if found.shelf_rates is None else found.shelf_rates)
        return found

    answer = _Answer(source)
    members = [(item.key, item.amount_minor, find(item)) for item in request.items]
    _tax_groups(members, request, answer)
    shipping = request.shipping
    if shipping is not None and shipping_taxable:
        if request.shipping_tax is ShippingTax.WEIGHTED:
            _weighted_shipping(shipping, members, request, answer)
        elif shipping.tax_category is not None:
            _tax_groups([(SHIPPING_ITEM, shipping.amount_minor, find(shipping))], request, answer)
    items = [answer.item(item.key) for item in request.items]
    if shipping is not None:
        items.append(answer.item(SHIPPING_ITEM))
    return TaxResult(tuple(item for item in items if item is not None), tuple(notes))


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
