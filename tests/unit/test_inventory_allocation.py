"""Allocation strategies as pure functions, and the service's re-planning after a lost race."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commercekit import open_store
from commercekit.errors import InsufficientStockError
from commercekit.inventory import (
    FewestShipments,
    InventoryService,
    NearestLocation,
    PriorityOrder,
    ReservationLine,
    StockLevel,
    fill,
)
from commercekit.inventory._sql_stock import SqlStockRepository
from tests._inventory import audit


def lv(sku: str, location: str, on_hand: int, reserved: int = 0, floor: int = 0) -> StockLevel:
    return StockLevel(sku, location, on_hand, reserved, floor)


def as_set(lines: list[ReservationLine]) -> set[tuple[str, str, int]]:
    return {(ln.sku, ln.location, ln.quantity) for ln in lines}


def test_fill_uses_stock_on_hand_everywhere_before_backorder_room() -> None:
    rows = [lv("T", "a", 1, floor=-5), lv("T", "b", 2), lv("T", "c", 0, floor=-1)]
    assert as_set(fill("T", 4, rows)) == {("T", "a", 2), ("T", "b", 2)}
    assert as_set(fill("T", 9, rows)) == {("T", "a", 6), ("T", "b", 2), ("T", "c", 1)}
    assert as_set(fill("T", 99, rows)) == as_set(fill("T", 9, rows))  # short: all there is
    assert fill("T", 1, [lv("T", "a", 3, reserved=3)]) == []


def test_priority_order_puts_unlisted_locations_last_in_byte_order() -> None:
    rows = [lv("T", "z", 1), lv("T", "é", 1), lv("T", "b", 1), lv("T", "m", 1)]
    order = PriorityOrder(["m"])
    lines = order.allocate({"T": 3}, rows)
    assert [ln.location for ln in lines] == ["m", "b", "z"]


def test_fewest_shipments_single_location_then_backorder_then_greedy() -> None:
    strategy = FewestShipments()
    rows = [lv("T", "a", 5), lv("M", "a", 0, floor=-2), lv("T", "b", 1), lv("M", "b", 1)]
    assert as_set(strategy.allocate({"T": 1, "M": 1}, rows)) == {("T", "b", 1), ("M", "b", 1)}
    # nobody has 2 mugs on hand; "a" can backorder them and has the tees: one shipment.
    assert as_set(strategy.allocate({"T": 2, "M": 2}, rows)) == {("T", "a", 2), ("M", "a", 2)}
    greedy = [lv("T", "a", 3), lv("M", "b", 3), lv("T", "b", 1), lv("C", "c", 5)]
    # No location has everything: a (3 tees) and b (2 mugs + 1 tee) tie, a wins by name.
    lines = strategy.allocate({"T": 3, "M": 2, "C": 1}, greedy)
    assert as_set(lines) == {("T", "a", 3), ("M", "b", 2), ("C", "c", 1)}
    assert as_set(strategy.allocate({"T": 5}, [lv("T", "a", 2), lv("T", "b", 2)])) == {
        ("T", "a", 2),
        ("T", "b", 2),
    }


def test_nearest_breaks_ties_by_name() -> None:
    rows = [lv("T", "b", 1), lv("T", "a", 1), lv("T", "c", 5)]
    lines = NearestLocation(lambda loc: 0 if loc in "ab" else 1).allocate({"T": 3}, rows)
    assert [(ln.location, ln.quantity) for ln in lines] == [("a", 1), ("b", 1), ("c", 1)]


@given(
    st.lists(
        st.tuples(st.sampled_from("ST"), st.sampled_from("abc"), st.integers(-3, 6)), max_size=8
    ),
    st.dictionaries(st.sampled_from("ST"), st.integers(1, 12), min_size=1),
)
def test_strategies_never_exceed_demand_or_capacity(
    raw: list[tuple[str, str, int]], demand: dict[str, int]
) -> None:
    rows = list(
        {(s, loc): lv(s, loc, max(n, 0), floor=min(n, 0) - 1) for s, loc, n in raw}.values()
    )
    capacity = {(r.sku, r.location): r.available - r.floor for r in rows}
    for strategy in (PriorityOrder(["c"]), FewestShipments(), NearestLocation(ord)):
        lines = strategy.allocate(demand, rows)
        per_sku: dict[str, int] = {}
        for line in lines:
            assert 0 < line.quantity <= capacity[line.sku, line.location]
            per_sku[line.sku] = per_sku.get(line.sku, 0) + line.quantity
        for s, n in demand.items():
            total = sum(c for (rs, _), c in capacity.items() if rs == s)
            assert per_sku.get(s, 0) == min(n, total)


def _first_read_stale(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the next planning read believe every row has 5 more on hand; count the reads."""
    real = SqlStockRepository.planning_read
    calls: list[int] = []

    def stale(repo: Any, skus: Any) -> Any:
        calls.append(1)
        bundles, rows, expired = real(repo, skus)
        if len(calls) == 1:
            rows = [(sku, where, n + 5, held, floor, t) for sku, where, n, held, floor, t in rows]
        return bundles, rows, expired

    monkeypatch.setattr(SqlStockRepository, "planning_read", stale)
    return calls


def test_a_lost_race_plans_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stale snapshot makes the guarded update fail; the service re-reads and re-plans."""
    with open_store("memory://") as store:
        inv = InventoryService(store)
        inv.receive("T", "a", 1)
        inv.receive("T", "b", 5)
        calls = _first_read_stale(monkeypatch)
        held = inv.reserve("k", {"T": 3})
        assert len(calls) == 2
        assert as_set(list(held.lines)) == {("T", "a", 1), ("T", "b", 2)}
        calls.clear()
        once = InventoryService(store, max_attempts=1)
        with pytest.raises(InsufficientStockError) as info:
            once.reserve("j", {"T": 4})  # believes a has 5 more; the guard says no
        assert info.value.shortages == {"T": 4}
        assert audit(store) == []


def test_a_lost_race_on_the_plain_path_plans_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """One row per SKU (no plan to choose): a stale read still only makes the cart re-read."""
    with open_store("memory://") as store:
        inv = InventoryService(store)
        inv.receive("T", "a", 3)
        calls = _first_read_stale(monkeypatch)
        with pytest.raises(InsufficientStockError) as info:
            inv.reserve("k", {"T": 5})
        assert len(calls) == 2 and info.value.shortages == {"T": 2}
        calls.clear()
        assert [(ln.location, ln.quantity) for ln in inv.reserve("j", {"T": 3}).lines] == [("a", 3)]
        assert inv.sellable("T") == 0 and len(calls) == 1
        assert audit(store) == []


def test_a_reservation_in_the_callers_transaction_rolls_back_with_it(tmp_path: Any) -> None:
    """Inside a caller's transaction reserve joins it: the caller's failure undoes the hold."""
    with open_store(f"sqlite:///{tmp_path / 'joined.db'}", migrate=True) as store:
        inv = InventoryService(store)
        inv.receive("T", "a", 2)
        with pytest.raises(RuntimeError), store.transaction():
            inv.reserve("k", {"T": 2})
            raise RuntimeError("the caller's order failed")
        assert inv.by_key("k") is None
        assert inv.sellable("T") == 2
        assert [(ln.location, ln.quantity) for ln in inv.reserve("k", {"T": 2}).lines] == [("a", 2)]
        assert audit(store) == []
