"""Stripe's answers read into commercekit's values: PaymentIntents, Refunds, next actions.

Every answer is checked against what was asked (the PaymentIntent's id, currency, amounts)
before it becomes a :class:`~commercekit.payments.GatewayResult`; one that is not the
documented shape is a :class:`~commercekit.errors.GatewayError` (``malformed_response``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from commercekit.errors import ValidationError
from commercekit.gateways.payments._stripe_currencies import from_stripe_amount, stripe_currency
from commercekit.gateways.payments._stripe_errors import StripeErrors
from commercekit.money import Currency, Money, get_currency
from commercekit.payments import GatewayResult, GatewayStatus, NextAction

__all__ = ["INTENT_ID", "StripeObjects", "capture_before"]

#: A PaymentIntent's id.
INTENT_ID: Final = re.compile(r"pi_[A-Za-z0-9_]{1,250}")


class StripeObjects:
    """Reads one account's answers, its ``errors`` raised for any not the documented shape."""

    def __init__(self, errors: StripeErrors) -> None:
        self._errors = errors

    def currency(self, obj: Mapping[str, Any], what: str) -> Currency:
        """The currency of ``obj``, one Stripe takes."""
        code = obj.get("currency")
        try:
            if not isinstance(code, str):
                raise ValidationError("no currency")
            return get_currency(stripe_currency(code).code)
        except ValidationError as exc:
            raise self._errors.malformed(what, f"currency {code!r}: {exc}") from None

    def amount(self, obj: Mapping[str, Any], field: str, what: str) -> Money:
        """The integer amount ``field`` of ``obj``, as Money in ``obj``'s currency."""
        currency = self.currency(obj, what)
        try:
            return from_stripe_amount(obj.get(field), currency)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise self._errors.malformed(what, f"{field}: {exc}") from None

    def check_intent(
        self, intent: Mapping[str, Any], what: str, ref: str | None, currency: Currency | None
    ) -> str:
        """The id of ``intent``, once it is a PaymentIntent (``ref``, in ``currency``, if given)."""
        intent_id = intent.get("id")
        if intent.get("object") != "payment_intent" or not isinstance(intent_id, str):
            raise self._errors.malformed(what, "not a PaymentIntent")
        if not INTENT_ID.fullmatch(intent_id) or (ref is not None and intent_id != ref):
            raise self._errors.malformed(what, "the PaymentIntent is not the one asked for")
        if currency is not None and self.currency(intent, what) is not currency:
            raise self._errors.malformed(what, f"the PaymentIntent is not in {currency.code}")
        return intent_id

    def next_action(self, intent: Mapping[str, Any], what: str) -> NextAction:
        """What the customer must do for a PaymentIntent in ``requires_action``."""
        action = intent.get("next_action")
        kind = action.get("type") if isinstance(action, dict) else None
        if not isinstance(kind, str) or not kind:
            raise self._errors.malformed(what, "requires_action without a next_action")
        redirect = action.get(kind) if isinstance(action, dict) else None
        url = redirect.get("url") if isinstance(redirect, dict) else None
        secret = intent.get("client_secret")
        return NextAction(
            kind,
            url if isinstance(url, str) else None,
            secret if isinstance(secret, str) else None,
        )

    def intent_result(
        self, intent: Mapping[str, Any], what: str, ref: str | None, currency: Currency | None
    ) -> GatewayResult:
        """The result a PaymentIntent's status stands for; a decline is raised."""
        ref = self.check_intent(intent, what, ref, currency)
        status = intent.get("status")
        if status == "requires_action":
            next_action = self.next_action(intent, what)
            amount = self.amount(intent, "amount", what)
            return GatewayResult(
                GatewayStatus.REQUIRES_ACTION, ref, amount, next_action=next_action
            )
        if status == "requires_capture":
            amount = self.amount(intent, "amount_capturable", what)
            until = capture_before(intent.get("latest_charge"))
            return GatewayResult(GatewayStatus.AUTHORIZED, ref, amount, authorized_until=until)
        if status == "processing":
            return GatewayResult(GatewayStatus.PROCESSING, ref, self.amount(intent, "amount", what))
        if status == "succeeded":
            amount = self.amount(intent, "amount_received", what)
            return GatewayResult(GatewayStatus.CAPTURED, ref, amount)
        if status == "canceled":
            released = self.amount(intent, "amount", what) - self.amount(
                intent, "amount_received", what
            )
            return GatewayResult(GatewayStatus.VOIDED, ref, released)
        if status == "requires_payment_method":
            raise self._errors.declined(intent.get("last_payment_error"), ref)
        raise self._errors.malformed(what, f"unexpected PaymentIntent status {status!r}")

    def authorize_result(
        self, intent: Mapping[str, Any], what: str, amount: Money
    ) -> GatewayResult:
        """The result of a PaymentIntent created for ``amount``."""
        self.check_intent(intent, what, None, amount.currency)
        if self.amount(intent, "amount", what) != amount:
            raise self._errors.malformed(what, "the PaymentIntent is not for the amount asked")
        return self.intent_result(intent, what, None, amount.currency)

    def capture_result(
        self, intent: Mapping[str, Any], what: str, ref: str, amount: Money, *, final: bool
    ) -> GatewayResult:
        """The result of capturing ``amount`` of the PaymentIntent ``ref``."""
        self.check_intent(intent, what, ref, amount.currency)
        status = intent.get("status")
        if status != "succeeded" and not (status == "requires_capture" and not final):
            raise self._errors.malformed(what, f"a capture left the PaymentIntent {status!r}")
        if self.amount(intent, "amount_received", what) < amount:
            raise self._errors.malformed(what, "amount_received is less than was captured")
        return GatewayResult(GatewayStatus.CAPTURED, ref, amount)

    def void_result(self, intent: Mapping[str, Any], what: str, ref: str) -> GatewayResult:
        """The result of canceling the PaymentIntent ``ref``: what it released."""
        self.check_intent(intent, what, ref, None)
        if intent.get("status") != "canceled":
            raise self._errors.malformed(what, f"a cancel left it {intent.get('status')!r}")
        released = self.amount(intent, "amount", what) - self.amount(
            intent, "amount_received", what
        )
        return GatewayResult(GatewayStatus.VOIDED, ref, released)

    def refund_result(
        self, refund: Mapping[str, Any], what: str, ref: str, amount: Money
    ) -> GatewayResult:
        """The result of a Refund of ``amount`` created on the PaymentIntent ``ref``."""
        refund_id = refund.get("id")
        if (
            refund.get("object") != "refund"
            or not isinstance(refund_id, str)
            or not re.fullmatch(r"(re|pyr)_[A-Za-z0-9_]{1,250}", refund_id)
        ):
            raise self._errors.malformed(what, "no refund id")
        if refund.get("payment_intent") != ref:
            raise self._errors.malformed(what, "the refund is of another PaymentIntent")
        if self.amount(refund, "amount", what) != amount:
            raise self._errors.malformed(what, "the refund's amount is not the one asked")
        status = {
            "succeeded": GatewayStatus.REFUNDED,
            "pending": GatewayStatus.PROCESSING,
            "requires_action": GatewayStatus.PROCESSING,
            "failed": GatewayStatus.FAILED,
            "canceled": GatewayStatus.FAILED,
        }.get(str(refund.get("status")))
        if status is None:
            raise self._errors.malformed(what, f"unknown refund status {refund.get('status')!r}")
        return GatewayResult(status, ref, amount, operation_reference=refund_id)


def capture_before(charge: object) -> datetime | None:
    """``latest_charge.payment_method_details.card.capture_before`` (needs the expansion)."""
    card: object = charge
    for field in ("payment_method_details", "card", "capture_before"):
        card = card.get(field) if isinstance(card, dict) else None
    if card.__class__ is not int:
        return None
    return datetime.fromtimestamp(card, UTC)
