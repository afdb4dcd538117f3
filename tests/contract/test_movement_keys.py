"""Ledger movements under an idempotency key are recorded once (issue 12, point 4).

A receipt whose COMMIT reached the server but whose answer was lost looked like a failure,
and retrying it added the stock twice. Under a key, a retry replays: nothing moves again.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from commercekit import open_store
from commercekit.errors import IdempotencyConflictError, InvalidIdentifierError
from commercekit.inventory import InventoryService, MovementKind
from commercekit.storage import Store
from tests._inventory import audit

SPAWN = multiprocessing.get_context("spawn")


def test_a_retried_receipt_counts_once(store: Store) -> None:
    inv = InventoryService(store)
    first = inv.receive("TEE", "paris", 100, reason="PO-1", key="PO-1/1")
    again = inv.receive("TEE", "paris", 100, reason="PO-1", key="PO-1/1")
    assert first.on_hand == again.on_hand == 100
    ledger = inv.movements("TEE", "paris")
    assert [(m.kind, m.quantity, m.key) for m in ledger] == [(MovementKind.RECEIVE, 100, "PO-1/1")]
    assert audit(store) == []


def test_every_movement_kind_replays_under_its_key(store: Store) -> None:
    inv = InventoryService(store)
    inv.receive("TEE", "paris", 10)
    for _ in range(2):
        inv.adjust("TEE", "paris", -2, reason="count", key="adj-1")
        inv.sell("TEE", "paris", 3, key="till-7")
        inv.record_return("TEE", "paris", 1, key="rma-3")
        inv.transfer("TEE", "paris", "lyon", 2, key="tr-9")
    assert inv.level("TEE", "paris").on_hand == 10 - 2 - 3 + 1 - 2  # type: ignore[union-attr]
    assert inv.level("TEE", "lyon").on_hand == 2  # type: ignore[union-attr]
    assert len(inv.movements("TEE", "paris")) == 5
    assert audit(store) == []


def test_a_key_reused_for_another_movement_is_refused_and_changes_nothing(store: Store) -> None:
    inv = InventoryService(store)
    inv.receive("TEE", "paris", 10, key="k-1")
    before = inv.movements("TEE", "paris")
    for call in (
        lambda: inv.receive("TEE", "paris", 11, key="k-1"),
        lambda: inv.receive("MUG", "paris", 10, key="k-1"),
        lambda: inv.sell("TEE", "paris", 10, key="k-1"),
        lambda: inv.transfer("TEE", "paris", "lyon", 1, key="k-1"),
    ):
        with pytest.raises(IdempotencyConflictError):
            call()
    assert inv.movements("TEE", "paris") == before
    with pytest.raises(InvalidIdentifierError):
        inv.receive("TEE", "paris", 1, key=" padded ")


def _receive_under_key(url: str, schema: str | None, barrier: Any, out: Any) -> None:
    with open_store(url, schema=schema) as store:
        barrier.wait(30)
        level = InventoryService(store).receive("TEE", "paris", 100, key="PO-race")
        out.put(level.on_hand)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_processes_retrying_one_key_receive_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'race.db'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    with open_store(url, schema=schema, migrate=True):
        pass
    barrier, out = SPAWN.Barrier(4), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_receive_under_key, args=(url, schema, barrier, out)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert sorted(out.get(timeout=5) for _ in workers) == [100] * 4
    with open_store(url, schema=schema) as store:
        assert len(InventoryService(store).movements("TEE", "paris")) == 1
        assert audit(store) == []
