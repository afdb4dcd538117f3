"""CheckoutService: turn a cart into an order in steps that a crash can never leave half done.

The steps (the checkout guide has the full story):

1. **Validate**, with no side effects: the cart is repriced; lines whose price moved since the
   customer saw it are refused (:class:`~commercekit.errors.PriceChangedError`) unless the
   host accepts them; a refused coupon is refused; the tenders must pay the total exactly.
2. **Record** the checkout under its key (:class:`~commercekit.checkout.Checkout`).
3. **Reserve** the stock under the key.
4. **Authorize** each tender, after saving the payment ids. A tender that needs the customer
   leaves the checkout *awaiting action* with the reservation extended.
5. **Place**, in one transaction: take the order number, store the order, commit the
   reservation, consume the promotion uses, and write ``order.placed`` and ``tax.order`` to
   the outbox.
6. **Capture**, at once or when the order ships (:class:`~commercekit.orders.CaptureMode`).

A failure before step 5 gives back what was held (void the authorizations, release the
reservation) and raises :class:`~commercekit.errors.CheckoutFailedError` saying what was
undone. After step 5 the order stands: a capture that fails moves it to *payment failed*.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

import attrs

from commercekit.cart import Cart, CartService, ShippingRate, price_changes
from commercekit.checkout._record import (
    CHECKOUT_KIND,
    FINAL,
    Checkout,
    CheckoutResult,
    CheckoutState,
    CheckoutTender,
    PayWith,
    ShippingChoice,
    request_hash,
)
from commercekit.errors import (
    CheckoutFailedError,
    CheckoutInProgressError,
    CommerceError,
    ConflictError,
    CouponError,
    EmptyCartError,
    IdempotencyConflictError,
    MethodRefusedError,
    NotFoundError,
    PaymentAmountError,
    PriceChangedError,
    ShippingError,
    ValidationError,
)
from commercekit.inventory import (
    InventoryService,
    Reservation,
    ReservationLine,
    ReservationStatus,
    stock_sku,
    stock_units,
)
from commercekit.money import Money, from_minor_units, to_minor_units
from commercekit.orders import (
    ORDER_KIND,
    CaptureMode,
    Order,
    OrderPayment,
    OrderService,
    order_event,
    order_tax_event,
)
from commercekit.payments import Payment, PaymentStatus, plan_split_tender
from commercekit.ports import ORDER_NUMBERS, OUTBOX, RateProvider, TransactionPort
from commercekit.pricing import Customer
from commercekit.rules import check_identifier
from commercekit.shipping import requote_needed, shipping_request

__all__ = ["CheckoutService"]

log = logging.getLogger("commercekit.checkout")

_S = CheckoutState
_HELD = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORIZED})


_WAITING = frozenset({PaymentStatus.REQUIRES_ACTION, PaymentStatus.PENDING})


class _Missing:
    """No payment yet (its authorization was never sent)."""

    status = None


_MISSING = _Missing()


class _Failed(Exception):
    """A step failed with ``cause``; the checkout compensates and raises the public error."""

    def __init__(self, step: str, cause: CommerceError) -> None:
        super().__init__(step)
        self.step = step
        self.cause = cause


class CheckoutService:
    """Places orders from carts: validate, reserve, authorize, place, capture (module docs).

    ``orders`` is the :class:`~commercekit.orders.OrderService` whose payments, inventory and
    capture mode the checkout uses; ``carts`` prices and consumes the promotions. ``lease`` is
    how long a caller holds a checkout before a recovery pass may take it over (longer than
    the slowest gateway call); ``action_ttl`` how long stock stays reserved for a customer
    completing 3-D Secure; ``wait`` how long a second caller with the same key waits for the
    first to finish (seconds). ``numbers`` names the order number sequence and ``first_number``
    is its start; ``number_prefix`` comes before every number (``"WEB-"``).

    ``rates`` (a :class:`~commercekit.ports.RateProvider`, optional) quotes shipping again
    when the reservation splits a cart across locations differently from the quote the
    customer chose (see :class:`~commercekit.checkout.ShippingChoice`).

    ``observer``, if given, is called with the name of each step as it is reached
    (``"before_reserve"``, ``"after_reserve"``, ``"before_authorize"``,
    ``"after_authorize"``, ``"before_place"``, ``"after_place"``, ``"before_capture"``,
    ``"after_capture"``): for tracing, and for the crash tests that stop a process there.
    """

    def __init__(
        self,
        carts: CartService,
        orders: OrderService,
        *,
        lease: timedelta = timedelta(minutes=2),
        action_ttl: timedelta = timedelta(minutes=30),
        wait: float = 30.0,
        numbers: str = "orders",
        first_number: int = 1001,
        number_prefix: str = "",
        observer: Callable[[str], None] | None = None,
        rates: RateProvider | None = None,
    ) -> None:
        if orders.inventory is None:
            raise ValidationError("a checkout needs an OrderService with an InventoryService")
        if orders.store is not carts.store:
            raise ValidationError("the cart and order services must share one store")
        self.carts = carts
        self.orders = orders
        self.store = orders.store
        self.inventory: InventoryService = orders.inventory
        self.payments = orders.payments
        self.lease = lease
        self.action_ttl = action_ttl
        self.wait = wait
        self.numbers = check_identifier(numbers, name="order number sequence")
        self.first_number = first_number
        self.number_prefix = number_prefix
        #: Quotes shipping again when a reservation splits differently from the quote.
        self.rates = rates
        #: Called with each step's name (see the class docs); may be replaced at any time.
        self.observer = observer

    def _step(self, name: str) -> None:
        if self.observer is not None:
            self.observer(name)

    # -- the entry point -----------------------------------------------------------------------

    def place_order(
        self,
        cart: Cart | str,
        *,
        key: str,
        tenders: Sequence[PayWith] = (),
        customer: Customer | None = None,
        shipping: ShippingRate | ShippingChoice | None = None,
        accept_price_changes: bool = False,
        return_url: str | None = None,
    ) -> CheckoutResult:
        """Turn ``cart`` (a cart or its id) into an order, once per ``key``.

        ``tenders`` pay the total in the order given (a gift card up to its balance, then a
        card for the rest, say; :func:`~commercekit.payments.plan_split_tender`); a zero
        total needs none. ``shipping`` is the :class:`~commercekit.cart.ShippingRate` the
        customer chose, or a :class:`~commercekit.checkout.ShippingChoice` (a carrier or
        table quote and its request): then, once stock is reserved, a different split across
        locations is quoted again; the same price goes on (``result.requote`` says what
        changed), another price or a method no longer offered fails the checkout.

        Returns a :class:`~commercekit.checkout.CheckoutResult`: the order (*completed*),
        or *awaiting_action* with what the customer must do; call again with
        the same key once they have (or let the webhook and :meth:`resume` do it).

        The same key and request return the same result, from any process, at any time; the
        same key with another cart or tenders is an
        :class:`~commercekit.errors.IdempotencyConflictError`. Errors:
        :class:`~commercekit.errors.EmptyCartError`,
        :class:`~commercekit.errors.PriceChangedError`,
        :class:`~commercekit.errors.CouponError` and
        :class:`~commercekit.errors.PaymentAmountError` before anything is held;
        :class:`~commercekit.errors.CheckoutFailedError` after (what was held is given back).
        """
        key = check_identifier(key, name="checkout key")
        if isinstance(cart, str):
            cart = self.carts.load(cart)
        if not cart.lines:
            raise EmptyCartError(f"cart {cart.id!r} has no lines: nothing to order")
        tenders = tuple(tenders)
        unknown = sorted({t.method for t in tenders} - set(self.payments.gateways))
        if unknown:
            raise ValidationError(
                f"no payment gateway named {', '.join(map(repr, unknown))}: this checkout knows "
                f"{', '.join(map(repr, sorted(self.payments.gateways)))}"
            )
        digest = request_hash(cart, tenders, shipping, customer)
        existing = self._find(key)
        if existing is not None:
            return self._continue(existing, digest)
        choice = shipping if isinstance(shipping, ShippingChoice) else None
        rate = shipping.rate if isinstance(shipping, ShippingChoice) else shipping
        priced = self.carts.price(cart, customer=customer, shipping=rate)
        breakdown = priced.breakdown
        changes = price_changes(cart, breakdown)
        if changes and not accept_price_changes:
            raise PriceChangedError(
                f"{len(changes)} price(s) changed since the customer saw them: "
                + ", ".join(f"{c.line_id} {c.seen} -> {c.current}" for c in changes),
                changes,
            )
        refused = [c for c in breakdown.coupons if not c.accepted]
        if refused:
            first = refused[0]
            why = "refused" if first.reason is None else first.reason.value
            raise CouponError(
                f"coupon {first.code!r} cannot be used: {why}",
                first.code,
                why,
                promotion_id=first.promotion_id,
            )
        fixed = _tenders(key, tenders, breakdown.grand_total)
        record = Checkout(
            id=key,
            request_hash=digest,
            cart=cart,
            customer_id=cart.customer_id,
            state=_S.STARTED,
            breakdown=breakdown,
            ship_to=cart.shipping_address,
            tenders=fixed,
            reservation_key=f"checkout:{key}",
            line_stock=self._line_stock(cart),
            owner_until=self.store.clock.now() + self.lease,
            shipping_quote=None if choice is None else choice.quote,
            shipping_request=None if choice is None else choice.request,
        )
        try:
            with self.store.transaction() as tx:
                record = tx.aggregates(CHECKOUT_KIND).add(record)
        except ConflictError:  # another caller recorded the same key first
            found = self._find(key)
            if found is None:
                raise
            return self._continue(found, digest)
        return self._run(record, return_url)

    def _line_stock(self, cart: Cart) -> dict[str, dict[str, int]]:
        """Stock units per stocked SKU of each line (variants and packs resolved)."""
        entries = self.carts.catalog.get_entries(line.sku for line in cart.lines)
        stock: dict[str, dict[str, int]] = {}
        for line in cart.lines:
            entry = entries[line.sku]
            units = stock.setdefault(line.id, {})
            sku = stock_sku(line, entry)
            units[sku] = units.get(sku, 0) + stock_units(line, entry)
        return stock

    def resume(self, key: str) -> CheckoutResult:
        """Go on with checkout ``key`` (after the customer's action, or from a webhook)."""
        key = check_identifier(key, name="checkout key")
        record = self._find(key)
        if record is None:
            raise NotFoundError(f"no checkout {key!r}")
        return self._continue(record, record.request_hash)

    def get(self, key: str) -> Checkout:
        """The checkout stored under ``key`` (:class:`~commercekit.errors.NotFoundError`)."""
        key = check_identifier(key, name="checkout key")
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(CHECKOUT_KIND).get(key)

    # -- reading and saving the record ---------------------------------------------------------

    def _find(self, key: str) -> Checkout | None:
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(CHECKOUT_KIND).find(key)

    def _save(self, record: Checkout, **changes: object) -> Checkout:
        """Save ``record`` with ``changes`` and a renewed lease (ConflictError if stale)."""
        changed = attrs.evolve(record, owner_until=self.store.clock.now() + self.lease, **changes)  # type: ignore[arg-type]
        with self.store.transaction() as tx:
            return tx.aggregates(CHECKOUT_KIND).save(changed)

    def _result(self, record: Checkout) -> CheckoutResult:
        if record.state is _S.FAILED:
            raise CheckoutFailedError(
                f"checkout {record.id!r} failed at {record.failed_step}: {record.error}"
                + (f" (undone: {'; '.join(record.undone)})" if record.undone else ""),
                key=record.id,
                step=record.failed_step or "unknown",
                cause=record.error_type or "CommerceError",
                undone=record.undone,
                customer_message=record.customer_message,
            )
        order = None
        if record.order_id is not None:
            with self.store.transaction(readonly=True) as tx:
                order = tx.aggregates(ORDER_KIND).get(record.order_id)
        waiting = None
        if record.state is _S.AWAITING_ACTION:
            for tender in record.tenders:
                payment = self.payments.find(tender.payment_id)
                if payment is not None and payment.status in _WAITING:
                    waiting = tender.payment_id
                    break
        return CheckoutResult(
            record.state, order, action_payment_id=waiting, requote=record.requote
        )

    def _continue(self, record: Checkout, digest: str) -> CheckoutResult:
        """A call under a key already recorded: replay, resume, wait, or take over."""
        if record.request_hash != digest:
            raise IdempotencyConflictError(
                f"checkout key {record.id!r} was used for another cart or payment"
            )
        deadline = time.monotonic() + self.wait
        while True:
            if record.state in FINAL:
                return self._result(record)
            if record.state is _S.AWAITING_ACTION:
                return self._run(record, None)
            if record.owner_until <= self.store.clock.now():
                try:
                    return self._run(self._save(record), None)  # take it over
                except ConflictError:
                    pass  # someone else took it over first: wait for them
            elif time.monotonic() >= deadline:
                raise CheckoutInProgressError(
                    f"checkout {record.id!r} is in progress elsewhere ({record.state.value})"
                )
            time.sleep(0.05)
            found = self._find(record.id)
            if found is None:  # pragma: no cover - checkouts are never deleted while open
                raise NotFoundError(f"checkout {record.id!r} disappeared")
            record = found

    # -- the steps -----------------------------------------------------------------------------

    def _run(self, record: Checkout, return_url: str | None) -> CheckoutResult:
        """Drive ``record`` from its state to the end (or to awaiting action)."""
        try:
            if record.state is _S.STARTED:
                record = self._reserve(record)
            if record.state is _S.RESERVED:
                record = self._requote(record)
            if record.state in (_S.RESERVED, _S.AUTHORIZING, _S.AWAITING_ACTION):
                record, waiting = self._authorize(record, return_url)
                if waiting is not None:
                    return waiting
            if record.state is _S.AUTHORIZED:
                record = self._place(record)
        except _Failed as failed:
            return self._result(self._compensate(record, failed.step, failed.cause))
        except ConflictError:
            # Another caller (a recovery pass, a second submission) moved the checkout on.
            found = self._find(record.id)
            if found is None:  # pragma: no cover - checkouts are never deleted while open
                raise
            return self._continue(found, found.request_hash)
        if record.state is _S.PLACED:
            record = self._capture(record)
        return self._result(record)

    def _reserve(self, record: Checkout) -> Checkout:
        lines = [(sku, units) for line in record.line_stock.values() for sku, units in line.items()]
        self._step("before_reserve")
        if lines:
            try:
                self.inventory.reserve(record.reservation_key, lines)
            except CommerceError as exc:
                raise _Failed("reserve", exc) from exc
        self._step("after_reserve")
        # Not saved yet: the shipping check comes first, then one save before any gateway call.
        return attrs.evolve(record, state=_S.RESERVED)

    def _requote(self, record: Checkout) -> Checkout:
        """Quote the shipping again if the reservation splits differently from the quote."""
        quoted, request = record.shipping_quote, record.shipping_request
        if quoted is None or request is None or record.requote is not None:
            return record
        reservation = self.inventory.by_key(record.reservation_key)
        if reservation is None:
            return record
        skus = {sku for line in record.line_stock.values() for sku in line}
        reserved = shipping_request(
            record.cart,
            self.carts.catalog,
            reservation.lines,
            locations=self.inventory.location_addresses(),
            breakdown=record.breakdown,
            bundles={sku: parts for sku in skus if (parts := self.inventory.bundle(sku))},
        )
        check = requote_needed(request, reserved)
        if not check:
            return record
        if self.rates is None:
            raise _Failed(
                "shipping",
                ShippingError(
                    f"the stock ships differently from the quote ({check}) and this checkout"
                    " has no rate provider to quote it again"
                ),
            )
        try:
            offered = [q for q in self.rates.quote(reserved) if q.method == quoted.method]
        except CommerceError as exc:
            raise _Failed("shipping", exc) from exc
        if not offered:
            raise _Failed(
                "shipping",
                MethodRefusedError(
                    f"shipping method {quoted.method!r} is not offered for the stock as "
                    "reserved: choose another"
                ),
            )
        again = min(offered, key=lambda q: q.amount.amount)
        if again.amount != quoted.amount:
            raise _Failed(
                "shipping",
                PriceChangedError(
                    f"shipping {quoted.method!r} costs {again.amount} for the stock as "
                    f"reserved, not the {quoted.amount} quoted: show it and check out again",
                    (),
                ),
            )
        return attrs.evolve(record, requote=check, shipping_quote=again)

    def _authorize(
        self, record: Checkout, return_url: str | None
    ) -> tuple[Checkout, CheckoutResult | None]:
        if record.state is _S.RESERVED:
            record = self._save(record, state=_S.AUTHORIZING)  # before any gateway call
        currency = record.breakdown.currency
        for tender in record.tenders:
            self._step("before_authorize")
            try:
                payment = self._authorized(record, tender, currency, return_url)
            except CommerceError as exc:
                raise _Failed("authorize", exc) from exc
            self._step("after_authorize")
            if payment.status in _WAITING:
                if record.state is not _S.AWAITING_ACTION:
                    self._extend(record)
                    record = self._save(record, state=_S.AWAITING_ACTION)
                return record, CheckoutResult(
                    _S.AWAITING_ACTION,
                    None,
                    next_action=payment.next_action,
                    action_payment_id=payment.id,
                )
        # Not saved: the place step stores the order and the checkout in one transaction, and
        # a recovery pass finds an AUTHORIZING checkout whose payments all went through.
        return attrs.evolve(record, state=_S.AUTHORIZED), None

    def _authorized(
        self, record: Checkout, tender: CheckoutTender, currency: object, return_url: str | None
    ) -> Payment:
        """The tender's payment, authorized (or waiting for the customer)."""
        payment = self.payments.find(tender.payment_id)
        if payment is not None and payment.pending is not None:
            payment = self.payments.recover(tender.payment_id, older_than=timedelta(0))
        if (
            payment is not None
            and payment.status
            in (
                PaymentStatus.REQUIRES_ACTION,
                PaymentStatus.PENDING,
            )
            and payment.reference is not None
        ):
            return self.payments.resume(tender.payment_id)
        if payment is not None and payment.status is PaymentStatus.AUTHORIZED:
            return payment
        return self.payments.authorize(
            tender.payment_id,
            tender.method,
            from_minor_units(tender.amount_minor, currency),
            tender.token,
            customer_id=record.customer_id,
            return_url=return_url,
        )

    def _extend(self, record: Checkout) -> None:
        reservation = self.inventory.by_key(record.reservation_key)
        if reservation is not None and reservation.status is ReservationStatus.ACTIVE:
            # Already expired: the commit takes the stock again or refuses clearly.
            with contextlib.suppress(CommerceError):
                self.inventory.extend(reservation, self.action_ttl)

    def _place(self, record: Checkout) -> Checkout:
        self._step("before_place")
        reservation = self.inventory.by_key(record.reservation_key)
        try:
            with self.store.transaction() as tx:
                # Stock and promotion uses first; the order number last, so its row (which
                # every placing checkout must take in turn) is held for the shortest time.
                if reservation is not None:
                    committed = self.inventory.commit(reservation).lines
                else:
                    committed = ()
                self.carts.consume_usage(record.breakdown, customer_id=record.customer_id)
                order = self._store_order(tx, record, reservation, committed)
                outbox = tx.repository(OUTBOX)
                outbox.append(*order_event("order.placed", order))
                tax = order_tax_event(order)
                if tax is not None:
                    outbox.append(*tax)
                record = tx.aggregates(CHECKOUT_KIND).save(
                    attrs.evolve(
                        record,
                        state=_S.PLACED,
                        order_id=order.id,
                        owner_until=self.store.clock.now() + self.lease,
                    )
                )
        except ConflictError:
            raise
        except CommerceError as exc:
            raise _Failed("place", exc) from exc
        self._step("after_place")
        return record

    def _store_order(
        self,
        tx: TransactionPort,
        record: Checkout,
        reservation: Reservation | None,
        committed: tuple[ReservationLine, ...],
    ) -> Order:
        number = tx.repository(ORDER_NUMBERS).next(self.numbers, start=self.first_number)
        order_id = f"{self.number_prefix}{number}"
        order = Order.place(
            id=order_id,
            number=order_id,
            checkout_key=record.id,
            customer_id=record.customer_id,
            breakdown=record.breakdown,
            payments=tuple(
                OrderPayment(t.payment_id, t.method, t.amount_minor, credit=t.credit)
                for t in record.tenders
            ),
            at=tx.now(),
            reservation_id=None if reservation is None else reservation.id,
            stock_lines=committed,
            line_stock=record.line_stock,
            ship_to=record.ship_to,
        )
        return tx.aggregates(ORDER_KIND).add(order)

    def _capture(self, record: Checkout) -> Checkout:
        if self.orders.capture_mode is CaptureMode.IMMEDIATE and record.order_id is not None:
            self._step("before_capture")
            self.orders.capture(record.order_id)
            self._step("after_capture")
        return self._save(record, state=_S.COMPLETED)

    # -- compensation --------------------------------------------------------------------------

    def _compensate(self, record: Checkout, step: str, cause: CommerceError) -> Checkout:
        """Give back what ``record`` holds; store it as failed with what was undone."""
        log.info(
            "checkout failed; compensating",
            extra={
                "area": "checkout",
                "event": "compensating",
                "checkout": record.id,
                "step": step,
                "error": type(cause).__name__,
            },
        )
        undone = self._give_back(record)
        for _ in range(5):
            try:
                return self._save(
                    record,
                    state=_S.FAILED,
                    error=str(cause),
                    error_type=type(cause).__name__,
                    failed_step=step,
                    undone=tuple(undone),
                    customer_message=getattr(cause, "customer_message", None),
                )
            except ConflictError:
                found = self._find(record.id)
                if found is None or found.state in FINAL:
                    return found or record
                record = found
        raise CheckoutInProgressError(f"checkout {record.id!r} kept changing while failing")

    def _give_back(self, record: Checkout) -> list[str]:
        undone: list[str] = []
        for tender in record.tenders:
            payment = self.payments.find(tender.payment_id)
            if payment is None:
                continue
            if payment.pending is not None:
                payment = self.payments.recover(tender.payment_id, older_than=timedelta(0))
            payment = self.payments.expire_authorization(tender.payment_id)
            if payment.status in _HELD:
                self.payments.void(tender.payment_id)
                undone.append(f"voided payment {tender.payment_id}")
        reservation = self.inventory.by_key(record.reservation_key)
        if reservation is not None and reservation.status is ReservationStatus.ACTIVE:
            self.inventory.release(reservation)
            undone.append(f"released reservation {record.reservation_key}")
        return undone

    # -- recovery ------------------------------------------------------------------------------

    def recover(self, *, limit: int = 100) -> list[CheckoutResult | CheckoutFailedError]:
        """Finish or undo every checkout a crashed process left (call it on a schedule).

        Only checkouts whose caller's lease has run out are touched. One that got as far as
        every tender authorized is completed (the order is placed and captured); one that
        had not is undone (authorizations voided, reservation released). A checkout awaiting
        the customer is left alone until its reservation would lapse
        (``action_ttl``), then completed if the payment went through, else undone. Returns
        what became of each.
        """
        now = self.store.clock.now()
        with self.store.transaction(readonly=True) as tx:
            candidates = tx.aggregates(CHECKOUT_KIND).list(status="open", limit=limit)
            candidates += tx.aggregates(CHECKOUT_KIND).list(status="awaiting", limit=limit)
        outcomes: list[CheckoutResult | CheckoutFailedError] = []
        for record in candidates:
            if record.owner_until > now:
                continue
            if record.state is _S.AWAITING_ACTION and (
                record.owner_until + self.action_ttl - self.lease > now
            ):
                continue
            try:
                outcomes.append(self._recover_one(record))
            except CheckoutFailedError as failed:
                outcomes.append(failed)
            except ConflictError:
                continue  # someone else is on it
            except CommerceError as exc:
                # A gateway down while finishing or undoing this one: a later pass retries it
                # (its lease was renewed); the others must not wait for it.
                log.warning(
                    "checkout recovery failed; retried on a later pass",
                    extra={
                        "area": "checkout",
                        "event": "recovery_failed",
                        "checkout": record.id,
                        "error": type(exc).__name__,
                    },
                )
        return outcomes

    def _recover_one(self, record: Checkout) -> CheckoutResult:
        record = self._save(record)  # take it over (ConflictError if someone else did)
        if record.state in (_S.AUTHORIZING, _S.AWAITING_ACTION, _S.AUTHORIZED):
            if all(self._settled(t).status is PaymentStatus.AUTHORIZED for t in record.tenders):
                return self._run(attrs.evolve(record, state=_S.AUTHORIZED), None)
            why = (
                "the customer did not complete the payment"
                if record.state is _S.AWAITING_ACTION
                else "interrupted before every payment was authorized"
            )
            return self._result(self._compensate(record, "authorize", CheckoutInProgressError(why)))
        if record.state in (_S.STARTED, _S.RESERVED):
            return self._result(
                self._compensate(
                    record, "reserve", CheckoutInProgressError("interrupted before payment")
                )
            )
        return self._run(record, None)

    def _settled(self, tender: CheckoutTender) -> Payment | _Missing:
        """The tender's payment with any call in flight settled with the gateway."""
        payment = self.payments.find(tender.payment_id)
        if payment is None:
            return _MISSING
        if payment.pending is not None:
            payment = self.payments.recover(tender.payment_id, older_than=timedelta(0))
        return payment


def _tenders(key: str, tenders: Sequence[PayWith], total: Money) -> tuple[CheckoutTender, ...]:
    """The tenders with their payment ids and exact shares of ``total``."""
    if to_minor_units(total) == 0:
        return ()
    if not tenders:
        raise PaymentAmountError(f"the order costs {total}: pay it with at least one tender")
    sources = {source.tender.name: source for source in tenders}
    shares = plan_split_tender(total, [source.tender for source in tenders])
    return tuple(
        CheckoutTender(
            f"{key}-{share.name}",
            sources[share.name].method,
            sources[share.name].token,
            to_minor_units(share.amount),
            share.credit,
        )
        for share in shares
    )
