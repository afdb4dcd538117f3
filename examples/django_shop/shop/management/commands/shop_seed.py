"""``manage.py shop_seed``: the demo products (Django) and their stock (commercekit).

Safe to run again: the products are created or updated by SKU, and each stock receipt
carries an idempotency key, so a second run receives nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from django_shop.shop.commerce import WAREHOUSE, get_commerce, usd
from django_shop.shop.models import Product

#: SKU, name, price, units in stock.
PRODUCTS = (
    ("MUG", "Enamel mug", "8.00", 50),
    ("TEE", "Organic tee-shirt", "20.00", 20),
    ("POSTER", "Shop poster", "15.00", 5),
)


class Command(BaseCommand):
    """Create the demo products and stock."""

    help = "Create the demo products (Django) and receive their stock (commercekit)."

    def handle(self, *args: Any, **options: Any) -> None:
        """Write each product, then receive its stock under a key."""
        commerce = get_commerce()
        for sku, name, price, units in PRODUCTS:
            # commercekit's Money to django-money's field, through py-moneyed.
            Product.objects.update_or_create(
                sku=sku, defaults={"name": name, "price": usd(price).to_moneyed()}
            )
            commerce.inventory.receive(sku, WAREHOUSE, units, key=f"seed-{sku}")
        self.stdout.write(f"{len(PRODUCTS)} products with their stock")
