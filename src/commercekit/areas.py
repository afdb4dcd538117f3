"""The built-in areas, listed once: the store and the codec read this list.

An area (see :class:`~commercekit.ports.Area`) brings its tables, repositories, prune rules
and codec hooks in one value. Adding an area to commercekit adds one line here; a host with an
area of its own passes ``areas=(*BUILTIN_AREAS, MY_AREA)`` to
:func:`~commercekit.open_store` and :func:`~commercekit.codec.make_json_converter`. The store's
own tables (aggregates, idempotency records, the outbox) come first in every store.

>>> from commercekit.areas import BUILTIN_AREAS
>>> [area.name for area in BUILTIN_AREAS]
['pricing', 'cart', 'inventory', 'tax', 'payments', 'orders', 'checkout']
"""

from __future__ import annotations

from commercekit.cart import CART_AREA
from commercekit.checkout import CHECKOUT_AREA
from commercekit.inventory import INVENTORY_AREA
from commercekit.orders import ORDERS_AREA
from commercekit.payments import PAYMENTS_AREA
from commercekit.ports import Area
from commercekit.pricing import PRICING_AREA
from commercekit.tax import TAX_AREA

__all__ = ["BUILTIN_AREAS"]

BUILTIN_AREAS: tuple[Area, ...] = (
    PRICING_AREA,
    CART_AREA,
    INVENTORY_AREA,
    TAX_AREA,
    PAYMENTS_AREA,
    ORDERS_AREA,
    CHECKOUT_AREA,
)
