"""Pricing: catalog entries, customers, price lists, exchange rates, tax rates and promotions.

Everything here is plain, immutable data plus pure functions. The cart totals pipeline
(:func:`commercekit.cart.price_cart`) takes these values and computes a breakdown.
"""

from commercekit.pricing._actions import (
    Action,
    AmountOffItems,
    AmountOffOrder,
    AmountOffShipping,
    BuyXGetY,
    FixedPrice,
    PercentOffItems,
    PercentOffOrder,
    PercentOffShipping,
    SpendTier,
    TieredSpend,
)
from commercekit.pricing._catalog import CatalogEntry, Customer, InMemoryCatalog
from commercekit.pricing._codec import register_pricing_hooks
from commercekit.pricing._conditions import (
    Condition,
    ContainsItems,
    CouponCode,
    CustomerGroupIn,
    DateWindow,
    FirstOrder,
    ItemFilter,
    QuantityAtLeast,
    SubtotalAtLeast,
    normalize_code,
)
from commercekit.pricing._exchange import StaticExchangeRates, convert
from commercekit.pricing._price_lists import (
    PriceList,
    PriceListKind,
    PriceTier,
    ResolvedPrice,
    resolve_price,
)
from commercekit.pricing._promotions import (
    CODE_ALPHABET,
    CODE_COUNTER_PREFIX,
    CouponRefusal,
    Lane,
    Promotion,
    Stacking,
    UsageCounts,
    code_counter_id,
    generate_coupon_codes,
)
from commercekit.pricing._tax import Address, FlatTaxTable, TaxRate

__all__ = [
    "CODE_ALPHABET",
    "CODE_COUNTER_PREFIX",
    "Action",
    "Address",
    "AmountOffItems",
    "AmountOffOrder",
    "AmountOffShipping",
    "BuyXGetY",
    "CatalogEntry",
    "Condition",
    "ContainsItems",
    "CouponCode",
    "CouponRefusal",
    "Customer",
    "CustomerGroupIn",
    "DateWindow",
    "FirstOrder",
    "FixedPrice",
    "FlatTaxTable",
    "InMemoryCatalog",
    "ItemFilter",
    "Lane",
    "PercentOffItems",
    "PercentOffOrder",
    "PercentOffShipping",
    "PriceList",
    "PriceListKind",
    "PriceTier",
    "Promotion",
    "QuantityAtLeast",
    "ResolvedPrice",
    "SpendTier",
    "Stacking",
    "StaticExchangeRates",
    "SubtotalAtLeast",
    "TaxRate",
    "TieredSpend",
    "UsageCounts",
    "code_counter_id",
    "convert",
    "generate_coupon_codes",
    "normalize_code",
    "register_pricing_hooks",
    "resolve_price",
]
