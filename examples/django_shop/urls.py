"""The shop's URLs."""

from __future__ import annotations

from django.urls import path

from django_shop.shop import views

urlpatterns = [
    path("", views.product_list, name="products"),
    path("cart/", views.cart_page, name="cart"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/remove/", views.cart_remove, name="cart-remove"),
    path("cart/coupon/", views.cart_coupon, name="cart-coupon"),
    path("cart/shipping/", views.cart_shipping, name="cart-shipping"),
    path("checkout/", views.checkout_page, name="checkout"),
    path("orders/<str:order_id>/", views.receipt, name="receipt"),
]
