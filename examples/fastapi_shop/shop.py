"""The shop's commercekit side: catalog, promotions, shipping rates, and the services.

Nothing here knows about FastAPI: :mod:`fastapi_shop.app` turns HTTP requests into calls of
:class:`Shop`, and a worker or a management script could use it the same way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import attrs

from commercekit import Money
from commercekit.cart import Breakdown, Cart, CartService, Metadata, ShippingRate
from commercekit.checkout import CheckoutResult, CheckoutService, PayWith
from commercekit.errors import ConflictError, EmptyCartError, NotFoundError, ValidationError
from commercekit.gateways.payments import (
    FAKE_TOKEN_DECLINE,
    FAKE_TOKEN_INSUFFICIENT_FUNDS,
    FAKE_TOKEN_OK,
    FakeGateway,
)
from commercekit.inventory import InventoryService
from commercekit.orders import Order, OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import (
    CatalogEntry,
    CouponCode,
    InMemoryCatalog,
    PercentOffItems,
    Promotion,
    SubtotalAtLeast,
)
from commercekit.storage import Store, open_store

#: The environment variable that names the store (``sqlite:////var/lib/shop.db``,
#: ``postgresql://...``); without it, a SQLite file in the temporary directory.
STORE_URL_ENV = "FASTAPI_SHOP_STORE_URL"
CURRENCY = "EUR"
#: The one stock location of this shop.
LOCATION = "main"
#: The cart metadata key that keeps the chosen shipping method.
SHIPPING_KEY = "shipping"
#: The cart metadata key set once the cart became an order (it is never ordered twice).
ORDERED_KEY = "ordered_by_checkout"


def eur(amount: str) -> Money:
    return Money(amount, CURRENCY)


@dataclass(frozen=True)
class Product:
    """What the shop shows of a product; the price lives in the catalog entry."""

    sku: str
    name: str
    price: Money
    #: The units received when the shop first starts.
    opening_stock: int


PRODUCTS = (
    Product("MUG", "Enamel mug", eur("12.50"), 200),
    Product("TEE", "Organic tee-shirt", eur("24.00"), 100),
    Product("GRINDER", "Hand coffee grinder", eur("1190.00"), 50),
)
PRODUCTS_BY_SKU = {product.sku: product for product in PRODUCTS}

PROMOTIONS = (
    Promotion("welcome", "Welcome: 10% off", [PercentOffItems(10)], [CouponCode("WELCOME10")]),
    Promotion(
        "big-spender",
        "20% off orders of 2,000 EUR or more",
        [PercentOffItems(20)],
        [CouponCode("BIG20"), SubtotalAtLeast(eur("2000.00"))],
    ),
)


@dataclass(frozen=True)
class ShippingOption:
    """A shipping method the customer may choose."""

    label: str
    rate: ShippingRate


SHIPPING = {
    "standard": ShippingOption("Standard, 3 to 5 days", ShippingRate("standard", eur("4.90"))),
    "express": ShippingOption("Express, next day", ShippingRate("express", eur("9.90"))),
}
DEFAULT_SHIPPING = "standard"

#: The test cards of the fake gateway the checkout page offers: value -> (label, token). A
#: real shop gets a token from its payment provider's form instead.
CARDS = {
    "ok": ("Test card that is approved", FAKE_TOKEN_OK),
    "declined": ("Test card that is declined", FAKE_TOKEN_DECLINE),
    "no-funds": ("Test card with insufficient funds", FAKE_TOKEN_INSUFFICIENT_FUNDS),
}

#: Why a coupon was refused, for people (the keys are commercekit's CouponRefusal words).
COUPON_REASONS = {
    "unknown_code": "there is no such code",
    "inactive": "the offer is switched off",
    "not_started": "the offer has not started yet",
    "expired": "the offer has ended",
    "minimum_not_met": "your order does not reach the offer's minimum",
    "usage_exhausted": "the code has been used up",
    "not_combinable": "it cannot be combined with another offer in your cart",
    "conditions_not_met": "your cart does not meet the offer's conditions",
    "nothing_to_discount": "nothing in your cart is discounted by it",
}


def default_store_url() -> str:
    """The URL from :data:`STORE_URL_ENV`, else a SQLite file in the temporary directory."""
    url = os.environ.get(STORE_URL_ENV)
    if url:
        return url
    path = Path(tempfile.gettempdir()) / "commercekit-fastapi-shop.db"
    return f"sqlite:///{path}"  # an absolute path: sqlite:////tmp/...


class Shop:
    """The services of the shop, wired once per process and shared by every request.

    Every method is blocking and safe to call from several threads at once: the store hands
    each transaction its own connection, and carts are versioned (a concurrent change is a
    ``ConflictError``, retried by :meth:`update_cart`).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.catalog = InMemoryCatalog(
            [CatalogEntry(product.sku, price=product.price) for product in PRODUCTS]
        )
        self.carts = CartService(store, self.catalog, promotions=PROMOTIONS)
        self.inventory = InventoryService(store)
        #: The fake gateway keeps its charges in the store, as a real provider keeps its own.
        self.gateway = FakeGateway(store=store)
        self.payments = PaymentService(store, {"card": self.gateway})
        self.orders = OrderService(store, self.payments, inventory=self.inventory, carts=self.carts)
        self.checkout = CheckoutService(self.carts, self.orders)

    def seed(self) -> None:
        """Receive the opening stock, once: the movement keys make every later call a no-op.

        Several worker processes starting together (``uvicorn --workers 4``) all call it, and
        the stock is received once.
        """
        for product in PRODUCTS:
            self.inventory.receive(
                product.sku,
                LOCATION,
                product.opening_stock,
                reason="opening stock",
                key=f"opening-stock/{product.sku}",
            )

    # -- carts ------------------------------------------------------------------------------

    def find_cart(self, cart_id: str | None) -> Cart | None:
        """The open cart ``cart_id`` (from the cookie), or ``None``.

        A cookie naming no cart, a malformed one, or a cart already ordered gives ``None``:
        the customer starts a new cart.
        """
        if not cart_id:
            return None
        try:
            cart = self.carts.load(cart_id)
        except (NotFoundError, ValidationError):
            return None
        return None if ORDERED_KEY in cart.metadata else cart

    def update_cart(self, cart_id: str | None, change: Callable[[Cart], Cart]) -> Cart:
        """Apply ``change`` to the open cart (a new one if there is none) and save it.

        Two requests changing the same cart at once (two tabs) make the later save stale;
        it is read again and the change applied again.
        """
        for _ in range(5):
            cart = self.find_cart(cart_id) or Cart(currency=CURRENCY)
            try:
                return self.carts.save(change(cart))
            except ConflictError:
                continue
        raise ConflictError(f"cart {cart_id!r} keeps changing; try again")

    def shipping_of(self, cart: Cart) -> str:
        """The shipping method chosen for ``cart`` (the default until one is chosen)."""
        method = cart.metadata.get(SHIPPING_KEY, DEFAULT_SHIPPING)
        return method if method in SHIPPING else DEFAULT_SHIPPING

    def quote(self, cart: Cart) -> Breakdown:
        """Price ``cart`` now, with its shipping; nothing is written."""
        return self.carts.quote(cart, shipping=SHIPPING[self.shipping_of(cart)].rate)

    def apply_coupon(self, cart_id: str | None, code: str) -> Cart:
        """Add ``code`` to the cart if it is accepted; a refusal is a ``CouponError`` (why).

        The check prices the cart with the code on it and never saves a refused code.
        """

        def change(cart: Cart) -> Cart:
            shipping = SHIPPING[self.shipping_of(cart)].rate
            with_code, _quote = self.carts.apply_coupon(cart, code, shipping=shipping)
            return with_code

        return self.update_cart(cart_id, change)

    @staticmethod
    def with_metadata(cart: Cart, key: str, value: str) -> Cart:
        return attrs.evolve(cart, metadata=Metadata({**cart.metadata, key: value}))

    # -- checkout ---------------------------------------------------------------------------

    def place_order(self, cart_id: str | None, *, key: str, card: str) -> CheckoutResult:
        """Check the open cart out under checkout ``key``, paying with test card ``card``.

        ``key`` comes from the checkout form (one per rendering of the page), so a form
        submitted twice asks twice with the same key: a key already used returns that
        checkout's order, or raises its failure again, whatever the cookie says by then.
        Raises what :meth:`~commercekit.checkout.CheckoutService.place_order` raises, and
        ``EmptyCartError`` when there is no open cart.
        """
        if self._checkout_exists(key):
            return self.checkout.resume(key)
        cart = self.find_cart(cart_id)
        if cart is None:
            raise EmptyCartError("there is no open cart to check out")
        _label, token = CARDS[card]
        result = self.checkout.place_order(
            cart,
            key=key,
            tenders=[PayWith("card", token)],
            shipping=SHIPPING[self.shipping_of(cart)].rate,
        )
        if result.order is not None:
            self._close_cart(cart.id, key)
        return result

    def _checkout_exists(self, key: str) -> bool:
        try:
            self.checkout.get(key)
        except NotFoundError:
            return False
        return True

    def _close_cart(self, cart_id: str, key: str) -> None:
        """Mark the cart ordered, so a stale cookie or the back button never orders it again."""
        for _ in range(5):
            cart = self.carts.load(cart_id)
            if ORDERED_KEY in cart.metadata:
                return
            try:
                self.carts.save(self.with_metadata(cart, ORDERED_KEY, key))
            except ConflictError:
                continue
            return

    def order_for_checkout(self, key: str) -> Order | None:
        """The order placed by checkout ``key``, or ``None`` (no such checkout, or no order)."""
        try:
            record = self.checkout.get(key)
        except (NotFoundError, ValidationError):
            return None
        return None if record.order_id is None else self.orders.get(record.order_id)


def open_shop(url: str | None = None) -> Shop:
    """Open the store at ``url`` (default :func:`default_store_url`) and wire the shop.

    The stock is seeded (idempotently) and the checkouts a crashed process left behind are
    finished or undone.
    """
    store = open_store(url or default_store_url())
    shop = Shop(store)
    shop.seed()
    shop.checkout.recover()
    return shop
