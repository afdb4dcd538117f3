"""Buy X get Y: how many applications fit in the cart, and which units are discounted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from commercekit.cart._arith import div_round
from commercekit.cart._rows import Row
from commercekit.pricing import BuyXGetY, ItemFilter

__all__ = ["buy_x_get_y"]


def buy_x_get_y(
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
