"""A checkout process killed (SIGKILL) at each step, then a recovery pass: SQLite and PostgreSQL.

One spawned child per case places one order and is killed at a step (see
:mod:`tests.contract._checkout_crash_workers`). The parent, whose store clock stands ten minutes
later (past the checkout's two-minute lease and the payments' five-minute claim timeout, within
the reservation's fifteen), runs what a host runs on a schedule: ``CheckoutService.recover()``,
``OrderService.recover()`` and ``PaymentService.recover_pending()``. Then nothing may be held
for nobody:

- every authorization in the store belongs to the order or was voided, and no claim is left;
- the fake provider agrees: what it captured is what the order captured, the rest is voided;
- the reservation was committed for the order or released, and stock adds up;
- the order, if any, is paid (or awaiting capture on fulfilment), numbered 1001 (no gap);
- placing again under the same key returns the same order or ``CheckoutFailedError``, with
  no new order and no new charge.

A crash before every tender is authorized is undone; once every tender is authorized (even
if the checkout had not recorded it yet: the provider's answer is settled first) the order is
placed and captured.
The ``inside_place`` case dies inside the place transaction after it wrote the order: the
database rolls the whole transaction back (that atomicity is the database's, not the code's:
what this case checks is that nothing outside that transaction was done first, and that
recovery then places the order once, under the number the dead transaction had taken).
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import attrs
import pytest

from commercekit.checkout import CHECKOUT_KIND, CheckoutResult, CheckoutState
from commercekit.clock import ManualClock
from commercekit.errors import CheckoutFailedError
from commercekit.gateways.payments import FakeChargeStatus
from commercekit.inventory import ReservationStatus
from commercekit.money import Money, from_minor_units
from commercekit.orders import CaptureMode, Order, OrderPayment, PaymentState
from commercekit.payments import PAYMENT_KIND, PaymentStatus
from commercekit.storage import open_store
from tests.contract import _checkout_crash_workers as crash
from tests.contract import test_storage_processes as storage_processes
from tests.contract.test_storage_processes import Target

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema

SPAWN = multiprocessing.get_context("spawn")
CHILD_TIMEOUT = 60.0
#: How long after the crash the host's recovery runs (see the module docs).
LATER = timedelta(minutes=10)
_HELD = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORIZED})


@attrs.frozen
class Case:
    """Kill at the ``occurrence``-th ``step``; ``completes``: recovery places the order.

    ``tenders`` names the tenders (:func:`~tests.contract._checkout_crash_workers.pay_with`);
    ``later`` is how long after the crash recovery runs; with ``sold_meanwhile`` another sale
    takes every TEE in between (the checkout's reservation having lapsed by then).
    """

    step: str
    completes: bool
    occurrence: int = 1
    tenders: str = "card"
    capture: CaptureMode = CaptureMode.IMMEDIATE
    later: timedelta = LATER
    sold_meanwhile: bool = False

    def __str__(self) -> str:
        text = self.step if self.occurrence == 1 else f"{self.step}#{self.occurrence}"
        if self.tenders != "card":
            text += f"-{self.tenders}"
        if self.capture is not CaptureMode.IMMEDIATE:
            text += f"-{self.capture.value}"
        if self.later != LATER:
            text += f"-after{int(self.later.total_seconds()) // 60}min"
        if self.sold_meanwhile:
            text += "-sold_meanwhile"
        return text


_ON_FULFILMENT = CaptureMode.ON_FULFILMENT
#: Past the reservation's fifteen minutes.
_LAPSED = timedelta(minutes=20)
CASES = [
    Case("before_reserve", completes=False),
    Case("after_reserve", completes=False),
    Case("before_authorize", completes=False),
    # Every tender authorized, though the checkout had not recorded it: completed.
    Case(crash.IN_AUTHORIZE_CALL, completes=True),
    Case("after_authorize", completes=True),
    Case("before_place", completes=True),
    Case(crash.INSIDE_PLACE, completes=True),
    Case("after_place", completes=True),
    Case("before_capture", completes=True),
    Case(crash.IN_CAPTURE_CALL, completes=True),
    Case("after_capture", completes=True),
    # Store credit, then the card: between and inside the two authorizations.
    Case("before_authorize", completes=False, tenders="split"),
    Case("after_authorize", completes=False, tenders="split"),
    Case("before_authorize", completes=False, occurrence=2, tenders="split"),
    Case(crash.IN_AUTHORIZE_CALL, completes=True, tenders="split"),
    Case("after_authorize", completes=True, occurrence=2, tenders="split"),
    Case("before_place", completes=True, tenders="split"),
    Case(crash.IN_CAPTURE_CALL, completes=True, tenders="split"),
    # The payment service recorded a capture the order has not heard of.
    Case(crash.AFTER_PAYMENT_CAPTURE, completes=True),
    Case(crash.AFTER_PAYMENT_CAPTURE, completes=True, tenders="split"),
    # The card is held, the gift card declined: killed while giving the card's hold back.
    Case(crash.IN_VOID_CALL, completes=False, tenders="declined"),
    Case(crash.AFTER_PAYMENT_VOID, completes=False, tenders="declined"),
    # Capture when the order ships: a recovered order waits, authorized.
    Case("after_authorize", completes=True, capture=_ON_FULFILMENT),
    Case("before_place", completes=True, capture=_ON_FULFILMENT),
    Case(crash.INSIDE_PLACE, completes=True, tenders="split", capture=_ON_FULFILMENT),
    # Recovery after the reservation lapsed: the stock is taken again, or the money given back.
    Case("after_reserve", completes=False, later=_LAPSED),
    Case("before_place", completes=True, later=_LAPSED),
    Case("before_place", completes=False, later=_LAPSED, sold_meanwhile=True),
]


def _kill(case: Case, target: Target) -> None:
    """Run the child of ``case`` and check that it died by SIGKILL at its step."""
    results: Any = SPAWN.Queue()
    child = SPAWN.Process(
        target=crash.crash_worker,
        args=(
            target.url,
            target.schema,
            case.step,
            case.occurrence,
            case.tenders,
            case.capture.value,
            results,
        ),
        daemon=True,
    )
    child.start()
    try:
        child.join(CHILD_TIMEOUT)
        report = None if results.empty() else results.get(timeout=1)
        assert child.exitcode == -signal.SIGKILL, f"the child was not killed: {report}"
    finally:
        if child.is_alive():
            child.kill()
            child.join()


def _problems(
    shop: crash.Shop, orders: list[Order], capture: CaptureMode, elsewhere: Counter[str]
) -> list[str]:
    """Everything held for nobody, money or stock, after the recovery pass.

    ``elsewhere`` counts units sold by other means than the orders (by SKU).
    """
    problems: list[str] = []
    ours = {p.payment_id: (o, p) for o in orders for p in o.payments}
    with shop.store.transaction(readonly=True) as tx:
        payments = tx.aggregates(PAYMENT_KIND).list(limit=1000)
    for payment in payments:
        if payment.pending is not None:
            problems.append(f"payment {payment.id} still claims {payment.pending.operation}")
        voided = payment.status is PaymentStatus.VOIDED
        if payment.authorized_minor > 0 and payment.id not in ours and not voided:
            problems.append(f"payment {payment.id} of no order is {payment.status}")
        if payment.id in ours:
            order, tender = ours[payment.id]
            if payment.captured_minor != tender.captured_minor:
                problems.append(
                    f"payment {payment.id} captured {payment.captured_minor}, its order "
                    f"{order.number} says {tender.captured_minor}"
                )
        elif payment.status in _HELD:
            problems.append(f"payment {payment.id} of no order still holds money")
    # The provider's side: nothing captured for nobody, nothing held for nobody.
    for charge in shop.fake.charges():
        if charge.payment_id in ours:
            order, tender = ours[charge.payment_id]
            if charge.captured_minor != tender.captured_minor:
                problems.append(f"the fake captured {charge.captured_minor} for {order.number}")
        elif charge.captured_minor or (
            charge.authorized_minor and charge.status is not FakeChargeStatus.VOIDED
        ):
            problems.append(f"the fake's intent {charge.id} of no order is {charge.status}")
    per_payment = Counter(c.payment_id for c in shop.fake.charges() if c.authorized_minor)
    problems += [f"{p} was authorized {n} times" for p, n in per_payment.items() if n > 1]
    # Store credit: the balance lost what the order captured, nothing else is held.
    (card,) = shop.credit.customer_credit(crash.CUSTOMER)
    credit_captured = sum(p.captured_minor for p, _ in _credit(orders))
    credit_held = sum(p.amount_minor - p.captured_minor for p, o in _credit(orders) if _awaits(o))
    if (card.balance, card.held) != (
        crash.CREDIT - _money(credit_captured),
        _money(credit_held),
    ):
        problems.append(f"store credit is {card.balance} with {card.held} held")
    # The coupon's one use: consumed by the order carrying it, or not at all.
    carrying = [o for o in orders if any(p.applied for p in o.breakdown.promotions)]
    with shop.store.transaction(readonly=True) as tx:
        uses = tx.promotion_usage.count("crash-coupon").total
    if uses != len(carrying) or len(carrying) != len(orders):
        problems.append(f"the coupon was used {uses} times by {len(orders)} order(s)")
    # Stock: committed for the order, or released; on hand lost exactly what was sold.
    reservation = shop.inventory.by_key(f"checkout:{crash.KEY}")
    if reservation is not None:
        committed = reservation.status is ReservationStatus.COMMITTED
        if committed and [o.reservation_id for o in orders] != [reservation.id]:
            problems.append(f"reservation {reservation.id} committed for no order")
        if not committed and reservation.status is ReservationStatus.ACTIVE:
            problems.append(f"reservation {reservation.id} is {reservation.status}")
    sold = Counter[str]()
    for order in orders:
        for line in order.lines:
            sold[line.sku] += int(line.quantity)
    for sku, start in crash.STOCK.items():
        level = shop.inventory.level(sku, crash.LOCATION)
        assert level is not None
        if (level.on_hand, level.reserved) != (start - sold[sku] - elsewhere[sku], 0):
            problems.append(f"{sku}: {level.on_hand} on hand, {level.reserved} reserved")
    # Orders: paid, awaiting capture on fulfilment, zero total, or cancelled and given back.
    for order in orders:
        if order.payment is PaymentState.PAID:
            if order.captured != order.total:
                problems.append(f"order {order.number} is paid {order.captured} of {order.total}")
        elif order.payment is PaymentState.AUTHORIZED:
            if capture is not CaptureMode.ON_FULFILMENT:
                problems.append(f"order {order.number} is authorized but capture is immediate")
        elif order.cancelled_at is not None:
            if order.refunded != order.captured:
                problems.append(f"cancelled order {order.number} kept {order.captured}")
        elif order.payment is not PaymentState.ZERO_TOTAL:
            problems.append(f"order {order.number} is {order.status}")
    return problems


def _credit(orders: list[Order]) -> list[tuple[OrderPayment, Order]]:
    return [(p, o) for o in orders for p in o.payments if p.method == "store_credit"]


def _awaits(order: Order) -> bool:
    return order.payment is PaymentState.AUTHORIZED and order.cancelled_at is None


def _money(minor: int) -> Money:
    return from_minor_units(minor, crash.CURRENCY)


def _all_orders(shop: crash.Shop) -> list[Order]:
    return shop.orders.list(limit=1000)


def _sell_every_tee(shop: crash.Shop) -> None:
    """Another checkout's sale: every TEE, reserved (freeing lapsed holds) and committed."""
    other = shop.inventory.reserve("elsewhere", [("TEE", crash.STOCK["TEE"])])
    shop.inventory.commit(other)


def _replay(shop: crash.Shop, case: Case) -> CheckoutResult | CheckoutFailedError:
    try:
        return shop.checkout.place_order(
            crash.CART_ID, key=crash.KEY, tenders=crash.pay_with(shop, case.tenders)
        )
    except CheckoutFailedError as failed:
        return failed


def _crashed(target: Target, case: Case) -> tuple[crash.Shop, ManualClock, Counter[str]]:
    """Seed, kill the child at the case's step, move the clock on; the parent's shop."""
    clock = ManualClock(crash.T0)
    store = open_store(target.url, schema=target.schema, clock=clock, migrate=True)
    try:
        shop = crash.build_shop(store, capture=case.capture)
        crash.seed(shop)
        _kill(case, target)
        with store.transaction(readonly=True) as tx:
            left = tx.aggregates(CHECKOUT_KIND).get(crash.KEY)
        assert left.state not in (CheckoutState.COMPLETED, CheckoutState.FAILED), left.state
        clock.advance(case.later)
        elsewhere = Counter[str]()
        if case.sold_meanwhile:
            _sell_every_tee(shop)
            elsewhere["TEE"] = crash.STOCK["TEE"]
    except BaseException:
        store.close()
        raise
    return shop, clock, elsewhere


def _recover(shop: crash.Shop) -> list[CheckoutResult | CheckoutFailedError]:
    """What a host runs on a schedule, in this order."""
    recovered = shop.checkout.recover()
    shop.orders.recover()
    report = shop.payments.recover_pending()
    assert report.failed == ()
    return recovered


def _check(shop: crash.Shop, case: Case, completes: bool, elsewhere: Counter[str]) -> None:
    """The checkout ended as expected, nothing is held for nobody, and a replay changes nothing."""
    with shop.store.transaction(readonly=True) as tx:
        final = tx.aggregates(CHECKOUT_KIND).get(crash.KEY)
    orders = _all_orders(shop)
    if completes:
        assert final.state is CheckoutState.COMPLETED, (final.state, final.error)
        assert [o.number for o in orders] == ["1001"]
        (order,) = orders
        assert final.order_id == order.id
        assert order.checkout_key == crash.KEY
        assert order.total == crash.TOTAL
        expected = (
            PaymentState.PAID if case.capture is CaptureMode.IMMEDIATE else PaymentState.AUTHORIZED
        )
        assert order.payment is expected
        assert [p.method for p in order.payments] == (
            ["store_credit", "fake"] if case.tenders == "split" else ["fake"]
        )
    else:
        assert final.state is CheckoutState.FAILED, final.state
        assert orders == []
    assert _problems(shop, orders, case.capture, elsewhere) == []
    with shop.store.transaction(readonly=True) as tx:
        placed = [e for e in tx.outbox.pending(limit=1000) if e.topic == "order.placed"]
    assert len(placed) == len(orders)

    # The same key again: the same order, or the same failure; no new order, no new charge.
    charges = shop.fake.charges()
    again = _replay(shop, case)
    if completes:
        assert isinstance(again, CheckoutResult)
        assert again.order is not None and again.order.id == orders[0].id
    else:
        assert isinstance(again, CheckoutFailedError)
    assert _all_orders(shop) == orders
    assert shop.fake.charges() == charges
    # Another recovery pass finds nothing to do.
    assert shop.checkout.recover() == []
    assert shop.orders.recover() == []


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=str)
def test_sigkill_at_a_step_then_recovery_holds_nothing_for_nobody(
    target: Target, case: Case
) -> None:
    started = time.monotonic()
    shop, _clock, elsewhere = _crashed(target, case)
    with shop.store:
        recovered = _recover(shop)
        assert len(recovered) == 1, recovered
        kind = CheckoutResult if case.completes else CheckoutFailedError
        assert isinstance(recovered[0], kind), recovered
        _check(shop, case, case.completes, elsewhere)
    assert time.monotonic() - started < 30


