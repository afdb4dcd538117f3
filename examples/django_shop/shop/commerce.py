"""The commercekit side of the shop: one store and its services per process.

commercekit opens its own store on ``settings.COMMERCEKIT_URL``, with its tables in the
``settings.COMMERCEKIT_SCHEMA`` schema, beside Django's tables but on its own connections
(a pool per process). Django's ``transaction.atomic`` does not cover it, and commercekit's
transactions do not cover Django's tables: README.md says who owns what.

Prices come from Django's :class:`~django_shop.shop.models.Product` rows through
:class:`ProductCatalog`, commercekit's ``Catalog`` port; django-money's prices are converted
with :meth:`Money.from_moneyed <commercekit.money.Money.from_moneyed>`, exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings

from commercekit import Money
from commercekit.cart import CartService, ShippingRate
from commercekit.checkout import CheckoutService
from commercekit.errors import PriceNotFoundError
from commercekit.gateways.payments import FakeGateway
from commercekit.inventory import InventoryService
from commercekit.orders import OrderService
from commercekit.payments import PaymentService
from commercekit.pricing import (
    CatalogEntry,
    CouponCode,
    PercentOffItems,
    Promotion,
    SubtotalAtLeast,
)
from commercekit.storage import Store, open_store
from django_shop.shop.models import Product

#: The one currency of the shop (django-money's ``DEFAULT_CURRENCY`` too).
CURRENCY = "USD"
#: Where the shop's stock is kept.
WAREHOUSE = "main"
#: The payment method name the fake gateway is registered under.
CARD = "card"


def usd(amount: str) -> Money:
    """``Money(amount, "USD")``."""
    return Money(amount, CURRENCY)


#: The shipping methods offered, by the name the customer chooses.
SHIPPING: Mapping[str, ShippingRate] = {
    "standard": ShippingRate("standard", usd("4.90")),
    "express": ShippingRate("express", usd("12.00")),
}
DEFAULT_SHIPPING = "standard"

#: The shop's promotions: ``WELCOME`` takes 10% off; ``BIG20`` 20% off orders of 100 or more.
PROMOTIONS = (
    Promotion("welcome", "WELCOME: 10% off", [PercentOffItems(10)], [CouponCode("WELCOME")]),
    Promotion(
        "big20",
        "BIG20: 20% off orders of 100.00 or more",
        [PercentOffItems(20)],
        [CouponCode("BIG20"), SubtotalAtLeast(usd("100.00"))],
    ),
)


class ProductCatalog:
    """commercekit's ``Catalog`` port over Django's products: the price of each SKU.

    Read on Django's connection, outside commercekit's transactions. An unknown or inactive
    SKU is a :class:`~commercekit.errors.PriceNotFoundError`, as the port requires.
    """

    def get_entries(self, skus: Iterable[str]) -> Mapping[str, CatalogEntry]:
        """The catalog entries for ``skus``, from the active products."""
        wanted = set(skus)
        products = Product.objects.filter(sku__in=wanted, active=True)
        entries = {
            product.sku: CatalogEntry(
                product.sku, price=Money.from_moneyed(product.price), name=product.name
            )
            for product in products
        }
        missing = sorted(wanted - entries.keys())
        if missing:
            raise PriceNotFoundError(f"unknown SKU(s): {', '.join(missing)}")
        return entries


@dataclass(frozen=True)
class Commerce:
    """The store and the services of the shop, wired as in the checkout guide."""

    store: Store
    carts: CartService
    inventory: InventoryService
    payments: PaymentService
    orders: OrderService
    checkout: CheckoutService
    gateway: FakeGateway

    def available(self, sku: str) -> int:
        """The units of ``sku`` that can be sold now, at every location."""
        return sum(level.available for level in self.inventory.stock(sku))


def build_commerce(store: Store) -> Commerce:
    """The shop's services over ``store`` (its fake gateway keeps its charges there too)."""
    carts = CartService(store, ProductCatalog(), promotions=PROMOTIONS)
    inventory = InventoryService(store)
    gateway = FakeGateway(store=store)
    payments = PaymentService(store, {CARD: gateway})
    orders = OrderService(store, payments, inventory=inventory, carts=carts)
    checkout = CheckoutService(carts, orders)
    return Commerce(store, carts, inventory, payments, orders, checkout, gateway)


def open_commerce_store() -> Store:
    """Open commercekit's store from the settings (not migrated: see ``commercekit_migrate``)."""
    return open_store(settings.COMMERCEKIT_URL, schema=settings.COMMERCEKIT_SCHEMA, migrate=False)


_lock = threading.Lock()
_commerce: Commerce | None = None


def get_commerce() -> Commerce:
    """This process's services, opened on first use (the store pools its connections).

    The store reopens its connections after a fork, so a pre-forking server (gunicorn) may
    open it before forking or after.
    """
    global _commerce
    with _lock:
        if _commerce is None:
            _commerce = build_commerce(open_commerce_store())
        return _commerce


def close_commerce() -> None:
    """Close this process's store, if it was opened (at shutdown, or after a test)."""
    global _commerce
    with _lock:
        if _commerce is not None:
            _commerce.store.close()
            _commerce = None
