"""CartService: load and save carts through a store, and quote them with the pipeline."""

from __future__ import annotations

from collections.abc import Sequence

from commercekit.cart._breakdown import Breakdown
from commercekit.cart._cart import Cart
from commercekit.cart._pipeline import price_cart
from commercekit.cart._policy import PricingPolicy, ShippingRate
from commercekit.ports import Catalog, ExchangeRates, StorePort, TaxCalculator
from commercekit.pricing import Customer, PriceList, Promotion, UsageCounts
from commercekit.storage import AggregateKind

__all__ = ["CART_KIND", "CartService"]


def _customer_id(cart: Cart) -> str | None:
    return cart.customer_id


#: How carts are stored: a versioned aggregate indexed by customer.
CART_KIND: AggregateKind[Cart] = AggregateKind("cart", Cart, customer_id=_customer_id)


class CartService:
    """The thin shell around the pure core: calculate first (quote), then apply (save).

    Quoting reads the catalog, the promotion usage counters and the store's clock, then calls
    :func:`~commercekit.cart.price_cart` with plain data; it writes nothing. Saving is a
    versioned write: a stale cart is a :class:`~commercekit.errors.ConflictError`.
    """

    def __init__(
        self,
        store: StorePort,
        catalog: Catalog,
        *,
        price_lists: Sequence[PriceList] = (),
        promotions: Sequence[Promotion] = (),
        tax: TaxCalculator | None = None,
        exchange_rates: ExchangeRates | None = None,
        policy: PricingPolicy | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.price_lists = tuple(price_lists)
        self.promotions = tuple(promotions)
        self.tax = tax
        self.exchange_rates = exchange_rates
        self.policy = policy

    def load(self, cart_id: str) -> Cart:
        """The stored cart ``cart_id`` (a NotFoundError if there is none)."""
        with self.store.transaction(readonly=True) as tx:
            cart: Cart = tx.aggregates(CART_KIND).get(cart_id)
            return cart

    def save(self, cart: Cart) -> Cart:
        """Store ``cart`` (added when its version is 0) and return it with its new version."""
        with self.store.transaction() as tx:
            carts = tx.aggregates(CART_KIND)
            saved: Cart = carts.add(cart) if cart.version == 0 else carts.save(cart)
            return saved

    def usage_for(self, cart: Cart) -> UsageCounts:
        """The usage counts of every promotion with a limit, read from the store."""
        totals: dict[str, int] = {}
        mine: dict[str, int] = {}
        with self.store.transaction(readonly=True) as tx:
            for promo in self.promotions:
                if promo.usage_limit is None and promo.usage_limit_per_customer is None:
                    continue
                count = tx.promotion_usage.count(promo.id, cart.customer_id)
                totals[promo.id] = count.total
                mine[promo.id] = count.by_customer
        return UsageCounts(promotions=totals, customer=mine)

    def quote(
        self,
        cart: Cart,
        *,
        customer: Customer | None = None,
        shipping: ShippingRate | None = None,
    ) -> Breakdown:
        """Price ``cart`` now; no side effects."""
        entries = self.catalog.get_entries(line.sku for line in cart.lines)
        return price_cart(
            cart,
            entries,
            at=self.store.clock.now(),
            customer=customer,
            price_lists=self.price_lists,
            promotions=self.promotions,
            usage=self.usage_for(cart),
            tax=self.tax,
            shipping=shipping,
            exchange_rates=self.exchange_rates,
            policy=self.policy,
        )
