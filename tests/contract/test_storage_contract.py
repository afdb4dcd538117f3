"""The storage contract: one suite, subclassed once per backend (memory, SQLite, PostgreSQL).

A new backend passes when a subclass providing :meth:`StorageContract.open` passes every test.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from commercekit import Money
from commercekit.areas import BUILTIN_AREAS
from commercekit.cart import CART_KIND, Cart
from commercekit.clock import ManualClock
from commercekit.errors import (
    ConfigurationError,
    ConflictError,
    ConstraintError,
    IdempotencyConflictError,
    InsufficientStockError,
    InvalidQuantityError,
    NotFoundError,
    ReservationError,
    SchemaVersionError,
    StorageBusyError,
    StorageError,
    ValidationError,
)
from commercekit.storage import (
    CORE_AREA,
    AggregateKind,
    MovementKind,
    ReservationLine,
    ReservationStatus,
    Store,
    open_store,
)
from tests.contract._backends import T0, BackendContract, OnMemory, OnPostgres, OnSqlite, Opener


@attrs.frozen
class Item:
    sku: str
    quantity: int
    unit_price: Money


@attrs.frozen
class Basket:
    id: str
    version: int = 0
    customer_id: str | None = None
    status: str = "open"
    total: Money = attrs.field(factory=lambda: Money("0", "USD"))
    note: str = ""
    items: tuple[Item, ...] = ()


BASKETS = AggregateKind(
    "basket",
    Basket,
    customer_id=lambda b: b.customer_id,
    status=lambda b: b.status,
    amount=lambda b: b.total,
)


#: Every (area, version) a new database gets, in the order they run.
ALL_MIGRATIONS = [(a.name, m.version) for a in (CORE_AREA, *BUILTIN_AREAS) for m in a.migrations]


class StorageContract(BackendContract):
    """Behaviour every backend must have; a backend mixin provides the store."""

    backend = ""

    # -- aggregates --------------------------------------------------------------------------

    def test_add_get_round_trip(self, store: Store) -> None:
        basket = Basket(
            "b1",
            customer_id="c1",
            total=Money("12.345", "KWD"),
            items=(Item("TEA", 2, Money("0.0001", "KWD")),),
        )
        with store.transaction() as tx:
            stored = tx.aggregates(BASKETS).add(basket)
        assert stored == attrs.evolve(basket, version=1)
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).get("b1") == stored
            assert tx.aggregates(BASKETS).find("nope") is None
            with pytest.raises(NotFoundError):
                tx.aggregates(BASKETS).get("nope")

    def test_save_bumps_version_and_stale_save_conflicts(self, store: Store) -> None:
        with store.transaction() as tx:
            v1 = tx.aggregates(BASKETS).add(Basket("b1"))
        with store.transaction() as tx:
            v2 = tx.aggregates(BASKETS).save(attrs.evolve(v1, note="first"))
        assert v2.version == 2
        with pytest.raises(ConflictError, match="stale"), store.transaction() as tx:
            tx.aggregates(BASKETS).save(attrs.evolve(v1, note="lost update"))
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).get("b1") == v2

    def test_add_refuses_duplicates_and_stored_versions(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b1", note="original"))
        with pytest.raises(ConflictError), store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b1", note="impostor"))
        with pytest.raises(ConflictError, match="add"), store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b2", version=3))
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).get("b1").note == "original"
            assert tx.aggregates(BASKETS).find("b2") is None

    def test_save_of_missing_aggregate_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError), store.transaction() as tx:
            tx.aggregates(BASKETS).save(Basket("ghost", version=4))

    def test_delete_is_version_checked(self, store: Store) -> None:
        with store.transaction() as tx:
            v1 = tx.aggregates(BASKETS).add(Basket("b1"))
            v2 = tx.aggregates(BASKETS).save(attrs.evolve(v1, note="x"))
        with pytest.raises(ConflictError), store.transaction() as tx:
            tx.aggregates(BASKETS).delete(v1)
        with store.transaction() as tx:
            tx.aggregates(BASKETS).delete(v2)
            assert tx.aggregates(BASKETS).find("b1") is None

    def test_list_filters_by_customer_and_status(self, store: Store, clock: ManualClock) -> None:
        with store.transaction() as tx:
            repo = tx.aggregates(BASKETS)
            for n in range(5):
                clock.advance(timedelta(seconds=1))
                repo.add(Basket(f"b{n}", customer_id="c1" if n % 2 else "c2"))
        with store.transaction() as tx:
            repo = tx.aggregates(BASKETS)
            repo.save(attrs.evolve(repo.get("b1"), status="converted"))
        with store.transaction(readonly=True) as tx:
            repo = tx.aggregates(BASKETS)
            assert [b.id for b in repo.list(customer_id="c1")] == ["b1", "b3"]
            assert [b.id for b in repo.list(status="converted")] == ["b1"]
            assert len(repo.list(limit=2)) == 2
            with pytest.raises(ValidationError):
                repo.list(limit=0)

    def test_bad_aggregates_are_refused(self, store: Store) -> None:
        with store.transaction() as tx:
            repo = tx.aggregates(BASKETS)
            with pytest.raises(ValidationError):
                repo.add(Basket(""))
            with pytest.raises(ValidationError):
                repo.add(Basket("x", version=-1))
            with pytest.raises(ConfigurationError):
                repo.add("not a basket")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            AggregateKind("bad", dict)

    def test_unicode_and_large_values_round_trip(self, store: Store) -> None:
        note = "Grüße 🎉 שלום 漢字 \u0000 end " + "x" * 1_000_000
        basket = Basket("ünïcødé-🛒", note=note, total=Money("123456789012345.67", "USD"))
        with store.transaction() as tx:
            tx.aggregates(BASKETS).add(basket)
        with store.transaction(readonly=True) as tx:
            got = tx.aggregates(BASKETS).get("ünïcødé-🛒")
        assert got.note == note
        assert got.total == basket.total

    def test_amounts_are_stored_exactly(self, store: Store) -> None:
        basket = Basket(
            "b1", total=Money("0.10", "USD"), items=(Item("A", 1, Money("0.1", "USD")),)
        )
        with store.transaction() as tx:
            tx.aggregates(BASKETS).add(basket)
            row = tx.execute(
                "SELECT amount_minor, currency, data FROM ck_aggregates WHERE id = ?", ("b1",)
            ).fetchone()
        assert row[0] == 10 and isinstance(row[0], int)
        assert row[1] == "USD"
        assert '"amount":"0.1"' in row[2]
        assert "0.1000000000000000055" not in row[2]

    def test_indexed_amount_must_be_whole_minor_units(self, store: Store) -> None:
        with pytest.raises(ValidationError, match="minor unit"), store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b1", total=Money("0.005", "USD")))
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).find("b1") is None

    # -- transactions ------------------------------------------------------------------------

    def test_exception_rolls_back_everything(self, store: Store) -> None:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b1"))
            tx.stock.move("A", "main", 5, MovementKind.RECEIVE)
            tx.outbox.append("basket.created", {"id": "b1"})
            raise RuntimeError("boom")
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).find("b1") is None
            assert tx.stock.level("A", "main") is None
            assert tx.outbox.pending() == []

    def test_nested_transaction_is_a_savepoint(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("kept"))
            with pytest.raises(RuntimeError), store.transaction() as inner:
                inner.aggregates(BASKETS).add(Basket("undone"))
                raise RuntimeError("inner fails")
            with store.transaction() as inner:
                inner.aggregates(BASKETS).add(Basket("inner-kept"))
        with store.transaction(readonly=True) as tx:
            ids = {b.id for b in tx.aggregates(BASKETS).list()}
        assert ids == {"kept", "inner-kept"}

    def test_readonly_transaction_refuses_writes(self, store: Store) -> None:
        with pytest.raises(StorageError), store.transaction(readonly=True) as tx:
            tx.aggregates(BASKETS).add(Basket("b1"))
        with (
            store.transaction(readonly=True),
            pytest.raises(ConfigurationError),
            store.transaction(),
        ):
            pass  # pragma: no cover - refused before the body runs
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).find("b1") is None

    def test_constraints_are_a_second_line_of_defence(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.stock.move("A", "main", 2, MovementKind.RECEIVE)
        with pytest.raises(ConstraintError), store.transaction() as tx:
            tx.execute("UPDATE ck_stock_levels SET reserved = 5 WHERE sku = 'A'")
        with store.transaction(readonly=True) as tx:
            level = tx.stock.level("A", "main")
        assert level is not None and level.reserved == 0

    def test_a_failed_statement_dooms_the_transaction(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.stock.move("A", "main", 2, MovementKind.RECEIVE)
        with pytest.raises(StorageError, match="rolled back"), store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("doomed"))
            with pytest.raises(ConstraintError):
                tx.execute("UPDATE ck_stock_levels SET reserved = 5")
            with pytest.raises(StorageError, match="can only roll back"):
                tx.aggregates(BASKETS).find("doomed")
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).find("doomed") is None

    def test_a_failed_savepoint_leaves_the_outer_transaction_usable(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.stock.move("A", "main", 2, MovementKind.RECEIVE)
            with pytest.raises(ConstraintError), store.transaction() as inner:
                inner.aggregates(BASKETS).add(Basket("undone"))
                inner.execute("UPDATE ck_stock_levels SET reserved = 5")
            tx.aggregates(BASKETS).add(Basket("kept"))
        with store.transaction(readonly=True) as tx:
            assert [b.id for b in tx.aggregates(BASKETS).list()] == ["kept"]

    def test_expected_conflicts_keep_the_transaction_usable(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b1"))
            with pytest.raises(ConflictError):
                tx.aggregates(BASKETS).add(Basket("b1"))
            tx.reservations.create("k", [], expires_at=T0, request_hash="h")
            with pytest.raises(ConflictError):
                tx.reservations.create("k", [], expires_at=T0, request_hash="h")
            with pytest.raises(ConflictError):
                tx.aggregates(BASKETS).save(Basket("b1", version=7))
            tx.aggregates(BASKETS).add(Basket("b2"))
        with store.transaction(readonly=True) as tx:
            assert {b.id for b in tx.aggregates(BASKETS).list()} == {"b1", "b2"}

    def test_threads_share_a_store(self, store: Store) -> None:
        results: list[bool] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(5):
                with store.transaction() as tx:
                    ok = tx.promotion_usage.consume("P", limit=20)
                with lock:
                    results.append(ok)

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count(True) == 20
        with store.transaction(readonly=True) as tx:
            assert tx.promotion_usage.count("P").total == 20

    def test_closed_store_refuses_work(self, opener: Opener) -> None:
        store = opener()
        store.close()
        store.close()  # idempotent
        with pytest.raises(StorageError, match="closed"), store.transaction():
            pass  # pragma: no cover

    # -- stock --------------------------------------------------------------------------------

    def test_stock_moves_are_guarded_and_ledgered(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.stock.move("A", "main", 10, MovementKind.RECEIVE, reason="PO-1")
            assert tx.stock.reserve("A", "main", 4)
            assert not tx.stock.reserve("A", "main", 7)
            with pytest.raises(InsufficientStockError):
                tx.stock.move("A", "main", -7, MovementKind.ADJUST)
            tx.stock.move("A", "main", -6, MovementKind.ADJUST, reason="damaged")
            level = tx.stock.sell_reserved("A", "main", 4, reference="order-1")
            with pytest.raises(ReservationError):
                tx.stock.sell_reserved("A", "main", 1)
            with pytest.raises(ReservationError):
                tx.stock.unreserve("A", "main", 1)
            ledger = tx.stock.movements("A", "main")
        assert (level.on_hand, level.reserved, level.available) == (0, 0, 0)
        assert [m.kind for m in ledger] == [
            MovementKind.RECEIVE,
            MovementKind.ADJUST,
            MovementKind.SALE,
        ]
        assert sum(m.quantity for m in ledger) == level.on_hand
        assert ledger[0].reason == "PO-1" and ledger[2].reference == "order-1"
        assert ledger[0].created_at == T0

    def test_backorder_floor(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.stock.ensure("PRE", "main", floor=-5)
            assert tx.stock.reserve("PRE", "main", 5)
            assert not tx.stock.reserve("PRE", "main", 1)
            assert tx.stock.level("PRE", "main") == tx.stock.levels(["PRE"])[0]
            with pytest.raises(InsufficientStockError):
                tx.stock.set_floor("PRE", "main", 0)
            with pytest.raises(ValidationError):
                tx.stock.set_floor("PRE", "main", 1)

    @pytest.mark.parametrize("bad", [0, -1, True, 1.5, Decimal("2"), 10**20, "3", None])
    def test_bad_quantities_change_nothing(self, store: Store, bad: Any) -> None:
        with store.transaction() as tx:
            tx.stock.move("A", "main", 3, MovementKind.RECEIVE)
        with pytest.raises(InvalidQuantityError), store.transaction() as tx:
            tx.stock.reserve("A", "main", bad)
        with pytest.raises(InvalidQuantityError), store.transaction() as tx:
            tx.promotion_usage.consume("P", quantity=bad)
        with store.transaction(readonly=True) as tx:
            level = tx.stock.level("A", "main")
            assert level is not None and (level.on_hand, level.reserved) == (3, 0)
            assert tx.promotion_usage.count("P").total == 0

    def test_unknown_stock_row(self, store: Store) -> None:
        with store.transaction() as tx:
            assert not tx.stock.reserve("NOPE", "main", 1)
            with pytest.raises(NotFoundError):
                tx.stock.move("NOPE", "main", -1, MovementKind.ADJUST)
            with pytest.raises(ValidationError):
                tx.stock.ensure("", "main")

    # -- promotion usage ----------------------------------------------------------------------

    def test_usage_limits_total_and_per_customer(self, store: Store) -> None:
        with store.transaction() as tx:
            usage = tx.promotion_usage
            assert usage.consume("P", customer_id="ann", limit=3, per_customer_limit=2)
            assert usage.consume("P", customer_id="ann", limit=3, per_customer_limit=2)
            assert not usage.consume("P", customer_id="ann", limit=3, per_customer_limit=2)
            assert usage.consume("P", customer_id="bob", limit=3, per_customer_limit=2)
            assert not usage.consume("P", customer_id="cid", limit=3, per_customer_limit=2)
            assert not usage.consume("P", limit=3)
            assert not usage.consume("Q", limit=1, quantity=2)
            assert usage.count("P", "ann").by_customer == 2
            # a refused total leaves the customer's count as it was
            assert usage.count("P", "cid").by_customer == 0
            assert usage.count("P").total == 3
            usage.release("P", customer_id="ann")
            assert usage.count("P", "ann") == usage.count("P", "ann")
            assert (usage.count("P", "ann").total, usage.count("P", "ann").by_customer) == (2, 1)
            with pytest.raises(ValidationError):
                usage.consume("P", limit=-1)

    # -- idempotency and outbox ---------------------------------------------------------------

    def test_idempotency_keys(self, store: Store) -> None:
        with store.transaction() as tx:
            first = tx.idempotency.begin("checkout", "key-1", "hash-a")
            assert first.is_new and not first.completed
            tx.idempotency.complete("checkout", "key-1", '{"order": "o1"}')
        with store.transaction() as tx:
            again = tx.idempotency.begin("checkout", "key-1", "hash-a")
            assert not again.is_new and again.completed and again.response == '{"order": "o1"}'
            with pytest.raises(IdempotencyConflictError):
                tx.idempotency.begin("checkout", "key-1", "hash-b")
            assert tx.idempotency.begin("refund", "key-1", "hash-b").is_new
            with pytest.raises(NotFoundError):
                tx.idempotency.complete("checkout", "other", "{}")

    def test_outbox_delivery_cycle(self, store: Store, clock: ManualClock) -> None:
        with store.transaction() as tx:
            first = tx.outbox.append("order.placed", {"order": "o1", "total": "9.99"})
            second = tx.outbox.append("stock.low", {"sku": "Ä"})
        with store.transaction() as tx:
            assert [e.id for e in tx.outbox.pending()] == [first, second]
            tx.outbox.mark_delivered(first)
            tx.outbox.mark_failed(second, "handler down", retry_at=T0 + timedelta(minutes=5))
        with store.transaction() as tx:
            assert tx.outbox.pending() == []
            assert tx.outbox.get(second).last_error == "handler down"
            assert tx.outbox.get(first).payload == '{"order":"o1","total":"9.99"}'
        clock.advance(timedelta(minutes=5))
        with store.transaction() as tx:
            [retry] = tx.outbox.pending()
            assert (retry.id, retry.attempts, retry.payload) == (second, 1, '{"sku":"Ä"}')
            with pytest.raises(ValidationError):
                tx.outbox.append("bad", {"x": float("nan")})
            with pytest.raises(NotFoundError):
                tx.outbox.get(10**6)

    # -- reservations and pruning -------------------------------------------------------------

    def test_reservation_records_and_expiry(self, store: Store, clock: ManualClock) -> None:
        lines = [ReservationLine("B", "main", 2), ReservationLine("A", "main", 1)]
        with store.transaction() as tx:
            for line in lines:
                tx.stock.move(line.sku, line.location, 5, MovementKind.RECEIVE)
                assert tx.stock.reserve(line.sku, line.location, line.quantity)
            made = tx.reservations.create(
                "cart-1", lines, expires_at=T0 + timedelta(minutes=15), request_hash="h"
            )
        assert [line.sku for line in made.lines] == ["A", "B"]
        assert made.status is ReservationStatus.ACTIVE
        with store.transaction() as tx:
            assert tx.reservations.by_key("cart-1") == made
            assert tx.reservations.expired() == []
            with pytest.raises(ConflictError):
                tx.reservations.create("cart-1", lines, expires_at=T0, request_hash="h")
        clock.advance(timedelta(minutes=15))
        with store.transaction() as tx:
            assert [r.id for r in tx.reservations.expired(skus=["B"])] == [made.id]
            released = tx.reservations.release_expired(skus=["A"])
            assert [r.id for r in released] == [made.id]
            assert tx.reservations.release_expired() == []
            assert tx.reservations.get(made.id).status is ReservationStatus.EXPIRED
            assert {lv.sku: lv.reserved for lv in tx.stock.levels()} == {"A": 0, "B": 0}
            assert not tx.reservations.extend(made.id, T0 + timedelta(days=1))
            with pytest.raises(NotFoundError):
                tx.reservations.get("missing")

    def test_reservation_times_come_back_in_utc(self, store: Store) -> None:
        paris = timezone(timedelta(hours=1))
        with store.transaction() as tx:
            tx.stock.move("A", "main", 5, MovementKind.RECEIVE)
            made = tx.reservations.create(
                "tz",
                [ReservationLine("A", "main", 1)],
                expires_at=datetime(2026, 3, 1, 14, 0, tzinfo=paris),
                request_hash="h",
            )
        assert made.expires_at == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
        assert made.expires_at.utcoffset() == timedelta(0) == made.created_at.utcoffset()
        with store.transaction() as tx:
            assert tx.reservations.by_key("tz") == made

    def test_prune(self, store: Store, clock: ManualClock) -> None:
        with store.transaction() as tx:
            tx.aggregates(CART_KIND).add(Cart(id="old", currency="EUR"))
            tx.stock.move("A", "main", 5, MovementKind.RECEIVE)
            tx.stock.reserve("A", "main", 2)
            tx.reservations.create(
                "r1", [ReservationLine("A", "main", 2)], expires_at=T0, request_hash="h"
            )
            tx.idempotency.begin("checkout", "k-old", "h")
            delivered = tx.outbox.append("x", {})
            tx.outbox.mark_delivered(delivered)
        clock.advance(timedelta(days=40))
        with store.transaction() as tx:
            tx.aggregates(CART_KIND).add(Cart(id="fresh", currency="EUR"))
            tx.idempotency.begin("checkout", "k-new", "h")
        report = store.prune(
            carts_idle_for=timedelta(days=30),
            reservations_closed_for=timedelta(0),
            idempotency_older_than=timedelta(days=30),
            outbox_delivered_for=timedelta(days=1),
        )
        assert report.carts == 1
        assert report.reservations_expired == 1
        assert report.idempotency_records == 1
        assert report.outbox_events == 1
        with store.transaction(readonly=True) as tx:
            assert [c.id for c in tx.aggregates(CART_KIND).list()] == ["fresh"]
            assert tx.idempotency.get("checkout", "k-new") is not None
            level = tx.stock.level("A", "main")
            assert level is not None and level.reserved == 0
        clock.advance(timedelta(seconds=1))
        assert store.prune(reservations_closed_for=timedelta(0)).reservations_deleted == 1
        with pytest.raises(ConfigurationError):
            store.prune(carts_idle_for=timedelta(days=-1))

    # -- migrations ---------------------------------------------------------------------------

    def test_migrating_twice_is_a_no_op(self, store: Store) -> None:
        assert store.migrate() == []
        state = store.schema_state()
        assert {name: row.version for name, row in state.areas.items()} == {
            area.name: area.version for area in store.areas if area.migrations
        }

    def test_newer_compatible_schema_is_accepted(self, opener: Opener, store: Store) -> None:
        with store.transaction() as tx:
            tx.execute("UPDATE ck_schema_versions SET version = 99 WHERE area = 'inventory'")
        assert store.schema_state().version("inventory") == 99
        if self.backend != "memory":
            with opener(migrate=False) as again, again.transaction(readonly=True) as tx:
                assert tx.aggregates(BASKETS).find("x") is None


class PersistentStorageContract(StorageContract):
    """What a store on durable storage adds: a second store sees the first one's database."""

    def test_incompatible_schema_is_a_clear_error(self, opener: Opener, store: Store) -> None:
        with store.transaction() as tx:
            tx.execute(
                "UPDATE ck_schema_versions SET version = 99, min_code_version = 99"
                " WHERE area = 'inventory'"
            )
        with (
            opener(migrate=False) as again,
            pytest.raises(SchemaVersionError, match="upgrade commercekit"),
            again.transaction(),
        ):
            pass  # pragma: no cover

    def test_readers_do_not_wait_for_a_writer(self, opener: Opener, store: Store) -> None:
        with store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b1", note="committed"))
        with opener(busy_timeout=0.5) as other, store.transaction() as tx:
            repo = tx.aggregates(BASKETS)
            repo.save(attrs.evolve(repo.get("b1"), note="in flight"))
            with other.transaction(readonly=True) as reader:
                assert reader.aggregates(BASKETS).get("b1").note == "committed"
        with store.transaction(readonly=True) as tx:
            assert tx.aggregates(BASKETS).get("b1").note == "in flight"


