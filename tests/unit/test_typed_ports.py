"""The store's transaction and repositories are typed end to end.

``mypy --strict`` checks this module in ``make test``: each ``assert_type`` fails to type-check
if the expression were ``Any`` (as the transaction and its repositories were before
``TransactionPort.repository``). At run time the same calls are made for real.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import assert_type

from commercekit.cart import CART_KIND, Cart
from commercekit.inventory import MovementKind, StockLevel
from commercekit.ports import (
    BUNDLES,
    IDEMPOTENCY,
    OUTBOX,
    PROMOTION_USAGE,
    RESERVATIONS,
    STOCK,
    STOCK_POLICIES,
    AggregateRepository,
    BundleRepository,
    IdempotencyRepository,
    OutboxRepository,
    PromotionUsageRepository,
    ReservationRepository,
    SqlTransaction,
    StockPolicyRepository,
    StockRepository,
    StorePort,
    TransactionPort,
)
from commercekit.pricing import UsageCount
from commercekit.storage import Store, Transaction, open_store


def test_the_concrete_store_is_typed() -> None:
    with open_store("memory://") as store:
        assert_type(store, Store)
        assert_type(store.transaction(), AbstractContextManager[Transaction])
        with store.transaction() as tx:
            assert_type(tx, Transaction)
            stock = tx.repository(STOCK)
            assert_type(stock, StockRepository)
            level = stock.move("TEE", "main", 3, MovementKind.RECEIVE)
            assert_type(level, StockLevel)
            assert level.on_hand == 3
            sql: SqlTransaction = tx  # the store's transaction is what area SQL is written for
            assert sql.dialect == "sqlite"


def test_a_service_sees_only_ports_and_they_are_typed() -> None:
    with open_store("memory://") as opened:
        store: StorePort = opened
        with store.transaction() as tx:
            assert_type(tx, TransactionPort)
            assert_type(tx.repository(STOCK), StockRepository)
            assert_type(tx.repository(RESERVATIONS), ReservationRepository)
            assert_type(tx.repository(BUNDLES), BundleRepository)
            assert_type(tx.repository(STOCK_POLICIES), StockPolicyRepository)
            assert_type(tx.repository(PROMOTION_USAGE), PromotionUsageRepository)
            assert_type(tx.repository(IDEMPOTENCY), IdempotencyRepository)
            assert_type(tx.repository(OUTBOX), OutboxRepository)
            carts = tx.aggregates(CART_KIND)
            assert_type(carts, AggregateRepository[Cart])
            saved = carts.add(Cart(id="c1", currency="EUR").add("MUG", 2))
            assert_type(saved, Cart)
            assert saved.version == 1
            usage = tx.repository(PROMOTION_USAGE)
            assert usage.consume("P", limit=1)
            assert_type(usage.count("P"), UsageCount)
            assert usage.count("P").total == 1
            # One repository object per key and transaction.
            assert tx.repository(STOCK) is tx.repository(STOCK)