#: Crashes after which the customer submits again (same key, same cart) once the lease ran
#: out, before any recovery pass: the checkout is taken over and driven on, not undone.
RESUBMITTED = [
    (Case("before_reserve", completes=False), True),
    (Case("after_reserve", completes=False), True),
    (Case(crash.IN_AUTHORIZE_CALL, completes=True), True),
    (Case("after_authorize", completes=True), True),
    (Case(crash.IN_AUTHORIZE_CALL, completes=True, tenders="split"), True),
    (Case(crash.INSIDE_PLACE, completes=True), True),
    (Case(crash.IN_CAPTURE_CALL, completes=True, tenders="split"), True),
    (Case(crash.IN_VOID_CALL, completes=False, tenders="declined"), False),
    (Case("after_authorize", completes=True, later=_LAPSED), True),
    (Case("after_authorize", completes=True, later=_LAPSED, sold_meanwhile=True), False),
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "completes"), RESUBMITTED, ids=[str(c) for c, _ in RESUBMITTED])
def test_sigkill_at_a_step_then_the_same_key_again_finishes_it_once(
    target: Target, case: Case, completes: bool
) -> None:
    shop, _clock, elsewhere = _crashed(target, case)
    with shop.store:
        first = _replay(shop, case)
        assert isinstance(first, CheckoutResult if completes else CheckoutFailedError), first
        assert _recover(shop) == []
        _check(shop, case, completes, elsewhere)