class TestMemoryStore(OnMemory, StorageContract):
    backend = "memory"


class TestSqliteStore(OnSqlite, PersistentStorageContract):
    backend = "sqlite"

    def test_columns_hold_integers_and_text_never_reals(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("b1", total=Money("19.99", "EUR")))
            tx.stock.move("A", "main", 3, MovementKind.RECEIVE)
            row = tx.execute(
                "SELECT typeof(amount_minor), typeof(currency), typeof(data), typeof(version),"
                " typeof(created_at) FROM ck_aggregates"
            ).fetchone()
            stock = tx.execute(
                "SELECT typeof(on_hand), typeof(reserved), typeof(stock_floor) FROM ck_stock_levels"
            ).fetchone()
        with pytest.raises(ConstraintError), store.transaction() as tx:
            tx.execute("UPDATE ck_stock_levels SET on_hand = 2.5")
        assert row == ("integer", "text", "text", "integer", "text")
        assert stock == ("integer", "integer", "integer")

    def test_a_writer_waits_then_gets_a_typed_busy_error(
        self, opener: Opener, store: Store
    ) -> None:
        with (
            opener(busy_timeout=0.2) as other,
            store.transaction(),
            pytest.raises(StorageBusyError),
            other.transaction(),
        ):
            pass  # pragma: no cover - BEGIN IMMEDIATE cannot get the lock
        with opener() as again, again.transaction() as tx:
            tx.aggregates(BASKETS).add(Basket("after"))

    def test_uses_wal(self, store: Store) -> None:
        with store.transaction(readonly=True) as tx:
            assert tx.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_unmigrated_file_is_a_clear_error(self, tmp_path: Path) -> None:
        with open_store(f"sqlite:///{tmp_path / 'raw.db'}", migrate=False) as store:
            with (
                pytest.raises(SchemaVersionError, match="commercekit migrate"),
                store.transaction(),
            ):
                pass  # pragma: no cover
            assert store.migrate() == ALL_MIGRATIONS


