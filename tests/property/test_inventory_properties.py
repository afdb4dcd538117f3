"""Random sequences of stock operations never break the inventory invariants.

After every operation, successful or refused: on hand equals the sum of the ledger (and a
model kept beside it), reserved equals the active holds, available never passes the floor, and
nothing is oversold.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from commercekit import open_store
from commercekit.clock import ManualClock
from commercekit.errors import (
    CommerceError,
    InsufficientStockError,
    ReservationError,
    UnknownSkuError,
)
from commercekit.inventory import (
    AllocationStrategy,
    FewestShipments,
    InventoryService,
    NearestLocation,
    PriorityOrder,
    StockPolicy,
)
from commercekit.inventory._allocation import ONE_ROW_NO_CHOICE
from commercekit.inventory._checks import normalize_lines
from commercekit.inventory._planning import draft
from tests._inventory import audit

SKUS = ["A", "B", "é"]
LOCATIONS = ["x", "y"]
sku = st.sampled_from(SKUS)
location = st.sampled_from(LOCATIONS)
units = st.integers(1, 4)

reserve = st.tuples(
    st.just("reserve"),
    st.lists(st.tuples(sku, units), min_size=1, max_size=4),
    st.booleans(),
)
operation = st.one_of(
    reserve,
    reserve,
    st.tuples(st.just("receive"), sku, location, units),
    st.tuples(st.just("adjust"), sku, location, st.sampled_from([-4, -3, -2, -1, 1, 2, 3, 4])),
    st.tuples(st.just("sell"), sku, location, units),
    st.tuples(st.just("return"), sku, location, units),
    st.tuples(st.just("transfer"), sku, location, units),
    st.tuples(st.just("commit"), st.integers(0, 20)),
    st.tuples(st.just("release"), st.integers(0, 20)),
    st.tuples(st.just("wait"), st.integers(1, 20)),
    st.tuples(st.just("sweep")),
    st.tuples(st.just("policy"), sku, st.integers(0, 2)),
)


@settings(max_examples=100)
@given(
    st.lists(st.integers(0, 6), min_size=len(SKUS) * len(LOCATIONS), max_size=6),
    st.lists(operation, max_size=30),
)
def test_random_operations_keep_every_invariant(
    initial: list[int], operations: list[tuple[Any, ...]]
) -> None:
    clock = ManualClock()
    with open_store("memory://", clock=clock) as store:
        inv = InventoryService(store, ttl=timedelta(minutes=10))
        inv.set_bundle("KIT", {"A": 1, "B": 2})
        on_hand: dict[tuple[str, str], int] = {}
        reservations: list[str] = []
        rows = [(s, loc) for s in SKUS for loc in LOCATIONS]
        for (s, loc), n in zip(rows, initial, strict=True):
            if n:
                inv.receive(s, loc, n)
                on_hand[s, loc] = n
        for step, op in enumerate(operations):
            kind = op[0]
            try:
                if kind == "receive":
                    inv.receive(op[1], op[2], op[3])
                    on_hand[op[1], op[2]] = on_hand.get((op[1], op[2]), 0) + op[3]
                elif kind == "return":
                    inv.record_return(op[1], op[2], op[3])
                    on_hand[op[1], op[2]] = on_hand.get((op[1], op[2]), 0) + op[3]
                elif kind == "adjust":
                    inv.adjust(op[1], op[2], op[3], reason="count")
                    on_hand[op[1], op[2]] = on_hand.get((op[1], op[2]), 0) + op[3]
                elif kind == "sell":
                    inv.sell(op[1], op[2], op[3])
                    on_hand[op[1], op[2]] -= op[3]
                elif kind == "transfer":
                    other = LOCATIONS[1 - LOCATIONS.index(op[2])]
                    inv.transfer(op[1], op[2], other, op[3])
                    on_hand[op[1], op[2]] -= op[3]
                    on_hand[op[1], other] = on_hand.get((op[1], other), 0) + op[3]
                elif kind == "reserve":
                    lines = [("KIT", n) if s == "B" and op[2] else (s, n) for s, n in op[1]]
                    nearest = NearestLocation(lambda loc: -LOCATIONS.index(loc))
                    held = inv.reserve(f"r{step}", lines, strategy=nearest if op[2] else None)
                    reservations.append(held.id)
                elif kind in ("commit", "release") and reservations:
                    ident = reservations[op[1] % len(reservations)]
                    if kind == "release":
                        inv.release(ident)
                    else:
                        before = inv.get(ident)
                        after = inv.commit(ident)
                        if before.status is not after.status:
                            for line in after.lines:
                                on_hand[line.sku, line.location] -= line.quantity
                elif kind == "wait":
                    clock.advance(timedelta(minutes=op[1]))
                elif kind == "sweep":
                    inv.sweep()
                elif kind == "policy":
                    inv.set_policy(op[1], StockPolicy.backorder(op[2]) if op[2] else StockPolicy())
            except (InsufficientStockError, UnknownSkuError, ReservationError) as exc:
                event(f"refused: {type(exc).__name__}")
            else:
                event(f"done: {kind}")
            assert audit(store) == [], (step, op)
            with store.transaction(readonly=True) as tx:
                actual = {(lv.sku, lv.location): lv.on_hand for lv in tx.stock.levels()}
            assert actual == {row: n for row, n in on_hand.items() if row in actual}
            assert all(n == 0 for row, n in on_hand.items() if row not in actual)


class _Chooser(PriorityOrder):
    """A subclass of a built-in: its type is not trusted to need no choice, so it is asked."""


levels = st.builds(
    lambda on_hand, reserved, floor: (on_hand, reserved, floor),
    st.integers(0, 9),
    st.integers(0, 9),
    st.integers(-3, 0),
)


@given(
    st.dictionaries(st.sampled_from(SKUS), st.tuples(location, levels), min_size=1),
    st.dictionaries(st.sampled_from([*SKUS, "Z"]), units, min_size=1),
    st.dictionaries(st.sampled_from(SKUS), st.integers(0, 5)),
    st.sampled_from(
        [PriorityOrder(), PriorityOrder(["y"]), FewestShipments(), NearestLocation(len)]
    ),
)
def test_one_row_per_sku_plans_as_the_strategy_would(
    rows: dict[str, tuple[str, tuple[int, int, int]]],
    demand: dict[str, int],
    thresholds: dict[str, int],
    strategy: AllocationStrategy,
) -> None:
    """The shortcut for carts whose SKUs have one stock row each changes no plan."""
    snapshot = [
        (sku, where, on_hand, reserved, floor, thresholds.get(sku))
        for sku, (where, (on_hand, reserved, floor)) in rows.items()
    ]
    fast = draft(([], snapshot, False), demand, strategy, None)
    slow = draft(([], snapshot, False), demand, _Chooser(), None)
    assert fast is not None and slow is not None
    event("shortcut" if type(strategy) in ONE_ROW_NO_CHOICE and not fast.shortages else "full")
    assert (fast.plan, fast.freed, fast.unknown, fast.shortages) == (
        slow.plan,
        slow.freed,
        slow.unknown,
        slow.shortages,
    )
    assert {row: fast.thresholds[row] for row in fast.plan} == {
        row: slow.thresholds[row] for row in slow.plan
    }


@given(
    st.dictionaries(
        st.one_of(st.text(max_size=202), st.integers(), st.just("a\x00b"), st.just("\ud800")),
        st.one_of(st.integers(-2, 10**15 + 1), st.booleans(), st.floats(), st.just(10**15)),
        max_size=4,
    )
)
def test_a_dict_of_lines_is_checked_like_the_same_pairs(lines: dict[Any, Any]) -> None:
    """The one-pass check of a plain dict accepts and refuses exactly what the general one does."""
    outcomes: list[object] = []
    for given_lines in (lines, list(lines.items())):
        try:
            outcomes.append(normalize_lines(given_lines))
        except CommerceError as exc:
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]
