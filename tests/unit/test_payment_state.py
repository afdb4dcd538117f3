"""The Payment state machine: every transition, legal or not, and the amount checks.

The table of legal moves below is written from the diagram in ``_payment.py``'s docstring, not
read from the code, so a change to either is noticed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from commercekit import Money
from commercekit.errors import (
    CurrencyMismatchError,
    InvalidAmountError,
    PaymentAmountError,
    StateTransitionError,
)
from commercekit.money import from_minor_units
from commercekit.payments import (
    GatewayResult,
    GatewayStatus,
    NextAction,
    Payment,
    PaymentOperation,
    PaymentStatus,
)

S = PaymentStatus
OP = PaymentOperation
G = GatewayStatus
T = datetime(2026, 3, 1, 12, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def answer(status: GatewayStatus, minor: int, ref: str = "pi_1", **kw: object) -> GatewayResult:
    return GatewayResult(status, ref, from_minor_units(minor, "EUR"), **kw)  # type: ignore[arg-type]


def new() -> Payment:
    return Payment("pay-1", "card", eur("100.00"))


def authorized() -> Payment:
    return new().record_authorization(answer(G.AUTHORIZED, 10000), T, key="pay-1:authorize:1")


def captured() -> Payment:
    return authorized().record_capture(answer(G.CAPTURED, 10000), T)


#: One payment in each state, reached by legal moves.
AT: dict[PaymentStatus, Callable[[], Payment]] = {
    S.PENDING: new,
    S.REQUIRES_ACTION: lambda: new().record_action(answer(G.REQUIRES_ACTION, 10000), T),
    S.AUTHORIZED: authorized,
    S.AUTHORIZATION_EXPIRED: lambda: authorized().record_expiry(T),
    S.PARTIALLY_CAPTURED: lambda: authorized().record_capture(
        answer(G.CAPTURED, 4000), T, final=False
    ),
    S.CAPTURED: captured,
    S.PARTIALLY_REFUNDED: lambda: captured().record_refund(answer(G.REFUNDED, 2500), T),
    S.REFUNDED: lambda: captured().record_refund(answer(G.REFUNDED, 10000), T),
    S.VOIDED: lambda: authorized().record_void(T),
    S.FAILED: lambda: new().record_failure("card_declined", T),
}

#: Each operation's record method, with amounts every state that allows it can take.
APPLY: dict[PaymentOperation, Callable[[Payment], Payment]] = {
    OP.AUTHORIZE: lambda p: p.record_authorization(
        answer(G.AUTHORIZED, 10000, p.reference or "pi_1"), T
    ),
    OP.ACTION: lambda p: p.record_action(
        answer(G.REQUIRES_ACTION, 10000, p.reference or "pi_1"), T
    ),
    OP.CAPTURE: lambda p: p.record_capture(answer(G.CAPTURED, 1000), T),
    OP.VOID: lambda p: p.record_void(T),
    OP.REFUND: lambda p: p.record_refund(answer(G.REFUNDED, 1000), T),
    OP.EXPIRE: lambda p: p.record_expiry(T),
    OP.FAIL: lambda p: p.record_failure("card_declined", T),
}

#: Every legal move and the state it leads to; any other pair is illegal.
LEGAL: dict[tuple[PaymentStatus, PaymentOperation], PaymentStatus] = {
    (S.PENDING, OP.AUTHORIZE): S.AUTHORIZED,
    (S.PENDING, OP.ACTION): S.REQUIRES_ACTION,
    (S.PENDING, OP.VOID): S.VOIDED,
    (S.PENDING, OP.FAIL): S.FAILED,
    (S.REQUIRES_ACTION, OP.AUTHORIZE): S.AUTHORIZED,
    (S.REQUIRES_ACTION, OP.ACTION): S.REQUIRES_ACTION,
    (S.REQUIRES_ACTION, OP.VOID): S.VOIDED,
    (S.REQUIRES_ACTION, OP.FAIL): S.FAILED,
    (S.AUTHORIZED, OP.CAPTURE): S.CAPTURED,  # a final capture of 10.00 releases the rest
    (S.AUTHORIZED, OP.VOID): S.VOIDED,
    (S.AUTHORIZED, OP.EXPIRE): S.AUTHORIZATION_EXPIRED,
    (S.AUTHORIZATION_EXPIRED, OP.AUTHORIZE): S.AUTHORIZED,
    (S.AUTHORIZATION_EXPIRED, OP.VOID): S.VOIDED,
    (S.AUTHORIZATION_EXPIRED, OP.FAIL): S.FAILED,
    # A re-authorization that needs the customer (3-D Secure on a saved card).
    (S.AUTHORIZATION_EXPIRED, OP.ACTION): S.REQUIRES_ACTION,
    (S.PARTIALLY_CAPTURED, OP.CAPTURE): S.CAPTURED,
    (S.PARTIALLY_CAPTURED, OP.REFUND): S.PARTIALLY_REFUNDED,
    (S.CAPTURED, OP.REFUND): S.PARTIALLY_REFUNDED,
    (S.PARTIALLY_REFUNDED, OP.REFUND): S.PARTIALLY_REFUNDED,
}


def _pairs() -> list[object]:
    pairs: list[object] = []
    for status in S:
        for op in OP:
            pairs.append(pytest.param(status, op, id=f"{status.value}-{op.value}"))
    return pairs


@pytest.mark.parametrize(("status", "op"), _pairs())
def test_every_transition_is_legal_or_refused(status: PaymentStatus, op: PaymentOperation) -> None:
    payment = AT[status]()
    assert payment.status is status
    expected = LEGAL.get((status, op))
    if expected is None:
        with pytest.raises(StateTransitionError):
            APPLY[op](payment)
        assert payment == AT[status]()  # refused: nothing new, the original as it was
        return
    moved = APPLY[op](payment)
    assert moved.status is expected
    assert moved.transitions[:-1] == payment.transitions
    assert moved.transitions[-1].operation is op
    assert moved.transitions[-1].status is expected
    assert moved.transitions[-1].at == T


CALLS = [OP.AUTHORIZE, OP.ACTION, OP.CAPTURE, OP.VOID, OP.REFUND]


@pytest.mark.parametrize("status", list(S), ids=[s.value for s in S])
@pytest.mark.parametrize("op", CALLS, ids=[o.value for o in CALLS])
def test_an_operation_can_be_claimed_exactly_where_it_is_legal(
    status: PaymentStatus, op: PaymentOperation
) -> None:
    payment = AT[status]()
    key = payment.next_key(op)
    if (status, op) not in LEGAL:
        with pytest.raises(StateTransitionError):
            payment.begin(op, key, 100, T)
        return
    claimed = payment.begin(op, key, 100, T, final=False)
    assert claimed.pending is not None
    assert (claimed.pending.operation, claimed.pending.key) == (op, key)
    assert (claimed.pending.amount_minor, claimed.pending.final) == (100, False)
    assert (claimed.status, claimed.transitions) == (payment.status, payment.transitions)
    with pytest.raises(StateTransitionError, match="in flight"):
        claimed.begin(op, "another", 100, T)


def test_recording_the_claimed_key_ends_the_claim_and_another_key_keeps_it() -> None:
    payment = authorized()
    key = payment.next_key(OP.CAPTURE)
    assert key == "pay-1:capture:1"
    claimed = payment.begin(OP.CAPTURE, key, 10000, T)
    by_webhook = claimed.record_capture(answer(G.CAPTURED, 4000), T, final=False)
    assert by_webhook.pending == claimed.pending  # a record without the key leaves the claim
    done = claimed.record_capture(answer(G.CAPTURED, 10000), T, key=key)
    assert done.pending is None
    assert done.transitions[-1].key == key
    assert done.next_key(OP.CAPTURE) == "pay-1:capture:2"


# --- amounts are checked before any call -----------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (eur("0.00"), PaymentAmountError),
        (eur("-5.00"), PaymentAmountError),
        (eur("0.001"), PaymentAmountError),  # finer than the cent
        (eur("100.01"), PaymentAmountError),  # one cent more than is left
        (Money("10.00", "USD"), CurrencyMismatchError),
        (10, InvalidAmountError),
    ],
)
def test_capture_and_refund_amounts_are_checked(amount: object, error: type[Exception]) -> None:
    payment = authorized()
    with pytest.raises(error):
        payment.check_capture(amount)  # type: ignore[arg-type]
    with pytest.raises(error):
        captured().check_refund(amount)  # type: ignore[arg-type]


def test_what_is_left_bounds_each_check() -> None:
    payment = authorized()
    assert payment.check_capture() == 10000
    assert payment.check_capture(eur("99.99")) == 9999
    partial = payment.record_capture(answer(G.CAPTURED, 6000), T, final=False)
    assert partial.check_capture() == 4000  # 100.00 - 60.00
    with pytest.raises(PaymentAmountError, match=r"only 40\.00 EUR"):
        partial.check_capture(eur("40.01"))
    assert partial.check_refund() == 6000
    with pytest.raises(PaymentAmountError):
        partial.check_refund(eur("60.01"))
    with pytest.raises(StateTransitionError):
        new().check_capture()
    with pytest.raises(StateTransitionError):
        authorized().check_refund()


def test_amounts_in_three_and_zero_decimal_currencies() -> None:
    kwd = Payment("pay-k", "card", Money("12.345", "KWD"))
    held = kwd.record_authorization(GatewayResult(G.AUTHORIZED, "pi_k", kwd.amount), T)
    assert held.authorized_minor == 12345
    assert held.check_capture(Money("0.005", "KWD")) == 5
    with pytest.raises(PaymentAmountError):
        held.check_capture(Money("0.0005", "KWD"))
    jpy = Payment("pay-j", "card", Money("1000", "JPY"))
    held_jpy = jpy.record_authorization(GatewayResult(G.AUTHORIZED, "pi_j", jpy.amount), T)
    assert held_jpy.authorized_minor == 1000
    with pytest.raises(PaymentAmountError):
        held_jpy.check_capture(Money("0.5", "JPY"))


def test_a_payment_cannot_be_built_for_a_bad_amount() -> None:
    for bad in (eur("0"), eur("-1.00"), eur("1.005")):
        with pytest.raises(PaymentAmountError):
            Payment("pay-1", "card", bad)
    with pytest.raises(InvalidAmountError):
        Payment("pay-1", "card", 100)  # type: ignore[arg-type]


def test_the_gateway_cannot_answer_for_more_another_payment_or_currency() -> None:
    with pytest.raises(PaymentAmountError):
        new().record_authorization(answer(G.AUTHORIZED, 10001), T)
    with pytest.raises(CurrencyMismatchError):
        new().record_authorization(GatewayResult(G.AUTHORIZED, "pi_1", Money("1", "USD")), T)
    with pytest.raises(StateTransitionError):
        authorized().record_capture(answer(G.CAPTURED, 100, "pi_other"), T)
    with pytest.raises(StateTransitionError):
        captured().record_refund(answer(G.REFUNDED, 100, "pi_other"), T)
    with pytest.raises(PaymentAmountError):
        authorized().record_capture(answer(G.CAPTURED, 10001), T)
    with pytest.raises(PaymentAmountError):
        captured().record_refund(answer(G.REFUNDED, 10001), T)


# --- sequences -------------------------------------------------------------------------------


def test_several_partial_captures_then_a_final_one() -> None:
    payment = authorized()
    for minor in (1000, 2500, 500):
        payment = payment.record_capture(answer(G.CAPTURED, minor), T, final=False)
        assert payment.status is S.PARTIALLY_CAPTURED
    assert payment.captured == eur("40.00")  # 10.00 + 25.00 + 5.00
    assert payment.capturable == eur("60.00")
    final = payment.record_capture(answer(G.CAPTURED, 2000), T, final=True)
    # The final capture takes 20.00 and releases the 40.00 never taken.
    assert (final.status, final.captured, final.authorized) == (
        S.CAPTURED,
        eur("60.00"),
        eur("60.00"),
    )
    assert final.capturable == eur("0.00")
    assert [t.amount_minor for t in final.transitions if t.operation is OP.CAPTURE] == [
        1000,
        2500,
        500,
        2000,
    ]


def test_capturing_everything_without_saying_final_completes_the_capture() -> None:
    payment = authorized().record_capture(answer(G.CAPTURED, 7000), T, final=False)
    done = payment.record_capture(answer(G.CAPTURED, 3000), T, final=False)
    assert (done.status, done.captured) == (S.CAPTURED, eur("100.00"))


def test_several_partial_refunds() -> None:
    payment = captured()
    for minor, left in ((2000, "80.00"), (3000, "50.00"), (4999, "0.01")):
        payment = payment.record_refund(
            answer(G.REFUNDED, minor, operation_reference=f"re_{minor}"), T
        )
        assert payment.status is S.PARTIALLY_REFUNDED
        assert payment.refundable == eur(left)
        assert payment.transitions[-1].reference == f"re_{minor}"
    last = payment.record_refund(answer(G.REFUNDED, 1), T)
    assert (last.status, last.refunded, last.refundable) == (
        S.REFUNDED,
        eur("100.00"),
        eur("0.00"),
    )
    with pytest.raises(StateTransitionError):
        last.check_refund()


def test_refunding_a_partial_capture_releases_the_rest() -> None:
    partial = authorized().record_capture(answer(G.CAPTURED, 4000), T, final=False)
    refunded = partial.record_refund(answer(G.REFUNDED, 1000), T)
    assert (refunded.authorized, refunded.captured, refunded.refunded) == (
        eur("40.00"),
        eur("40.00"),
        eur("10.00"),
    )
    with pytest.raises(StateTransitionError):
        refunded.check_capture()


def test_reauthorization_after_expiry_takes_a_new_reference() -> None:
    until = T + timedelta(days=7)
    held = new().record_authorization(answer(G.AUTHORIZED, 10000, authorized_until=until), T)
    assert held.authorized_until == until
    lapsed = held.record_expiry(until)
    assert (lapsed.status, lapsed.authorized_minor, lapsed.reference) == (
        S.AUTHORIZATION_EXPIRED,
        0,
        "pi_1",
    )
    with pytest.raises(StateTransitionError):
        lapsed.check_capture()
    again = lapsed.record_authorization(answer(G.AUTHORIZED, 10000, "pi_2"), until)
    assert (again.status, again.reference, again.authorized) == (
        S.AUTHORIZED,
        "pi_2",
        eur("100.00"),
    )
    assert again.record_capture(answer(G.CAPTURED, 10000, "pi_2"), T).captured == eur("100.00")
    with pytest.raises(StateTransitionError):
        again.record_capture(answer(G.CAPTURED, 10000, "pi_1"), T)


def test_resume_after_an_action() -> None:
    action = NextAction("redirect_to_url", "https://bank.test/3ds", "cs_secret")
    waiting = new().record_action(answer(G.REQUIRES_ACTION, 10000, next_action=action), T)
    assert (waiting.status, waiting.next_action, waiting.reference) == (
        S.REQUIRES_ACTION,
        action,
        "pi_1",
    )
    assert "cs_secret" not in repr(waiting)
    with pytest.raises(StateTransitionError):
        waiting.record_authorization(answer(G.AUTHORIZED, 10000, "pi_other"), T)
    resumed = waiting.record_authorization(answer(G.AUTHORIZED, 10000), T)
    assert (resumed.status, resumed.next_action) == (S.AUTHORIZED, None)
    failed = waiting.record_failure("authentication_failed", T)
    assert (failed.status, failed.failure_code, failed.next_action) == (
        S.FAILED,
        "authentication_failed",
        None,
    )


# --- bugs found in _payment.py ---------------------------------------------------------------


def test_next_key_never_names_a_key_already_sent() -> None:
    first = new().next_key(OP.AUTHORIZE)
    sent = new().begin(OP.AUTHORIZE, first, 10000, T)
    waiting = sent.record_action(answer(G.REQUIRES_ACTION, 10000), T, key=first)
    by_webhook = waiting.record_authorization(answer(G.AUTHORIZED, 10000), T)
    lapsed = by_webhook.record_expiry(T)
    assert lapsed.next_key(OP.AUTHORIZE) != first


def test_a_reauthorization_needing_an_action_can_be_recorded() -> None:
    lapsed = authorized().record_expiry(T)
    waiting = lapsed.record_action(answer(G.REQUIRES_ACTION, 10000, "pi_2"), T)
    assert (waiting.status, waiting.reference) == (S.REQUIRES_ACTION, "pi_2")
