"""OrderService: capture, fulfil, return, refund and cancel orders, each step safe to retry.

Every change follows one pattern: what the gateways must do is recorded on the order first
(a pending refund, say), then the gateways are called outside any transaction, then the result
is stored with its outbox events in one transaction. A call interrupted at any point is
finished by calling it again (or by :meth:`OrderService.recover`): each gateway step first
reads the payment and skips what is already done, so no money moves twice.
"""

from __future__ import annotations

import builtins
import enum
import logging
import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import attrs

from commercekit.cart import CartService, release_promotions
from commercekit.errors import (
    CommerceError,
    ConflictError,
    IdempotencyConflictError,
    InvalidQuantityError,
    StateTransitionError,
)
from commercekit.inventory import InventoryService, ReservationLine
from commercekit.money import Money, from_minor_units
from commercekit.orders._events import order_event, refund_tax_event
from commercekit.orders._order import (
    Fulfilment,
    Order,
    OrderStatus,
    PaymentState,
    Quantity,
    Refund,
    same_units,
)
from commercekit.orders._refunds import plan_refund
from commercekit.payments import Payment, PaymentService, PaymentStatus, RefundOrder
from commercekit.ports import OUTBOX, AggregateKind, StorePort, TransactionPort
from commercekit.rules import check_identifier
from commercekit.shipping import ShippingGateway, ShippingQuote, Tracking

__all__ = ["ORDER_KIND", "CaptureMode", "OrderService"]

log = logging.getLogger("commercekit.orders")

#: The outbox events a change writes, as ``(topic, payload)`` pairs.
Events = list[tuple[str, Mapping[str, Any]]]


def _status(order: Order) -> str:
    return order.status.value


def _customer(order: Order) -> str | None:
    return order.customer_id


def _total(order: Order) -> Any:
    return order.total


#: How orders are stored: versioned aggregates, indexed by customer, status and total.
ORDER_KIND: AggregateKind[Order] = AggregateKind(
    "order", Order, customer_id=_customer, status=_status, amount=_total
)

_MAX_ATTEMPTS = 5
_VOIDABLE = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORIZED}
)


class CaptureMode(enum.StrEnum):
    """When an order's payments are captured."""

    #: Right after the order is placed: the order is *paid* when checkout returns.
    IMMEDIATE = "immediate"
    #: When its first shipment is recorded (the whole order then): until then *authorized*.
    ON_FULFILMENT = "on_fulfilment"


