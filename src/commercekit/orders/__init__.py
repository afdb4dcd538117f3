"""Orders: the aggregate and its state machine, exact refunds, and the OrderService.

An :class:`Order` is what :class:`~commercekit.checkout.CheckoutService` makes of a cart. Its
lifecycle (capture, fulfilment, returns, refunds, cancellation) runs through
:class:`OrderService`; refunds are planned by the pure :func:`plan_refund`, which gives back
exactly what was paid per line, discounts, tax and shipping prorated to the minor unit. See
the orders guide.
"""

from __future__ import annotations

from commercekit.orders._area import ORDERS_AREA
from commercekit.orders._events import (
    ORDER_TOPICS,
    order_event,
    order_tax_event,
    refund_tax_event,
)
from commercekit.orders._order import (
    Fulfilment,
    FulfilmentState,
    Order,
    OrderEvent,
    OrderLine,
    OrderPayment,
    OrderStatus,
    PaymentState,
    Refund,
    RefundLine,
    Return,
)
from commercekit.orders._refunds import plan_refund, refund_schedule, split_across_tenders
from commercekit.orders._service import ORDER_KIND, CaptureMode, OrderService
from commercekit.orders._tax_reports import (
    TaxReportHandler,
    order_tax_transaction,
    refund_tax_transaction,
)

__all__ = [
    "ORDERS_AREA",
    "ORDER_KIND",
    "ORDER_TOPICS",
    "CaptureMode",
    "Fulfilment",
    "FulfilmentState",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderPayment",
    "OrderService",
    "OrderStatus",
    "PaymentState",
    "Refund",
    "RefundLine",
    "Return",
    "TaxReportHandler",
    "order_event",
    "order_tax_event",
    "order_tax_transaction",
    "plan_refund",
    "refund_schedule",
    "refund_tax_event",
    "refund_tax_transaction",
    "split_across_tenders",
]
