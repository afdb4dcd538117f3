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
from commercekit.inventory._checks import normalize_lines
from commercekit.inventory._planning import draft, plain_plan
from commercekit.ports import PlanningRead as ReservationRead
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


levels = st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(-3, 0))


one_row_per_sku = st.dictionaries(st.sampled_from(SKUS), st.tuples(location, levels), min_size=1)


@settings(max_examples=300)
@given(
    st.one_of(
        one_row_per_sku.map(lambda rows: {(s, where): n for s, (where, n) in rows.items()}),
        st.dictionaries(st.tuples(st.sampled_from(SKUS), location), levels, min_size=1),
    ),
    st.data(),
    st.dictionaries(st.sampled_from(SKUS), st.integers(0, 5)),
    st.sampled_from(
        [PriorityOrder(), PriorityOrder(["y"]), FewestShipments(), NearestLocation(len)]
    ),
)
def test_the_plain_plan_is_what_every_built_in_strategy_plans(
    rows: dict[tuple[str, str], tuple[int, int, int]],
    data: st.DataObject,
    thresholds: dict[str, int],
    strategy: AllocationStrategy,
) -> None:
    """The shortcut for carts whose SKUs have one covering stock row each changes no plan."""
    stocked = sorted({sku for sku, _ in rows})
    demand = data.draw(
        st.fixed_dictionaries(dict.fromkeys(stocked, units))
        | st.dictionaries(st.sampled_from([*SKUS, "Z"]), units, min_size=1)
    )
    snapshot = [
        (sku, where, on_hand, reserved, floor, thresholds.get(sku))
        for (sku, where), (on_hand, reserved, floor) in rows.items()
    ]
    read: ReservationRead = ([], snapshot, False)
    fast = plain_plan(read, demand)
    full = draft(read, demand, strategy, None)
    one_row_each = sorted(sku for sku, _ in rows) == sorted(demand)
    event("plain" if fast is not None else "full plan")
    assert (fast is not None) == (one_row_each and not full.shortages)
    if fast is None:
        return
    assert {(sku, where): n for sku, where, n, _ in fast} == full.plan
    assert {(sku, where): t for sku, where, _, t in fast} == {
        row: full.thresholds[row] for row in full.plan
    }
    assert [line[:2] for line in fast] == sorted(
        (line[:2] for line in fast), key=lambda row: (row[0].encode(), row[1].encode())
    )


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