class OrderService:
    """The lifecycle of placed orders (see the module docs and the orders guide).

    ``payments`` captures, voids and refunds; ``inventory`` (optional) puts returned and
    cancelled units back on hand; ``carts`` (optional) gives promotion uses back on
    cancellation, with the promotions the orders were priced with; ``shipping`` (optional)
    buys labels and tracks parcels. ``refund_order`` says which tenders of a split payment
    are refunded first (cards before store credit by default). Every method must be called
    outside a store transaction.
    """

    def __init__(
        self,
        store: StorePort,
        payments: PaymentService,
        *,
        inventory: InventoryService | None = None,
        carts: CartService | None = None,
        shipping: ShippingGateway | None = None,
        capture: CaptureMode = CaptureMode.IMMEDIATE,
        refund_order: RefundOrder = RefundOrder.CREDIT_LAST,
    ) -> None:
        self.store = store
        self.payments = payments
        self.inventory = inventory
        self.carts = carts
        self.shipping = shipping
        self.capture_mode = CaptureMode(capture)
        self.refund_order = RefundOrder(refund_order)

    # -- reading -------------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        """The order ``order_id`` (its number), or :class:`~commercekit.errors.NotFoundError`."""
        order_id = check_identifier(order_id, name="order id")
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(ORDER_KIND).get(order_id)

    def list(
        self, *, customer_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> builtins.list[Order]:
        """Orders, most recently changed first, optionally of one customer or status."""
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(ORDER_KIND).list(
                customer_id=customer_id, status=status, limit=limit
            )

    # -- the one way orders change -------------------------------------------------------------

    def _change(
        self,
        order_id: str,
        change: Callable[[TransactionPort, Order], Order],
        events: Callable[[Order, Order], Events] | None = None,
    ) -> Order:
        """Load, change, save and append events in one transaction; rerun on a lost update."""
        for attempt in range(_MAX_ATTEMPTS):
            try:
                with self.store.transaction() as tx:
                    orders = tx.aggregates(ORDER_KIND)
                    before = orders.get(order_id)
                    after = change(tx, before)
                    if after is before:
                        return before
                    saved = orders.save(after)
                    for event in events(before, saved) if events else ():
                        tx.repository(OUTBOX).append(*event)
                    return saved
            except ConflictError as exc:
                if attempt == _MAX_ATTEMPTS - 1:
                    raise
                log.info(
                    "order changed meanwhile (%s); retrying",
                    type(exc).__name__,
                    extra={
                        "area": "orders",
                        "event": "retry",
                        "operation": "update",
                        "order": order_id,
                        "attempt": attempt + 1,
                        "max_attempts": _MAX_ATTEMPTS,
                    },
                )
        raise AssertionError("unreachable")  # pragma: no cover

    # -- money ---------------------------------------------------------------------------------

    def capture(self, order_id: str) -> Order:
        """Capture what every tender still holds; return the order, *paid* or *payment_failed*.

        A failure does not undo the order: it moves to *payment_failed* with the reason in its
        history and an ``order.payment_failed`` event; call this again to retry, or
        :meth:`reauthorize`, or :meth:`cancel`. Safe to call twice: a tender already captured
        is not captured again, even after a crash between the gateway's answer and the store.
        """
        order = self.get(order_id)
        if order.payment not in (PaymentState.AUTHORIZED, PaymentState.PAYMENT_FAILED):
            return order
        if order.cancelled_at is not None:
            raise StateTransitionError(f"order {order.number} is cancelled: nothing to capture")
        for tender in order.payments:
            if tender.captured_minor == tender.amount_minor:
                continue
            try:
                payment = self.payments.get(tender.payment_id)
                if payment.captured_minor < tender.amount_minor:
                    payment = self.payments.capture(tender.payment_id)
            except CommerceError as exc:
                log.warning(
                    "capture failed",
                    extra={
                        "area": "orders",
                        "event": "capture_failed",
                        "order": order.id,
                        "payment": tender.payment_id,
                        "error": type(exc).__name__,
                    },
                )
                reason = f"{tender.payment_id}: {type(exc).__name__}: {exc}"
                return self._capture_failed(order.id, reason)
            order = self._captured(order.id, tender.payment_id, payment.captured_minor)
        return order

    def _capture_failed(self, order_id: str, reason: str) -> Order:
        def change(tx: TransactionPort, order: Order) -> Order:
            return order.record_capture_failure(tx.now(), reason)

        def events(_before: Order, order: Order) -> Events:
            return [order_event("order.payment_failed", order, reason=reason)]

        return self._change(order_id, change, events)

    def _captured(self, order_id: str, payment_id: str, captured_minor: int) -> Order:
        def change(tx: TransactionPort, order: Order) -> Order:
            if order.payment not in (PaymentState.AUTHORIZED, PaymentState.PAYMENT_FAILED):
                return order
            whole = order.payment_for(payment_id).amount_minor
            return order.record_capture(payment_id, min(captured_minor, whole), tx.now())

        def events(before: Order, order: Order) -> Events:
            paid = order.payment is PaymentState.PAID and before.payment is not PaymentState.PAID
            return [order_event("order.paid", order)] if paid else []

        return self._change(order_id, change, events)

    def reauthorize(self, order_id: str) -> Order:
        """Authorize again the tenders whose authorization lapsed; the order is *authorized*.

        For an order whose capture failed because its hold expired. A tender declined again
        raises :class:`~commercekit.errors.PaymentDeclinedError`: cancel the order then.
        """
        order = self.get(order_id)
        if order.payment is not PaymentState.PAYMENT_FAILED:
            raise StateTransitionError(
                f"order {order.number} is {order.status.value}: only an order whose payment "
                "failed is authorized again"
            )
        for tender in order.payments:
            if tender.captured_minor < tender.amount_minor:
                payment = self.payments.get(tender.payment_id)
                if payment.status is PaymentStatus.AUTHORIZATION_EXPIRED:
                    self.payments.reauthorize(tender.payment_id)
        return self._change(
            order.id,
            lambda tx, o: (
                o.record_reauthorization(tx.now())
                if o.payment is PaymentState.PAYMENT_FAILED
                else o
            ),
            lambda _b, o: [order_event("order.reauthorized", o)],
        )

    def refund(
        self,
        order_id: str,
        quantities: Mapping[str, Quantity],
        *,
        key: str,
        reason: str | None = None,
    ) -> Order:
        """Give back the money paid for ``quantities`` (units by line id), exactly.

        Amounts follow :func:`~commercekit.orders.plan_refund`: discounts, tax and shipping
        prorated to the minor unit, refunding every line gives back exactly what was
        captured. ``key`` names the refund: calling again with the same key finishes it (after
        a crash) or returns the order as it is. The tax part is reported through the outbox
        (``tax.refund``).
        """
        key = check_identifier(key, name="refund key")
        order = self.get(order_id)
        earlier = next((r for r in order.refunds if r.id == key), None)
        if earlier is not None:
            units = {line.line_id: line.quantity for line in earlier.lines}
            _same_request(units, quantities, "refund", key, order)
        if earlier is not None and earlier.done:
            return order
        if not any(r.id == key for r in order.refunds):
            if order.pending_refund is not None:
                order = self._finish_refund(order, order.pending_refund)

            def begin(tx: TransactionPort, o: Order) -> Order:
                if any(r.id == key for r in o.refunds):
                    return o
                plan = plan_refund(
                    o,
                    quantities,
                    id=key,
                    at=tx.now(),
                    reason=reason,
                    refund_order=self.refund_order,
                )
                # Marked as due in the same transaction, so a recovery pass finds it.
                tx.aggregates(REFUND_DUE_KIND).add(RefundDue(o.id, key))
                return o.begin_refund(plan)

            order = self._change(order.id, begin)
        pending = next(r for r in order.refunds if r.id == key)
        return self._finish_refund(order, pending)

    def _finish_refund(self, order: Order, refund: Refund) -> Order:
        for payment_id, minor in refund.tenders:
            target = order.payment_for(payment_id).refunded_minor + minor
            payment = self.payments.get(payment_id)
            if payment.refunded_minor < target:
                self.payments.refund(payment_id, _money(payment, target - payment.refunded_minor))

        def finish(tx: TransactionPort, o: Order) -> Order:
            if o.pending_refund is None or o.pending_refund.id != refund.id:
                return o
            due = tx.aggregates(REFUND_DUE_KIND).find(o.id)
            if due is not None:
                tx.aggregates(REFUND_DUE_KIND).delete(due)
            return o.finish_refund(refund.id, tx.now())

        def events(_b: Order, o: Order) -> Events:
            done = [
                order_event("order.refunded", o, refund=refund.id, amount_minor=refund.amount_minor)
            ]
            tax = refund_tax_event(o, refund)
            return done if tax is None else [*done, tax]

        return self._change(order.id, finish, events)

    # -- goods ---------------------------------------------------------------------------------

    def fulfil(
        self,
        order_id: str,
        quantities: Mapping[str, Quantity],
        *,
        key: str,
        quote: ShippingQuote | None = None,
        tracking_code: str | None = None,
        carrier: str | None = None,
    ) -> Order:
        """Record a shipment of ``quantities`` (units by line id) under ``key``.

        With a ``quote`` the label is bought through the shipping gateway, idempotently on
        the order and ``key``, so a retry never buys two labels. With
        :attr:`CaptureMode.ON_FULFILMENT` the order is captured first; if that fails the order
        is *payment_failed*, nothing ships, and
        :class:`~commercekit.errors.StateTransitionError` says so.
        """
        key = check_identifier(key, name="fulfilment key")
        order = self.get(order_id)
        earlier = next((f for f in order.fulfilments if f.id == key), None)
        if earlier is not None:
            _same_request(earlier.lines, quantities, "fulfilment", key, order)
            return order
        order._counted(quantities, "a fulfilment")
        if order.cancelled_at is not None:
            raise StateTransitionError(f"order {order.number} is cancelled: nothing ships")
        if self.capture_mode is CaptureMode.ON_FULFILMENT and order.payment in (
            PaymentState.AUTHORIZED,
            PaymentState.PAYMENT_FAILED,
        ):
            order = self.capture(order.id)
            if order.payment is PaymentState.PAYMENT_FAILED:
                raise StateTransitionError(
                    f"order {order.number} could not be captured: nothing shipped "
                    "(retry the capture, authorize again or cancel)"
                )
        label_url = None
        if quote is not None:
            if self.shipping is None:
                raise StateTransitionError("this OrderService has no shipping gateway for labels")
            label = self.shipping.buy_label(quote, idempotency_key=f"{order.id}:{key}")
            tracking_code, label_url, carrier = label.tracking_code, label.label_url, quote.carrier

        def change(tx: TransactionPort, o: Order) -> Order:
            if any(f.id == key for f in o.fulfilments):
                return o
            shipment = Fulfilment(
                key, dict(quantities), tx.now(), tracking_code, label_url, carrier
            )
            return o.fulfil(shipment)

        return self._change(
            order.id, change, lambda _b, o: [order_event("order.fulfilled", o, shipment=key)]
        )

    def track(self, order_id: str, fulfilment_id: str) -> Tracking:
        """Where the parcel of fulfilment ``fulfilment_id`` is, from the shipping gateway."""
        order = self.get(order_id)
        for shipment in order.fulfilments:
            if shipment.id == fulfilment_id:
                if shipment.tracking_code is None or self.shipping is None:
                    break
                return self.shipping.track(shipment.tracking_code)
        raise StateTransitionError(
            f"order {order.number} has no tracked fulfilment {fulfilment_id!r}"
        )

    def return_lines(
        self,
        order_id: str,
        quantities: Mapping[str, Quantity],
        *,
        key: str,
        restock: bool = True,
        refund: bool = True,
    ) -> Order:
        """Units came back: record them, put them back on hand and refund them (each optional).

        ``key`` names the return (and its refund): a retry finishes it or changes nothing.
        """
        key = check_identifier(key, name="return key")
        order = self.get(order_id)
        earlier = next((r for r in order.returns if r.id == key), None)
        if earlier is not None:
            _same_request(earlier.lines, quantities, "return", key, order)
        else:

            def change(tx: TransactionPort, o: Order) -> Order:
                if any(r.id == key for r in o.returns):
                    return o
                back = o.record_return(quantities, tx.now(), id=key)
                if restock:
                    spans = {
                        line_id: (back.line(line_id).returned - k, back.line(line_id).returned)
                        for line_id, k in quantities.items()
                    }
                    back = self._restock(tx, back, spans, key)
                return back

            order = self._change(
                order.id, change, lambda _b, o: [order_event("order.returned", o, return_key=key)]
            )
        if refund:
            order = self.refund(order.id, quantities, key=key, reason="return")
        return order

    def _restock(
        self,
        tx: TransactionPort,
        order: Order,
        spans: Mapping[str, tuple[Quantity, Quantity]],
        key: str,
    ) -> Order:
        """Put back the stock of each line's items from ``start`` to ``end`` (idempotent on key).

        ``spans`` maps a line id to ``(start, end)``: the items counted back before and after.
        """
        if self.inventory is None:
            return order
        wanted: dict[str, int] = {}
        for line_id, (start, end) in spans.items():
            line = order.line(line_id)
            # Units of stock back, by the line's own schedule: after n of q items back,
            # floor(units * n / q) are restocked, so returning all of them restocks all.
            before = Fraction(start) / Fraction(line.quantity)
            after = Fraction(end) / Fraction(line.quantity)
            stock = line.stock or (
                {line.sku: line.quantity} if isinstance(line.quantity, int) else {}
            )
            for sku, units in stock.items():
                due = math.floor(units * after) - math.floor(units * before)
                for component, per in (self.inventory.bundle(sku) or {sku: 1}).items():
                    wanted[component] = wanted.get(component, 0) + per * due
        restocked = _take_back(order, wanted)
        for row in restocked:
            self.inventory.record_return(
                row.sku,
                row.location,
                row.quantity,
                reason=f"order {order.number}",
                reference=order.id,
                key=f"{order.id}:{key}:{row.sku}:{row.location}",
            )
        return order.record_restock(restocked)

    # -- cancelling ----------------------------------------------------------------------------

    def cancel(self, order_id: str, *, reason: str | None = None, restock: bool = True) -> Order:
        """Cancel an order nothing of which has shipped: its money back, its stock back.

        What was captured is refunded (every line, so exactly the captured amount), what is
        only held is voided, the units go back on hand where they were sold from, and the
        promotion uses the order consumed are given back. Cancelling twice returns the order.
        """
        order = self.get(order_id)
        if order.cancelled_at is not None:
            return order
        if any(line.fulfilled for line in order.lines):
            raise StateTransitionError(
                f"order {order.number} has shipped units: record a return instead"
            )
        if order.pending_refund is not None:
            order = self._finish_refund(order, order.pending_refund)
        left = {
            ln.line_id: ln.quantity - ln.refunded for ln in order.lines if ln.quantity > ln.refunded
        }
        if left and any(p.captured_minor > p.refunded_minor for p in order.payments):
            order = self.refund(order.id, left, key="cancel", reason="cancelled")
        for tender in order.payments:
            if tender.captured_minor == 0:
                # A lapsed hold is recorded as expired first: there is nothing left to void.
                payment = self.payments.expire_authorization(tender.payment_id)
                if payment.status in _VOIDABLE:
                    self.payments.void(tender.payment_id)

        def change(tx: TransactionPort, o: Order) -> Order:
            if o.cancelled_at is not None:
                return o
            done = o.cancel(tx.now(), reason)
            if restock:
                everything = {ln.line_id: (0, ln.quantity) for ln in o.lines}
                done = self._restock(tx, done, everything, "cancel")
            if self.carts is not None:
                release_promotions(
                    tx, o.breakdown, self.carts.promotions, customer_id=o.customer_id
                )
            return done

        return self._change(
            order.id, change, lambda _b, o: [order_event("order.cancelled", o, reason=reason)]
        )

    # -- recovery ------------------------------------------------------------------------------

    def recover(self, *, limit: int = 100) -> builtins.list[Order]:
        """Finish what a crash interrupted: refunds not yet confirmed, captures not yet made.

        Every refund recorded but not confirmed by the gateways is finished (the order keeps a
        marker for it, written in the transaction that recorded it); under
        :attr:`CaptureMode.IMMEDIATE`, every order still *authorized* is captured. At most
        ``limit`` of each per call; returns the orders it changed.
        """
        changed: dict[str, Order] = {}
        with self.store.transaction(readonly=True) as tx:
            due = tx.aggregates(REFUND_DUE_KIND).list(limit=limit)
        for marker in due:
            order = self.get(marker.id)
            if order.pending_refund is not None:
                changed[order.id] = self._finish_refund(order, order.pending_refund)
        if self.capture_mode is CaptureMode.IMMEDIATE:
            for order in self.list(status=OrderStatus.AUTHORIZED.value, limit=limit):
                if order.payment is PaymentState.AUTHORIZED and order.cancelled_at is None:
                    changed[order.id] = self.capture(order.id)
        return list(changed.values())


@attrs.frozen
class RefundDue:
    """A marker: order ``id`` has refund ``refund_id`` recorded and not yet confirmed."""

    #: The order's id.
    id: str
    #: The refund's key.
    refund_id: str
    #: The store's optimistic version.
    version: int = 0


#: Orders with a refund in flight (see :meth:`OrderService.recover`).
REFUND_DUE_KIND: AggregateKind[RefundDue] = AggregateKind("order_refund_due", RefundDue)


def _same_request(
    earlier: Mapping[str, Quantity],
    asked: Mapping[str, Quantity],
    what: str,
    key: str,
    order: Order,
) -> None:
    """A key used again must ask for the same units: else IdempotencyConflictError."""
    if not same_units(earlier, asked):
        raise IdempotencyConflictError(
            f"{what} key {key!r} of order {order.number} was used for other units"
        )


def _money(payment: Payment, minor: int) -> Money:
    return from_minor_units(minor, payment.currency)


def _take_back(order: Order, wanted: Mapping[str, int]) -> tuple[ReservationLine, ...]:
    """Which ``(sku, location)`` rows the ``wanted`` units go back to: where they were sold."""
    restocked: dict[tuple[str, str], int] = {}
    for line in order.restocked:
        restocked[line.sku, line.location] = (
            restocked.get((line.sku, line.location), 0) + line.quantity
        )
    back = []
    for sku, units in sorted(wanted.items()):
        left = units
        for line in order.stock_lines:
            if line.sku != sku or left == 0:
                continue
            room = line.quantity - restocked.get((sku, line.location), 0)
            take = min(room, left)
            if take > 0:
                back.append(ReservationLine(sku, line.location, take))
                left -= take
        if left and order.stock_lines:
            raise InvalidQuantityError(f"{sku}: {left} more units back than were sold")
    return tuple(back)
