"""The ports: every boundary commercekit does I/O through, as :class:`typing.Protocol` classes.

Each area keeps its protocols in a private submodule; this module is the one place to import
them from. Every port has a reference adapter (in-memory or fake) in :mod:`commercekit.testing`
or beside its real adapters, and a contract suite in ``tests/contract/``.
"""

from commercekit.ports._catalog import Catalog
from commercekit.ports._clock import Clock
from commercekit.ports._exchange import ExchangeRates
from commercekit.ports._storage import (
    AggregateRepository,
    IdempotencyRepository,
    OutboxRepository,
    PromotionUsageRepository,
    ReservationRepository,
    StockRepository,
    StorePort,
    TransactionPort,
)
from commercekit.ports._tax import TaxCalculator

__all__ = [
    "AggregateRepository",
    "Catalog",
    "Clock",
    "ExchangeRates",
    "IdempotencyRepository",
    "OutboxRepository",
    "PromotionUsageRepository",
    "ReservationRepository",
    "StockRepository",
    "StorePort",
    "TaxCalculator",
    "TransactionPort",
]