class TestPostgresStore(OnPostgres, PersistentStorageContract):
    backend = "postgresql"

    def test_an_exhausted_pool_is_a_typed_busy_error(self, opener: Opener) -> None:
        with opener(pool_size=1, busy_timeout=0.3) as store:
            held = threading.Event()
            done = threading.Event()

            def hold() -> None:
                with store.transaction():
                    held.set()
                    done.wait(5)

            thread = threading.Thread(target=hold)
            thread.start()
            held.wait(5)
            try:
                with pytest.raises(StorageBusyError, match="pool"), store.transaction():
                    pass  # pragma: no cover
            finally:
                done.set()
                thread.join()
            with store.transaction(readonly=True) as tx:
                assert tx.aggregates(BASKETS).find("x") is None

    def test_column_types(self, store: Store) -> None:
        with store.transaction(readonly=True) as tx:
            rows = dict(
                tx.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = 'ck_aggregates'"
                ).fetchall()
            )
        assert rows["amount_minor"] == "bigint"
        assert rows["data"] == "text"
        assert rows["updated_at"] == "timestamp with time zone"

    def test_unmigrated_schema_is_a_clear_error(self, postgres_url: str) -> None:
        with (
            open_store(postgres_url, schema="ck_never_created_schema") as store,
            pytest.raises(SchemaVersionError, match="commercekit migrate"),
            store.transaction(),
        ):
            pass  # pragma: no cover

    def test_two_schemas_are_separate_shops(
        self, store: Store, postgres_url: str, postgres_schema: str
    ) -> None:
        other = postgres_schema + "_b"
        try:
            with (
                open_store(postgres_url, schema=other, migrate=True) as second,
                second.transaction() as tx,
            ):
                tx.aggregates(BASKETS).add(Basket("only-in-b"))
            with store.transaction(readonly=True) as tx:
                assert tx.aggregates(BASKETS).find("only-in-b") is None
        finally:
            import psycopg

            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')
