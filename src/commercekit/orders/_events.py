"""The outbox events orders write, in the transaction of the change that caused them.

Payloads are small JSON objects naming the order (``order``, ``number``) and its state after
the change (``status``, ``payment``, ``fulfilment``, ``total_minor``, ``currency``), plus what
the event is about. A handler that needs more loads the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from commercekit.orders._order import Order, Refund

__all__ = ["ORDER_TOPICS", "order_event", "refund_tax_event", "order_tax_event"]

#: Every topic orders and checkout write.
ORDER_TOPICS = (
    "order.placed",
    "order.paid",
    "order.payment_failed",
    "order.reauthorized",
    "order.fulfilled",
    "order.returned",
    "order.refunded",
    "order.cancelled",
    "tax.order",
    "tax.refund",
)


def order_event(topic: str, order: Order, **extra: Any) -> tuple[str, Mapping[str, Any]]:
    """``(topic, payload)`` for an event about ``order`` as it now is."""
    payload: dict[str, Any] = {
        "order": order.id,
        "number": order.number,
        "status": order.status.value,
        "payment": order.payment.value,
        "fulfilment": order.fulfilment.value,
        "total_minor": order.breakdown.grand_total_minor,
        "currency": order.currency.code,
    }
    payload.update({name: value for name, value in extra.items() if value is not None})
    return topic, payload


def order_tax_event(order: Order) -> tuple[str, Mapping[str, Any]] | None:
    """The event asking for the sale to be reported for tax (``None``: no address to report)."""
    if order.ship_to is None:
        return None
    return "tax.order", {"order": order.id}


def refund_tax_event(order: Order, refund: Refund) -> tuple[str, Mapping[str, Any]] | None:
    """The event asking for ``refund`` to be reported for tax (``None`` when nothing to say)."""
    if order.ship_to is None or refund.amount_minor <= 0:
        return None
    return "tax.refund", {"order": order.id, "refund": refund.id}
