"""The inventory service on every backend: memory://, a SQLite file and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from commercekit.clock import ManualClock
from commercekit.errors import (
    CommerceError,
    IdempotencyConflictError,
    InsufficientStockError,
    InvalidQuantityError,
    InventoryError,
    ReservationError,
    UnknownSkuError,
    ValidationError,
)
from commercekit.inventory import (
    LOW_STOCK_TOPIC,
    FewestShipments,
    InventoryService,
    MovementKind,
    NearestLocation,
    PolicyKind,
    PriorityOrder,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    StockPolicy,
)
from commercekit.rules import MAX_QUANTITY
from commercekit.storage import Store
from tests._inventory import audit
from tests.contract._backends import T0 as START


@pytest.fixture
def inv(store: Store) -> InventoryService:
    return InventoryService(store, ttl=timedelta(minutes=10))


def snapshot(store: Store) -> list[Any]:
    """Everything the inventory writes, to prove a failed call changed nothing."""
    with store.transaction(readonly=True) as tx:
        return [
            tx.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in (
                "ck_stock_levels",
                "ck_stock_movements",
                "ck_reservations",
                "ck_reservation_lines",
                "ck_outbox",
                "ck_bundle_components",
                "ck_stock_policies",
                "ck_stock_thresholds",
            )
        ]


def low_events(store: Store) -> list[dict[str, Any]]:
    with store.transaction(readonly=True) as tx:
        return [
            json.loads(event.payload)
            for event in tx.outbox.pending(limit=1000)
            if event.topic == LOW_STOCK_TOPIC
        ]


# -- ledger ---------------------------------------------------------------------------------


def test_movements_ledger_and_levels(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 10, reason="PO-1")
    inv.adjust("TEE", "paris", -2, reason="damaged")
    inv.sell("TEE", "paris", 3, reference="till-7")
    inv.record_return("TEE", "paris", 1, reason="wrong size")
    source, destination = inv.transfer("TEE", "paris", "lyon", 4, reason="rebalance")
    assert (source.on_hand, destination.on_hand) == (2, 4)
    kinds = [(m.kind, m.quantity) for m in inv.movements("TEE", "paris")]
    assert kinds == [
        (MovementKind.RECEIVE, 10),
        (MovementKind.ADJUST, -2),
        (MovementKind.SALE, -3),
        (MovementKind.RETURN, 1),
        (MovementKind.TRANSFER_OUT, -4),
    ]
    assert [m.reason for m in inv.movements("TEE", "paris")][:2] == ["PO-1", "damaged"]
    assert inv.movements("TEE", "lyon")[0].kind is MovementKind.TRANSFER_IN
    assert inv.movements("TEE", "lyon")[0].created_at == START
    assert [lv.location for lv in inv.stock("TEE")] == ["lyon", "paris"]
    assert inv.level("TEE", "nowhere") is None
    assert inv.sellable("TEE") == 6
    assert audit(store) == []


def test_transfer_is_all_or_nothing(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 2)
    before = snapshot(store)
    with pytest.raises(InsufficientStockError) as info:
        inv.transfer("TEE", "paris", "lyon", 3)
    assert info.value.shortages == {"TEE": 1}
    with pytest.raises(UnknownSkuError):
        inv.transfer("TEE", "rome", "paris", 1)
    with pytest.raises(ValidationError):
        inv.transfer("TEE", "paris", "paris", 1)
    assert snapshot(store) == before


def test_negative_moves_never_pass_the_floor(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 2)
    inv.reserve("k", {"TEE": 1})
    before = snapshot(store)
    with pytest.raises(InsufficientStockError):
        inv.adjust("TEE", "paris", -2, reason="count")
    with pytest.raises(InsufficientStockError):
        inv.sell("TEE", "paris", 2)
    with pytest.raises(UnknownSkuError):
        inv.sell("MUG", "paris", 1)
    assert snapshot(store) == before


# -- reservations ---------------------------------------------------------------------------


def test_cart_is_reserved_whole_with_lines_summed(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 5)
    inv.receive("MUG", "paris", 1)
    held = inv.reserve("cart-1", [("TEE", 2), ("MUG", 1), ("TEE", 3)])
    assert held.status is ReservationStatus.ACTIVE
    assert held.lines == (ReservationLine("MUG", "paris", 1), ReservationLine("TEE", "paris", 5))
    assert held.expires_at == START + timedelta(minutes=10)
    level = inv.level("TEE", "paris")
    assert level is not None
    assert (level.on_hand, level.reserved, level.available) == (5, 5, 0)
    assert audit(store) == []


def test_short_cart_names_every_short_sku_and_changes_nothing(
    inv: InventoryService, store: Store
) -> None:
    inv.receive("TEE", "paris", 3)
    inv.receive("MUG", "paris", 1)
    inv.receive("CAP", "paris", 9)
    before = snapshot(store)
    with pytest.raises(InsufficientStockError) as info:
        inv.reserve("cart", [("TEE", 2), ("CAP", 1), ("MUG", 2), ("TEE", 2)])
    assert info.value.shortages == {"MUG": 1, "TEE": 1}
    assert "MUG short by 1" in str(info.value)
    assert snapshot(store) == before


def test_bundles_expand_and_sum_with_plain_lines(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 3)
    inv.receive("MUG", "paris", 4)
    inv.set_bundle("KIT", {"TEE": 1, "MUG": 2})
    assert inv.bundle("KIT") == {"MUG": 2, "TEE": 1}
    assert inv.sellable("KIT") == 2
    before = snapshot(store)
    # 2 kits need 4 mugs; one more mug on its own line makes 5 > 4: refused whole.
    with pytest.raises(InsufficientStockError) as info:
        inv.reserve("c1", {"KIT": 2, "MUG": 1})
    assert info.value.shortages == {"MUG": 1}
    assert snapshot(store) == before
    held = inv.reserve("c2", {"KIT": 1, "TEE": 2})
    assert {(ln.sku, ln.quantity) for ln in held.lines} == {("TEE", 3), ("MUG", 2)}
    assert inv.remove_bundle("KIT") is True
    assert inv.remove_bundle("KIT") is False
    assert inv.bundle("KIT") == {}


def test_bundle_definitions_are_checked(inv: InventoryService) -> None:
    inv.set_bundle("KIT", {"TEE": 1})
    with pytest.raises(ValidationError):
        inv.set_bundle("KIT", {"KIT": 1})
    with pytest.raises(ValidationError):
        inv.set_bundle("BIG", {"KIT": 1})  # a bundle of bundles
    with pytest.raises(ValidationError):
        inv.set_bundle("TEE", {"MUG": 1})  # TEE is a component
    with pytest.raises(ValidationError):
        inv.set_bundle("EMPTY", {})
    with pytest.raises(InvalidQuantityError):
        inv.set_bundle("X", {"TEE": 0})


def test_idempotent_on_key(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 2)
    first = inv.reserve("order-9", [("TEE", 1), ("TEE", 1)])
    again = inv.reserve("order-9", {"TEE": 2})  # same lines, other shape: same reservation
    assert again == first
    before = snapshot(store)
    with pytest.raises(IdempotencyConflictError):
        inv.reserve("order-9", {"TEE": 1})
    assert snapshot(store) == before
    inv.commit(first)
    assert inv.reserve("order-9", {"TEE": 2}).status is ReservationStatus.COMMITTED
    assert inv.by_key("order-9") == inv.get(first.id)
    assert inv.by_key("nope") is None


def test_idempotent_replay_while_stock_remains(inv: InventoryService, store: Store) -> None:
    """The replay's second hold is rolled back with its refused insert: nothing is taken twice."""
    inv.receive("TEE", "paris", 10)
    first = inv.reserve("k", {"TEE": 2})
    before = snapshot(store)
    assert inv.reserve("k", {"TEE": 2}) == first
    with pytest.raises(IdempotencyConflictError):
        inv.reserve("k", {"TEE": 3})
    assert snapshot(store) == before
    assert inv.sellable("TEE") == 8
    assert audit(store) == []


