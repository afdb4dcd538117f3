"""Promotions: conditions, actions, lanes, priority, stacking, limits, and the engine.

The data (conditions, actions, :class:`Promotion`) is re-exported from
:mod:`commercekit.pricing`. The engine works on integer minor units: the cart pipeline
(:func:`commercekit.cart.price_cart`) builds one :class:`Row` per priced line and a
:class:`ShippingRow`, calls :func:`run_promotions`, and reads the adjustments and the
:class:`Outcome` of every promotion back.

How promotions combine (the whole rule set; nothing else is implied):

- **Lanes.** :attr:`Lane.ITEMS` promotions run first and see the items at their base prices.
  :attr:`Lane.ORDER` promotions run after every items-lane promotion and see the amounts it
  left. Shipping actions may sit in either lane; they see the shipping amount left so far.
- **Priority.** Within a lane, promotions run from the highest ``priority`` down; equal
  priorities run by ``id``. Qualification (conditions) is judged on the amounts the lane
  starts from, so the order inside a lane never decides *whether* a promotion applies.
- **Compounding.** Each promotion's actions take off a share of what the promotions before it
  left, so 10% and then 10% is 19% off, and no amount ever goes below zero.
- **Stacking.** :attr:`Stacking.STACK` (default) combines with anything that also applies.
  :attr:`Stacking.EXCLUSIVE` applies alone: if any exclusive promotion qualifies, the one
  that runs first by lane, priority and id is the only promotion applied to the cart, and the
  others are refused as ``not_combinable``. :attr:`Stacking.STOP` applies and then stops every
  later promotion in its lane (they are refused as ``not_combinable``); later lanes still run.
- **Caps.** ``max_discount`` caps what one promotion takes off in total (items, order and
  shipping together); a capped discount is split in proportion to the uncapped one.
- **Usage limits.** ``usage_limit`` (all customers), ``usage_limit_per_customer`` and
  ``usage_limit_per_code`` are compared with the counts in :class:`UsageCounts`, which the
  caller reads from the store; a promotion at its limit is refused as ``usage_exhausted``.
  Quoting never consumes a use: the checkout consumes it atomically in the store
  (:func:`commercekit.cart.consume_promotions`). Code counters live beside promotion counters
  under :func:`code_counter_id` (``"code:" + CODE``), so no promotion id may start with
  ``"code:"``.
"""

from commercekit.pricing.promotions._actions import (
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
from commercekit.pricing.promotions._conditions import (
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
from commercekit.pricing.promotions._engine import SHIPPING_KEY, Row, ShippingRow
from commercekit.pricing.promotions._promotion import (
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
from commercekit.pricing.promotions._run import Outcome, run_promotions

__all__ = [
    "CODE_ALPHABET",
    "CODE_COUNTER_PREFIX",
    "SHIPPING_KEY",
    "Action",
    "AmountOffItems",
    "AmountOffOrder",
    "AmountOffShipping",
    "BuyXGetY",
    "Condition",
    "ContainsItems",
    "CouponCode",
    "CouponRefusal",
    "CustomerGroupIn",
    "DateWindow",
    "FirstOrder",
    "FixedPrice",
    "ItemFilter",
    "Lane",
    "Outcome",
    "PercentOffItems",
    "PercentOffOrder",
    "PercentOffShipping",
    "Promotion",
    "QuantityAtLeast",
    "Row",
    "ShippingRow",
    "SpendTier",
    "Stacking",
    "SubtotalAtLeast",
    "TieredSpend",
    "UsageCounts",
    "code_counter_id",
    "generate_coupon_codes",
    "normalize_code",
    "run_promotions",
]
