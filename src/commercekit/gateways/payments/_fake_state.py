"""What the fake gateway remembers: its payment intents, and what each call leaves behind.

The records of the intents and the rules that move them are in
:mod:`~commercekit.gateways.payments._fake_rules`; :class:`MemoryBook` and :class:`StoreBook`,
which keep the records and the responses stored under idempotency keys, in
:mod:`~commercekit.gateways.payments._fake_books`. Both are importable from here too.

This module holds what a call carries, answers and leaves under its idempotency key: the
amount in minor units, the hash of its request, and its response (a decline included, as
Stripe stores it) as canonical JSON text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from commercekit.errors import InvalidAmountError, PaymentAmountError, PaymentDeclinedError
from commercekit.gateways.payments._fake_books import Book, Intents, MemoryBook, StoreBook, Work
from commercekit.gateways.payments._fake_rules import (
    AUTHORIZATION_HOLDS_FOR,
    FakeCharge,
    FakeChargeStatus,
    FakeOperation,
    FakeOperationKind,
    authorized,
    captured,
    failed,
    lapse,
    new_reference,
    refunded,
    voided,
)
from commercekit.money import Money, from_minor_units, is_minor_unit_exact, to_minor_units
from commercekit.payments import GatewayResult, GatewayStatus, NextAction

__all__ = [
    # moved to _fake_rules and _fake_books, importable from here as before
    "AUTHORIZATION_HOLDS_FOR",
    "Book",
    "FakeCharge",
    "FakeChargeStatus",
    "FakeOperation",
    "FakeOperationKind",
    "Intents",
    "MemoryBook",
    "StoreBook",
    "Work",
    "authorized",
    "captured",
    "failed",
    "lapse",
    "new_reference",
    "refunded",
    "voided",
    # what a call carries, answers and leaves under its key
    "DECLINES",
    "Outcome",
    "answer",
    "canonical",
    "declined",
    "dump",
    "load",
    "request_hash",
    "result",
    "wire_minor",
]

# Decline codes and the customer-safe messages Stripe gives for them.
DECLINES: Final = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "authentication_failed": "We are unable to authenticate your payment method. Please choose"
    " a different payment method and try again.",
}

#: What a call answers: a result, or a decline (which is an answer too, and stored).
Outcome = GatewayResult | PaymentDeclinedError


def wire_minor(amount: object, what: str) -> int:
    """``amount`` as the minor units a provider call carries; a bad amount is refused first.

    What a real adapter checks before sending: Money (else
    :class:`~commercekit.errors.InvalidAmountError`), positive and in whole minor units (else
    :class:`~commercekit.errors.PaymentAmountError`).
    """
    if not isinstance(amount, Money):
        raise InvalidAmountError(f"the amount to {what} must be Money, got {type(amount).__name__}")
    if amount.amount <= 0 or not is_minor_unit_exact(amount):
        raise PaymentAmountError(f"cannot {what} {amount}: positive whole minor units only")
    return to_minor_units(amount)


def canonical(data: object) -> str:
    """``data`` as canonical JSON text (sorted keys, no spaces), as the fake stores and sends it."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_hash(operation: str, params: Mapping[str, object]) -> str:
    """The hash an idempotency key is stored with: ``operation`` and its parameters."""
    return hashlib.sha256(canonical([operation, params]).encode()).hexdigest()


def declined(code: str, reference: str, provider: str) -> PaymentDeclinedError:
    """The decline ``code`` of the intent ``reference``, with Stripe's message for it."""
    return PaymentDeclinedError(DECLINES[code], provider=provider, code=code, reference=reference)


def result(
    status: GatewayStatus,
    charge: FakeCharge,
    amount: Money,
    operation_reference: str | None = None,
) -> GatewayResult:
    """The answer ``status`` about ``charge`` (with a ``fake_3ds`` NextAction if it waits)."""
    action = None
    if status is GatewayStatus.REQUIRES_ACTION:
        action = NextAction(
            "fake_3ds", f"https://fake-gateway.invalid/3ds/{charge.id}", f"{charge.id}_secret"
        )
    until = charge.authorized_until if status is GatewayStatus.AUTHORIZED else None
    return GatewayResult(status, charge.id, amount, operation_reference, action, until)


def answer(outcome: Outcome) -> GatewayResult:
    """The result, or the decline raised."""
    if isinstance(outcome, PaymentDeclinedError):
        raise outcome
    return outcome


def dump(outcome: Outcome) -> str:
    """The response stored under an idempotency key (a decline is stored too, as Stripe does)."""
    if isinstance(outcome, PaymentDeclinedError):
        return canonical({"declined": {"code": outcome.code, "reference": outcome.reference}})
    action = outcome.next_action
    until = outcome.authorized_until
    return canonical(
        {
            "result": {
                "status": outcome.status.value,
                "reference": outcome.reference,
                "minor": to_minor_units(outcome.amount),
                "currency": outcome.amount.currency.code,
                "operation_reference": outcome.operation_reference,
                "next_action": None if action is None else attrs.asdict(action),
                "authorized_until": None if until is None else until.isoformat(),
            }
        }
    )


def load(text: str, provider: str) -> Outcome:
    """The outcome :func:`dump` stored, as ``provider`` answers it again."""
    data: dict[str, Any] = json.loads(text)
    if "declined" in data:
        code, reference = data["declined"]["code"], data["declined"]["reference"]
        return PaymentDeclinedError(
            DECLINES[code], provider=provider, code=code, reference=reference
        )
    found = data["result"]
    action, until = found["next_action"], found["authorized_until"]
    return GatewayResult(
        found["status"],
        found["reference"],
        from_minor_units(found["minor"], found["currency"]),
        operation_reference=found["operation_reference"],
        next_action=None if action is None else NextAction(**action),
        authorized_until=None if until is None else datetime.fromisoformat(until),
    )