def test_idempotent_replay_when_stock_is_gone(inv: InventoryService) -> None:
    inv.receive("TEE", "paris", 1)
    first = inv.reserve("k", {"TEE": 1})
    assert inv.reserve("k", {"TEE": 1}) == first  # stock now 0: still the same reservation
    with pytest.raises(IdempotencyConflictError):
        inv.reserve("k", {"TEE": 2})


def test_commit_sells_and_release_frees(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 5)
    a = inv.reserve("a", {"TEE": 2})
    b = inv.reserve("b", {"TEE": 2})
    committed = inv.commit(a, reference="order-a")
    assert committed.status is ReservationStatus.COMMITTED
    assert inv.commit(a.id) == committed  # twice is fine
    assert inv.release(b).status is ReservationStatus.RELEASED
    assert inv.release(b).status is ReservationStatus.RELEASED
    with pytest.raises(ReservationError):
        inv.commit(b)
    with pytest.raises(ReservationError):
        inv.release(a)
    with pytest.raises(ReservationError):
        inv.get("no-such-id")
    level = inv.level("TEE", "paris")
    assert level == StockLevel("TEE", "paris", 3, 0, 0)
    sale = inv.movements("TEE", "paris")[-1]
    assert (sale.kind, sale.quantity, sale.reference) == (MovementKind.SALE, -2, "order-a")
    assert audit(store) == []


