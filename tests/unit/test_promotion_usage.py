"""Consuming promotion and coupon-code usage at checkout, and the raising coupon check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from commercekit import Money, errors
from commercekit.cart import (
    Breakdown,
    Cart,
    CartService,
    check_coupon,
    consume_promotions,
    price_cart,
    read_usage_counts,
    release_promotions,
)
from commercekit.pricing import (
    AmountOffOrder,
    CatalogEntry,
    CouponCode,
    CouponRefusal,
    DateWindow,
    InMemoryCatalog,
    Lane,
    PercentOffItems,
    Promotion,
    Stacking,
    SubtotalAtLeast,
    code_counter_id,
)
from commercekit.storage import Store, open_store

AT = datetime(2026, 5, 1, tzinfo=UTC)
MUG = CatalogEntry("MUG", price=Money("10.00", "EUR"))
AUTO = Promotion("auto", "5%", [PercentOffItems(5)], usage_limit=3, usage_limit_per_customer=2)
SINGLE = Promotion(
    "single",
    "1 off",
    [AmountOffOrder(Money("1", "EUR"))],
    [CouponCode({"ONE-A", "ONE-B"})],
    lane=Lane.ORDER,
    usage_limit_per_code=1,
)
PROMOS = [AUTO, SINGLE]


def quote(code: str | None = "ONE-A", customer: str | None = "ada") -> Breakdown:
    cart = Cart(currency="EUR", customer_id=customer).add("MUG", 2)
    if code is not None:
        cart = cart.apply_coupon(code)
    return price_cart(cart, {"MUG": MUG}, at=AT, promotions=PROMOS)


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store("memory://") as opened:
        yield opened


def counts(store: Store, counter: str, customer: str | None = None) -> tuple[int, int]:
    with store.transaction(readonly=True) as tx:
        found = tx.promotion_usage.count(counter, customer)
    return found.total, found.by_customer


def test_consume_counts_promotion_customer_and_code(store: Store) -> None:
    with store.transaction() as tx:
        consumed = consume_promotions(tx, quote(), PROMOS, customer_id="ada")
    assert consumed == ("auto", "code:ONE-A", "single")
    assert counts(store, "auto", "ada") == (1, 1)
    assert counts(store, "single", "ada") == (1, 1)
    assert counts(store, code_counter_id("one-a")) == (1, 0)
    with store.transaction(readonly=True) as tx:
        usage = read_usage_counts(tx, PROMOS, customer_id="ada", coupons=["ONE-A", "OTHER"])
    assert (dict(usage.promotions), dict(usage.customer), dict(usage.codes)) == (
        {"auto": 1},
        {"auto": 1},
        {"ONE-A": 1},
    )


def test_exhausted_code_consumes_nothing(store: Store) -> None:
    with store.transaction() as tx:
        consume_promotions(tx, quote(), PROMOS, customer_id="ada")
    with store.transaction() as tx, pytest.raises(errors.CouponError) as caught:
        consume_promotions(tx, quote(customer="bob"), PROMOS, customer_id="bob")
    error = caught.value
    assert (error.code, error.reason, error.promotion_id) == ("ONE-A", "usage_exhausted", "single")
    assert "coupon ONE-A" in str(error) and "usage exhausted" in str(error)
    # "auto" sorts before the code and was consumed first, then given back.
    assert counts(store, "auto", "bob") == (1, 0)
    assert counts(store, "single", "bob") == (1, 0)


def test_per_customer_and_total_limits(store: Store) -> None:
    with store.transaction() as tx:
        consume_promotions(tx, quote(None), PROMOS, customer_id="ada")
        consume_promotions(tx, quote(None), PROMOS, customer_id="ada")
    with store.transaction() as tx, pytest.raises(errors.CouponError, match="by customer 'ada'"):
        consume_promotions(tx, quote(None), PROMOS, customer_id="ada")
    with store.transaction() as tx:
        consume_promotions(tx, quote(None), PROMOS, customer_id="bob")
    with (
        store.transaction() as tx,
        pytest.raises(errors.CouponError, match=r"reached its usage limit \(3\)") as caught,
    ):
        consume_promotions(tx, quote(None), PROMOS, customer_id="cy")
    assert (caught.value.code, caught.value.promotion_id) == (None, "auto")
    assert counts(store, "auto", "cy") == (3, 0)


def test_release_gives_uses_back(store: Store) -> None:
    breakdown = quote()
    with store.transaction() as tx:
        consume_promotions(tx, breakdown, PROMOS, customer_id="ada")
        release_promotions(tx, breakdown, PROMOS, customer_id="ada")
    assert counts(store, "auto", "ada") == (0, 0)
    assert counts(store, code_counter_id("ONE-A")) == (0, 0)


def test_unknown_applied_promotion_is_a_validation_error(store: Store) -> None:
    with store.transaction() as tx, pytest.raises(errors.ValidationError, match="not among"):
        consume_promotions(tx, quote(), [SINGLE], customer_id="ada")


def test_one_code_unlocking_two_promotions_counts_once_with_the_stricter_limit(
    store: Store,
) -> None:
    loose = Promotion("loose", "2%", [PercentOffItems(2)], [CouponCode({"BOTH"})])
    strict = Promotion(
        "strict", "3%", [PercentOffItems(3)], [CouponCode({"BOTH"})], usage_limit_per_code=1
    )
    cart = Cart(currency="EUR").add("MUG").apply_coupon("both")
    breakdown = price_cart(cart, {"MUG": MUG}, at=AT, promotions=[loose, strict])
    with store.transaction() as tx:
        assert consume_promotions(tx, breakdown, [loose, strict], customer_id=None) == (
            "code:BOTH",
            "loose",
            "strict",
        )
    with store.transaction() as tx, pytest.raises(errors.CouponError, match="BOTH"):
        consume_promotions(tx, breakdown, [loose, strict], customer_id=None)
    assert counts(store, code_counter_id("BOTH")) == (1, 0)


def test_service_quote_reads_code_counters_and_consumes_in_the_outer_transaction(
    store: Store,
) -> None:
    service = CartService(store, InMemoryCatalog([MUG]), promotions=PROMOS)
    cart = Cart(currency="EUR", customer_id="ada").add("MUG", 2)
    cart, first = service.apply_coupon(cart, "one-a")
    assert check_coupon(first, "ONE-A").promotion_id == "single"
    with store.transaction():
        assert service.consume_usage(first, customer_id="ada")[-1] == "single"
    again = service.quote(Cart(currency="EUR", customer_id="bob").add("MUG").apply_coupon("ONE-A"))
    assert again.coupons[0].reason is CouponRefusal.USAGE_EXHAUSTED
    with pytest.raises(errors.CouponError) as caught:
        service.apply_coupon(Cart(currency="EUR").add("MUG"), "one-a")
    assert caught.value.reason == "usage_exhausted"
    # An outer transaction that fails takes the uses with it.
    with pytest.raises(RuntimeError), store.transaction():
        service.consume_usage(quote("ONE-B", "bob"), customer_id="bob")
        raise RuntimeError("payment failed")
    assert counts(store, code_counter_id("ONE-B")) == (0, 0)


@pytest.mark.parametrize(
    ("promotion", "code", "reason"),
    [
        (
            Promotion(
                "later",
                "x",
                [PercentOffItems(5)],
                [CouponCode({"C"}), DateWindow(starts_at=datetime(2027, 1, 1, tzinfo=UTC))],
            ),
            "C",
            CouponRefusal.NOT_STARTED,
        ),
        (
            Promotion(
                "past",
                "x",
                [PercentOffItems(5)],
                [CouponCode({"C"}), DateWindow(ends_at=datetime(2026, 1, 1, tzinfo=UTC))],
            ),
            "C",
            CouponRefusal.EXPIRED,
        ),
        (
            Promotion(
                "big",
                "x",
                [PercentOffItems(5)],
                [CouponCode({"C"}), SubtotalAtLeast(Money("100", "EUR"))],
            ),
            "C",
            CouponRefusal.MINIMUM_NOT_MET,
        ),
        (Promotion("any", "x", [PercentOffItems(5)], [CouponCode({"C"})]), "D", None),
    ],
)
def test_check_coupon_raises_the_typed_reason(
    promotion: Promotion, code: str, reason: CouponRefusal | None
) -> None:
    cart = Cart(currency="EUR").add("MUG").apply_coupon(code)
    breakdown = price_cart(cart, {"MUG": MUG}, at=AT, promotions=[promotion])
    with pytest.raises(errors.CouponError) as caught:
        check_coupon(breakdown, code.lower())
    expected = reason or CouponRefusal.UNKNOWN_CODE
    assert (caught.value.code, caught.value.reason) == (code, expected)
    assert caught.value.promotion_id == (None if reason is None else promotion.id)


def test_check_coupon_not_combinable_and_not_on_cart() -> None:
    alone = Promotion("alone", "x", [PercentOffItems(50)], stacking=Stacking.EXCLUSIVE)
    coupon = Promotion("coupon", "y", [PercentOffItems(5)], [CouponCode({"C"})])
    cart = Cart(currency="EUR").add("MUG").apply_coupon("C")
    breakdown = price_cart(cart, {"MUG": MUG}, at=AT, promotions=[alone, coupon])
    with pytest.raises(errors.CouponError, match="not combinable") as caught:
        check_coupon(breakdown, "c")
    assert caught.value.reason is CouponRefusal.NOT_COMBINABLE
    with pytest.raises(errors.ValidationError, match="not on cart"):
        check_coupon(breakdown, "other")


def test_promotion_ids_may_not_use_the_code_namespace() -> None:
    with pytest.raises(errors.ValidationError, match="code:"):
        Promotion("code:X", "x", [PercentOffItems(5)])
