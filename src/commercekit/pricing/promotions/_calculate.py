"""Calculation: what each action of a promotion takes off, capped; nothing is applied here.

Buy X get Y has its own search (how many applications fit, which units are discounted);
every other action is a percentage or an amount spread over the rows it selects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from commercekit.money import Rounding, div_round
from commercekit.money import allocate_minor as _allocate
from commercekit.pricing.promotions._actions import (
    Action,
    AmountOffItems,
    AmountOffOrder,
    AmountOffShipping,
    BuyXGetY,
    FixedPrice,
    PercentOffItems,
    PercentOffOrder,
    PercentOffShipping,
    TieredSpend,
)
from commercekit.pricing.promotions._conditions import ItemFilter
from commercekit.pricing.promotions._engine import SHIPPING_KEY, Engine, Row, floor, times
from commercekit.pricing.promotions._promotion import Promotion

__all__ = ["calculate"]


def calculate(engine: Engine, promo: Promotion) -> tuple[dict[int, int], int]:
    """Per-row and shipping amounts ``promo`` takes off, capped; nothing is applied."""
    ship_avail = engine.shipment.remaining if engine.shipment is not None else 0
    if len(promo.actions) == 1:  # the common case reads the live amounts, no copy
        totals, ship_total = _action(engine, promo.actions[0], engine.avail, ship_avail)
    else:
        avail = engine.avail[:]
        totals = {}
        ship_total = 0
        for action in promo.actions:
            deltas, ship = _action(engine, action, avail, ship_avail)
            for index, amount in deltas.items():
                avail[index] -= amount
                totals[index] = totals.get(index, 0) + amount
            ship_avail -= ship
            ship_total += ship
    if promo.max_discount is not None:
        cap = int(engine.units(promo.max_discount))  # a cap finer than the unit rounds down
        if sum(totals.values()) + ship_total > cap:
            indices = sorted(totals)
            keys = [engine.rows[i].id for i in indices] + [SHIPPING_KEY]
            weights = [totals[i] for i in indices] + [ship_total]
            parts = _allocate(cap, weights, keys)
            totals = {i: p for i, p in zip(indices, parts, strict=False) if p}
            ship_total = parts[-1]
    return totals, ship_total


def _action(
    engine: Engine, action: Action, avail: list[int], ship: int
) -> tuple[dict[int, int], int]:
    if isinstance(action, PercentOffItems):
        return _percent_items(engine, action.items, Fraction(action.percent), avail), 0
    if isinstance(action, AmountOffItems):
        return _amount_items(engine, action, avail), 0
    if isinstance(action, FixedPrice):
        price = engine.units(action.price)
        deltas = {}
        for i in engine.matching(action.items):
            row = engine.rows[i]
            target = div_round(*times(price, row.quantity), engine.ctx.rounding)
            if avail[i] > target:
                deltas[i] = avail[i] - target
        return deltas, 0
    if isinstance(action, PercentOffOrder):
        indices = list(range(len(engine.rows)))
        weights = avail[:]
        total = engine.percent_of(sum(weights), Fraction(action.percent))
        return engine.spread(total, indices, weights), 0
    if isinstance(action, AmountOffOrder):
        weights = avail[:]
        total = min(floor(engine.units(action.amount)), sum(weights))
        return engine.spread(total, list(range(len(engine.rows))), weights), 0
    if isinstance(action, PercentOffShipping):
        return {}, engine.percent_of(ship, Fraction(action.percent))
    if isinstance(action, AmountOffShipping):
        return {}, min(ship, floor(engine.units(action.amount)))
    if isinstance(action, BuyXGetY):
        return _buy_x_get_y(action, engine.rows, avail, engine.matching, engine.ctx.rounding), 0
    return _tiered(engine, action, avail), 0


def _percent_items(
    engine: Engine, items: ItemFilter, percent: Fraction, avail: list[int]
) -> dict[int, int]:
    indices = [i for i in engine.matching(items) if avail[i] > 0]
    if engine.ctx.per_total:
        weights = [avail[i] for i in indices]
        return engine.spread(engine.percent_of(sum(weights), percent), indices, weights)
    num, den = percent.numerator, percent.denominator * 100
    deltas = {}
    if engine.ctx.rounding == Rounding.HALF_UP:  # the default, inlined: 2x faster
        for i in indices:
            amount = (2 * avail[i] * num + den) // (2 * den)
            if amount:
                deltas[i] = amount
        return deltas
    for i in indices:
        amount = div_round(avail[i] * num, den, engine.ctx.rounding)
        if amount:
            deltas[i] = amount
    return deltas


def _amount_items(engine: Engine, action: AmountOffItems, avail: list[int]) -> dict[int, int]:
    amount = engine.units(action.amount)
    indices = [i for i in engine.matching(action.items) if avail[i] > 0]
    if not action.per_unit:
        weights = [avail[i] for i in indices]
        return engine.spread(min(floor(amount), sum(weights)), indices, weights)
    deltas = {}
    for i in indices:
        off = div_round(*times(amount, engine.rows[i].quantity), engine.ctx.rounding)
        if off:
            deltas[i] = min(off, avail[i])
    return deltas


def _tiered(engine: Engine, action: TieredSpend, avail: list[int]) -> dict[int, int]:
    indices = engine.matching(action.items)
    spent = sum(engine.rows[i].start for i in indices)
    chosen = None
    for tier in action.tiers:
        if spent >= engine.units(tier.threshold):
            chosen = tier
    if chosen is None:
        return {}
    if chosen.percent is not None:
        return _percent_items(engine, action.items, Fraction(chosen.percent), avail)
    live = [i for i in indices if avail[i] > 0]
    weights = [avail[i] for i in live]
    assert chosen.amount is not None
    return engine.spread(min(floor(engine.units(chosen.amount)), sum(weights)), live, weights)


def _buy_x_get_y(
    action: BuyXGetY,
    rows: Sequence[Row],
    avail: list[int],
    matching: Callable[[ItemFilter], list[int]],
    rounding: str,
) -> dict[int, int]:
    """Amounts off per row index for ``action``, given what is left of each row.

    The number of applications is the largest ``n`` for which ``n * buy`` bought units and
    ``n * get`` discounted units can be found without using a unit twice; the discounted
    units are the cheapest eligible ones (by what is left per unit, ties by line id), and
    units eligible for both roles are kept for buying from the dearest down.
    """
    buy_set = {i for i in matching(action.buy_items) if rows[i].units}
    get_items = action.get_items if action.get_items is not None else action.buy_items
    get_set = {i for i in matching(get_items) if rows[i].units}
    both = buy_set & get_set
    n_buy = sum(rows[i].units for i in buy_set - both)
    n_get = sum(rows[i].units for i in get_set - both)
    n_both = sum(rows[i].units for i in both)

    def feasible(n: int) -> bool:
        return max(0, n * action.buy - n_buy) + max(0, n * action.get - n_get) <= n_both

    low, high = 0, (n_buy + n_get + n_both) // (action.buy + action.get)
    if action.max_applications is not None:
        high = min(high, action.max_applications)
    while low < high:
        middle = (low + high + 1) // 2
        if feasible(middle):
            low = middle
        else:
            high = middle - 1
    if low == 0:
        return {}

    def cheapest(index: int) -> tuple[Fraction, str]:
        return Fraction(avail[index], rows[index].units), rows[index].id

    # The dearest shared units are kept for buying; the cheapest may be discounted.
    free_shared = n_both - max(0, low * action.buy - n_buy)
    pool: list[tuple[Fraction, str, int, int]] = []
    for i in sorted(both, key=cheapest):
        take = min(rows[i].units, free_shared)
        if take <= 0:
            break
        free_shared -= take
        pool.append((*cheapest(i), i, take))
    pool.extend((*cheapest(i), i, rows[i].units) for i in get_set - both)
    pool.sort()
    wanted = low * action.get
    percent = Fraction(action.percent)
    deltas: dict[int, int] = {}
    for _, _, i, count in pool:
        if wanted <= 0:
            break
        take = min(count, wanted)
        wanted -= take
        units = rows[i].units
        amount = div_round(
            avail[i] * take * percent.numerator,
            units * 100 * percent.denominator,
            rounding,
        )
        if amount:
            deltas[i] = deltas.get(i, 0) + amount
    return deltas
