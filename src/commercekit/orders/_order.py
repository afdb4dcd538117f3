"""The order aggregate and its state machine: what was bought, paid, shipped, returned, refunded.

An order keeps the :class:`~commercekit.cart.Breakdown` it was placed with: every amount the
customer was shown, line by line, with discounts, tax and shipping. The money and the goods
move separately, so an order has two states and one status that names them together:

- ``payment`` (:class:`PaymentState`): *authorized* (held, awaiting capture on fulfilment),
  *paid* (captured in full), *zero_total* (nothing to pay), *payment_failed* (a capture
  failed: retry, re-authorize or cancel), *partially_refunded*, *refunded*, *voided*;
- ``fulfilment`` (:class:`FulfilmentState`): *unfulfilled*, *partially_fulfilled*,
  *fulfilled*, *partially_returned*, *returned*;
- ``status`` (:class:`OrderStatus`), what a list of orders shows.

Every transition is a method that returns a new order or raises
:class:`~commercekit.errors.StateTransitionError` (or a ``ValidationError`` for quantities it
cannot take) and changes nothing: the aggregate is frozen.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from commercekit.address import Address
from commercekit.cart import Breakdown, LineBreakdown
from commercekit.cart import Quantity as _CartQuantity
from commercekit.clock import ensure_utc
from commercekit.errors import InvalidQuantityError, StateTransitionError, UnknownLineError
from commercekit.inventory import ReservationLine
from commercekit.money import Currency, Money, from_minor_units
from commercekit.rules import check_identifier, check_text

__all__ = [
    "Fulfilment",
    "FulfilmentState",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderPayment",
    "OrderStatus",
    "PaymentState",
    "Refund",
    "RefundLine",
    "Return",
]

Quantity = _CartQuantity


class PaymentState(enum.StrEnum):
    """Where an order's money stands."""

    #: Held by the gateways, to be captured when the order ships.
    AUTHORIZED = "authorized"
    #: Captured in full.
    PAID = "paid"
    #: Nothing to pay (a 100% discount): no payment was made.
    ZERO_TOTAL = "zero_total"
    #: A capture failed: retry it, authorize again or cancel the order.
    PAYMENT_FAILED = "payment_failed"
    #: Some of what was captured was given back.
    PARTIALLY_REFUNDED = "partially_refunded"
    #: Everything captured was given back.
    REFUNDED = "refunded"
    #: The authorizations were released before any capture (a cancelled order).
    VOIDED = "voided"


class FulfilmentState(enum.StrEnum):
    """Where an order's goods stand."""

    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"


class OrderStatus(enum.StrEnum):
    """The one word a list of orders shows (see :attr:`Order.status` for how it is chosen)."""

    AUTHORIZED = "authorized"
    PAID = "paid"
    ZERO_TOTAL = "zero_total"
    PAYMENT_FAILED = "payment_failed"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


@attrs.frozen
class OrderPayment:
    """One tender of an order: a payment made through a gateway, and what the order took."""

    #: The payment's id in the :class:`~commercekit.payments.PaymentService`.
    payment_id: str
    #: The gateway name (``"fake"``, ``"stripe"``, ``"store_credit"``).
    method: str
    #: What this tender pays of the order, in minor units.
    amount_minor: int
    #: What has been captured of it.
    captured_minor: int = 0
    #: What has been given back of it.
    refunded_minor: int = 0
    #: Whether the authorization was released (a cancelled order).
    voided: bool = False
    #: Whether it is store credit or a gift card (refunded last by default).
    credit: bool = False


@attrs.frozen
class OrderLine:
    """One line of an order: how much of it has shipped, come back and been refunded."""

    #: The cart line's id (the breakdown's ``line_id``).
    line_id: str
    #: The SKU sold.
    sku: str
    #: How many were bought.
    quantity: Quantity
    #: How many have shipped.
    fulfilled: Quantity = 0
    #: How many came back.
    returned: Quantity = 0
    #: How many have been refunded (returned or not).
    refunded: Quantity = 0
    #: The stock units the whole line took, per stocked SKU (a variant, a pack's units).
    stock: Mapping[str, int] = attrs.field(factory=dict)


@attrs.frozen
class Fulfilment:
    """A shipment of some of an order's lines, with its label and tracking when bought."""

    #: Unique within the order.
    id: str
    #: Quantities shipped, by line id.
    lines: Mapping[str, Quantity]
    #: When it was recorded.
    at: datetime = attrs.field(converter=ensure_utc)
    #: The carrier's tracking code, if any.
    tracking_code: str | None = None
    #: The label's URL, if one was bought.
    label_url: str | None = None
    #: The carrier, if known.
    carrier: str | None = None