def test_expiry_by_store_clock_and_lazy_release(
    inv: InventoryService, store: Store, clock: ManualClock
) -> None:
    inv.receive("TEE", "paris", 2)
    inv.receive("MUG", "paris", 1)
    old = inv.reserve("old", {"TEE": 2, "MUG": 1})
    with pytest.raises(InsufficientStockError):
        inv.reserve("new", {"TEE": 1})
    clock.advance(timedelta(minutes=10))  # expires_at <= now: expired
    new = inv.reserve("new", {"TEE": 1})  # frees the expired hold on TEE (and MUG) first
    assert inv.get(old).status is ReservationStatus.EXPIRED
    assert inv.level("MUG", "paris") == StockLevel("MUG", "paris", 1, 0, 0)
    assert new.lines == (ReservationLine("TEE", "paris", 1),)
    assert audit(store) == []
    with pytest.raises(ReservationError):
        inv.extend(old)


def test_sweep_frees_untouched_skus(
    inv: InventoryService, store: Store, clock: ManualClock
) -> None:
    inv.receive("TEE", "paris", 2)
    r = inv.reserve("r", {"TEE": 2}, ttl=timedelta(seconds=30))
    assert inv.sweep() == []
    clock.advance(timedelta(seconds=31))
    assert [x.id for x in inv.sweep()] == [r.id]
    assert inv.level("TEE", "paris") == StockLevel("TEE", "paris", 2, 0, 0)
    assert inv.release(r).status is ReservationStatus.EXPIRED
    assert audit(store) == []


def test_extend_keeps_the_hold(inv: InventoryService, clock: ManualClock) -> None:
    inv.receive("TEE", "paris", 1)
    r = inv.reserve("r", {"TEE": 1})
    clock.advance(timedelta(minutes=9))
    extended = inv.extend(r, timedelta(minutes=10))
    assert extended.expires_at == START + timedelta(minutes=19)
    clock.advance(timedelta(minutes=5))
    assert inv.sweep() == []


def test_commit_after_expiry_re_reserves_when_stock_allows(
    inv: InventoryService, store: Store, clock: ManualClock
) -> None:
    inv.receive("TEE", "paris", 3)
    r = inv.reserve("r", {"TEE": 2})
    clock.advance(timedelta(hours=1))  # expired but not swept
    assert inv.commit(r).status is ReservationStatus.COMMITTED
    assert inv.level("TEE", "paris") == StockLevel("TEE", "paris", 1, 0, 0)
    s = inv.reserve("s", {"TEE": 1})
    clock.advance(timedelta(hours=1))
    inv.sweep()  # swept first: still committable
    assert inv.commit(s).status is ReservationStatus.COMMITTED
    assert audit(store) == []


