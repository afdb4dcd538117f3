"""Carts and their totals: the Cart value, merging, and the pure pricing pipeline.

:func:`price_cart` turns a :class:`Cart` and plain data (catalog entries, price lists,
promotions, usage counts, tax rates, a shipping rate and the pricing time) into a
:class:`Breakdown` whose parts add up exactly, in the cart currency's minor units.
"""

from commercekit.cart._assemble import price_changes
from commercekit.cart._breakdown import (
    Adjustment,
    Breakdown,
    CouponStatus,
    LineBreakdown,
    PriceChange,
    PromotionOutcome,
    ShippingBreakdown,
    TaxLine,
)
from commercekit.cart._cart import Cart, CartLine, line_id, merge_carts
from commercekit.cart._codec import register_cart_hooks
from commercekit.cart._coupons import check_coupon
from commercekit.cart._metadata import Metadata
from commercekit.cart._pipeline import PreparedCart, prepare_cart, price_cart
from commercekit.cart._policy import PricingPolicy, RoundingPolicy, ShippingRate
from commercekit.cart._quantity import MAX_QUANTITY, MAX_QUANTITY_PLACES, Quantity, check_quantity
from commercekit.cart._service import CART_KIND, CartService, PricedCart
from commercekit.cart._usage import consume_promotions, read_usage_counts, release_promotions

# isort: split
# Last: the area wires this package to the ports and the codec.
from commercekit.cart._area import CART_AREA

__all__ = [
    "CART_AREA",
    "CART_KIND",
    "MAX_QUANTITY",
    "MAX_QUANTITY_PLACES",
    "Adjustment",
    "Breakdown",
    "Cart",
    "CartLine",
    "CartService",
    "CouponStatus",
    "LineBreakdown",
    "Metadata",
    "PriceChange",
    "PricingPolicy",
    "PromotionOutcome",
    "Quantity",
    "RoundingPolicy",
    "ShippingBreakdown",
    "ShippingRate",
    "TaxLine",
    "check_coupon",
    "check_quantity",
    "consume_promotions",
    "line_id",
    "merge_carts",
    "PreparedCart",
    "PricedCart",
    "prepare_cart",
    "price_cart",
    "price_changes",
    "read_usage_counts",
    "register_cart_hooks",
    "release_promotions",
]
