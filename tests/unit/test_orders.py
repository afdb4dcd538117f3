"""The order state machine, refunds, restocking and tax reports, through OrderService.

Illegal transitions raise and change nothing: each test reads the stored order back after a
refusal and compares it with the order before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from commercekit import Money, errors
from commercekit.cart import CartService
from commercekit.checkout import CheckoutService
from commercekit.clock import ManualClock
from commercekit.orders import (
    FulfilmentState,
    OrderStatus,
    PaymentState,
    TaxReportHandler,
    order_tax_transaction,
)
from commercekit.ports import ORDER_NUMBERS, OUTBOX
from commercekit.records import OutboxEvent
from commercekit.storage import open_store
from commercekit.tax import FlatTaxTable, InMemoryTaxReporter, TaxRate, TransactionKind
from tests.unit.test_checkout import CARD, START, Shop, build_shop


def usd(amount: str) -> Money:
    return Money(amount, "USD")


@pytest.fixture
def shop() -> Iterator[Shop]:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        yield build_shop(store, clock)


def place(shop: Shop, key: str = "k1", *lines: tuple[str, int]) -> str:
    shop.cart(f"cart-{key}", *(lines or (("MUG", 3), ("TEE", 1))))
    result = shop.checkout.place_order(f"cart-{key}", key=key, tenders=CARD)
    assert result.order is not None
    return result.order.id


def test_illegal_moves_raise_and_change_nothing(shop: Shop) -> None:
    order_id = place(shop)
    before = shop.orders.get(order_id)
    refusals: list[tuple[type[Exception], Callable[[], object]]] = [
        (errors.InvalidQuantityError, lambda: shop.orders.fulfil(order_id, {"MUG": 4}, key="f")),
        (errors.InvalidQuantityError, lambda: shop.orders.fulfil(order_id, {"MUG": 0}, key="f")),
        (errors.InvalidQuantityError, lambda: shop.orders.fulfil(order_id, {"MUG": -1}, key="f")),
        (errors.UnknownLineError, lambda: shop.orders.fulfil(order_id, {"HAT": 1}, key="f")),
        (errors.InvalidQuantityError, lambda: shop.orders.fulfil(order_id, {}, key="f")),
        (
            errors.InvalidQuantityError,
            lambda: shop.orders.return_lines(order_id, {"MUG": 1}, key="r"),
        ),
        (errors.InvalidQuantityError, lambda: shop.orders.refund(order_id, {"MUG": 4}, key="x")),
        (errors.StateTransitionError, lambda: shop.orders.reauthorize(order_id)),
    ]
    for error, attempt in refusals:
        with pytest.raises(error):
            attempt()
        assert shop.orders.get(order_id) == before
    shipped = shop.orders.fulfil(order_id, {"MUG": 1}, key="f1")
    with pytest.raises(errors.StateTransitionError):
        shop.orders.cancel(order_id)
    assert shop.orders.get(order_id) == shipped
    assert shop.orders.fulfil(order_id, {"MUG": 1}, key="f1") == shipped  # a replay


def test_partial_fulfilment_then_the_rest(shop: Shop) -> None:
    order_id = place(shop)
    part = shop.orders.fulfil(order_id, {"MUG": 2}, key="f1", tracking_code="1Z1")
    assert part.fulfilment is FulfilmentState.PARTIALLY_FULFILLED
    assert part.status is OrderStatus.PARTIALLY_FULFILLED
    whole = shop.orders.fulfil(order_id, {"MUG": 1, "TEE": 1}, key="f2")
    assert whole.status is OrderStatus.FULFILLED
    assert [f.id for f in whole.fulfilments] == ["f1", "f2"]
    assert whole.fulfilments[0].tracking_code == "1Z1"


def test_returns_restock_where_sold_and_refund_exactly(shop: Shop) -> None:
    order_id = place(shop)
    shop.orders.fulfil(order_id, {"MUG": 3, "TEE": 1}, key="f1")
    assert shop.available("MUG") == 7
    one = shop.orders.return_lines(order_id, {"MUG": 1}, key="r1")
    assert one.status is OrderStatus.PARTIALLY_RETURNED
    assert one.refunded == usd("8.00") and shop.available("MUG") == 8
    again = shop.orders.return_lines(order_id, {"MUG": 1}, key="r1")  # a retry
    assert again == one and shop.available("MUG") == 8
    kept = shop.orders.return_lines(order_id, {"TEE": 1}, key="r2", restock=False)
    assert shop.available("TEE") == 1 and kept.refunded == usd("28.00")
    rest = shop.orders.return_lines(order_id, {"MUG": 2}, key="r3", refund=False)
    assert rest.fulfilment is FulfilmentState.RETURNED and rest.refunded == usd("28.00")
    paid = shop.orders.refund(order_id, {"MUG": 2}, key="r4")
    assert paid.refunded == paid.captured == usd("44.00")
    assert paid.status is OrderStatus.REFUNDED and paid.payment is PaymentState.REFUNDED
    with pytest.raises(errors.InvalidQuantityError):
        shop.orders.refund(order_id, {"MUG": 1}, key="r5")
    assert shop.payments.get(paid.payments[0].payment_id).refunded == usd("44.00")


def test_cancelling_a_paid_order_refunds_restocks_and_writes_events(shop: Shop) -> None:
    order_id = place(shop)
    cancelled = shop.orders.cancel(order_id, reason="changed mind")
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.refunded == cancelled.captured == usd("44.00")
    assert (shop.available("MUG"), shop.available("TEE")) == (10, 2)
    topics = [topic for topic, _ in shop.events()]
    assert topics[-3:] == ["order.refunded", "tax.refund", "order.cancelled"]
    with pytest.raises(errors.StateTransitionError):
        shop.orders.fulfil(order_id, {"MUG": 1}, key="f1")


def test_order_numbers_are_gap_free_and_roll_back_with_their_transaction(shop: Shop) -> None:
    with pytest.raises(RuntimeError), shop.store.transaction() as tx:
        assert tx.repository(ORDER_NUMBERS).next("orders", start=1001) == 1001
        raise RuntimeError("the order was not stored")
    with shop.store.transaction(readonly=True) as tx:
        assert tx.repository(ORDER_NUMBERS).current("orders") is None
    numbers = [place(shop, f"k{i}", ("MUG", 1)) for i in range(3)]
    assert numbers == ["1001", "1002", "1003"]
    with shop.store.transaction() as tx, pytest.raises(errors.ValidationError):
        tx.repository(ORDER_NUMBERS).next("orders", start=0)


def test_a_prefix_and_a_start_of_ones_own(shop: Shop) -> None:
    checkout = CheckoutService(
        shop.carts, shop.orders, numbers="web", first_number=1, number_prefix="WEB-"
    )
    shop.cart("c-web", ("MUG", 1))
    order = checkout.place_order("c-web", key="kw", tenders=CARD).order
    assert order is not None and order.number == "WEB-1"


def test_tax_reports_go_through_the_outbox_and_add_up(shop: Shop) -> None:
    taxed = CartService(
        shop.store,
        shop.catalog,
        promotions=shop.carts.promotions,
        tax=FlatTaxTable(default=TaxRate("Sales tax", "0.0825", "US-TX")),
    )
    checkout = CheckoutService(taxed, shop.orders)
    shop.cart("c-tax", ("MUG", 3))
    order = checkout.place_order("c-tax", key="kt", tenders=CARD).order
    assert order is not None and order.total == usd("25.98")
    shop.orders.fulfil(order.id, {"MUG": 3}, key="f1")
    shop.orders.return_lines(order.id, {"MUG": 1}, key="r1")
    reporter = InMemoryTaxReporter()
    handler = TaxReportHandler(shop.store, reporter)
    with shop.store.transaction(readonly=True) as tx:
        events = [e for e in tx.repository(OUTBOX).pending() if e.topic.startswith("tax.")]
    for event in events:
        handler(event)
    sale, refund = reporter.transactions
    assert sale.kind is TransactionKind.ORDER and sale.transaction_id == order.id
    assert (sale.amount_minor, sale.sales_tax_minor) == (2400, 198)
    assert refund.kind is TransactionKind.REFUND and refund.reference_id == order.id
    assert (refund.amount_minor, refund.sales_tax_minor) == (800, 66)
    assert order_tax_transaction(shop.orders.get(order.id)) == sale
    with pytest.raises(errors.ValidationError):
        handler(
            OutboxEvent(
                99, "tax.unknown", json.dumps({"order": order.id}), START, START, 0, None, None
            )
        )


def test_orders_without_an_address_are_not_reported(shop: Shop) -> None:
    cart = shop.cart("c-na", ("MUG", 1))
    shop.carts.save(attrs.evolve(cart, shipping_address=None))
    order = shop.checkout.place_order("c-na", key="kna", tenders=CARD).order
    assert order is not None and order.ship_to is None
    assert "tax.order" not in [topic for topic, p in shop.events() if p.get("order") == order.id]
    with pytest.raises(errors.NotFoundError):
        order_tax_transaction(order)


def test_list_by_status_and_customer(shop: Shop) -> None:
    first = place(shop, "k1", ("MUG", 1))
    second = place(shop, "k2", ("MUG", 1))
    shop.orders.cancel(second)
    assert [o.id for o in shop.orders.list(status="paid")] == [first]
    assert [o.id for o in shop.orders.list(status="cancelled")] == [second]
    assert {o.id for o in shop.orders.list(customer_id="ada")} == {first, second}


def test_recover_finishes_a_refund_the_gateway_never_confirmed(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = place(shop)
    shop.orders.fulfil(order_id, {"MUG": 3, "TEE": 1}, key="f1")
    real_refund = shop.payments.refund

    def crash(payment_id: str, amount: Money | None = None) -> object:
        raise SystemExit("the process died before the gateway was asked")

    monkeypatch.setattr(shop.payments, "refund", crash)
    with pytest.raises(SystemExit):
        shop.orders.return_lines(order_id, {"TEE": 1}, key="r1")
    stuck = shop.orders.get(order_id)
    assert stuck.pending_refund is not None and stuck.refunded == usd("0.00")
    assert stuck.line("TEE").returned == 1  # the goods came back; the money is due
    monkeypatch.setattr(shop.payments, "refund", real_refund)
    (done,) = shop.orders.recover()
    assert done.pending_refund is None and done.refunded == usd("20.00")
    assert shop.orders.recover() == []
    # A retry of the same return after recovery changes nothing: no second refund.
    assert shop.orders.return_lines(order_id, {"TEE": 1}, key="r1").refunded == usd("20.00")
    assert shop.payments.get(done.payments[0].payment_id).refunded == usd("20.00")


def test_recover_captures_orders_left_authorized(shop: Shop) -> None:
    def crash(step: str) -> None:
        if step == "before_capture":
            raise SystemExit("the process died after placing the order")

    shop.checkout.observer = crash
    shop.cart("c1", ("MUG", 1))
    with pytest.raises(SystemExit):
        shop.checkout.place_order("c1", key="k1", tenders=CARD)
    assert shop.orders.get("1001").status is OrderStatus.AUTHORIZED
    (captured,) = shop.orders.recover()
    assert captured.status is OrderStatus.PAID
    assert len(shop.fake.charges()) == 1


def test_a_key_used_again_for_other_units_is_a_conflict(shop: Shop) -> None:
    order_id = place(shop)
    shop.orders.fulfil(order_id, {"MUG": 2}, key="f1")
    with pytest.raises(errors.IdempotencyConflictError):
        shop.orders.fulfil(order_id, {"MUG": 1}, key="f1")
    shop.orders.return_lines(order_id, {"MUG": 1}, key="r1")
    with pytest.raises(errors.IdempotencyConflictError):
        shop.orders.return_lines(order_id, {"MUG": 2}, key="r1")
    with pytest.raises(errors.IdempotencyConflictError):
        shop.orders.refund(order_id, {"MUG": 2}, key="r1")
    before = shop.orders.get(order_id)
    assert shop.orders.refund(order_id, {"MUG": 1}, key="r1") == before  # a true replay
    assert [r.id for r in before.returns] == ["r1"] and before.returns[0].lines == {"MUG": 1}


@pytest.mark.parametrize(
    "quantity", [Decimal("NaN"), Decimal("Infinity"), -1, 0, 10**30, True, "2", 1.5, None]
)
def test_bad_quantities_are_typed_errors_and_change_nothing(shop: Shop, quantity: object) -> None:
    order_id = place(shop)
    before = shop.orders.get(order_id)
    units: dict[str, Any] = {"MUG": quantity}
    attempts: list[Callable[[], object]] = [
        lambda: shop.orders.fulfil(order_id, units, key="f"),
        lambda: shop.orders.refund(order_id, units, key="r"),
    ]
    for attempt in attempts:
        with pytest.raises(errors.InvalidQuantityError) as raised:
            attempt()
        assert isinstance(raised.value, ValueError)
        assert shop.orders.get(order_id) == before