def test_commit_after_expiry_fails_clearly_when_stock_is_gone(
    inv: InventoryService, store: Store, clock: ManualClock
) -> None:
    inv.receive("TEE", "paris", 2)
    r = inv.reserve("r", {"TEE": 2})
    clock.advance(timedelta(hours=1))
    inv.reserve("other", {"TEE": 1})  # takes stock freed by r's expiry
    before = snapshot(store)
    with pytest.raises(ReservationError, match="expired"):
        inv.commit(r)
    assert snapshot(store) == before
    assert audit(store) == []


def test_reserve_joins_the_callers_transaction(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 2)

    def checkout() -> None:
        with store.transaction():
            inv.reserve("k", {"TEE": 2})
            raise RuntimeError("the host's order failed to save")

    with pytest.raises(RuntimeError):
        checkout()
    assert inv.by_key("k") is None
    assert inv.level("TEE", "paris") == StockLevel("TEE", "paris", 2, 0, 0)


# -- allocation ------------------------------------------------------------------------------


def test_split_across_locations_by_priority(inv: InventoryService) -> None:
    inv.receive("TEE", "paris", 2)
    inv.receive("TEE", "lyon", 2)
    inv.receive("TEE", "nice", 5)
    held = inv.reserve("k", {"TEE": 5}, strategy=PriorityOrder(["paris", "nice"]))
    assert sorted((ln.location, ln.quantity) for ln in held.lines) == [("nice", 3), ("paris", 2)]


def test_fewest_shipments_prefers_one_location(inv: InventoryService) -> None:
    inv.receive("TEE", "paris", 5)
    inv.receive("MUG", "paris", 0 + 1)
    inv.receive("TEE", "lyon", 1)
    inv.receive("MUG", "lyon", 3)
    held = inv.reserve("k", {"TEE": 1, "MUG": 2}, strategy=FewestShipments(["paris"]))
    assert {ln.location for ln in held.lines} == {"lyon"}


def test_nearest_location_uses_host_distance(inv: InventoryService) -> None:
    km = {"paris": 400, "lyon": 5, "nice": 300}
    for location in km:
        inv.receive("TEE", location, 2)
    held = inv.reserve("k", {"TEE": 3}, strategy=NearestLocation(km.__getitem__))
    assert sorted((ln.location, ln.quantity) for ln in held.lines) == [("lyon", 2), ("nice", 1)]


class _Greedy:
    def allocate(self, demand: Any, stock: Any) -> list[ReservationLine]:
        return [ReservationLine(row.sku, row.location, row.on_hand + 5) for row in stock]


def test_a_strategy_that_overfills_is_refused(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 2)
    before = snapshot(store)
    with pytest.raises(InventoryError, match="strategy"):
        inv.reserve("k", {"TEE": 1}, strategy=_Greedy())
    assert snapshot(store) == before


# -- policies and low stock -----------------------------------------------------------------


def test_backorder_floor_is_never_passed(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 2)
    levels = inv.set_policy("TEE", StockPolicy.backorder(3))
    assert [lv.floor for lv in levels] == [-3]
    assert inv.policy("TEE") == StockPolicy(PolicyKind.BACKORDER, 3)
    inv.reserve("a", {"TEE": 4})
    with pytest.raises(InsufficientStockError) as info:
        inv.reserve("b", {"TEE": 2})
    assert info.value.shortages == {"TEE": 1}
    inv.reserve("c", {"TEE": 1})
    level = inv.level("TEE", "paris")
    assert level is not None
    assert level.available == -3 == level.floor
    with pytest.raises(InsufficientStockError):
        inv.set_policy("TEE", StockPolicy.backorder(1))  # 3 already sold past zero
    assert inv.policy("TEE").allowance == 3
    inv.receive("TEE", "lyon", 1)  # a new row gets the SKU's floor
    assert inv.level("TEE", "lyon") == StockLevel("TEE", "lyon", 1, 0, -3)
    assert audit(store) == []


