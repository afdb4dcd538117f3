"""How Django learns of a placed order: an outbox handler that keeps ``OrderSummary`` rows.

The checkout writes ``order.placed`` to commercekit's outbox in the transaction that stores
the order (so an order without its event, or an event without its order, cannot exist). A
:class:`~commercekit.events.Dispatcher` delivers it **at least once** to
:class:`OrderSummarySync`, which creates or updates the summary row by order id in a Django
transaction of its own. The ``commercekit_dispatch`` management command runs it.

The handler is idempotent: it reads the order as it is now from commercekit and writes the row
only if something differs, so a repeated delivery changes nothing, and an older event
delivered late never overwrites newer state. If it raises (Django's database is down, the
order cannot be read), the dispatcher records the failure and delivers the event again later.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from commercekit.events import Dispatcher
from commercekit.orders import Order, OrderService
from commercekit.records import OutboxEvent
from commercekit.storage import Store
from django_shop.shop.models import OrderSummary

#: The topics the summary follows: the placed order first, then what changes its status.
SUMMARY_TOPICS = (
    "order.placed",
    "order.paid",
    "order.payment_failed",
    "order.fulfilled",
    "order.returned",
    "order.refunded",
    "order.cancelled",
)


def customer_id_for(user_pk: object) -> str:
    """The commercekit customer id of a Django user (its primary key, prefixed)."""
    return f"user-{user_pk}"


def _user_pk(customer_id: str | None) -> int | None:
    if customer_id is None or not customer_id.startswith("user-"):
        return None
    pk = customer_id.removeprefix("user-")
    return int(pk) if pk.isdigit() else None


def summary_values(order: Order) -> dict[str, object]:
    """The fields of the ``OrderSummary`` of ``order`` as it is now."""
    pk = _user_pk(order.customer_id)
    user = get_user_model().objects.filter(pk=pk).first() if pk is not None else None
    return {
        "number": order.number,
        "user": user,
        "status": order.status.value,
        # commercekit's Money to django-money's field, through py-moneyed, losslessly.
        "total": order.total.to_moneyed(),
        "items": sum(int(line.quantity) for line in order.lines),
        "placed_at": order.placed_at,
    }


class OrderSummarySync:
    """The outbox handler: create or update the ``OrderSummary`` of the event's order."""

    def __init__(self, orders: OrderService) -> None:
        self.orders = orders

    def __call__(self, event: OutboxEvent) -> None:
        """Sync the summary of the order ``event`` names; raise to have it delivered again."""
        order = self.orders.get(json.loads(event.payload)["order"])
        values = summary_values(order)
        with transaction.atomic():
            summary = OrderSummary.objects.select_for_update().filter(order_id=order.id).first()
            if summary is None:
                OrderSummary.objects.create(order_id=order.id, synced_at=timezone.now(), **values)
                return
            changed = [name for name, value in values.items() if getattr(summary, name) != value]
            if changed:
                for name in changed:
                    setattr(summary, name, values[name])
                summary.synced_at = timezone.now()
                summary.save()


def build_dispatcher(
    store: Store, orders: OrderService, *, consumer: str, **options: Any
) -> Dispatcher:
    """A dispatcher of ``store``'s outbox that keeps the order summaries.

    ``options`` go to :class:`~commercekit.events.Dispatcher` (``max_attempts``, ``backoff``).
    """
    sync = OrderSummarySync(orders)
    dispatcher = Dispatcher(store, consumer=consumer, **options)
    for topic in SUMMARY_TOPICS:
        dispatcher.register(topic, sync)
    return dispatcher
