"""Eight processes placing orders at once against limited stock and a limited coupon.

SQLite (a file) and PostgreSQL. Each spawned worker (see
:mod:`tests.contract._place_order_workers`) places five checkouts under keys of its own;
workers 0 and 1 also submit one cart under one key together. Afterwards, from the store and
from the fake provider's own books:

- every order was paid exactly once: one authorization, captured in full, equal to its total;
- nothing was oversold: on hand never below zero, and what left the shelves is what the
  orders hold; nothing stays reserved;
- the coupon was used exactly its limit times, once per order carrying it;
- every failure was a typed refusal (stock, a declined card, the coupon) that gave back
  everything it held: its reservation released, its authorization voided, its checkout failed;
- the shared key made one order and one charge, and both submitters got that order;
- order numbers run 1001, 1002, ... with no gap and no repeat, failed checkouts included.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from commercekit.cart import Cart
from commercekit.checkout import CHECKOUT_KIND, CheckoutState
from commercekit.gateways.payments import FakeChargeStatus
from commercekit.inventory import ReservationStatus
from commercekit.orders import PaymentState
from commercekit.payments import PAYMENT_KIND, PaymentStatus
from tests.contract import _place_order_workers as place
from tests.contract import test_storage_processes as storage_processes
from tests.contract._checkout_crash_workers import build_shop
from tests.contract.test_storage_processes import (
    PROCESSES,
    Target,
    run_workers,
    unexpected_errors,
)

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema

_HELD = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORIZED})


@pytest.mark.slow
def test_eight_processes_place_orders_paid_once_never_oversold(target: Target) -> None:
    started = time.monotonic()
    with target.open() as store:
        shop = build_shop(store, promotions=place.PROMOTIONS, prices=place.PRICES)
        for sku, units in place.STOCK.items():
            shop.inventory.receive(sku, place.LOCATION, units)
        shop.carts.save(Cart(id=place.PAIR_CART, currency=place.CURRENCY).add("PAIR", 1))

        results = run_workers(
            place.place_worker,
            [(target.url, target.schema, worker, worker < 2) for worker in range(PROCESSES)],
        )
        raced = time.monotonic() - started
        assert unexpected_errors(results) == []

        placed = {key: order_id for r in results for key, order_id in r["placed"]}
        refused = {key: (step, cause) for r in results for key, step, cause in r["refused"]}
        planned = {c[0]: c for worker in range(PROCESSES) for c in place.plan(worker)}
        assert placed.keys() | refused.keys() == planned.keys() | {place.PAIR_KEY}
        assert not placed.keys() & refused.keys()

        # The shared key: both submitters got the one order, of the one PAIR, charged once.
        pair = [o for r in results for k, o in r["placed"] if k == place.PAIR_KEY]
        assert len(pair) == 2 and pair[0] == pair[1], pair

        orders = shop.orders.list(limit=1000)
        assert sorted(o.id for o in orders) == sorted(placed.values())
        assert len({o.checkout_key for o in orders}) == len(orders)
        numbers = sorted(int(o.number) for o in orders)
        assert numbers == list(range(1001, 1001 + len(orders))), numbers

        # Paid exactly once: one authorization per order, captured in full, equal to its total.
        charges = shop.fake.charges()
        by_payment = Counter(c.payment_id for c in charges)
        for order in orders:
            assert order.payment is PaymentState.PAID, (order.number, order.status)
            assert order.captured == order.total, order.number
            (tender,) = order.payments
            assert tender.captured_minor == tender.amount_minor == order.breakdown.grand_total_minor
            assert by_payment[tender.payment_id] == 1, order.number
            (charge,) = shop.fake.charges(payment_id=tender.payment_id)
            assert charge.captured_minor == tender.amount_minor, order.number
            assert shop.payments.get(tender.payment_id).captured_minor == tender.amount_minor
        ours = {p.payment_id for o in orders for p in o.payments}
        for charge in charges:
            if charge.payment_id not in ours:
                assert charge.captured_minor == 0, charge
                assert charge.status in (FakeChargeStatus.VOIDED, FakeChargeStatus.FAILED), charge
        assert sum(c.captured_minor for c in charges) == sum(
            o.breakdown.grand_total_minor for o in orders
        )

        # Nothing oversold, nothing left reserved: what left the shelves is what was ordered.
        sold = Counter[str]()
        for order in orders:
            for line in order.lines:
                sold[line.sku] += int(line.quantity)
        for sku, start in place.STOCK.items():
            level = shop.inventory.level(sku, place.LOCATION)
            assert level is not None
            assert level.on_hand >= 0 and level.reserved == 0, level
            assert start - level.on_hand == sold[sku], (sku, level, sold[sku])
        assert sold["PAIR"] == 1

        # The coupon: its limit reached exactly, one use per order carrying it.
        carrying = [
            o
            for o in orders
            if any(p.applied and p.promotion_id == "race-coupon" for p in o.breakdown.promotions)
        ]
        with store.transaction(readonly=True) as tx:
            uses = tx.promotion_usage.count("race-coupon").total
        assert uses == len(carrying) == place.COUPON_LIMIT
        assert sold["CAP"] == place.COUPON_LIMIT
        assert {o.checkout_key for o in carrying} <= {k for k, c in planned.items() if c[2]}

        # Every refusal gave back what it held.
        kinds = Counter(refused.values())
        assert kinds[("reserve", "InsufficientStockError")] > 0, kinds
        assert kinds[("price", "CouponError")] + kinds[("place", "CouponError")] > 0, kinds
        for key, (step, _cause) in refused.items():
            reservation = shop.inventory.by_key(f"checkout:{key}")
            if step == "price":
                assert reservation is None, key
                continue
            assert reservation is None or reservation.status is ReservationStatus.RELEASED, key
            with store.transaction(readonly=True) as tx:
                checkout = tx.aggregates(CHECKOUT_KIND).get(key)
            assert checkout.state is CheckoutState.FAILED, key
            assert checkout.order_id is None, key
        with store.transaction(readonly=True) as tx:
            payments = tx.aggregates(PAYMENT_KIND).list(limit=1000)
        for payment in payments:
            assert payment.pending is None, payment.id
            if payment.id in ours:
                assert payment.status is PaymentStatus.CAPTURED, payment.id
            else:
                assert payment.status not in _HELD, (payment.id, payment.status)
                assert payment.captured_minor == 0, payment.id
        with store.transaction(readonly=True) as tx:
            events = Counter(e.topic for e in tx.outbox.pending(limit=10_000))
        assert events["order.placed"] == events["order.paid"] == len(orders)
    print(f"{target.backend}: {len(orders)} orders, {dict(kinds)}, race {raced:.1f}s")
