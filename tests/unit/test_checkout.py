"""CheckoutService.place_order: each step, what each failure undoes, and idempotency.

Everything runs on an in-memory store with a clock that moves only when told to, the fake
gateway keeping its state in that store, and the real inventory, cart and payment services.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from commercekit import Money, errors
from commercekit.address import Address
from commercekit.cart import Cart, CartService
from commercekit.checkout import CheckoutService, CheckoutState, PayWith
from commercekit.clock import ManualClock
from commercekit.gateways.payments import (
    FAKE_TOKEN_DECLINE,
    FAKE_TOKEN_OK,
    FAKE_TOKEN_REQUIRES_ACTION,
    FakeGateway,
)
from commercekit.inventory import InventoryService, ReservationStatus
from commercekit.orders import CaptureMode, OrderService, OrderStatus, PaymentState
from commercekit.payments import (
    PaymentService,
    PaymentStatus,
    StoreCreditGateway,
    issue_gift_card,
)
from commercekit.ports import OUTBOX, PROMOTION_USAGE
from commercekit.pricing import (
    CatalogEntry,
    CouponCode,
    InMemoryCatalog,
    PercentOffItems,
    Promotion,
)
from commercekit.storage import Store, open_store

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
GIFT_KEY = "test-only gift card key, long enough for the rule"


def usd(amount: str) -> Money:
    return Money(amount, "USD")


@attrs.define
class Shop:
    """The services of a small shop, wired as a host would wire them."""

    store: Store
    clock: ManualClock
    catalog: InMemoryCatalog
    fake: FakeGateway
    carts: CartService
    inventory: InventoryService
    payments: PaymentService
    orders: OrderService
    checkout: CheckoutService
    steps: list[str]

    def cart(self, cart_id: str, *lines: tuple[str, int], coupons: tuple[str, ...] = ()) -> Cart:
        cart = Cart(
            id=cart_id,
            currency="USD",
            customer_id="ada",
            shipping_address=Address("US", region="TX", postal_code="78701"),
        )
        for sku, quantity in lines:
            cart = cart.add(sku, quantity)
        for code in coupons:
            cart = cart.apply_coupon(code)
        return self.carts.save(cart)

    def events(self) -> list[tuple[str, dict[str, object]]]:
        with self.store.transaction(readonly=True) as tx:
            return [(e.topic, json.loads(e.payload)) for e in tx.repository(OUTBOX).pending()]

    def available(self, sku: str) -> int:
        level = self.inventory.level(sku, "main")
        assert level is not None
        return level.available


def build_shop(
    store: Store, clock: ManualClock, *, capture: CaptureMode = CaptureMode.IMMEDIATE
) -> Shop:
    catalog = InMemoryCatalog(
        [
            CatalogEntry("MUG", price=usd("8.00")),
            CatalogEntry("TEE", price=usd("20.00")),
        ]
    )
    promotions = [
        Promotion("ten", "10% off", [PercentOffItems(10)], [CouponCode("TEN")], usage_limit=1),
        Promotion("free", "Everything free", [PercentOffItems(100)], [CouponCode("FREE")]),
    ]
    fake = FakeGateway(store=store, clock=clock)
    gifts = StoreCreditGateway(store, key=GIFT_KEY)
    carts = CartService(store, catalog, promotions=promotions)
    inventory = InventoryService(store)
    inventory.receive("MUG", "main", 10)
    inventory.receive("TEE", "main", 2)
    payments = PaymentService(store, {"fake": fake, "gift_card": gifts})
    orders = OrderService(store, payments, inventory=inventory, carts=carts, capture=capture)
    steps: list[str] = []
    checkout = CheckoutService(carts, orders, observer=steps.append, wait=0.5)
    return Shop(store, clock, catalog, fake, carts, inventory, payments, orders, checkout, steps)


@pytest.fixture
def shop() -> Iterator[Shop]:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        yield build_shop(store, clock)


CARD = [PayWith("fake", FAKE_TOKEN_OK)]


def balance(gifts: StoreCreditGateway, code: str) -> Money:
    card = gifts.gift_card(code)
    assert card is not None
    return card.balance


def test_a_checkout_places_a_paid_order_and_a_replay_returns_it(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 2), ("TEE", 1))
    result = shop.checkout.place_order("c1", key="k1", tenders=CARD)
    assert result.state is CheckoutState.COMPLETED
    order = result.order
    assert order is not None
    assert (order.number, order.status, order.total, order.captured) == (
        "1001",
        OrderStatus.PAID,
        usd("36.00"),
        usd("36.00"),
    )
    assert shop.steps == [
        "before_reserve",
        "after_reserve",
        "before_authorize",
        "after_authorize",
        "before_place",
        "after_place",
        "before_capture",
        "after_capture",
    ]
    assert (shop.available("MUG"), shop.available("TEE")) == (8, 1)
    level = shop.inventory.level("MUG", "main")
    assert level is not None and level.on_hand == 8 and level.reserved == 0
    topics = [topic for topic, _ in shop.events()]
    assert topics.count("order.placed") == 1 and topics.count("order.paid") == 1
    assert "tax.order" in topics

    again = shop.checkout.place_order("c1", key="k1", tenders=CARD)
    assert again.order == shop.orders.get("1001")
    assert len(shop.fake.charges()) == 1
    assert shop.available("MUG") == 8


def test_the_same_key_with_another_cart_or_tender_is_a_conflict(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 1))
    shop.checkout.place_order("c1", key="k1", tenders=CARD)
    shop.cart("c2", ("TEE", 1))
    with pytest.raises(errors.IdempotencyConflictError):
        shop.checkout.place_order("c2", key="k1", tenders=CARD)
    with pytest.raises(errors.IdempotencyConflictError):
        shop.checkout.place_order(
            "c1", key="k1", tenders=[PayWith("fake", FAKE_TOKEN_REQUIRES_ACTION)]
        )
    assert len(shop.orders.list()) == 1


def test_an_empty_cart_is_refused_before_anything_is_recorded(shop: Shop) -> None:
    shop.cart("empty")
    with pytest.raises(errors.EmptyCartError) as raised:
        shop.checkout.place_order("empty", key="k-empty", tenders=CARD)
    assert isinstance(raised.value, ValueError)
    with pytest.raises(errors.NotFoundError):
        shop.checkout.get("k-empty")


def test_changed_prices_are_refused_with_the_changes_unless_accepted(shop: Shop) -> None:
    cart = shop.cart("c1", ("MUG", 2))
    shown = shop.carts.quote(cart)
    shop.carts.save(cart.with_seen_prices(shown.unit_prices()))
    shop.catalog.put(CatalogEntry("MUG", price=usd("9.00")))
    with pytest.raises(errors.PriceChangedError) as raised:
        shop.checkout.place_order("c1", key="k1", tenders=CARD)
    (change,) = raised.value.changes
    assert (change.line_id, change.seen, change.current) == ("MUG", usd("8.00"), usd("9.00"))
    assert shop.available("MUG") == 10 and shop.fake.charges() == []
    result = shop.checkout.place_order("c1", key="k2", tenders=CARD, accept_price_changes=True)
    assert result.order is not None and result.order.total == usd("18.00")


def test_a_refused_coupon_is_refused_before_anything_is_held(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 1), coupons=("NOPE",))
    with pytest.raises(errors.CouponError) as raised:
        shop.checkout.place_order("c1", key="k1", tenders=CARD)
    assert raised.value.code == "NOPE"
    assert shop.available("MUG") == 10 and shop.fake.charges() == []


def test_tenders_must_cover_the_total(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 1))
    with pytest.raises(errors.PaymentAmountError):
        shop.checkout.place_order("c1", key="k1")
    with pytest.raises(errors.PaymentAmountError):
        shop.checkout.place_order(
            "c1", key="k2", tenders=[PayWith("fake", FAKE_TOKEN_OK, limit=usd("5.00"))]
        )
    assert shop.available("MUG") == 10


def test_short_stock_fails_at_reserve_and_charges_nothing(shop: Shop) -> None:
    shop.cart("c1", ("TEE", 3))
    with pytest.raises(errors.CheckoutFailedError) as raised:
        shop.checkout.place_order("c1", key="k1", tenders=CARD)
    failed = raised.value
    assert (failed.step, failed.cause, failed.undone) == ("reserve", "InsufficientStockError", ())
    assert shop.fake.charges() == []
    assert shop.checkout.get("k1").state is CheckoutState.FAILED


def test_a_decline_releases_the_reservation_and_a_replay_says_so_again(shop: Shop) -> None:
    shop.cart("c1", ("TEE", 2))
    declined = [PayWith("fake", FAKE_TOKEN_DECLINE)]
    with pytest.raises(errors.CheckoutFailedError) as raised:
        shop.checkout.place_order("c1", key="k1", tenders=declined)
    assert raised.value.step == "authorize"
    assert raised.value.cause == "PaymentDeclinedError"
    assert raised.value.undone == ("released reservation checkout:k1",)
    assert raised.value.customer_message == "Your card was declined."
    assert shop.available("TEE") == 2
    reservation = shop.inventory.by_key("checkout:k1")
    assert reservation is not None and reservation.status is ReservationStatus.RELEASED
    with pytest.raises(errors.CheckoutFailedError):
        shop.checkout.place_order("c1", key="k1", tenders=declined)
    assert shop.orders.list() == []


def test_a_second_tender_declined_voids_the_first(shop: Shop) -> None:
    code, _ = issue_gift_card(shop.store, usd("5.00"), key=GIFT_KEY)
    token = StoreCreditGateway(shop.store, key=GIFT_KEY).card_token(code)
    shop.cart("c1", ("MUG", 2))
    tenders = [
        PayWith("gift_card", token, limit=usd("5.00"), credit=True),
        PayWith("fake", FAKE_TOKEN_DECLINE),
    ]
    with pytest.raises(errors.CheckoutFailedError) as raised:
        shop.checkout.place_order("c1", key="k1", tenders=tenders)
    assert raised.value.undone == (
        "voided payment k1-gift_card",
        "released reservation checkout:k1",
    )
    gift = StoreCreditGateway(shop.store, key=GIFT_KEY).gift_card(code)
    assert gift is not None and gift.available == usd("5.00")


def test_split_tender_pays_and_refunds_cards_first_then_the_gift_card(shop: Shop) -> None:
    gifts = StoreCreditGateway(shop.store, key=GIFT_KEY)
    code, _ = issue_gift_card(shop.store, usd("10.00"), key=GIFT_KEY)
    shop.cart("c1", ("MUG", 2), ("TEE", 1))  # 36.00
    tenders = [
        PayWith("gift_card", gifts.card_token(code), limit=usd("10.00"), credit=True),
        PayWith("fake", FAKE_TOKEN_OK),
    ]
    order = shop.checkout.place_order("c1", key="k1", tenders=tenders).order
    assert order is not None and order.status is OrderStatus.PAID
    assert [(p.method, p.amount_minor, p.captured_minor) for p in order.payments] == [
        ("gift_card", 1000, 1000),
        ("fake", 2600, 2600),
    ]
    assert balance(gifts, code) == usd("0.00")
    shipped = shop.orders.fulfil(order.id, {"MUG": 2, "TEE": 1}, key="f1")
    back = shop.orders.return_lines(shipped.id, {"TEE": 1}, key="r1")
    assert back.refunds[-1].tenders == (("k1-fake", 2000),)
    back = shop.orders.return_lines(back.id, {"MUG": 2}, key="r2")
    assert back.refunds[-1].tenders == (("k1-fake", 600), ("k1-gift_card", 1000))
    assert back.refunded == order.captured == usd("36.00")
    assert back.status is OrderStatus.REFUNDED
    assert balance(gifts, code) == usd("10.00")
    assert (shop.available("MUG"), shop.available("TEE")) == (10, 2)


def test_a_zero_total_order_completes_without_a_payment(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 1), coupons=("FREE",))
    result = shop.checkout.place_order("c1", key="k1")
    assert result.order is not None
    assert result.order.payment is PaymentState.ZERO_TOTAL
    assert result.order.status is OrderStatus.ZERO_TOTAL
    assert result.order.payments == () and shop.fake.charges() == []
    assert shop.available("MUG") == 9


def test_awaiting_action_extends_the_reservation_and_a_second_call_resumes(shop: Shop) -> None:
    shop.cart("c1", ("TEE", 1))
    tenders = [PayWith("fake", FAKE_TOKEN_REQUIRES_ACTION)]
    waiting = shop.checkout.place_order("c1", key="k1", tenders=tenders)
    assert waiting.state is CheckoutState.AWAITING_ACTION and waiting.order is None
    assert waiting.next_action is not None and waiting.action_payment_id == "k1-fake"
    reservation = shop.inventory.by_key("checkout:k1")
    assert reservation is not None
    assert reservation.expires_at == START + shop.checkout.action_ttl
    still = shop.checkout.place_order("c1", key="k1", tenders=tenders)
    assert still.state is CheckoutState.AWAITING_ACTION
    payment = shop.payments.get("k1-fake")
    assert payment.reference is not None
    shop.fake.complete_action(payment.reference)
    done = shop.checkout.resume("k1")
    assert done.state is CheckoutState.COMPLETED
    assert done.order is not None and done.order.status is OrderStatus.PAID
    assert shop.available("TEE") == 1


def test_a_failed_action_gives_everything_back(shop: Shop) -> None:
    shop.cart("c1", ("TEE", 1))
    tenders = [PayWith("fake", FAKE_TOKEN_REQUIRES_ACTION)]
    shop.checkout.place_order("c1", key="k1", tenders=tenders)
    reference = shop.payments.get("k1-fake").reference
    assert reference is not None
    shop.fake.fail_action(reference)
    with pytest.raises(errors.CheckoutFailedError) as raised:
        shop.checkout.place_order("c1", key="k1", tenders=tenders)
    assert raised.value.step == "authorize"
    assert shop.available("TEE") == 2


def test_usage_taken_meanwhile_fails_the_place_step_and_voids(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 1), coupons=("TEN",))

    def race(step: str) -> None:
        if step == "before_place":  # another checkout uses the single-use code first
            with shop.store.transaction() as tx:
                assert tx.repository(PROMOTION_USAGE).consume("ten", customer_id=None, limit=1)

    shop.checkout.observer = race
    with pytest.raises(errors.CheckoutFailedError) as raised:
        shop.checkout.place_order("c1", key="k1", tenders=CARD)
    assert (raised.value.step, raised.value.cause) == ("place", "CouponError")
    assert raised.value.undone == (
        "voided payment k1-fake",
        "released reservation checkout:k1",
    )
    assert shop.payments.get("k1-fake").status is PaymentStatus.VOIDED
    assert shop.available("MUG") == 10
    # The order number was not spent: the next order is still 1001.
    shop.cart("c2", ("MUG", 1))
    shop.checkout.observer = None
    placed = shop.checkout.place_order("c2", key="k2", tenders=CARD).order
    assert placed is not None and placed.number == "1001"


def test_an_expired_reservation_is_taken_again_or_refused_clearly(shop: Shop) -> None:
    shop.cart("c1", ("TEE", 1))

    def late(step: str) -> None:
        if step == "before_place":
            shop.clock.advance(timedelta(hours=1))

    shop.checkout.observer = late
    order = shop.checkout.place_order("c1", key="k1", tenders=CARD).order
    assert order is not None and order.status is OrderStatus.PAID
    assert shop.available("TEE") == 1

    shop.cart("c2", ("TEE", 1))

    def sold_meanwhile(step: str) -> None:
        if step == "before_place":
            shop.clock.advance(timedelta(hours=1))
            shop.inventory.sweep()
            shop.inventory.sell("TEE", "main", 1)

    shop.checkout.observer = sold_meanwhile
    with pytest.raises(errors.CheckoutFailedError) as raised:
        shop.checkout.place_order("c2", key="k2", tenders=CARD)
    assert (raised.value.step, raised.value.cause) == ("place", "ReservationError")
    assert "voided payment k2-fake" in raised.value.undone
    assert shop.payments.get("k2-fake").status is PaymentStatus.VOIDED
    assert len(shop.orders.list()) == 1


def test_a_failed_capture_keeps_the_order_and_cancel_gives_everything_back() -> None:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        shop = build_shop(store, clock, capture=CaptureMode.ON_FULFILMENT)
        shop.cart("c1", ("TEE", 1), coupons=("TEN",))
        order = shop.checkout.place_order("c1", key="k1", tenders=CARD).order
        assert order is not None and order.status is OrderStatus.AUTHORIZED
        with store.transaction(readonly=True) as tx:
            assert tx.repository(PROMOTION_USAGE).count("ten").total == 1
        clock.advance(timedelta(days=8))  # the hold lapses before the parcel ships
        with pytest.raises(errors.StateTransitionError):
            shop.orders.fulfil(order.id, {"TEE": 1}, key="f1")
        failed = shop.orders.get(order.id)
        assert failed.status is OrderStatus.PAYMENT_FAILED
        assert failed.fulfilments == ()
        assert "order.payment_failed" in [topic for topic, _ in shop.events()]
        cancelled = shop.orders.cancel(order.id, reason="customer asked")
        assert cancelled.status is OrderStatus.CANCELLED
        assert cancelled.captured == usd("0.00")
        assert shop.available("TEE") == 2
        with store.transaction(readonly=True) as tx:
            assert tx.repository(PROMOTION_USAGE).count("ten").total == 0
        assert shop.orders.cancel(order.id) == cancelled


def test_reauthorizing_a_lapsed_hold_lets_the_order_ship() -> None:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        shop = build_shop(store, clock, capture=CaptureMode.ON_FULFILMENT)
        shop.cart("c1", ("MUG", 1))
        order = shop.checkout.place_order("c1", key="k1", tenders=CARD).order
        assert order is not None
        clock.advance(timedelta(days=8))
        shop.payments.expire_authorizations()
        assert shop.orders.capture(order.id).status is OrderStatus.PAYMENT_FAILED
        again = shop.orders.reauthorize(order.id)
        assert again.status is OrderStatus.AUTHORIZED
        shipped = shop.orders.fulfil(order.id, {"MUG": 1}, key="f1")
        assert shipped.status is OrderStatus.FULFILLED
        assert shipped.payment is PaymentState.PAID


def test_prune_deletes_finished_checkouts_only(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 1))
    shop.checkout.place_order("c1", key="done", tenders=CARD)
    shop.cart("c2", ("TEE", 1))
    shop.checkout.place_order(
        "c2", key="waiting", tenders=[PayWith("fake", FAKE_TOKEN_REQUIRES_ACTION)]
    )
    shop.cart("c3", ("TEE", 9))
    with pytest.raises(errors.CheckoutFailedError):
        shop.checkout.place_order("c3", key="failed", tenders=CARD)
    shop.clock.advance(timedelta(days=2))
    report = shop.store.prune(checkouts_finished_for=timedelta(days=1))
    assert report["checkouts"] == 2
    with pytest.raises(errors.NotFoundError):
        shop.checkout.get("done")
    assert shop.checkout.get("waiting").state is CheckoutState.AWAITING_ACTION
    assert shop.orders.get("1001").checkout_key == "done"  # the order stays


def test_one_checkout_that_cannot_be_undone_does_not_stop_the_recovery_pass(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    def die(step: str) -> None:
        if step == "after_reserve":
            raise SystemExit("the process died holding stock")

    shop.checkout.observer = die
    for key, sku in (("ka", "MUG"), ("kb", "TEE")):
        shop.cart(f"cart-{key}", (sku, 1))
        with pytest.raises(SystemExit):
            shop.checkout.place_order(f"cart-{key}", key=key, tenders=CARD)
    shop.checkout.observer = None
    shop.clock.advance(timedelta(minutes=10))
    real_release = shop.inventory.release

    def release(reservation: object) -> object:
        if getattr(reservation, "key", "") == "checkout:ka":
            raise errors.StorageUnavailableError("the database went away for a moment")
        return real_release(reservation)  # type: ignore[arg-type]

    monkeypatch.setattr(shop.inventory, "release", release)
    outcomes = shop.checkout.recover()
    assert [type(o).__name__ for o in outcomes] == ["CheckoutFailedError"]
    assert shop.checkout.get("kb").state is CheckoutState.FAILED
    assert shop.available("TEE") == 2
    assert shop.checkout.get("ka").state is CheckoutState.STARTED  # for a later pass
    monkeypatch.setattr(shop.inventory, "release", real_release)
    shop.clock.advance(timedelta(minutes=10))
    assert [type(o).__name__ for o in shop.checkout.recover()] == ["CheckoutFailedError"]
    assert shop.available("MUG") == 10


def test_the_payment_awaiting_the_customer_is_named_in_a_split_tender(shop: Shop) -> None:
    gifts = StoreCreditGateway(shop.store, key=GIFT_KEY)
    code, _ = issue_gift_card(shop.store, usd("5.00"), key=GIFT_KEY)
    shop.cart("c1", ("TEE", 1))
    tenders = [
        PayWith("gift_card", gifts.card_token(code), limit=usd("5.00"), credit=True),
        PayWith("fake", FAKE_TOKEN_REQUIRES_ACTION),
    ]
    first = shop.checkout.place_order("c1", key="k1", tenders=tenders)
    assert first.action_payment_id == "k1-fake"
    replay = shop.checkout.place_order("c1", key="k1", tenders=tenders)
    assert replay.state is CheckoutState.AWAITING_ACTION
    assert replay.action_payment_id == "k1-fake"
    assert replay.next_action is not None  # the gateway's answer to this call's confirm


def test_a_key_full_of_digits_is_not_taken_for_card_data(shop: Shop) -> None:
    # 4242424242424242 passes the Luhn check, as a card number does: a checkout key (and the
    # payment ids made from it) may hold any run of digits without being refused as card data.
    shop.cart("c1", ("MUG", 1))
    key = "chk-4242424242424242"
    result = shop.checkout.place_order("c1", key=key, tenders=CARD)
    assert result.order is not None and result.order.status is OrderStatus.PAID


def test_an_unknown_payment_method_is_refused_before_anything_is_held(shop: Shop) -> None:
    shop.cart("c1", ("MUG", 1))
    with pytest.raises(errors.ValidationError, match="no payment gateway named 'nope'"):
        shop.checkout.place_order("c1", key="k1", tenders=[PayWith("nope", FAKE_TOKEN_OK)])
    assert shop.available("MUG") == 10
    with pytest.raises(errors.NotFoundError):
        shop.checkout.get("k1")
