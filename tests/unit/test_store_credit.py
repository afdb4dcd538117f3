"""Store credit and gift cards: codes, guarded balances, the gateway's operations, split tender.

Store tests run on memory, a SQLite file and a PostgreSQL schema. Every amount a test asserts
is derived from the amounts it moved.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from commercekit import Money
from commercekit.areas import BUILTIN_AREAS
from commercekit.clock import ManualClock
from commercekit.errors import (
    ConfigurationError,
    ConflictError,
    ConstraintError,
    CurrencyMismatchError,
    GatewayError,
    IdempotencyConflictError,
    InvalidAmountError,
    PaymentAmountError,
    PaymentDeclinedError,
    StateTransitionError,
    StorageError,
    ValidationError,
)
from commercekit.money import from_minor_units
from commercekit.payments import (
    AuthorizeRequest,
    GatewayStatus,
    Payment,
    PaymentGateway,
    PaymentOperation,
    PaymentStatus,
    looks_like_card_number,
)
from commercekit.payments._area import PAYMENTS_AREA
from commercekit.payments._credit import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CUSTOMER_CREDIT,
    KEY_ENV,
    RefundOrder,
    StoreCreditGateway,
    Tender,
    TenderShare,
    issue_gift_card,
    issue_store_credit,
    plan_split_refund,
    plan_split_tender,
)
from commercekit.ports._credit import GIFT_CARDS, CreditCardRow
from commercekit.storage import Store, open_store
from tests.contract._backends import T0

KEY = b"test-gift-card-key-0123456789abcdef"
AREAS = BUILTIN_AREAS if PAYMENTS_AREA in BUILTIN_AREAS else (*BUILTIN_AREAS, PAYMENTS_AREA)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_and_clock(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Store, ManualClock]]:
    clock = ManualClock(T0)
    if request.param == "memory":
        store = open_store("memory://", clock=clock, areas=AREAS)
    elif request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'shop.db'}", clock=clock, areas=AREAS)
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
        store = open_store(url, schema=schema, clock=clock, migrate=True, areas=AREAS)
    with store:
        yield store, clock


@pytest.fixture
def store(store_and_clock: tuple[Store, ManualClock]) -> Store:
    return store_and_clock[0]


@pytest.fixture
def clock(store_and_clock: tuple[Store, ManualClock]) -> ManualClock:
    return store_and_clock[1]


@pytest.fixture
def memory() -> Iterator[Store]:
    with open_store("memory://", clock=ManualClock(T0), areas=AREAS) as opened:
        yield opened


def gateway(store: Store, **options: object) -> StoreCreditGateway:
    return StoreCreditGateway(store, key=KEY, **options)  # type: ignore[arg-type]


def ask(
    token: str, amount: Money, payment: str = "pay-1", customer: str | None = None
) -> AuthorizeRequest:
    return AuthorizeRequest(payment, amount, token, customer_id=customer)


def rows(store: Store, table: str) -> list[tuple[object, ...]]:
    with store.transaction(readonly=True) as tx:
        return [tuple(row) for row in tx.execute(f"SELECT * FROM {table}").fetchall()]


def card_state(gw: StoreCreditGateway, code: str) -> tuple[Money, Money]:
    card = gw.gift_card(code)
    assert card is not None
    return card.balance, card.held


# --- codes -------------------------------------------------------------------------------------


def test_generated_codes_are_80_random_bits_of_crockford_base32(memory: Store) -> None:
    assert len(set(CODE_ALPHABET)) == 32 and not set("ILOU") & set(CODE_ALPHABET)
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) == 80
    codes = [issue_gift_card(memory, eur("1.00"), key=KEY)[0] for _ in range(50)]
    assert len(set(codes)) == 50
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(CODE_ALPHABET)
        assert not looks_like_card_number(code)


def test_the_code_is_stored_only_as_its_keyed_digest(store: Store) -> None:
    code, card = issue_gift_card(store, eur("25.00"), key=KEY)
    plain = code.replace("-", "")
    [row] = rows(store, "ck_gift_cards")
    stored = " ".join(str(value) for value in row)
    assert plain not in stored and code not in stored
    expected = hmac.new(KEY, b"commercekit-gift-card:" + plain.encode(), hashlib.sha256)
    assert expected.hexdigest() in row
    assert card.hint == plain[-4:] and card.id in row
    assert (card.balance, card.held, card.available) == (eur("25.00"), eur("0"), eur("25.00"))
    # Paying with it stores no code either: not in the hold, not in the idempotency record.
    gw = gateway(store)
    ref = gw.authorize(
        ask(code.lower(), eur("5.00")), idempotency_key="pay-1:authorize:1"
    ).reference
    gw.capture(ref, eur("5.00"), final=True, idempotency_key="pay-1:capture:1")
    for table in ("ck_gift_cards", "ck_credit_holds", "ck_idempotency"):
        text = " ".join(str(value) for row in rows(store, table) for value in row).upper()
        assert plain not in text and code not in text, table
    assert len(rows(store, "ck_idempotency")) == 2


def test_entry_ignores_case_separators_and_ambiguous_letters(memory: Store) -> None:
    code, _ = issue_gift_card(memory, eur("10.00"), code="GOLD-LION-2026-XYZ", key=KEY)
    assert code == "GOLD-LION-2026-XYZ"
    gw = gateway(memory)
    for typed in ("gold lion 2026 xyz", "G0LD-110N-2026-XYZ", "goldlion2026xyz"):
        card = gw.gift_card(typed)
        assert card is not None and card.balance == eur("10.00")
    assert gw.gift_card("GOLD-LION-2026-XYY") is None
    assert gw.gift_card("short") is None


@pytest.mark.parametrize(
    "code",
    [
        "SHORT-1",
        "A" * 65,
        "GIFT_CARD_12345",
        "ÄÖÜ-ÄÖÜ-ÄÖÜ-ÄÖÜ",
        "4242 4242 4242 4242",
        1234567890123,
    ],
)
def test_a_bad_custom_code_is_refused_and_stores_nothing(memory: Store, code: object) -> None:
    with pytest.raises(ValidationError):
        issue_gift_card(memory, eur("10.00"), code=code, key=KEY)  # type: ignore[arg-type]
    assert rows(memory, "ck_gift_cards") == []


def test_a_code_issued_twice_is_a_conflict(store: Store) -> None:
    issue_gift_card(store, eur("10.00"), code="HOLIDAY-2026-A", key=KEY)
    with pytest.raises(ConflictError):
        issue_gift_card(store, eur("99.00"), code="holiday 2026 a", key=KEY)
    assert len(rows(store, "ck_gift_cards")) == 1
    assert card_state(gateway(store), "HOLIDAY-2026-A") == (eur("10.00"), eur("0"))


def test_the_key_comes_from_the_argument_or_the_environment_and_is_never_shown(
    memory: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ConfigurationError, match=KEY_ENV):
        issue_gift_card(memory, eur("5.00"))
    with pytest.raises(ConfigurationError) as short:
        issue_gift_card(memory, eur("5.00"), key="too-short-a-key")
    assert "too-short-a-key" not in str(short.value)
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    code, _ = issue_gift_card(memory, eur("5.00"))
    assert StoreCreditGateway(memory).gift_card(code) is not None
    assert StoreCreditGateway(memory, key=KEY).gift_card(code) is not None
    assert StoreCreditGateway(memory, key=b"another-key-" * 3).gift_card(code) is None
    assert KEY.decode() not in repr(StoreCreditGateway(memory, key=KEY))


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (eur("0"), PaymentAmountError),
        (eur("-5.00"), PaymentAmountError),
        (eur("1.005"), PaymentAmountError),
        (10.0, InvalidAmountError),
        ("10.00", InvalidAmountError),
    ],
)
def test_issuing_a_bad_amount_stores_nothing(memory: Store, amount: object, error: type) -> None:
    with pytest.raises(error):
        issue_gift_card(memory, amount, key=KEY)  # type: ignore[arg-type]
    with pytest.raises(error):
        issue_store_credit(memory, "ada", amount)  # type: ignore[arg-type]
    assert rows(memory, "ck_gift_cards") == []


# --- authorize, capture, void, refund ---------------------------------------------------------


def test_the_gateway_is_a_payment_gateway_without_webhooks(memory: Store) -> None:
    gw = gateway(memory)
    assert isinstance(gw, PaymentGateway) and gw.provider == "store_credit"
    with pytest.raises(GatewayError) as raised:
        gw.parse_webhook(b"{}", {})
    assert raised.value.code == "no_webhooks" and not raised.value.retryable
    with pytest.raises(ValidationError) as wrong:
        gw.authorize("K7QP-3MZD-9XRT-B2WC", idempotency_key="k")  # type: ignore[arg-type]
    assert "K7QP" not in str(wrong.value)


def test_authorize_holds_and_a_short_balance_is_declined(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("30.00"), key=KEY)
    gw = gateway(store)
    first = gw.authorize(ask(code, eur("20.00")), idempotency_key="pay-1:authorize:1")
    assert first.status is GatewayStatus.AUTHORIZED and first.amount == eur("20.00")
    assert first.authorized_until == T0 + timedelta(days=7)
    assert card_state(gw, code) == (eur("30.00"), eur("20.00"))
    with pytest.raises(PaymentDeclinedError) as declined:
        gw.authorize(ask(code, eur("10.01"), "pay-2"), idempotency_key="pay-2:authorize:1")
    assert declined.value.code == "insufficient_funds" and declined.value.provider == "store_credit"
    assert code not in str(declined.value)
    # Exactly what is available still goes through: the guard is >=, not >.
    gw.authorize(ask(code, eur("10.00"), "pay-3"), idempotency_key="pay-3:authorize:1")
    card = gw.gift_card(code)
    assert card is not None and card.available == eur("0") and card.held == eur("30.00")


def test_an_unknown_code_is_declined_without_echoing_it(store: Store) -> None:
    issue_gift_card(store, eur("30.00"), key=KEY)
    gw = gateway(store)
    for token in ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "not a code!"):
        with pytest.raises(PaymentDeclinedError) as declined:
            gw.authorize(ask(token, eur("1.00")), idempotency_key=f"k-{len(token)}")
        assert declined.value.code == "unknown_card" and token not in str(declined.value)
    assert [row[0] for row in rows(store, "ck_credit_holds")] == []


def test_another_currency_is_a_typed_error_that_stores_nothing(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("30.00"), key=KEY)
    gw = gateway(store)
    with pytest.raises(CurrencyMismatchError):
        gw.authorize(ask(code, Money("5.00", "USD")), idempotency_key="pay-1:authorize:1")
    assert card_state(gw, code) == (eur("30.00"), eur("0"))
    # Nothing was stored under the key: the corrected request may use it.
    held = gw.authorize(ask(code, eur("5.00")), idempotency_key="pay-1:authorize:1")
    with pytest.raises(CurrencyMismatchError):
        gw.capture(held.reference, Money("5.00", "USD"), final=True, idempotency_key="c")
    with pytest.raises(CurrencyMismatchError):
        gw.capture(held.reference, Money("5", "JPY"), final=True, idempotency_key="c")
    assert card_state(gw, code) == (eur("30.00"), eur("5.00"))


def test_several_partial_captures_and_a_final_one_that_releases_the_rest(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("50.00"), key=KEY)
    gw = gateway(store)
    ref = gw.authorize(ask(code, eur("40.00")), idempotency_key="a").reference
    taken = [eur("10.00"), eur("7.50")]
    for index, amount in enumerate(taken):
        result = gw.capture(ref, amount, final=False, idempotency_key=f"c{index}")
        assert (result.status, result.amount, result.reference) == (
            GatewayStatus.CAPTURED,
            amount,
            ref,
        )
    assert card_state(gw, code) == (
        eur("50.00") - sum(taken, eur("0")),
        eur("40.00") - taken[0] - taken[1],
    )
    with pytest.raises(PaymentAmountError):
        gw.capture(ref, eur("22.51"), final=True, idempotency_key="too-much")
    gw.capture(ref, eur("2.50"), final=True, idempotency_key="last")
    spent = taken[0] + taken[1] + eur("2.50")
    assert card_state(gw, code) == (eur("50.00") - spent, eur("0"))
    with pytest.raises(StateTransitionError):
        gw.capture(ref, eur("1.00"), final=True, idempotency_key="after-final")
    assert gw.confirm(ref, idempotency_key="read").amount == spent


def test_a_capture_of_everything_held_closes_the_hold_without_final(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("20.00"), key=KEY)
    gw = gateway(store)
    ref = gw.authorize(ask(code, eur("8.00")), idempotency_key="a").reference
    gw.capture(ref, eur("8.00"), final=False, idempotency_key="c")
    assert card_state(gw, code) == (eur("12.00"), eur("0"))
    assert gw.confirm(ref, idempotency_key="read").status is GatewayStatus.CAPTURED


def test_void_releases_the_hold_and_only_before_a_capture(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("20.00"), key=KEY)
    gw = gateway(store)
    ref = gw.authorize(ask(code, eur("15.00")), idempotency_key="a1").reference
    voided = gw.void(ref, idempotency_key="v1")
    assert (voided.status, voided.amount) == (GatewayStatus.VOIDED, eur("15.00"))
    assert card_state(gw, code) == (eur("20.00"), eur("0"))
    with pytest.raises(StateTransitionError):
        gw.void(ref, idempotency_key="v2")
    other = gw.authorize(ask(code, eur("15.00"), "pay-2"), idempotency_key="a2").reference
    gw.capture(other, eur("5.00"), final=False, idempotency_key="c2")
    with pytest.raises(StateTransitionError, match="final"):
        gw.void(other, idempotency_key="v3")
    assert card_state(gw, code) == (eur("15.00"), eur("10.00"))
    with pytest.raises(GatewayError) as missing:
        gw.void("sch_unknown", idempotency_key="v4")
    assert missing.value.code == "resource_missing"


def test_partial_refunds_credit_the_card_back_up_to_what_was_captured(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("50.00"), key=KEY)
    gw = gateway(store)
    ref = gw.authorize(ask(code, eur("30.00")), idempotency_key="a").reference
    gw.capture(ref, eur("20.00"), final=False, idempotency_key="c")
    first = gw.refund(ref, eur("5.00"), idempotency_key="r1")
    second = gw.refund(ref, eur("6.00"), idempotency_key="r2")
    assert first.status is GatewayStatus.REFUNDED and first.reference == ref
    assert first.operation_reference != second.operation_reference
    # The refund ended the capturing: the 10.00 still held was released.
    assert card_state(gw, code) == (eur("50.00") - eur("20.00") + eur("11.00"), eur("0"))
    with pytest.raises(PaymentAmountError):
        gw.refund(ref, eur("9.01"), idempotency_key="r3")
    gw.refund(ref, eur("9.00"), idempotency_key="r4")
    assert card_state(gw, code) == (eur("50.00"), eur("0"))
    with pytest.raises(StateTransitionError):
        gw.capture(ref, eur("1.00"), final=True, idempotency_key="c2")


@pytest.mark.parametrize(
    ("amount", "error"),
    [(eur("0"), PaymentAmountError), (eur("-1.00"), PaymentAmountError), (1, InvalidAmountError)],
)
def test_bad_amounts_are_refused_before_anything_moves(
    memory: Store, amount: object, error: type
) -> None:
    code, _ = issue_gift_card(memory, eur("20.00"), key=KEY)
    gw = gateway(memory)
    ref = gw.authorize(ask(code, eur("10.00")), idempotency_key="a").reference
    with pytest.raises(error):
        gw.capture(ref, amount, final=True, idempotency_key="c")  # type: ignore[arg-type]
    with pytest.raises(error):
        gw.refund(ref, amount, idempotency_key="r")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        gw.capture(ref, eur("1.00"), final="yes", idempotency_key="c")  # type: ignore[arg-type]
    assert card_state(gw, code) == (eur("20.00"), eur("10.00"))


# --- idempotency -------------------------------------------------------------------------------


def test_the_same_key_replays_and_other_parameters_under_it_conflict(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("50.00"), key=KEY)
    gw = gateway(store)
    first = gw.authorize(ask(code, eur("10.00")), idempotency_key="pay-1:authorize:1")
    again = gw.authorize(ask(code, eur("10.00")), idempotency_key="pay-1:authorize:1")
    assert again == first
    assert card_state(gw, code) == (eur("50.00"), eur("10.00"))
    with pytest.raises(IdempotencyConflictError):
        gw.authorize(ask(code, eur("11.00")), idempotency_key="pay-1:authorize:1")
    capture = gw.capture(
        first.reference, eur("4.00"), final=False, idempotency_key="pay-1:capture:1"
    )
    assert (
        gw.capture(first.reference, eur("4.00"), final=False, idempotency_key="pay-1:capture:1")
        == capture
    )
    for changed in (
        {"amount": eur("4.01"), "final": False},
        {"amount": eur("4.00"), "final": True},
    ):
        with pytest.raises(IdempotencyConflictError):
            gw.capture(first.reference, idempotency_key="pay-1:capture:1", **changed)  # type: ignore[arg-type]
    refund = gw.refund(first.reference, eur("1.00"), idempotency_key="pay-1:refund:1")
    assert gw.refund(first.reference, eur("1.00"), idempotency_key="pay-1:refund:1") == refund
    with pytest.raises(IdempotencyConflictError):
        gw.void(first.reference, idempotency_key="pay-1:refund:1")
    # Each operation moved the card once.
    assert card_state(gw, code) == (eur("50.00") - eur("4.00") + eur("1.00"), eur("0"))


def test_a_decline_is_stored_and_replayed_under_its_key(store: Store) -> None:
    issue_store_credit(store, "ada", eur("5.00"))
    gw = gateway(store)
    request = ask(CUSTOMER_CREDIT, eur("8.00"), customer="ada")
    with pytest.raises(PaymentDeclinedError):
        gw.authorize(request, idempotency_key="pay-1:authorize:1")
    topped = issue_store_credit(store, "ada", eur("10.00"))
    assert topped.available == eur("15.00")
    # As at Stripe, the first answer under a key is the answer: the decline is replayed.
    with pytest.raises(PaymentDeclinedError) as replayed:
        gw.authorize(request, idempotency_key="pay-1:authorize:1")
    assert replayed.value.code == "insufficient_funds"
    held = gw.authorize(request, idempotency_key="pay-1:authorize:2")
    assert held.amount == eur("8.00")
    [credit] = gw.customer_credit("ada")
    assert credit.held == eur("8.00")


def test_a_payment_runs_its_state_machine_against_the_gateway(store: Store) -> None:
    code, _ = issue_gift_card(store, eur("60.00"), key=KEY)
    gw = gateway(store)
    payment = Payment("order-7", gw.provider, eur("45.00"))
    at = T0
    key = payment.next_key(PaymentOperation.AUTHORIZE)
    payment = payment.begin(PaymentOperation.AUTHORIZE, key, 4500, at)
    request = AuthorizeRequest(payment.id, payment.amount, code)
    payment = payment.record_authorization(gw.authorize(request, idempotency_key=key), at, key=key)
    assert payment.authorized_until == T0 + timedelta(days=7)
    for amount in (eur("20.00"), eur("15.00")):
        minor = payment.check_capture(amount)
        key = payment.next_key(PaymentOperation.CAPTURE)
        payment = payment.begin(PaymentOperation.CAPTURE, key, minor, at, final=False)
        result = gw.capture(payment.reference or "", amount, final=False, idempotency_key=key)
        payment = payment.record_capture(result, at, key=key, final=False)
    key = payment.next_key(PaymentOperation.REFUND)
    payment = payment.begin(PaymentOperation.REFUND, key, 500, at)
    result = gw.refund(payment.reference or "", eur("5.00"), idempotency_key=key)
    payment = payment.record_refund(result, at, key=key)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert (payment.captured, payment.refunded) == (eur("35.00"), eur("5.00"))
    assert card_state(gw, code) == (eur("60.00") - payment.captured + payment.refunded, eur("0"))


# --- expiry, store credit, guards ---------------------------------------------------------------


def test_a_lapsed_hold_is_released_by_prune_and_cannot_be_captured(
    store: Store, clock: ManualClock
) -> None:
    code, _ = issue_gift_card(store, eur("20.00"), key=KEY)
    gw = gateway(store, hold_for=timedelta(hours=1))
    lapsing = gw.authorize(ask(code, eur("12.00")), idempotency_key="a1").reference
    kept = gw.authorize(ask(code, eur("3.00"), "pay-2"), idempotency_key="a2").reference
    gw.capture(kept, eur("1.00"), final=False, idempotency_key="c2")  # partly taken: no lapse
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(StateTransitionError, match="expired"):
        gw.capture(lapsing, eur("12.00"), final=True, idempotency_key="c1")
    assert store.prune().credit_holds_expired == 1
    assert card_state(gw, code) == (eur("19.00"), eur("2.00"))
    assert store.prune().credit_holds_expired == 0
    voided = gw.void(lapsing, idempotency_key="v1")
    assert voided.status is GatewayStatus.VOIDED
    gw.capture(kept, eur("2.00"), final=True, idempotency_key="c3")
    assert card_state(gw, code) == (eur("17.00"), eur("0"))
    with pytest.raises(ConfigurationError):
        StoreCreditGateway(store, hold_for=timedelta(0))


def test_store_credit_is_keyed_by_customer_and_currency(store: Store) -> None:
    first = issue_store_credit(store, "ada", eur("10.00"))
    second = issue_store_credit(store, "ada", eur("2.50"))
    dollars = issue_store_credit(store, "ada", Money("4.00", "USD"))
    assert second.id == first.id and second.balance == eur("12.50") and second.hint is None
    assert dollars.id != first.id
    gw = gateway(store)
    assert [card.currency.code for card in gw.customer_credit("ada")] == ["EUR", "USD"]
    paid = gw.authorize(ask(CUSTOMER_CREDIT, eur("12.50"), customer="ada"), idempotency_key="k1")
    gw.capture(paid.reference, eur("12.50"), final=True, idempotency_key="k2")
    [euros, _] = gw.customer_credit("ada")
    assert euros.balance == eur("0")
    with pytest.raises(PaymentDeclinedError) as none_left:
        gw.authorize(ask(CUSTOMER_CREDIT, eur("0.01"), customer="ada"), idempotency_key="k3")
    assert none_left.value.code == "insufficient_funds"
    with pytest.raises(CurrencyMismatchError):
        gw.authorize(ask(CUSTOMER_CREDIT, Money("1", "JPY"), customer="ada"), idempotency_key="k4")
    with pytest.raises(PaymentDeclinedError) as unknown:
        gw.authorize(ask(CUSTOMER_CREDIT, eur("1.00"), customer="bob"), idempotency_key="k5")
    assert unknown.value.code == "unknown_card"
    with pytest.raises(ValidationError):
        gw.authorize(ask(CUSTOMER_CREDIT, eur("1.00")), idempotency_key="k6")


def test_store_credit_given_under_a_key_is_given_once(store: Store) -> None:
    for _ in range(3):
        card = issue_store_credit(store, "ada", eur("7.00"), idempotency_key="refund-42")
    assert card.balance == eur("7.00")
    with pytest.raises(IdempotencyConflictError):
        issue_store_credit(store, "ada", eur("8.00"), idempotency_key="refund-42")
    with pytest.raises(IdempotencyConflictError):
        issue_store_credit(store, "bob", eur("7.00"), idempotency_key="refund-42")
    assert [c.balance for c in gateway(store).customer_credit("ada")] == [eur("7.00")]


def test_holds_never_take_the_balance_below_zero(store: Store) -> None:
    code, card = issue_gift_card(store, eur("10.00"), key=KEY)
    gw = gateway(store)
    outcomes = []
    for index in range(8):
        try:
            gw.authorize(ask(code, eur("3.00"), f"p{index}"), idempotency_key=f"k{index}")
            outcomes.append("held")
        except PaymentDeclinedError as exc:
            outcomes.append(str(exc.code))
    granted = 10_00 // 3_00
    assert outcomes == ["held"] * granted + ["insufficient_funds"] * (8 - granted)
    assert card_state(gw, code) == (eur("10.00"), eur("3.00") * granted)
    # The database refuses a change that bypasses the guards: balance below what is held.
    with pytest.raises(StorageError), store.transaction() as tx:
        tx.execute("UPDATE ck_gift_cards SET balance = 100 WHERE id = ?", (card.id,))
    with pytest.raises(StorageError), store.transaction() as tx:
        tx.execute("UPDATE ck_gift_cards SET held = 0, balance = -1 WHERE id = ?", (card.id,))
    assert card_state(gw, code) == (eur("10.00"), eur("3.00") * granted)


def test_the_repository_checks_amounts_and_that_a_card_holds_what_its_holds_say(
    store: Store,
) -> None:
    code, card = issue_gift_card(store, eur("20.00"), key=KEY)
    gw = gateway(store)
    ref = gw.authorize(ask(code, eur("5.00")), idempotency_key="a").reference
    with store.transaction() as tx:
        cards = tx.repository(GIFT_CARDS)
        assert cards.card(card.id) == CreditCardRow(card.id, "EUR", 2000, 500, None, card.hint)
        assert cards.card("gc_none") is None
        for bad in (0, -1, True, 1.5):
            with pytest.raises(ValidationError):
                cards.capture(ref, bad, final=True)  # type: ignore[arg-type]
    # A change made behind the library's back: the card no longer holds what its hold says.
    with store.transaction() as tx:
        tx.execute("UPDATE ck_gift_cards SET held = 0 WHERE id = ?", (card.id,))
    with pytest.raises(ConstraintError):
        gw.void(ref, idempotency_key="v")
    # The void was rolled back whole: the hold is still open, nothing stored under the key.
    assert gw.confirm(ref, idempotency_key="read").status is GatewayStatus.AUTHORIZED
    with pytest.raises(ConstraintError):
        gw.void(ref, idempotency_key="v")


# --- split tender ------------------------------------------------------------------------------


def test_a_split_tender_fills_methods_in_the_shops_order() -> None:
    total = eur("100.00")
    tenders = [
        Tender("gift-a", eur("30.00"), credit=True),
        Tender("empty", eur("0"), credit=True),
        Tender("gift-b", eur("45.50"), credit=True),
        Tender("card"),
        Tender("never"),
    ]
    plan = plan_split_tender(total, tenders)
    assert [(s.name, s.amount) for s in plan] == [
        ("gift-a", eur("30.00")),
        ("gift-b", eur("45.50")),
        ("card", total - eur("30.00") - eur("45.50")),
    ]
    assert sum((s.amount for s in plan), eur("0")) == total
    small = plan_split_tender(eur("20.00"), tenders)
    assert [(s.name, s.amount, s.credit) for s in small] == [("gift-a", eur("20.00"), True)]


def test_a_split_tender_that_cannot_cover_the_total_names_the_shortfall() -> None:
    with pytest.raises(PaymentAmountError, match=re.escape("4.50 EUR is missing")):
        plan_split_tender(eur("50.00"), [Tender("a", eur("20.00")), Tender("b", eur("25.50"))])
    with pytest.raises(CurrencyMismatchError):
        plan_split_tender(eur("50.00"), [Tender("a", Money("20.00", "USD")), Tender("b")])
    with pytest.raises(ValidationError):
        plan_split_tender(eur("50.00"), [Tender("a", eur("1.00")), Tender("a")])
    with pytest.raises(PaymentAmountError):
        plan_split_tender(eur("0"), [Tender("a")])
    with pytest.raises(PaymentAmountError):
        Tender("a", eur("-1.00"))


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (RefundOrder.CREDIT_LAST, [("card", "40.00"), ("paypal", "10.00"), ("gift-a", "5.00")]),
        (RefundOrder.CREDIT_FIRST, [("gift-a", "20.00"), ("gift-b", "10.00"), ("card", "25.00")]),
        (RefundOrder.REVERSE, [("paypal", "10.00"), ("gift-b", "10.00"), ("card", "35.00")]),
        ("credit_last", [("card", "40.00"), ("paypal", "10.00"), ("gift-a", "5.00")]),
    ],
)
def test_the_refund_order_of_a_split_tender(
    order: RefundOrder, expected: list[tuple[str, str]]
) -> None:
    paid = [
        TenderShare("gift-a", eur("20.00"), credit=True),
        TenderShare("card", eur("40.00")),
        TenderShare("gift-b", eur("10.00"), credit=True),
        TenderShare("paypal", eur("10.00")),
    ]
    amount = eur("55.00")
    plan = plan_split_refund(amount, paid, order=order)
    assert [(s.name, str(s.amount.amount)) for s in plan] == expected
    assert sum((s.amount for s in plan), eur("0")) == amount


def test_a_refund_beyond_what_was_paid_is_refused() -> None:
    paid = [TenderShare("gift", eur("20.00"), credit=True), TenderShare("card", eur("5.00"))]
    assert plan_split_refund(eur("25.00"), paid)[-1] == TenderShare("gift", eur("20.00"), True)
    with pytest.raises(PaymentAmountError, match=re.escape("only 25.00 EUR")):
        plan_split_refund(eur("25.01"), paid)
    with pytest.raises(CurrencyMismatchError):
        plan_split_refund(Money("1.00", "USD"), paid)
    with pytest.raises(ValidationError, match="newest"):
        plan_split_refund(eur("1.00"), paid, order="newest")  # type: ignore[arg-type]
    assert from_minor_units(2500, "EUR") == sum((s.amount for s in paid), eur("0"))


def test_a_card_token_pays_without_the_code_reaching_the_store() -> None:
    import secrets as _secrets

    from commercekit import errors
    from commercekit.payments import PaymentService
    from commercekit.payments._credit import issue_gift_card
    from commercekit.payments._credit_gateway import CARD_TOKEN_PREFIX, StoreCreditGateway
    from commercekit.storage import open_store

    key = _secrets.token_bytes(32)
    with open_store("memory://") as shop:
        code, _card = issue_gift_card(shop, Money("50.00", "EUR"), key=key)
        gateway = StoreCreditGateway(shop, key=key)
        token = gateway.card_token(code)
        assert token.startswith(CARD_TOKEN_PREFIX) and code not in token
        assert gateway.card_token(code.lower()) == token  # as typed, the same card
        payments = PaymentService(shop, {"gift_card": gateway})
        paid = payments.authorize("order-1", "gift_card", Money("20.00", "EUR"), token)
        assert paid.authorized == Money("20.00", "EUR")
        with shop.transaction(readonly=True) as tx:
            rows = [r[0] for r in tx.execute("SELECT data FROM ck_aggregates").fetchall()]
        normalized = code.replace("-", "")
        assert rows and not any(normalized in row or code in row for row in rows)
        # A token with a forged tag, or for an unknown code, is declined; nothing is held.
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        for bad in (forged, gateway.card_token("NOT-A-REAL-CODE-00")):
            with pytest.raises(errors.PaymentDeclinedError) as declined:
                payments.authorize(f"order-{bad[-6:]}", "gift_card", Money("1.00", "EUR"), bad)
            assert declined.value.code == "unknown_card"
        left = gateway.gift_card(code)
        assert left is not None and left.available == Money("30.00", "EUR")
