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


def test_quote_asks_the_tax_calculator_once_outside_any_transaction() -> None:
    from commercekit.address import Address
    from commercekit.tax import (
        FallbackTaxCalculator,
        FlatTaxTable,
        Seller,
        TaxRate,
        TaxRequest,
        TaxResult,
    )

    catalog = InMemoryCatalog([CatalogEntry("MUG", price=Money("8.00", "USD"))])
    seller = Seller("US", Address("US", region="TX", postal_code="78701"), {"US-TX"})
    with open_store("memory://") as store:
        asked: list[tuple[TaxRequest, bool]] = []

        class Remote:
            """A stand-in for a tax service: records each call and whether a transaction is open."""

            def calculate(self, request: TaxRequest) -> TaxResult:
                asked.append((request, store.in_transaction()))
                raise errors.TaxUnavailableError("down", provider="remote", retryable=True)

        local = FlatTaxTable(default=TaxRate("Sales tax", "0.0825", "US-TX"))
        service = CartService(
            store, catalog, tax=FallbackTaxCalculator(Remote(), local), seller=seller
        )
        cart = Cart(id="c", currency="USD", shipping_address=Address("US", postal_code="78702"))
        quote = service.quote(cart.add("MUG", 1))
        # 8.00 x 8.25% = 0.66 from the local rules, with the note saying why.
        assert quote.tax_total == Money("0.66", "USD")
        assert [note.code for note in quote.tax_notes] == ["fallback"]
        [(request, in_transaction)] = asked
        assert in_transaction is False
        priced = service.price(cart.add("MUG", 1))
        assert priced.breakdown.grand_total == quote.grand_total
        assert priced.tax_result.notes[0].code == "fallback"
        assert priced.tax_request.items[0].amount_minor == 800
        assert request.seller is seller and request.ship_from == seller.address
        without = CartService(store, catalog, tax=FallbackTaxCalculator(Remote()), seller=seller)
        with pytest.raises(errors.TaxUnavailableError):
            without.quote(cart.add("MUG", 1))  # a failing service never means zero tax
