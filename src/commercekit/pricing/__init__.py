"""Pricing: catalog entries, customers, price lists, exchange rates and promotions.

Everything here is plain, immutable data plus pure functions. The cart totals pipeline
(:func:`commercekit.cart.price_cart`) takes these values and computes a breakdown; the
promotion engine it runs is in :mod:`commercekit.pricing.promotions`, beside the promotion
data. The ports the pure core accepts (:class:`~commercekit.ports.Catalog`,
:class:`~commercekit.ports.ExchangeRates`) are
defined here, beside the code that accepts them, and documented with every other port in
:mod:`commercekit.ports`, the one place to import ports from.
"""

from commercekit.pricing._catalog import (
    Catalog,
    CatalogEntry,
    Customer,
    InMemoryCatalog,
    Variant,
)
from commercekit.pricing._codec import register_pricing_hooks
from commercekit.pricing._exchange import ExchangeRates, StaticExchangeRates, convert
from commercekit.pricing._price_lists import (
    PriceList,
    PriceListKind,
    PriceTier,
    ResolvedPrice,
    applicable_price_lists,
    resolve_price,
    resolve_price_in_lists,
)
from commercekit.pricing._usage import UsageCount
from commercekit.pricing.promotions import (
    CODE_ALPHABET,
    CODE_COUNTER_PREFIX,
    Action,
    AmountOffItems,
    AmountOffOrder,
    AmountOffShipping,
    BuyXGetY,
    Condition,
    ContainsItems,
    CouponCode,
    CouponRefusal,
    CustomerGroupIn,
    DateWindow,
    FirstOrder,
    FixedPrice,
    ItemFilter,
    Lane,
    PercentOffItems,
    PercentOffOrder,
    PercentOffShipping,
    Promotion,
    QuantityAtLeast,
    SpendTier,
    Stacking,
    SubtotalAtLeast,
    TieredSpend,
    UsageCounts,
    code_counter_id,
    generate_coupon_codes,
    normalize_code,
)

# isort: split
# Last: the area wires this package to the ports, which re-export names bound above.
from commercekit.pricing._area import PRICING_AREA

__all__ = [
    "PRICING_AREA",
    "UsageCount",
    "Variant",
    "CODE_ALPHABET",
    "CODE_COUNTER_PREFIX",
    "Action",
    "AmountOffItems",
    "AmountOffOrder",
    "AmountOffShipping",
    "BuyXGetY",
    "Catalog",
    "CatalogEntry",
    "Condition",
    "ContainsItems",
    "CouponCode",
    "CouponRefusal",
    "Customer",
    "CustomerGroupIn",
    "DateWindow",
    "ExchangeRates",
    "FirstOrder",
    "FixedPrice",
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
    "TieredSpend",
    "UsageCounts",
    "applicable_price_lists",
    "code_counter_id",
    "convert",
    "generate_coupon_codes",
    "normalize_code",
    "register_pricing_hooks",
    "resolve_price",
    "resolve_price_in_lists",
]


_MOVED = {
    "Address": ("commercekit.address", "Address"),
    "FlatTaxTable": ("commercekit.tax", "FlatTaxTable"),
    "TaxCalculator": ("commercekit.tax", "TaxCalculator"),
    "TaxRate": ("commercekit.tax", "TaxRate"),
}


def __getattr__(name: str) -> object:
    """The names that moved out in 0.2 still import from here, with a DeprecationWarning."""
    moved = _MOVED.get(name)
    if moved is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    import warnings

    module, attribute = moved
    warnings.warn(
        f"commercekit.pricing.{name} moved to {module}.{attribute}; the old name goes in 1.0",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), attribute)