def test_preorder_before_any_stock(inv: InventoryService, store: Store) -> None:
    with pytest.raises(UnknownSkuError) as info:
        inv.reserve("p0", {"BOOK": 1})
    assert info.value.skus == ("BOOK",)
    inv.set_policy("BOOK", StockPolicy.preorder(10), locations=["paris"])
    held = inv.reserve("p1", {"BOOK": 10})
    assert held.lines == (ReservationLine("BOOK", "paris", 10),)
    with pytest.raises(InsufficientStockError):
        inv.reserve("p2", {"BOOK": 1})
    inv.receive("BOOK", "paris", 10)
    inv.commit(held)
    assert inv.level("BOOK", "paris") == StockLevel("BOOK", "paris", 0, 0, -10)
    assert audit(store) == []


def test_low_stock_event_when_available_crosses_threshold(
    inv: InventoryService, store: Store
) -> None:
    inv.receive("TEE", "paris", 10)
    inv.receive("TEE", "lyon", 10)
    inv.set_low_stock_threshold("TEE", 5)
    inv.set_low_stock_threshold("TEE", 2, location="lyon")
    inv.reserve("a", {"TEE": 4}, strategy=PriorityOrder(["paris"]))  # paris 10 -> 6
    assert low_events(store) == []
    inv.reserve("b", {"TEE": 1}, strategy=PriorityOrder(["paris"]))  # paris 6 -> 5: crossed
    events = low_events(store)
    assert [(e["sku"], e["location"], e["available"], e["threshold"]) for e in events] == [
        ("TEE", "paris", 5, 5)
    ]
    inv.reserve("c", {"TEE": 1}, strategy=PriorityOrder(["paris"]))  # already below: no event
    inv.sell("TEE", "lyon", 7)  # lyon 10 -> 3: above its own threshold 2
    assert len(low_events(store)) == 1
    inv.adjust("TEE", "lyon", -1, reason="broken")  # 3 -> 2: crossed
    assert [e["location"] for e in low_events(store)] == ["paris", "lyon"]
    inv.set_low_stock_threshold("TEE", None, location="lyon")
    inv.transfer("TEE", "lyon", "paris", 1)  # lyon 2 -> 1, default threshold 5: no crossing
    assert len(low_events(store)) == 2


def test_low_stock_event_from_a_cart_of_single_location_skus(
    inv: InventoryService, store: Store
) -> None:
    inv.receive("MUG", "paris", 5)
    inv.receive("TEE", "lyon", 9)
    inv.set_low_stock_threshold("MUG", 2)
    inv.set_low_stock_threshold("TEE", 1, location="lyon")
    inv.reserve("a", {"TEE": 2, "MUG": 2})  # MUG 5 -> 3, TEE 9 -> 7: no crossing
    assert low_events(store) == []
    inv.reserve("b", [("MUG", 1), ("TEE", 6)])  # MUG 3 -> 2 and TEE 7 -> 1: both cross
    events = low_events(store)
    assert [(e["sku"], e["location"], e["available"], e["threshold"]) for e in events] == [
        ("MUG", "paris", 2, 2),
        ("TEE", "lyon", 1, 1),
    ]
    assert audit(store) == []


def test_failed_reservation_writes_no_event(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 3)
    inv.receive("MUG", "paris", 1)
    inv.set_low_stock_threshold("TEE", 1)
    with pytest.raises(InsufficientStockError):
        inv.reserve("k", {"TEE": 3, "MUG": 2})
    assert low_events(store) == []


# -- bad input -------------------------------------------------------------------------------


BAD_QUANTITIES: list[Any] = [0, -1, 10**16, True, 1.0, 1.5, "2", None]


