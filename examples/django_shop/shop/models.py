"""What Django owns: the products (with django-money prices) and a summary of each order.

The carts, the stock, the payments and the orders themselves are commercekit's, in its own
schema. :class:`OrderSummary` is Django's copy of what it needs of an order (for its admin,
its reports, a user's order history), written by the outbox handler in
:mod:`django_shop.shop.outbox`, never by the checkout.
"""

# django-money's fields are not annotated; everything else here is checked by mypy --strict.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from djmoney.models.fields import MoneyField


class Product(models.Model):
    """A product on sale; its SKU is the key commercekit knows it by."""

    # Field types are spelled out for mypy without the django-stubs plugin: [set, get].
    sku: models.CharField[str, str] = models.CharField(max_length=64, unique=True)
    name: models.CharField[str, str] = models.CharField(max_length=200)
    #: A django-money field: a ``djmoney.money.Money`` (a py-moneyed ``Money``).
    price: Any = MoneyField(max_digits=12, decimal_places=2, default_currency="USD")
    active: models.BooleanField[bool, bool] = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class OrderSummary(models.Model):
    """Django's summary of a commercekit order, kept by the outbox handler.

    ``order_id`` is commercekit's order id: the handler creates or updates the row by it, so
    an event delivered twice changes nothing the second time. ``synced_at`` is when the row
    last changed.
    """

    order_id: models.CharField[str, str] = models.CharField(max_length=64, unique=True)
    number: models.CharField[str, str] = models.CharField(max_length=64)
    user: models.ForeignKey[User | None, User | None] = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL
    )
    status: models.CharField[str, str] = models.CharField(max_length=32)
    total: Any = MoneyField(max_digits=14, decimal_places=2, default_currency="USD")
    items: models.PositiveIntegerField[int, int] = models.PositiveIntegerField()
    placed_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    synced_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()

    class Meta:
        ordering = ("-placed_at",)

    def __str__(self) -> str:
        return f"order {self.number} ({self.status})"
