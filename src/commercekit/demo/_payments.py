"""Demo section: paying with the fake gateway, through the persisted payment state machine."""

from __future__ import annotations

from typing import TextIO

from commercekit.demo._common import section
from commercekit.errors import PaymentDeclinedError
from commercekit.money import Money
from commercekit.payments import Payment, PaymentService
from commercekit.storage import Store
from commercekit.testing import (
    FAKE_TOKEN_DECLINE,
    FAKE_TOKEN_OK,
    FAKE_TOKEN_REQUIRES_ACTION,
    FakeGateway,
)

__all__ = ["payments_tour"]


def _show(out: TextIO, payment: Payment) -> None:
    print(
        f"  {payment.id}: {payment.status.value}; authorized {payment.authorized}, captured"
        f" {payment.captured}, refunded {payment.refunded}",
        file=out,
    )


def payments_tour(out: TextIO, store: Store, run: str) -> None:
    """Authorize, capture in two parts, refund; a decline; 3-D Secure finished by a webhook."""
    section(out, "Payments: authorize, capture, refund, each step stored with its key")
    fake = FakeGateway(store=store)
    payments = PaymentService(store, {"card": fake})
    paid = payments.authorize(f"pay-{run}", "card", Money("42.87", "EUR"), FAKE_TOKEN_OK)
    _show(out, paid)
    paid = payments.capture(paid.id, Money("30.00", "EUR"), final=False)
    paid = payments.capture(paid.id)  # the rest
    paid = payments.refund(paid.id, Money("5.00", "EUR"))
    _show(out, paid)
    keys = ", ".join(t.key or "-" for t in paid.transitions)
    print(f"  idempotency keys, one per gateway call: {keys}", file=out)
    try:
        payments.authorize(f"declined-{run}", "card", Money("10.00", "EUR"), FAKE_TOKEN_DECLINE)
    except PaymentDeclinedError as exc:
        print(f"  declined ({exc.code}): {exc.customer_message}", file=out)
    secure = payments.authorize(
        f"3ds-{run}",
        "card",
        Money("99.00", "EUR"),
        FAKE_TOKEN_REQUIRES_ACTION,
        return_url="https://shop.example/return",
    )
    assert secure.next_action is not None and secure.reference is not None
    print(
        f"  3-D Secure: {secure.status.value}, send the customer to {secure.next_action.url}",
        file=out,
    )
    payload, headers = fake.complete_action(secure.reference)  # the customer passes the check
    finished = payments.handle_webhook("card", payload, headers)
    again = payments.handle_webhook("card", payload, headers)  # delivered twice: one change
    assert finished is not None and again is not None
    print(
        f"  the webhook says: {finished.status.value} (a second delivery changes nothing:"
        f" {again.status.value}, {len(again.transitions)} transitions)",
        file=out,
    )
