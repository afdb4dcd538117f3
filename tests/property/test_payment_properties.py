"""Random sequences of payment operations keep the amounts reconciled.

Operations (authorize, action, capture partial or final, refund, void, expire, fail,
re-authorize) are drawn at random and applied to a :class:`Payment`; a model written here from
the documented rules predicts which are legal and what each does. After every operation,
legal or refused: ``0 <= refunded <= captured <= authorized`` in minor units, the status agrees
with the amounts, the transitions' amounts add up to the totals, the payment equals the model,
and it survives the store's JSON codec unchanged.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from commercekit.codec import make_json_converter
from commercekit.errors import PaymentAmountError, StateTransitionError
from commercekit.money import from_minor_units
from commercekit.payments import (
    GatewayResult,
    GatewayStatus,
    Payment,
    PaymentOperation,
    PaymentStatus,
)
from tests.contract._backends import T0

S = PaymentStatus
OP = PaymentOperation
G = GatewayStatus
CONVERTER = make_json_converter()

#: Where each operation may start, and where it leads (amount-dependent ones say None).
STARTS: dict[str, set[PaymentStatus]] = {
    "authorize": {S.PENDING, S.REQUIRES_ACTION, S.AUTHORIZATION_EXPIRED},
    "action": {S.PENDING, S.REQUIRES_ACTION, S.AUTHORIZATION_EXPIRED},
    "capture": {S.AUTHORIZED, S.PARTIALLY_CAPTURED},
    "refund": {S.PARTIALLY_CAPTURED, S.CAPTURED, S.PARTIALLY_REFUNDED},
    "void": {S.PENDING, S.REQUIRES_ACTION, S.AUTHORIZED, S.AUTHORIZATION_EXPIRED},
    "expire": {S.AUTHORIZED},
    "fail": {S.PENDING, S.REQUIRES_ACTION, S.AUTHORIZATION_EXPIRED},
}

#: Terminal moves (void, fail) are rarer, so that most sequences reach captures and refunds.
NAMES = ["authorize"] * 3 + ["action"] + ["capture"] * 5 + ["refund"] * 5 + ["expire"] * 2
NAMES += ["void", "fail"]
#: Amounts are drawn per mille of what is left, sometimes more than is left (refused).
operation = st.tuples(st.sampled_from(NAMES), st.integers(1, 1100), st.booleans())


@attrs.define
class Model:
    """What the payment should hold, by the documented rules."""

    total: int
    status: PaymentStatus = S.PENDING
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    reference: str | None = None
    references: int = 0
    captures: list[int] = attrs.Factory(list)
    refunds: list[int] = attrs.Factory(list)

    def new_reference(self) -> str:
        self.references += 1
        return f"pi_{self.references}"


def _minor(model: Model, name: str, fraction: int) -> int:
    """The minor units an operation asks for, from its per-mille fraction."""
    if name == "authorize":  # a partial authorization at most: never more than the payment
        return max(1, model.total * min(fraction, 1000) // 1000)
    left = model.authorized - model.captured if name == "capture" else model.captured
    left -= model.refunded if name == "refund" else 0
    return max(1, left * fraction // 1000)


def _apply(
    payment: Payment, model: Model, name: str, minor: int, final: bool, key: str | None = None
) -> Payment:
    currency = payment.currency
    if name == "authorize":
        ref = model.reference
        if ref is None or payment.status is S.AUTHORIZATION_EXPIRED:
            ref = f"pi_{model.references + 1}"  # a new authorization after expiry: new ref
        result = GatewayResult(G.AUTHORIZED, ref, from_minor_units(minor, currency))
        return payment.record_authorization(result, T0, key=key)
    if name == "action":
        ref = model.reference or f"pi_{model.references + 1}"
        if payment.status is S.AUTHORIZATION_EXPIRED:
            ref = f"pi_{model.references + 1}"  # a re-authorization needing the customer
        result = GatewayResult(G.REQUIRES_ACTION, ref, payment.amount)
        return payment.record_action(result, T0, key=key)
    ref = model.reference or "pi_0"
    if name == "capture":
        result = GatewayResult(G.CAPTURED, ref, from_minor_units(minor, currency))
        return payment.record_capture(result, T0, key=key, final=final)
    if name == "refund":
        result = GatewayResult(G.REFUNDED, ref, from_minor_units(minor, currency))
        return payment.record_refund(result, T0, key=key)
    if name == "void":
        return payment.record_void(T0, key=key)
    if name == "expire":
        return payment.record_expiry(T0)
    return payment.record_failure("card_declined", T0, key=key)


def _advance(model: Model, name: str, minor: int, final: bool) -> None:
    if name == "authorize":
        if model.reference is None or model.status is S.AUTHORIZATION_EXPIRED:
            model.reference = model.new_reference()
        model.status, model.authorized = S.AUTHORIZED, minor
    elif name == "action":
        if model.reference is None or model.status is S.AUTHORIZATION_EXPIRED:
            model.reference = model.new_reference()
        model.status = S.REQUIRES_ACTION
    elif name == "capture":
        model.captured += minor
        model.captures.append(minor)
        if final or model.captured == model.authorized:
            model.status, model.authorized = S.CAPTURED, model.captured
        else:
            model.status = S.PARTIALLY_CAPTURED
    elif name == "refund":
        model.refunded += minor
        model.refunds.append(minor)
        model.authorized = model.captured  # refunding ends the capturing
        model.status = S.REFUNDED if model.refunded == model.captured else S.PARTIALLY_REFUNDED
    elif name == "void":
        model.status, model.authorized = S.VOIDED, 0
    elif name == "expire":
        model.status, model.authorized = S.AUTHORIZATION_EXPIRED, 0
    else:
        model.status = S.FAILED


def _too_much(model: Model, name: str, minor: int) -> bool:
    if name == "capture":
        return minor > model.authorized - model.captured
    if name == "refund":
        return minor > model.captured - model.refunded
    return False


def _check(payment: Payment, model: Model) -> None:
    a, c, r = payment.authorized_minor, payment.captured_minor, payment.refunded_minor
    assert 0 <= r <= c <= a
    status = payment.status
    if status is S.CAPTURED:
        assert c == a > 0 and r == 0
    elif status is S.PARTIALLY_CAPTURED:
        assert 0 < c < a and r == 0
    elif status is S.REFUNDED:
        assert r == c == a > 0
    elif status is S.PARTIALLY_REFUNDED:
        assert 0 < r < c == a
    elif status is S.AUTHORIZED:
        assert a > 0 and c == r == 0
    else:  # pending, requires action, expired, voided, failed: nothing held or taken
        assert a == c == r == 0
    by_op: dict[PaymentOperation, list[int]] = {}
    for transition in payment.transitions:
        by_op.setdefault(transition.operation, []).append(transition.amount_minor)
    assert sum(by_op.get(OP.CAPTURE, [])) == c
    assert sum(by_op.get(OP.REFUND, [])) == r
    if status is S.AUTHORIZED:
        assert by_op[OP.AUTHORIZE][-1] == a  # the authorization in force is the last one
    assert (status, a, c, r) == (model.status, model.authorized, model.captured, model.refunded)
    assert by_op.get(OP.CAPTURE, []) == model.captures
    assert by_op.get(OP.REFUND, []) == model.refunds
    assert payment.reference == model.reference
    assert a <= model.total
    stored = CONVERTER.unstructure(payment)
    assert CONVERTER.structure(stored, Payment) == payment


@settings(max_examples=300)
@given(
    operations=st.lists(operation, max_size=30),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    total=st.integers(1, 10**7),
    held_first=st.booleans(),
)
def test_random_operations_keep_the_amounts_reconciled(
    operations: list[tuple[str, int, bool]], currency: str, total: int, held_first: bool
) -> None:
    if held_first:  # half the sequences start authorized, to reach captures and refunds often
        operations = [("authorize", 1000, False), *operations]
    payment = Payment("pay-p", "card", from_minor_units(total, currency))
    model = Model(total)
    _check(payment, model)
    for name, fraction, final in operations:
        minor = _minor(model, name, fraction)
        before = payment
        if model.status not in STARTS[name]:
            event("refused: state")
            with pytest.raises(StateTransitionError):
                _apply(payment, model, name, minor, final)
        elif _too_much(model, name, minor):
            event("refused: amount")
            with pytest.raises(PaymentAmountError):
                _apply(payment, model, name, minor, final)
        else:
            event(f"applied: {name}")
            payment = _apply(payment, model, name, minor, final)
            _advance(model, name, minor, final)
            assert payment.transitions[: len(before.transitions)] == before.transitions
            assert len(payment.transitions) == len(before.transitions) + 1
        _check(payment, model)
        # A refused operation leaves the payment as it was (values are frozen, nothing new).
        assert payment == before or len(payment.transitions) > len(before.transitions)


#: The operations the service claims before a gateway call.
CLAIMED = {"authorize", "action", "capture", "refund", "void"}


@settings(max_examples=100)
@given(operations=st.lists(operation, max_size=20))
def test_a_claim_is_ended_only_by_recording_its_own_key(
    operations: list[tuple[str, int, bool]],
) -> None:
    payment = Payment("pay-q", "card", from_minor_units(10_000, "EUR"))
    model = Model(10_000)
    for name, fraction, final in operations:
        minor = _minor(model, name, fraction)
        if model.status not in STARTS[name] or _too_much(model, name, minor):
            continue
        if name in CLAIMED:
            op = OP(name)
            key = payment.next_key(op)
            claimed = payment.begin(op, key, minor, T0, final=final)
            assert claimed.pending is not None
            assert claimed.pending.key == key
            # Recorded without the key (a webhook): the claim stays; with its key it ends.
            assert _apply(claimed, model, name, minor, final).pending == claimed.pending
            payment = _apply(claimed, model, name, minor, final, key=key)
            assert payment.pending is None
            assert payment.transitions[-1].key == key
        else:
            payment = _apply(payment, model, name, minor, final)
        _advance(model, name, minor, final)
        _check(payment, model)
