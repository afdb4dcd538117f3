from __future__ import annotations

import pytest

from commercekit import Money, errors
from commercekit.cart import Cart, CartService
from commercekit.pricing import CatalogEntry, InMemoryCatalog, PercentOffItems, Promotion
from commercekit.storage import open_store


def test_save_load_quote_and_conflict() -> None:
    catalog = InMemoryCatalog([CatalogEntry("MUG", price=Money("8.00", "USD"))])
    promo = Promotion("ten", "10%", [PercentOffItems(10)], usage_limit=1)
    with open_store("memory://") as store:
        service = CartService(store, catalog, promotions=[promo])
        cart = service.save(
            Cart(id="c1", currency="USD", customer_id="ada", metadata={"app": "ios"}).add(
                "MUG", 2, metadata={"gift": "yes"}
            )
        )
        assert cart.version == 1
        loaded = service.load("c1")
        assert loaded == cart
        assert service.quote(loaded).grand_total == Money("14.40", "USD")
        newer = service.save(loaded.add("MUG"))
        assert newer.version == 2
        with pytest.raises(errors.ConflictError):
            service.save(loaded.remove("MUG"))
        with store.transaction() as tx:
            assert tx.promotion_usage.consume("ten", customer_id="ada", limit=1)
        exhausted = service.quote(newer)
        assert exhausted.promotions[0].reason == "usage_exhausted"
        assert exhausted.grand_total == Money("24.00", "USD")
