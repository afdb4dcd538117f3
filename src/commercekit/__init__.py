"""commercekit: framework-agnostic commerce primitives.

Today: money, carts and their totals with price lists, promotions and flat tax rates, and
inventory with reservations, persisted in SQLite or PostgreSQL. Planned: tax by jurisdiction,
payment and shipping gateways, checkout and orders. The names below are the public API; modules
whose names start with an underscore are private.
"""

import logging
from importlib.metadata import PackageNotFoundError, version

from commercekit import errors
from commercekit.errors import CommerceError
from commercekit.money import (
    CashRounding,
    Currency,
    Money,
    Rounding,
    allocate,
    cash_round,
    format_money,
    from_minor_units,
    get_currency,
    quantize,
    sum_money,
    to_minor_units,
)
from commercekit.storage import open_store

# A library logs and lets the host route: without a handler of the host's, nothing is printed.
logging.getLogger("commercekit").addHandler(logging.NullHandler())

try:
    __version__ = version("commercekit")
except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
    __version__ = "0+unknown"

__all__ = [
    "CashRounding",
    "CommerceError",
    "Currency",
    "Money",
    "Rounding",
    "__version__",
    "allocate",
    "cash_round",
    "errors",
    "format_money",
    "from_minor_units",
    "get_currency",
    "open_store",
    "quantize",
    "sum_money",
    "to_minor_units",
]
