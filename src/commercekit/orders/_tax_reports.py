"""Orders and refunds as tax transactions, and the outbox handler that reports them.

The checkout and the refunds write a ``tax.order`` or ``tax.refund`` event in the transaction
that stores them; :class:`TaxReportHandler`, run by the event dispatcher, reports them to a
:class:`~commercekit.ports.TaxReporter` later, so a tax service that is down never holds up
an order. Amounts come from the order as placed: each line states its net amount (after
discounts, without tax) and its tax, shipping likewise, so the transaction adds up exactly.
"""

from __future__ import annotations

import json

from commercekit.errors import NotFoundError, ValidationError
from commercekit.orders._order import Order, Refund
from commercekit.orders._service import ORDER_KIND
from commercekit.ports import StorePort, TaxReporter
from commercekit.records import OutboxEvent
from commercekit.tax import TaxTransaction, TaxTransactionLine, TransactionKind, per_unit

__all__ = ["TaxReportHandler", "order_tax_transaction", "refund_tax_transaction"]


def order_tax_transaction(order: Order) -> TaxTransaction:
    """``order`` as the sale a tax service records (it needs the order's ``ship_to``)."""
    if order.ship_to is None:
        raise NotFoundError(f"order {order.number} has no address to report tax for")
    lines = []
    for line in order.breakdown.lines:
        net = line.total_minor - line.tax_total_minor
        quantity, unit = per_unit(net, line.quantity)
        lines.append(
            TaxTransactionLine(
                id=line.line_id,
                quantity=quantity,
                product_tax_code=None,
                unit_price_minor=unit,
                sales_tax_minor=line.tax_total_minor,
                sku=line.sku,
            )
        )
    shipping = order.breakdown.shipping
    ship_net = 0 if shipping is None else shipping.total_minor - shipping.tax_total_minor
    return TaxTransaction(
        transaction_id=order.id,
        kind=TransactionKind.ORDER,
        at=order.placed_at,
        currency=order.currency,
        ship_from=None,
        ship_to=order.ship_to,
        amount_minor=sum(line.quantity * line.unit_price_minor for line in lines) + ship_net,
        shipping_minor=ship_net,
        sales_tax_minor=order.breakdown.tax_total_minor,
        lines=tuple(lines),
        customer_id=order.customer_id,
    )


def refund_tax_transaction(order: Order, refund: Refund) -> TaxTransaction:
    """``refund`` of ``order`` as a tax service records it (positive amounts)."""
    if order.ship_to is None:
        raise NotFoundError(f"order {order.number} has no address to report tax for")
    lines = tuple(
        TaxTransactionLine(
            id=line.line_id,
            quantity=1,
            product_tax_code=None,
            unit_price_minor=line.amount_minor - line.tax_minor,
            sales_tax_minor=line.tax_minor,
            sku=order.line(line.line_id).sku,
        )
        for line in refund.lines
    )
    ship_net = refund.shipping_minor - refund.shipping_tax_minor
    return TaxTransaction(
        transaction_id=f"{order.id}-{refund.id}",
        kind=TransactionKind.REFUND,
        at=refund.at,
        currency=order.currency,
        ship_from=None,
        ship_to=order.ship_to,
        amount_minor=sum(line.unit_price_minor for line in lines) + ship_net,
        shipping_minor=ship_net,
        sales_tax_minor=sum(line.tax_minor for line in refund.lines) + refund.shipping_tax_minor,
        lines=lines,
        customer_id=order.customer_id,
        reference_id=order.id,
    )


class TaxReportHandler:
    """An outbox event handler reporting ``tax.order`` and ``tax.refund`` events.

    Register it with the dispatcher for the ``tax.`` topics. Reporting the same order twice
    (an event delivered again) is the reporter's to absorb:
    :class:`~commercekit.tax.TaxJarReporter` treats a duplicate as done.
    """

    def __init__(self, store: StorePort, reporter: TaxReporter) -> None:
        self.store = store
        self.reporter = reporter

    def __call__(self, event: OutboxEvent) -> None:
        """Report the order or refund ``event`` names (another topic is a ValidationError)."""
        if event.topic not in ("tax.order", "tax.refund"):
            raise ValidationError(f"TaxReportHandler reports tax.* events, not {event.topic!r}")
        payload = json.loads(event.payload)
        with self.store.transaction(readonly=True) as tx:
            order = tx.aggregates(ORDER_KIND).get(payload["order"])
        if event.topic == "tax.order":
            self.reporter.report_order(order_tax_transaction(order))
            return
        refund = next((r for r in order.refunds if r.id == payload["refund"]), None)
        if refund is None:
            raise NotFoundError(f"order {order.number} has no refund {payload['refund']!r}")
        self.reporter.report_refund(refund_tax_transaction(order, refund))