@attrs.frozen
class Return:
    """Units that came back, under the key the host gave the return."""

    #: Unique within the order (the return's key).
    id: str
    #: Quantities back, by line id.
    lines: Mapping[str, Quantity]
    #: When it was recorded.
    at: datetime = attrs.field(converter=ensure_utc)


@attrs.frozen
class RefundLine:
    """What one refund gave back for one line: units, money and the tax part of it."""

    #: The line's id.
    line_id: str
    #: Units refunded.
    quantity: Quantity
    #: Money given back for them, tax included when the order's totals include it.
    amount_minor: int
    #: The tax part of ``amount_minor`` (for tax reports).
    tax_minor: int


@attrs.frozen
class Refund:
    """Money given back: by line, for shipping, and how it was split across the tenders."""

    #: Unique within the order.
    id: str
    #: The lines refunded.
    lines: tuple[RefundLine, ...]
    #: Shipping given back (with its tax), in minor units.
    shipping_minor: int
    #: The tax part of ``shipping_minor``.
    shipping_tax_minor: int
    #: Cash rounding given back (the order's rounding prorated), in minor units.
    rounding_minor: int
    #: The whole refund, in minor units: lines + shipping + rounding.
    amount_minor: int
    #: How much each tender gives back, by payment id, in refund order.
    tenders: tuple[tuple[str, int], ...]
    #: When it was recorded.
    at: datetime = attrs.field(converter=ensure_utc)
    #: Why (``"return"``, ``"cancelled"``, the host's own text).
    reason: str | None = None
    #: Whether the gateways have confirmed every tender's part.
    done: bool = False


@attrs.frozen
class OrderEvent:
    """One entry of an order's history."""

    #: What happened (``"placed"``, ``"captured"``, ``"capture_failed"``, ...).
    kind: str
    #: When.
    at: datetime = attrs.field(converter=ensure_utc)
    #: A short explanation, if any.
    detail: str | None = None


def same_units(earlier: Mapping[str, Quantity], asked: Mapping[str, object]) -> bool:
    """Whether ``asked`` names the same units per line as ``earlier`` (a replayed key)."""
    try:
        wanted = {line_id: Decimal(str(q)) for line_id, q in asked.items()}
    except ArithmeticError:
        return False
    return wanted == {line_id: Decimal(q) for line_id, q in earlier.items()}


def _positive(value: object, *, name: str) -> Quantity:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidQuantityError(f"{name} must be an int or Decimal, got {value!r}")
    if not value.is_finite() if isinstance(value, Decimal) else False:
        raise InvalidQuantityError(f"{name} must be finite, got {value!r}")
    if value <= 0:
        raise InvalidQuantityError(f"{name} must be positive, got {value!r}")
    return value