@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
def test_bad_quantities_are_typed_errors_and_change_nothing(
    inv: InventoryService, store: Store, quantity: Any
) -> None:
    inv.receive("TEE", "paris", 5)
    before = snapshot(store)
    calls: list[Callable[[], object]] = [
        lambda: inv.reserve("k", {"TEE": quantity}),
        lambda: inv.reserve("k", [("TEE", 1), ("TEE", quantity)]),
        lambda: inv.receive("TEE", "paris", quantity),
        lambda: inv.sell("TEE", "paris", quantity),
        lambda: inv.transfer("TEE", "paris", "lyon", quantity),
        lambda: inv.record_return("TEE", "paris", quantity),
        lambda: inv.set_bundle("KIT", {"TEE": quantity}),
    ]
    for call in calls:
        with pytest.raises(InvalidQuantityError):
            call()
    if quantity != 0 and not (isinstance(quantity, int) and quantity < 0):
        with pytest.raises(InvalidQuantityError):
            inv.adjust("TEE", "paris", quantity, reason="x")
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "lines",
    [
        {},
        [],
        "TEE",
        b"TEE",
        42,
        [("TEE",)],
        [("", 1)],
        [("T\x00E", 1)],
        [("\ud800", 1)],
        [("x" * 201, 1)],
        [(7, 1)],
    ],
)
def test_bad_carts_are_validation_errors(inv: InventoryService, store: Store, lines: Any) -> None:
    inv.receive("TEE", "paris", 5)
    before = snapshot(store)
    with pytest.raises(ValidationError):
        inv.reserve("k", lines)
    assert snapshot(store) == before


def test_more_bad_input(inv: InventoryService, store: Store) -> None:
    inv.receive("TEE", "paris", 5)
    before = snapshot(store)
    calls: list[Callable[[], object]] = [
        lambda: inv.reserve("", {"TEE": 1}),
        lambda: inv.reserve("k", {"TEE": 1}, ttl=timedelta(0)),
        lambda: inv.reserve("k", {"TEE": 1}, ttl=60),  # type: ignore[arg-type]
        lambda: inv.adjust("TEE", "paris", 1, reason=""),
        lambda: inv.receive("TEE", "", 1),
        lambda: inv.set_policy("TEE", "backorder"),  # type: ignore[arg-type]
        lambda: inv.set_low_stock_threshold("TEE", -1),
        lambda: inv.set_low_stock_threshold("TEE", 1.5),  # type: ignore[arg-type]
        lambda: StockPolicy("sometimes", 1),
        lambda: StockPolicy(PolicyKind.NONE, 2),
        lambda: StockPolicy.backorder(-1),
        lambda: InventoryService(store, max_attempts=0),
        lambda: inv.commit(42),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(CommerceError):
            call()
    with pytest.raises(UnknownSkuError):
        inv.reserve("k", {"TEE": 1, "GHOST": 1})
    with pytest.raises(InvalidQuantityError):
        inv.reserve("k", [("TEE", MAX_QUANTITY), ("TEE", MAX_QUANTITY)])  # each fine, the sum not
    inv.set_bundle("KIT", {"TEE": MAX_QUANTITY // 10})
    before = snapshot(store)
    with pytest.raises(InvalidQuantityError):
        inv.reserve("k", {"KIT": 11})  # expands past the limit
    assert snapshot(store) == before


def test_unicode_skus_and_locations(inv: InventoryService, store: Store) -> None:
    skus = ["thé-vert", "茶", "Zebra", "éclair", "🍵"]
    for sku in skus:
        inv.receive(sku, "entrepôt", 3)
        inv.receive(sku, "倉庫", 3)
    held = inv.reserve("ключ", [(sku, 4) for sku in reversed(skus)])
    per_sku: dict[str, int] = {}
    for line in held.lines:
        per_sku[line.sku] = per_sku.get(line.sku, 0) + line.quantity
    assert per_sku == dict.fromkeys(skus, 4)
    inv.commit(held)
    assert audit(store) == []
