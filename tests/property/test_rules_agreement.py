"""What a cart accepts, the catalog, inventory and storage accept too, as the same key.

One set of rules (:mod:`commercekit.rules`): for any text, either every area accepts it and
they all hold the same (NFC) identifier, or every area refuses it with the same typed error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commercekit import open_store
from commercekit.cart import Cart
from commercekit.errors import CommerceError, ValidationError
from commercekit.inventory import InventoryService, MovementKind
from commercekit.ports import STOCK
from commercekit.pricing import CatalogEntry
from commercekit.storage import Store

IDENTIFIERS = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec=None), max_size=6),  # lone surrogates included
    st.sampled_from(["TEE", " TEE", "TEE\n", "Cafe\u0301", "A\x00B", "x" * 200, "x" * 201]),
    st.builds(lambda s: f" {s} ", st.text(min_size=1, max_size=5)),
)


class Rollback(Exception):
    """Ends a transaction without keeping what it wrote."""


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with open_store("memory://") as opened:
        yield opened


def _outcome(call: Callable[[], str]) -> tuple[str, Any]:
    try:
        return "accepted", call()
    except CommerceError as exc:
        return "refused", type(exc)


@settings(max_examples=150, deadline=None)
@given(sku=IDENTIFIERS)
def test_every_area_agrees_on_an_identifier(store: Store, sku: str) -> None:
    inventory = InventoryService(store)

    def in_storage() -> str:
        try:
            with store.transaction() as tx:
                level = tx.repository(STOCK).move(sku, "main", 1, MovementKind.RECEIVE)
                raise Rollback(level.sku)
        except Rollback as done:
            return str(done.args[0])

    def in_inventory() -> str:
        inventory.level(sku, "main")  # checks the SKU, reads nothing it would not find
        return inventory.receive(sku, "north", 1).sku

    outcomes = {
        "cart": _outcome(lambda: Cart(currency="EUR").add(sku, 1).lines[0].sku),
        "catalog": _outcome(lambda: CatalogEntry(sku).sku),
        "inventory": _outcome(in_inventory),
        "storage": _outcome(in_storage),
    }
    assert len(set(outcomes.values())) == 1, outcomes
    verdict, value = outcomes["cart"]
    if verdict == "refused":
        assert issubclass(value, ValidationError)


def test_the_same_key_whatever_the_normal_form(store: Store) -> None:
    composed, decomposed = "Caf\u00e9", "Cafe\u0301"
    inventory = InventoryService(store)
    inventory.receive(decomposed, "main", 2)
    assert inventory.level(composed, "main") is not None
    assert Cart(currency="EUR").add(decomposed, 1).lines[0].sku == composed
    assert CatalogEntry(decomposed).sku == composed
