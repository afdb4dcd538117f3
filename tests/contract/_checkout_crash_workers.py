"""Worker for the checkout crash tests (importable by ``spawn`` children): place, die at a step.

The parent seeds a store (stock, a cart, a customer's store credit) and starts one spawned child
per case. The child opens the same store with a :class:`~commercekit.clock.ManualClock` at
:data:`T0`, builds the services as a host would (the fake gateway keeps its state in the store,
so what it held survives the child) and places the cart's order with an ``observer`` that sends
the child ``SIGKILL`` when the named step is reached: no ``finally``, no ``atexit``, no
rollback by Python. Three kill points are not observer steps:

- ``in_authorize_call`` / ``in_capture_call`` / ``in_void_call``: the fake provider has done the
  work (the money is held, taken, or released) and the child dies before the answer is
  recorded, with the payment's claim left pending (a void is only called by a checkout giving
  back what it held: the ``declined`` tenders, whose second one is refused);
- ``after_payment_capture`` / ``after_payment_void``: the payment service has recorded a
  capture (or a void) and the child dies before the order (or the checkout) hears of it;
- ``inside_place``: the child dies inside the place transaction, after the stock was committed,
  the coupon use consumed, the order number taken and the order written, before the outbox
  events and the checkout's own save (the database must roll all of it back).

If the step is never reached the child reports how the checkout ended instead of dying.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from typing import Any

import attrs

from commercekit import Money
from commercekit.cart import Cart, CartService
from commercekit.checkout import CheckoutService, PayWith
from commercekit.checkout import _service as checkout_service
from commercekit.clock import ManualClock
from commercekit.gateways.payments import FakeGateway
from commercekit.inventory import InventoryService
from commercekit.orders import CaptureMode, Order, OrderService, order_event
from commercekit.payments import (
    CUSTOMER_CREDIT,
    AuthorizeRequest,
    GatewayResult,
    Payment,
    PaymentService,
    StoreCreditGateway,
    issue_store_credit,
)
from commercekit.pricing import (
    CatalogEntry,
    CouponCode,
    InMemoryCatalog,
    PercentOffItems,
    Promotion,
)
from commercekit.storage import Store, open_store
from commercekit.testing import FAKE_TOKEN_OK
from tests.contract._storage_workers import _fatal

__all__ = [
    "CART_ID",
    "CREDIT",
    "CURRENCY",
    "CUSTOMER",
    "IN_AUTHORIZE_CALL",
    "IN_CAPTURE_CALL",
    "IN_VOID_CALL",
    "AFTER_PAYMENT_CAPTURE",
    "AFTER_PAYMENT_VOID",
    "COUPON",
    "PROMOTIONS",
    "INSIDE_PLACE",
    "KEY",
    "LOCATION",
    "PRICES",
    "STOCK",
    "T0",
    "TOTAL",
    "Shop",
    "build_shop",
    "crash_worker",
    "pay_with",
    "seed",
]

#: The time of every store in these tests (the parent moves its own clock on to recover).
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CURRENCY = "USD"
LOCATION = "main"
PRICES = {"MUG": Money("8.00", CURRENCY), "TEE": Money("20.00", CURRENCY)}
#: Units on hand before the checkout.
STOCK = {"MUG": 10, "TEE": 5}
CART_ID = "crash-cart"
CUSTOMER = "ada"
#: The customer's store credit: the first tender of a split-tender case pays this much.
CREDIT = Money("10.00", CURRENCY)
#: A coupon the crash cart carries (limited to one use: consumed by the order, or not at all).
COUPON = "CRASH5"
PROMOTIONS = (
    Promotion(
        "crash-coupon",
        "5% with a code",
        [PercentOffItems(5)],
        [CouponCode({COUPON})],
        usage_limit=1,
    ),
)
#: What the cart costs: 2 x 8.00 + 20.00, less the coupon's 5%.
TOTAL = Money("34.20", CURRENCY)
#: The shop's gift card code key.
CODE_KEY = b"crash-test-gift-card-key-0123456789"
#: The checkout key of every crash case (one checkout per store).
KEY = "crash-checkout"
#: Kill points that are not observer steps (see the module docs).
IN_AUTHORIZE_CALL = "in_authorize_call"
IN_CAPTURE_CALL = "in_capture_call"
IN_VOID_CALL = "in_void_call"
AFTER_PAYMENT_CAPTURE = "after_payment_capture"
AFTER_PAYMENT_VOID = "after_payment_void"
INSIDE_PLACE = "inside_place"


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillingFake(FakeGateway):
    """The store-backed fake, which dies once the provider did the work of an armed call."""

    def __init__(self, store: Store, *, kill_in: str | None = None) -> None:
        super().__init__(store=store)
        self._kill_in = kill_in

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        result = super().authorize(request, idempotency_key=idempotency_key)
        if self._kill_in == IN_AUTHORIZE_CALL:
            _die()
        return result

    def capture(
        self,
        reference: str,
        amount: Money,
        *,
        final: bool,
        idempotency_key: str,
    ) -> GatewayResult:
        result = super().capture(reference, amount, final=final, idempotency_key=idempotency_key)
        if self._kill_in == IN_CAPTURE_CALL:
            _die()
        return result

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        result = super().void(reference, idempotency_key=idempotency_key)
        if self._kill_in == IN_VOID_CALL:
            _die()
        return result


class KillingPayments(PaymentService):
    """The payment service, which dies once it has recorded an armed capture or void."""

    kill_in: str | None = None

    def capture(
        self, payment_id: str, amount: Money | None = None, *, final: bool = True
    ) -> Payment:
        payment = super().capture(payment_id, amount, final=final)
        if self.kill_in == AFTER_PAYMENT_CAPTURE:
            _die()
        return payment

    def void(self, payment_id: str) -> Payment:
        payment = super().void(payment_id)
        if self.kill_in == AFTER_PAYMENT_VOID:
            _die()
        return payment


@attrs.frozen
class Shop:
    """The services of one process, over one store."""

    store: Store
    fake: FakeGateway
    credit: StoreCreditGateway
    carts: CartService
    inventory: InventoryService
    payments: PaymentService
    orders: OrderService
    checkout: CheckoutService


def build_shop(
    store: Store,
    *,
    capture: CaptureMode = CaptureMode.IMMEDIATE,
    observer: Callable[[str], None] | None = None,
    fake: FakeGateway | None = None,
    promotions: tuple[Promotion, ...] | None = None,
    prices: Mapping[str, Money] = PRICES,
    kill_in: str | None = None,
) -> Shop:
    """The services a host builds over ``store`` (the fake gateway's state in the store).

    ``promotions`` default to :data:`PROMOTIONS`; ``kill_in`` arms the payment service (the
    parent's is never armed).
    """
    catalog = InMemoryCatalog([CatalogEntry(sku, price=price) for sku, price in prices.items()])
    fake = FakeGateway(store=store) if fake is None else fake
    credit = StoreCreditGateway(store, key=CODE_KEY)
    carts = CartService(store, catalog, promotions=PROMOTIONS if promotions is None else promotions)
    inventory = InventoryService(store)
    payments = KillingPayments(store, {"fake": fake, "store_credit": credit})
    payments.kill_in = kill_in
    orders = OrderService(store, payments, inventory=inventory, carts=carts, capture=capture)
    checkout = CheckoutService(carts, orders, observer=observer)
    return Shop(store, fake, credit, carts, inventory, payments, orders, checkout)


def pay_with(shop: Shop, tenders: str) -> list[PayWith]:
    """The tenders of a case.

    ``card``: the fake card alone; ``split``: the customer's store credit first, then the
    card; ``declined``: the card up to 30.00, then a gift card that was never issued (declined
    ``unknown_card`` once the card is authorized, so the checkout voids it).
    """
    card = PayWith("fake", FAKE_TOKEN_OK)
    if tenders == "card":
        return [card]
    if tenders == "split":
        return [PayWith("store_credit", CUSTOMER_CREDIT, limit=CREDIT, credit=True), card]
    assert tenders == "declined", tenders
    unknown = shop.credit.card_token("NEVER-ISSUED-0000")
    return [
        PayWith("fake", FAKE_TOKEN_OK, limit=Money("30.00", CURRENCY)),
        PayWith("store_credit", unknown, credit=True),
    ]


def seed(shop: Shop) -> Cart:
    """Stock, the customer's store credit and the cart (2 MUG, 1 TEE, the coupon: 34.20)."""
    for sku, units in STOCK.items():
        shop.inventory.receive(sku, LOCATION, units)
    issue_store_credit(shop.store, CUSTOMER, CREDIT)
    cart = Cart(id=CART_ID, currency=CURRENCY, customer_id=CUSTOMER).add("MUG", 2).add("TEE", 1)
    return shop.carts.save(cart.apply_coupon(COUPON))


def _arm_inside_place() -> None:
    """Die inside the place transaction: when its first outbox event is being made."""
    real = order_event  # what the checkout module imported (and calls by that name)

    def dying(topic: str, order: Order, **extra: Any) -> tuple[str, Mapping[str, Any]]:
        real(topic, order, **extra)
        _die()
        raise AssertionError("unreachable")  # pragma: no cover

    checkout_service.order_event = dying  # type: ignore[attr-defined]


def crash_worker(
    url: str,
    schema: str | None,
    step: str,
    occurrence: int,
    tenders: str,
    capture: str,
    results: Queue[dict[str, Any]],
) -> None:
    """Place the cart's order and die at the ``occurrence``-th time ``step`` is reached."""
    try:
        seen = 0

        def observer(name: str) -> None:
            nonlocal seen
            if name == step:
                seen += 1
                if seen == occurrence:
                    _die()

        if step == INSIDE_PLACE:
            _arm_inside_place()
        with open_store(url, schema=schema, migrate=False, clock=ManualClock(T0)) as store:
            shop = build_shop(
                store,
                capture=CaptureMode(capture),
                observer=observer,
                fake=KillingFake(store, kill_in=step),
                kill_in=step,
            )
            result = shop.checkout.place_order(CART_ID, key=KEY, tenders=pay_with(shop, tenders))
        results.put({"pid": os.getpid(), "unexpected": [], "finished": result.state.value})
    except BaseException as exc:
        _fatal(results, exc)
