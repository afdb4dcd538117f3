"""CartService: load and save carts through a store, and quote them with the pipeline."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from commercekit.cart._breakdown import Breakdown
from commercekit.cart._cart import Cart
from commercekit.cart._coupons import check_coupon
from commercekit.cart._pipeline import prepare_cart
from commercekit.cart._policy import PricingPolicy, ShippingRate
from commercekit.cart._taxes import NO_TAX
from commercekit.cart._usage import consume_promotions, read_usage_counts
from commercekit.ports import AggregateKind, Catalog, ExchangeRates, StorePort, TaxCalculator
from commercekit.pricing import Customer, PriceList, Promotion, UsageCounts
from commercekit.tax import Seller, TaxRequest, TaxResult

__all__ = ["CART_KIND", "CartService", "PricedCart"]


@attrs.frozen
class PricedCart:
    """A cart's breakdown with the tax request and answer it was built from."""

    #: The priced cart.
    breakdown: Breakdown
    #: What the tax calculator was asked.
    tax_request: TaxRequest
    #: What it answered (no tax lines when the service has no calculator).
    tax_result: TaxResult


def _customer_id(cart: Cart) -> str | None:
    return cart.customer_id


#: How carts are stored: a versioned aggregate indexed by customer.
CART_KIND: AggregateKind[Cart] = AggregateKind(
    "cart", Cart, customer_id=_customer_id, loose_ids=True
)


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
        seller: Seller | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.price_lists = tuple(price_lists)
        self.promotions = tuple(promotions)
        self.tax = tax
        self.exchange_rates = exchange_rates
        self.policy = policy
        self.seller = seller

    def load(self, cart_id: str) -> Cart:
        """The stored cart ``cart_id`` (a NotFoundError if there is none)."""
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(CART_KIND).get(cart_id)

    def save(self, cart: Cart) -> Cart:
        """Store ``cart`` (added when its version is 0) and return it with its new version."""
        with self.store.transaction() as tx:
            carts = tx.aggregates(CART_KIND)
            return carts.add(cart) if cart.version == 0 else carts.save(cart)

    def usage_for(self, cart: Cart) -> UsageCounts:
        """The usage counts of every limited promotion and coupon code, read from the store."""
        with self.store.transaction(readonly=True) as tx:
            return read_usage_counts(
                tx, self.promotions, customer_id=cart.customer_id, coupons=cart.coupons
            )

    def quote(
        self,
        cart: Cart,
        *,
        customer: Customer | None = None,
        shipping: ShippingRate | None = None,
    ) -> Breakdown:
        """Price ``cart`` now; no side effects (:meth:`price` without the tax exchange)."""
        return self.price(cart, customer=customer, shipping=shipping).breakdown

    def price(
        self,
        cart: Cart,
        *,
        customer: Customer | None = None,
        shipping: ShippingRate | None = None,
    ) -> PricedCart:
        """Price ``cart`` now and keep what the tax calculator was asked and answered.

        The tax calculator is asked once, between the two pure halves of the pipeline and
        outside any store transaction, so a remote tax service never holds a connection. The
        checkout reports the sale to a :class:`~commercekit.ports.TaxReporter` from the
        request and answer kept here (:meth:`TaxTransaction.from_tax
        <commercekit.tax.TaxTransaction.from_tax>`).
        """
        entries = self.catalog.get_entries(line.sku for line in cart.lines)
        prepared = prepare_cart(
            cart,
            entries,
            at=self.store.clock.now(),
            customer=customer,
            price_lists=self.price_lists,
            promotions=self.promotions,
            usage=self.usage_for(cart),
            shipping=shipping,
            exchange_rates=self.exchange_rates,
            policy=self.policy,
            seller=self.seller,
        )
        answer = NO_TAX if self.tax is None else self.tax.calculate(prepared.tax_request)
        return PricedCart(prepared.finish(answer), prepared.tax_request, answer)

    def apply_coupon(
        self,
        cart: Cart,
        code: str,
        *,
        customer: Customer | None = None,
        shipping: ShippingRate | None = None,
    ) -> tuple[Cart, Breakdown]:
        """``cart`` with ``code`` applied and its quote, if the code is accepted.

        A refused code is a :class:`~commercekit.errors.CouponError` saying why (see
        :func:`~commercekit.cart.check_coupon`); nothing is saved either way.
        """
        with_code = cart.apply_coupon(code)
        quote = self.quote(with_code, customer=customer, shipping=shipping)
        check_coupon(quote, code)
        return with_code, quote

    def consume_usage(self, breakdown: Breakdown, *, customer_id: str | None) -> tuple[str, ...]:
        """Consume the uses of the promotions and codes ``breakdown`` applied, all or none.

        Runs :func:`~commercekit.cart.consume_promotions` with this service's promotions in a
        store transaction; called inside the checkout's own transaction it joins it (as a
        savepoint), so the uses are kept only if the order is.
        """
        with self.store.transaction() as tx:
            return consume_promotions(tx, breakdown, self.promotions, customer_id=customer_id)
