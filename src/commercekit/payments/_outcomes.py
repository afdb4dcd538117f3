"""What a gateway's answer or a webhook event does to a payment: pure functions, no I/O.

:func:`apply_answer` records the answer to a claimed call (:class:`PendingOperation`) under the
claim's key, which ends the claim. :func:`apply_event` applies a verified webhook event, or
returns ``None`` when the event changes nothing: it is about another reference (an earlier
authorization), an operation is claimed and in flight (its answer records the outcome, so a
webhook and a client completing together record it once), or the payment already shows it.

Amounts in ``CAPTURED`` and ``REFUNDED`` events are read as the provider's running totals
(Stripe's ``amount_received`` and ``amount_refunded``), so several events about one capture or
refund never count it twice: only what the total adds to the recorded amount is recorded. A
``CAPTURED`` event without an amount captures what is left; a ``REFUNDED`` one without an
amount changes nothing (a full refund is never guessed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from commercekit.errors import CurrencyMismatchError, GatewayError
from commercekit.money import Money, from_minor_units, to_minor_units
from commercekit.payments._payment import (
    Payment,
    PaymentOperation,
    PaymentStatus,
    PendingOperation,
)
from commercekit.payments._values import GatewayResult, GatewayStatus, WebhookEvent, WebhookKind

__all__ = ["ASSUMED_HOLD", "apply_answer", "apply_event"]

#: How long an authorization learned from a webhook (which says no end) is assumed to hold:
#: the usual online card hold (seven days at Stripe).
ASSUMED_HOLD = timedelta(days=7)

_OP = PaymentOperation
_S = PaymentStatus
_G = GatewayStatus


def _processing(payment: Payment, result: GatewayResult) -> Payment:
    # The provider has not decided yet: the claim ends without a transition, the reference is
    # kept so that the webhook carrying the decision finds this payment.
    return attrs.evolve(payment, reference=result.reference, pending=None)


def _authorize_answer(
    payment: Payment, claim: PendingOperation, result: GatewayResult, at: datetime
) -> Payment | None:
    key = claim.key
    status = result.status
    if status is _G.AUTHORIZED:
        return payment.record_authorization(result, at, key=key)
    if status is _G.REQUIRES_ACTION:
        return payment.record_action(result, at, key=key)
    if status is _G.PROCESSING:
        return _processing(payment, result)
    if status is _G.FAILED:
        return payment.record_failure("failed", at, key=key)
    if status is _G.VOIDED:
        return payment.record_failure("canceled", at, key=key)
    if status is _G.CAPTURED:  # a provider that captured at once: held, then taken
        held = payment.record_authorization(result, at, key=key)
        return held.record_capture(result, at, key=key)
    return None


def apply_answer(
    payment: Payment, claim: PendingOperation, result: GatewayResult, at: datetime, provider: str
) -> Payment:
    """``payment`` with the gateway's answer to ``claim`` recorded under the claim's key.

    An answer that contradicts the operation (a refund answered ``voided``) is a
    :class:`~commercekit.errors.GatewayError`: nothing is recorded on a guess and the claim
    stays, for a person to reconcile with the provider's dashboard.
    """
    op = claim.operation
    status = result.status
    recorded: Payment | None = None
    if op in (_OP.AUTHORIZE, _OP.ACTION):
        recorded = _authorize_answer(payment, claim, result, at)
    elif op is _OP.CAPTURE and status in (_G.CAPTURED, _G.AUTHORIZED, _G.PROCESSING):
        # A partial capture that is not final leaves the provider's record authorized.
        recorded = payment.record_capture(result, at, key=claim.key, final=claim.final)
    elif op is _OP.VOID and status is _G.VOIDED:
        recorded = payment.record_void(at, result=result, key=claim.key)
    elif op is _OP.REFUND and status in (_G.REFUNDED, _G.PROCESSING):
        recorded = payment.record_refund(result, at, key=claim.key)
    if recorded is None:
        raise GatewayError(
            f"{provider} answered {status.value} to the {op.value} of payment {payment.id!r}"
            f" (key {claim.key!r}): nothing was recorded; check the payment at the provider",
            provider=provider,
            code="unexpected_status",
            retryable=False,
        )
    return recorded


def _minor_of(payment: Payment, amount: Money | None, default: int) -> int:
    if amount is None:
        return default
    if amount.currency is not payment.currency:
        raise CurrencyMismatchError(
            payment.currency.code,
            amount.currency.code,
            message=f"a webhook event in {amount.currency.code} for payment {payment.id!r}"
            f" in {payment.currency.code}",
        )
    return to_minor_units(amount)


def _result(payment: Payment, status: GatewayStatus, reference: str, minor: int) -> GatewayResult:
    return GatewayResult(status, reference, from_minor_units(minor, payment.currency))


def apply_event(payment: Payment, event: WebhookEvent, now: datetime) -> Payment | None:
    """``payment`` with a verified webhook event applied, or ``None`` if it changes nothing.

    ``AUTHORIZED``, ``REQUIRES_ACTION`` and ``FAILED`` move a payment that is waiting for the
    provider (pending or requiring action); ``CAPTURED`` and ``REFUNDED`` record what their
    running total adds (a captured event is a final capture: the rest is released);
    ``VOIDED`` voids an open payment, or marks an authorization past its ``authorized_until``
    as expired (providers cancel lapsed holds, and an expired payment may be authorized again).
    While an operation is claimed, only an event that proves exactly that operation happened
    records it, under the claim's key (a call whose answer was lost, or whose answer the
    provider stored as a failure after acting, is settled by the provider's own event); any
    other event changes nothing.
    """
    ref = event.reference
    if ref is None or ref != payment.reference:
        return None
    if payment.pending is not None:
        return _settle(payment, payment.pending, event, now)
    status = payment.status
    kind = event.kind
    if kind is WebhookKind.REQUIRES_ACTION and status is _S.PENDING:
        asked = to_minor_units(payment.amount)
        return payment.record_action(_result(payment, _G.REQUIRES_ACTION, ref, asked), now)
    if kind is WebhookKind.AUTHORIZED and status in (_S.PENDING, _S.REQUIRES_ACTION):
        held = _minor_of(payment, event.amount, to_minor_units(payment.amount))
        # An event says nothing of the hold's end: assume the usual card hold, so that
        # expire_authorizations() still finds it (a capture after the real end is refused by
        # the provider and the payment can then be authorized again).
        result = attrs.evolve(
            _result(payment, _G.AUTHORIZED, ref, held), authorized_until=now + ASSUMED_HOLD
        )
        return payment.record_authorization(result, now)
    if kind is WebhookKind.FAILED and status in (_S.PENDING, _S.REQUIRES_ACTION):
        return payment.record_failure("payment_failed", now)
    if kind is WebhookKind.CAPTURED and status in (_S.AUTHORIZED, _S.PARTIALLY_CAPTURED):
        total = _minor_of(payment, event.amount, payment.authorized_minor)
        added = total - payment.captured_minor
        if added <= 0:
            return None
        return payment.record_capture(_result(payment, _G.CAPTURED, ref, added), now, final=True)
    if kind is WebhookKind.REFUNDED and status in (
        _S.PARTIALLY_CAPTURED,
        _S.CAPTURED,
        _S.PARTIALLY_REFUNDED,
    ):
        if event.amount is None:
            return None  # how much was refunded is unknown: never guess a full refund
        added = _minor_of(payment, event.amount, 0) - payment.refunded_minor
        if added <= 0:
            return None
        return payment.record_refund(_result(payment, _G.REFUNDED, ref, added), now)
    if kind is WebhookKind.VOIDED and status in (_S.PENDING, _S.REQUIRES_ACTION, _S.AUTHORIZED):
        until = payment.authorized_until
        if status is _S.AUTHORIZED and until is not None and until <= now:
            return payment.record_expiry(now)
        return payment.record_void(now)
    return None


def _settle(
    payment: Payment, claim: PendingOperation, event: WebhookEvent, now: datetime
) -> Payment | None:
    """The claimed operation recorded, if ``event`` proves it happened; else ``None``."""
    ref, kind, key = event.reference, event.kind, claim.key
    assert ref is not None
    if claim.operation is PaymentOperation.CAPTURE and kind is WebhookKind.CAPTURED:
        total = _minor_of(payment, event.amount, -1)
        if total != payment.captured_minor + claim.amount_minor:
            return None
        taken = _result(payment, _G.CAPTURED, ref, claim.amount_minor)
        return payment.record_capture(taken, now, key=key, final=claim.final)
    if claim.operation is PaymentOperation.REFUND and kind is WebhookKind.REFUNDED:
        total = _minor_of(payment, event.amount, -1)
        if total != payment.refunded_minor + claim.amount_minor:
            return None
        given = _result(payment, _G.REFUNDED, ref, claim.amount_minor)
        return payment.record_refund(given, now, key=key)
    if claim.operation is PaymentOperation.VOID and kind is WebhookKind.VOIDED:
        return payment.record_void(now, key=key)
    return None
