"""A lone surrogate anywhere a value enters is a typed error, never a UnicodeEncodeError.

Issue 12, point 5: ``"\\ud800"`` in a SKU, reason, reference, cart id, customer id, promotion
id, outbox payload, cart metadata or idempotency key escaped as a raw ``UnicodeEncodeError``
from the database driver. Each is refused where it is built or written, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from commercekit import open_store
from commercekit.cart import Cart, CartService
from commercekit.errors import CommerceError, ValidationError
from commercekit.inventory import InventoryService
from commercekit.pricing import InMemoryCatalog
from commercekit.storage import Store

BAD = "A\ud800B"


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store("memory://") as opened:
        yield opened


def _writes(store: Store) -> dict[str, Callable[[], Any]]:
    inventory = InventoryService(store)
    carts = CartService(store, InMemoryCatalog([]))

    def in_tx(work: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with store.transaction() as tx:
                return work(tx)

        return run

    return {
        "sku": lambda: inventory.receive(BAD, "main", 1),
        "location": lambda: inventory.receive("TEE", BAD, 1),
        "reason": lambda: inventory.receive("TEE", "main", 1, reason=BAD),
        "reference": lambda: inventory.receive("TEE", "main", 1, reference=BAD),
        "reservation key": lambda: inventory.reserve(BAD, {"TEE": 1}),
        "cart id": lambda: Cart(id=BAD, currency="EUR"),
        "customer id": lambda: Cart(currency="EUR", customer_id=BAD),
        "cart metadata": lambda: carts.save(Cart(currency="EUR", metadata={"note": BAD})),
        "promotion id": in_tx(lambda tx: tx.promotion_usage.consume(BAD, limit=1)),
        "outbox payload": in_tx(lambda tx: tx.outbox.append("x", {"text": BAD})),
        "outbox topic": in_tx(lambda tx: tx.outbox.append(BAD, {})),
        "idempotency key": in_tx(lambda tx: tx.idempotency.begin("checkout", BAD, "h")),
    }


@pytest.mark.parametrize(
    "where",
    [
        "sku",
        "location",
        "reason",
        "reference",
        "reservation key",
        "cart id",
        "customer id",
        "cart metadata",
        "promotion id",
        "outbox payload",
        "outbox topic",
        "idempotency key",
    ],
)
def test_a_lone_surrogate_is_a_typed_error_and_stores_nothing(store: Store, where: str) -> None:
    with store.transaction(readonly=True) as tx:
        before = tx.execute("SELECT count(*) FROM ck_outbox").fetchone()[0]
    with pytest.raises(CommerceError) as info:
        _writes(store)[where]()
    assert isinstance(info.value, ValidationError)
    str(info.value).encode()  # the message itself is printable
    with store.transaction(readonly=True) as tx:
        assert tx.execute("SELECT count(*) FROM ck_outbox").fetchone()[0] == before
        assert tx.execute("SELECT count(*) FROM ck_stock_levels").fetchone()[0] == 0
        assert tx.execute("SELECT count(*) FROM ck_aggregates").fetchone()[0] == 0
