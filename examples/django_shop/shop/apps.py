"""The shop app's configuration."""

from __future__ import annotations

from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The shop: products, order summaries, and the commercekit wiring."""

    name = "django_shop.shop"
    label = "shop"
    default_auto_field = "django.db.models.BigAutoField"
