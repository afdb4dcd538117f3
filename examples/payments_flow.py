"""Pay one order with the fake gateway, on a throwaway SQLite file: hold, capture, refund.

The order is 120.00 EUR. Two parcels ship: the first is captured as 70.00 with the rest of
the hold kept (``final=False``), the second takes the 50.00 left; then 15.00 goes back for a
returned item. Every step is stored with the gateway's reference, the amount, the time and
the idempotency key of its call, and the fake says what the provider really did.

Run: ``python examples/payments_flow.py``
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from commercekit import Money, open_store
from commercekit.clock import ManualClock
from commercekit.money import from_minor_units
from commercekit.payments import Payment, PaymentService
from commercekit.testing import FAKE_TOKEN_OK, FakeGateway


def show(payment: Payment) -> None:
    """Print the payment's amounts and every transition it recorded."""
    print(
        f"{payment.id}: {payment.status.value}; authorized {payment.authorized},"
        f" captured {payment.captured}, refunded {payment.refunded}"
    )
    for step in payment.transitions:
        amount = from_minor_units(step.amount_minor, payment.currency)
        print(
            f"  {step.at:%Y-%m-%d %H:%M}  {step.operation.value:<9} -> {step.status.value:<18}"
            f" {amount!s:>10}  key {step.key}"
        )


def main() -> None:
    """Authorize, capture in two parts, refund part, and check the amounts reconcile."""
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'shop.db'}"
        with open_store(url, clock=clock) as store:
            fake = FakeGateway(store=store)  # the fake provider keeps its state in the file
            payments = PaymentService(store, {"card": fake})

            order = "order-1001"
            payments.authorize(order, "card", Money("120.00", "EUR"), FAKE_TOKEN_OK)
            clock.advance(timedelta(days=1))
            payments.capture(order, Money("70.00", "EUR"), final=False)  # first parcel
            clock.advance(timedelta(days=2))
            payments.capture(order)  # the second parcel: all that is left
            clock.advance(timedelta(days=10))
            paid = payments.refund(order, Money("15.00", "EUR"))  # a returned item
            show(paid)

            assert paid.reference is not None
            charge = fake.payment(paid.reference)
            print(
                f"at the provider: captured {charge.captured} in {charge.count('capture')}"
                f" captures, refunded {charge.refunded}"
            )
            assert charge.captured == paid.captured == Money("120.00", "EUR")
            assert paid.refundable == paid.captured - paid.refunded


if __name__ == "__main__":
    main()
