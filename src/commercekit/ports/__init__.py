"""The ports: every boundary commercekit does I/O through, as :class:`typing.Protocol` classes.

This module is the one place to import them from. Where each is defined:

* Protocols the pure core accepts (:class:`Catalog`, :class:`ExchangeRates`,
  :class:`TaxCalculator`) are defined beside the core that accepts them, in
  :mod:`commercekit.pricing`, and re-exported here; the core never imports this package.
* The store's ports (:class:`StorePort`, :class:`TransactionPort`, :class:`AggregateKind`,
  :class:`RepositoryKey`, :class:`Area`) know no area.
* Each area's repository ports sit in a module of their own here, typed with the area's
  records (imported for type checking only, so importing a port never imports an area), with
  the :class:`RepositoryKey` that reaches them: ``tx.repository(STOCK)``.

Every port has a reference adapter (in-memory or fake) and a contract suite in
``tests/contract/``.
"""

from commercekit.ports._areas import Area, Cursor, Migration, PruneRule, SqlTransaction
from commercekit.ports._clock import Clock
from commercekit.ports._credit import (
    GIFT_CARDS,
    CreditCardRow,
    CreditHoldRow,
    GiftCardRepository,
)
from commercekit.ports._inventory import (
    BUNDLES,
    RESERVATIONS,
    STOCK,
    STOCK_POLICIES,
    BundleRepository,
    PlanningRead,
    ReservationRepository,
    StockPolicyRepository,
    StockRepository,
    StockRow,
)
from commercekit.ports._orders import ORDER_NUMBERS, OrderNumberRepository
from commercekit.ports._promotions import PROMOTION_USAGE, PromotionUsageRepository
from commercekit.ports._records import (
    IDEMPOTENCY,
    OUTBOX,
    IdempotencyRepository,
    OutboxRepository,
)
from commercekit.ports._storage import (
    AggregateKind,
    AggregateRepository,
    RepositoryKey,
    StorePort,
    TransactionPort,
)

# isort: split
# Last: these re-export Protocols defined in commercekit.pricing, whose area module imports the
# names bound above (whichever of the two packages is imported first).
from commercekit.ports._catalog import Catalog
from commercekit.ports._exchange import ExchangeRates
from commercekit.ports._payments import PaymentGateway
from commercekit.ports._shipping import RateProvider, ShippingGateway
from commercekit.ports._tax import TaxCalculator, TaxReporter, VatIdValidator

__all__ = [
    "ORDER_NUMBERS",
    "OrderNumberRepository",
    "GIFT_CARDS",
    "CreditCardRow",
    "CreditHoldRow",
    "GiftCardRepository",
    "BUNDLES",
    "IDEMPOTENCY",
    "OUTBOX",
    "PROMOTION_USAGE",
    "RESERVATIONS",
    "STOCK",
    "STOCK_POLICIES",
    "AggregateKind",
    "AggregateRepository",
    "Area",
    "BundleRepository",
    "Catalog",
    "Clock",
    "Cursor",
    "ExchangeRates",
    "IdempotencyRepository",
    "Migration",
    "OutboxRepository",
    "PlanningRead",
    "PromotionUsageRepository",
    "PruneRule",
    "RepositoryKey",
    "ReservationRepository",
    "SqlTransaction",
    "StockPolicyRepository",
    "StockRepository",
    "StockRow",
    "StorePort",
    "PaymentGateway",
    "RateProvider",
    "ShippingGateway",
    "TaxCalculator",
    "TaxReporter",
    "TransactionPort",
    "VatIdValidator",
]