@attrs.frozen
class Order:
    """A placed order (see the module docs). Build one with :meth:`place`."""

    #: The order's id (the checkout's key gives it).
    id: str
    #: The human-friendly number, unique and gap-free per store (``"1001"``).
    number: str
    #: The checkout key it was placed under.
    checkout_key: str
    #: The customer, or ``None`` for a guest.
    customer_id: str | None
    #: Every amount the customer was shown when the order was placed.
    breakdown: Breakdown
    #: The lines and what happened to each.
    lines: tuple[OrderLine, ...]
    #: The tenders, in the order they were charged.
    payments: tuple[OrderPayment, ...]
    #: The money's state.
    payment: PaymentState
    #: The goods' state.
    fulfilment: FulfilmentState
    #: When it was placed.
    placed_at: datetime = attrs.field(converter=ensure_utc)
    #: The reservation committed for it, if stock was reserved.
    reservation_id: str | None = None
    #: Where each SKU was taken from (the committed reservation's lines).
    stock_lines: tuple[ReservationLine, ...] = ()
    #: Units put back on hand so far, by ``(sku, location)``.
    restocked: tuple[ReservationLine, ...] = ()
    #: Whether the order was cancelled, and when.
    cancelled_at: datetime | None = None
    #: Where the goods go (what tax was charged for), if known.
    ship_to: Address | None = None
    #: Shipments.
    fulfilments: tuple[Fulfilment, ...] = ()
    #: Refunds, in order.
    refunds: tuple[Refund, ...] = ()
    #: Returns, in order.
    returns: tuple[Return, ...] = ()
    #: What happened, in order.
    history: tuple[OrderEvent, ...] = ()
    #: The store's optimistic version (0: never stored).
    version: int = 0

    # -- reading -------------------------------------------------------------------------------

    @property
    def currency(self) -> Currency:
        """The currency of every amount."""
        return self.breakdown.currency

    @property
    def total(self) -> Money:
        """What the customer pays (the breakdown's grand total)."""
        return self.breakdown.grand_total

    def _money(self, minor: int) -> Money:
        return from_minor_units(minor, self.currency)

    @property
    def captured(self) -> Money:
        """What the tenders have captured."""
        return self._money(sum(p.captured_minor for p in self.payments))

    @property
    def refunded(self) -> Money:
        """What has been given back."""
        return self._money(sum(p.refunded_minor for p in self.payments))

    @property
    def status(self) -> OrderStatus:
        """One word for the order: cancelled, then the money's trouble or end, then the goods.

        Cancelled wins; then *refunded* and *payment_failed*; then the goods once any have
        shipped; then *partially_refunded*, *paid*, *authorized* or *zero_total*.
        """
        if self.cancelled_at is not None:
            return OrderStatus.CANCELLED
        if self.payment in (PaymentState.REFUNDED, PaymentState.PAYMENT_FAILED):
            return OrderStatus(self.payment.value)
        if self.fulfilment is not FulfilmentState.UNFULFILLED:
            return OrderStatus(self.fulfilment.value)
        return OrderStatus(self.payment.value)

    def line(self, line_id: str) -> OrderLine:
        """The line ``line_id`` (unknown: :class:`~commercekit.errors.UnknownLineError`)."""
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise UnknownLineError(line_id)

    def priced_line(self, line_id: str) -> LineBreakdown:
        """The line's breakdown as it was placed."""
        return self.breakdown.line(line_id)

    def payment_for(self, payment_id: str) -> OrderPayment:
        """The tender paid by ``payment_id``."""
        for tender in self.payments:
            if tender.payment_id == payment_id:
                return tender
        raise StateTransitionError(f"order {self.id!r} has no payment {payment_id!r}")

    @property
    def pending_refund(self) -> Refund | None:
        """A refund recorded but not yet confirmed by every gateway, if any."""
        for refund in self.refunds:
            if not refund.done:
                return refund
        return None

    # -- placing -------------------------------------------------------------------------------

    @classmethod
    def place(
        cls,
        *,
        id: str,
        number: str,
        checkout_key: str,
        customer_id: str | None,
        breakdown: Breakdown,
        payments: tuple[OrderPayment, ...],
        at: datetime,
        reservation_id: str | None = None,
        stock_lines: tuple[ReservationLine, ...] = (),
        ship_to: Address | None = None,
        line_stock: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Order:
        """A new order, *authorized* (or *zero_total* when there is nothing to pay).

        The tenders must add up to the breakdown's grand total, exactly.
        """
        paid = sum(p.amount_minor for p in payments)
        if paid != breakdown.grand_total_minor:
            raise StateTransitionError(
                f"the payments add up to {paid} minor units, the order's total is "
                f"{breakdown.grand_total_minor}"
            )
        state = PaymentState.ZERO_TOTAL if not payments else PaymentState.AUTHORIZED
        return cls(
            id=check_identifier(id, name="order id"),
            number=check_identifier(number, name="order number"),
            checkout_key=checkout_key,
            customer_id=customer_id,
            breakdown=breakdown,
            lines=tuple(
                OrderLine(
                    ln.line_id,
                    ln.sku,
                    ln.quantity,
                    stock=dict((line_stock or {}).get(ln.line_id, {})),
                )
                for ln in breakdown.lines
            ),
            payments=payments,
            payment=state,
            fulfilment=FulfilmentState.UNFULFILLED,
            placed_at=at,
            reservation_id=reservation_id,
            stock_lines=stock_lines,
            ship_to=ship_to,
            history=(OrderEvent("placed", at),),
        )

    def _log(self, kind: str, at: datetime, detail: str | None = None) -> tuple[OrderEvent, ...]:
        return (
            *self.history,
            OrderEvent(kind, at, None if detail is None else check_text(detail, name="detail")),
        )

    def _refuse(self, what: str) -> StateTransitionError:
        return StateTransitionError(f"order {self.number} is {self.status.value}: {what}")

    def _open(self, what: str) -> None:
        if self.cancelled_at is not None:
            raise self._refuse(what)

    # -- money ---------------------------------------------------------------------------------

    def record_capture(self, payment_id: str, captured_minor: int, at: datetime) -> Order:
        """The tender ``payment_id`` has now captured ``captured_minor`` in all.

        When every tender has captured its amount the order is *paid*.
        """
        self._open("it cannot capture")
        if self.payment not in (PaymentState.AUTHORIZED, PaymentState.PAYMENT_FAILED):
            raise self._refuse("only an authorized order captures")
        tender = self.payment_for(payment_id)
        if not tender.captured_minor <= captured_minor <= tender.amount_minor:
            raise StateTransitionError(
                f"payment {payment_id!r} cannot have captured {captured_minor} of "
                f"{tender.amount_minor} (it had {tender.captured_minor})"
            )
        payments = tuple(
            attrs.evolve(p, captured_minor=captured_minor) if p is tender else p
            for p in self.payments
        )
        done = all(p.captured_minor == p.amount_minor for p in payments)
        return attrs.evolve(
            self,
            payments=payments,
            payment=PaymentState.PAID if done else self.payment,
            history=self._log("captured", at, payment_id) if done else self.history,
        )

    def record_capture_failure(self, at: datetime, reason: str) -> Order:
        """A capture failed: *payment_failed* until retried, re-authorized or cancelled."""
        self._open("it cannot fail a capture")
        if self.payment not in (PaymentState.AUTHORIZED, PaymentState.PAYMENT_FAILED):
            raise self._refuse("only an authorized order fails a capture")
        return attrs.evolve(
            self,
            payment=PaymentState.PAYMENT_FAILED,
            history=self._log("capture_failed", at, reason),
        )

    def record_reauthorization(self, at: datetime) -> Order:
        """The failed tenders were authorized again: the order is *authorized* again."""
        self._open("it cannot be authorized again")
        if self.payment is not PaymentState.PAYMENT_FAILED:
            raise self._refuse("only an order whose payment failed is authorized again")
        return attrs.evolve(
            self, payment=PaymentState.AUTHORIZED, history=self._log("reauthorized", at)
        )

    def begin_refund(self, refund: Refund) -> Order:
        """Record a refund before the gateways are asked (see :meth:`finish_refund`).

        One refund at a time: a pending one must finish first.
        """
        if self.pending_refund is not None:
            raise self._refuse(f"refund {self.pending_refund.id!r} has not finished")
        if any(r.id == refund.id for r in self.refunds):
            raise StateTransitionError(f"order {self.number} already has refund {refund.id!r}")
        units: dict[str, Quantity] = {ln.line_id: ln.quantity for ln in refund.lines}
        lines = tuple(
            attrs.evolve(ln, refunded=ln.refunded + units[ln.line_id])
            if ln.line_id in units
            else ln
            for ln in self.lines
        )
        for line in lines:
            if line.refunded > line.quantity:
                raise InvalidQuantityError(
                    f"line {line.line_id!r} would have {line.refunded} refunded of {line.quantity}"
                )
        left = {p.payment_id: p.captured_minor - p.refunded_minor for p in self.payments}
        for payment_id, minor in refund.tenders:
            if minor < 0 or minor > left.get(payment_id, -1):
                raise StateTransitionError(
                    f"payment {payment_id!r} cannot give back {minor} minor units"
                )
        return attrs.evolve(
            self,
            lines=lines,
            refunds=(*self.refunds, refund),
            history=self._log("refund_started", refund.at, refund.id),
        )

    def finish_refund(self, refund_id: str, at: datetime) -> Order:
        """The gateways gave back every tender's part of the pending refund ``refund_id``."""
        pending = self.pending_refund
        if pending is None or pending.id != refund_id:
            raise self._refuse(f"refund {refund_id!r} is not pending")
        parts = dict(pending.tenders)
        payments = tuple(
            attrs.evolve(p, refunded_minor=p.refunded_minor + parts.get(p.payment_id, 0))
            for p in self.payments
        )
        captured = sum(p.captured_minor for p in payments)
        refunded = sum(p.refunded_minor for p in payments)
        state = self.payment
        if captured and refunded == captured:
            state = PaymentState.REFUNDED
        elif refunded:
            state = PaymentState.PARTIALLY_REFUNDED
        refunds = tuple(attrs.evolve(r, done=True) if r is pending else r for r in self.refunds)
        return attrs.evolve(
            self,
            payments=payments,
            refunds=refunds,
            payment=state,
            history=self._log("refunded", at, refund_id),
        )

    # -- goods ---------------------------------------------------------------------------------

    def _counted(self, quantities: Mapping[str, object], what: str) -> dict[str, Quantity]:
        if not quantities:
            raise InvalidQuantityError(f"{what} needs at least one line")
        checked: dict[str, Quantity] = {}
        for line_id, quantity in quantities.items():
            self.line(line_id)  # UnknownLineError
            checked[line_id] = _positive(quantity, name=f"quantity of line {line_id!r}")
        return checked

    def _moved(
        self,
        units: Mapping[str, Quantity],
        field: str,
        limit: Callable[[OrderLine], Quantity],
        left: str,
    ) -> tuple[OrderLine, ...]:
        """The lines with ``units`` added to their count ``field``, none past its ``limit``."""
        lines = []
        for line in self.lines:
            before = getattr(line, field)
            after = before + units.get(line.line_id, 0)
            if after > limit(line):
                raise InvalidQuantityError(
                    f"line {line.line_id!r} has {limit(line) - before} {left}, "
                    f"not {units[line.line_id]}"
                )
            lines.append(attrs.evolve(line, **{field: after}))
        return tuple(lines)

    def fulfil(self, fulfilment: Fulfilment) -> Order:
        """Record a shipment of some units; more than is left to ship is refused.

        An order whose payment failed ships nothing until its payment is sorted out.
        """
        self._open("it cannot ship")
        if self.payment in (PaymentState.PAYMENT_FAILED, PaymentState.REFUNDED):
            raise self._refuse("it cannot ship")
        units = self._counted(fulfilment.lines, "a fulfilment")
        if any(f.id == fulfilment.id for f in self.fulfilments):
            raise StateTransitionError(
                f"order {self.number} already has fulfilment {fulfilment.id!r}"
            )
        lines = self._moved(units, "fulfilled", lambda ln: ln.quantity, "left to ship")
        done = all(ln.fulfilled == ln.quantity for ln in lines)
        return attrs.evolve(
            self,
            lines=lines,
            fulfilments=(*self.fulfilments, fulfilment),
            fulfilment=FulfilmentState.FULFILLED if done else FulfilmentState.PARTIALLY_FULFILLED,
            history=self._log("fulfilled", fulfilment.at, fulfilment.id),
        )

    def record_return(
        self, quantities: Mapping[str, Quantity], at: datetime, *, id: str = "return"
    ) -> Order:
        """Units came back (return ``id``); only shipped units return."""
        self._open("nothing can come back")
        units = self._counted(quantities, "a return")
        if any(r.id == id for r in self.returns):
            raise StateTransitionError(f"order {self.number} already has return {id!r}")
        lines = self._moved(units, "returned", lambda ln: ln.fulfilled, "shipped and not returned")
        everything = all(ln.returned == ln.quantity for ln in lines)
        return attrs.evolve(
            self,
            lines=lines,
            fulfilment=FulfilmentState.RETURNED
            if everything
            else FulfilmentState.PARTIALLY_RETURNED,
            returns=(*self.returns, Return(id, units, at)),
            history=self._log("returned", at, id),
        )

    def record_restock(self, restocked: tuple[ReservationLine, ...]) -> Order:
        """Add units put back on hand (after a return or a cancellation)."""
        return attrs.evolve(self, restocked=(*self.restocked, *restocked))

    def cancel(self, at: datetime, reason: str | None = None) -> Order:
        """Cancel an order nothing of which has shipped (the money is given back first)."""
        if self.cancelled_at is not None:
            raise self._refuse("it is already cancelled")
        if any(line.fulfilled for line in self.lines):
            raise self._refuse("part of it has shipped: record a return instead")
        if self.pending_refund is not None:
            raise self._refuse("a refund has not finished")
        captured = sum(p.captured_minor - p.refunded_minor for p in self.payments)
        if captured:
            raise self._refuse("refund what was captured before cancelling")
        payment = self.payment
        if payment in (PaymentState.AUTHORIZED, PaymentState.PAYMENT_FAILED):
            payment = PaymentState.VOIDED
        return attrs.evolve(
            self,
            payment=payment,
            payments=tuple(attrs.evolve(p, voided=p.captured_minor == 0) for p in self.payments),
            cancelled_at=at,
            history=self._log("cancelled", at, reason),
        )
