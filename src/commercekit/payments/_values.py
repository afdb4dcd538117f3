"""What a payment gateway is asked and answers: requests, results, next actions, webhook events.

Amounts are :class:`~commercekit.money.Money`; a gateway converts them to its own minor units.
A payment method is a *token* (``pm_...``, ``tok_...``, a fake's test token): anything that
looks like a raw card number is refused where the value is built, so no card number can reach
a gateway call, a log or a stored record.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime

import attrs

from commercekit.clock import ensure_utc
from commercekit.errors import InvalidAmountError, ValidationError
from commercekit.money import Money, is_minor_unit_exact
from commercekit.rules import check_identifier, check_text

__all__ = [
    "AuthorizeRequest",
    "GatewayResult",
    "GatewayStatus",
    "NextAction",
    "WebhookEvent",
    "WebhookKind",
    "check_payment_token",
    "looks_like_card_number",
]

_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){12,18}")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def looks_like_card_number(text: str) -> bool:
    """Whether ``text`` holds a Luhn-valid run of 13 to 19 digits (spaces or dashes allowed).

    >>> looks_like_card_number("4242 4242 4242 4242"), looks_like_card_number("pm_card_visa")
    (True, False)
    """
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        for length in range(len(digits), 12, -1):
            for start in range(len(digits) - length + 1):
                if _luhn_valid(digits[start : start + length]):
                    return True
    return False


def check_payment_token(value: object, *, name: str = "payment method") -> str:
    """A payment method token; a raw card number is a ValidationError that never echoes it.

    >>> check_payment_token("pm_card_visa")
    'pm_card_visa'
    >>> check_payment_token("4242424242424242")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    commercekit.errors.ValidationError: payment method looks like a card number: ...
    """
    if isinstance(value, str) and looks_like_card_number(value):
        raise ValidationError(
            f"{name} looks like a card number: pass the token your payment provider's client"
            " library made, never card data"
        )
    return check_identifier(value, name=name)


def _amount(_instance: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    if not isinstance(value, Money):
        raise InvalidAmountError(f"{attribute.name} must be Money, got {type(value).__name__}")
    if value.amount <= 0:
        raise ValidationError(f"{attribute.name} must be positive, got {value}")
    if not is_minor_unit_exact(value):
        raise ValidationError(f"{attribute.name} {value} is finer than the currency's minor unit")


def _optional_text(value: str | None) -> str | None:
    return check_text(value, name="text")


def _metadata(value: Mapping[str, str]) -> dict[str, str]:
    checked = {}
    for key, item in value.items():
        text = check_text(item, name="metadata value", required=True)
        if text is not None and looks_like_card_number(text):
            raise ValidationError(
                f"metadata {key!r} looks like a card number: never send card data"
            )
        checked[check_identifier(key, name="metadata key")] = text or ""
    return checked


def _payment_id(value: str) -> str:
    return check_identifier(value, name="payment_id")


def _reference(value: str) -> str:
    return check_identifier(value, name="reference")


def _optional_id(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="identifier")


@attrs.frozen
class AuthorizeRequest:
    """Hold ``amount`` on ``payment_method`` for the payment ``payment_id``.

    ``return_url`` is where a customer comes back after an action (3-D Secure);
    ``metadata`` is passed to the gateway as is (never put card data or secrets there).
    """

    #: commercekit's id of the payment (a gateway may store it with its own record).
    payment_id: str = attrs.field(converter=_payment_id)
    #: The amount to hold: positive, whole minor units.
    amount: Money = attrs.field(validator=_amount)
    #: The payment method token.
    payment_method: str = attrs.field(converter=check_payment_token)
    #: The customer's id, or ``None``.
    customer_id: str | None = attrs.field(default=None, converter=_optional_id)
    #: A description for the gateway's dashboard, or ``None``.
    description: str | None = attrs.field(default=None, converter=_optional_text)
    #: Where the customer returns after an action, or ``None``.
    return_url: str | None = attrs.field(default=None, converter=_optional_text)
    #: Extra data stored with the gateway's record.
    metadata: Mapping[str, str] = attrs.field(factory=dict, converter=_metadata, hash=False)


class GatewayStatus(enum.StrEnum):
    """The state of the gateway's record after a call."""

    #: The customer must act (3-D Secure, a redirect); see :attr:`GatewayResult.next_action`.
    REQUIRES_ACTION = "requires_action"
    #: The gateway is still working on it; a webhook or a later read will tell.
    PROCESSING = "processing"
    #: The amount is held (captured later).
    AUTHORIZED = "authorized"
    #: Some or all of the held amount was captured.
    CAPTURED = "captured"
    #: The hold was released.
    VOIDED = "voided"
    #: A refund was made.
    REFUNDED = "refunded"
    #: The attempt failed (not a decline: those raise PaymentDeclinedError).
    FAILED = "failed"


@attrs.frozen
class NextAction:
    """What the client must do before the payment can go on (3-D Secure and the like)."""

    #: The kind of action (``"redirect_to_url"``, ``"use_stripe_sdk"``, ``"fake_3ds"``).
    kind: str
    #: The URL to send the customer to, or ``None``.
    url: str | None = None
    #: The secret a client library needs to finish the action (the client's, not the API's).
    client_secret: str | None = attrs.field(default=None, repr=False)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


@attrs.frozen
class GatewayResult:
    """A gateway's answer to one call: its reference, the state, and the amount concerned.

    ``amount`` is what the call concerned: held by an authorization, taken by a capture,
    returned by a refund, released by a void. ``operation_reference`` is the gateway's id of
    the operation when it has one of its own (a refund's ``re_...``).
    """

    #: The state of the gateway's record after the call.
    status: GatewayStatus = attrs.field(converter=GatewayStatus)
    #: The gateway's reference of the payment (``pi_...``).
    reference: str = attrs.field(converter=_reference)
    #: The amount the call concerned.
    amount: Money
    #: The gateway's id of this operation (a refund), or ``None``.
    operation_reference: str | None = attrs.field(default=None, converter=_optional_id)
    #: What the customer must do, when ``status`` is ``REQUIRES_ACTION``.
    next_action: NextAction | None = None
    #: Until when an authorization holds, when the gateway says.
    authorized_until: datetime | None = attrs.field(default=None, converter=_optional_utc)


class WebhookKind(enum.StrEnum):
    """What a verified webhook event says happened to a payment."""

    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    VOIDED = "voided"
    REFUNDED = "refunded"
    #: An event commercekit does not act on (kept for the record).
    OTHER = "other"


@attrs.frozen
class WebhookEvent:
    """A webhook event whose signature was verified, in commercekit's terms.

    Deliveries are at least once and unordered: deduplicate on :attr:`id`.
    """

    #: The provider's event id (``evt_...``).
    id: str
    #: The gateway that sent it.
    provider: str
    #: What happened.
    kind: WebhookKind
    #: The gateway's payment reference, or ``None`` for events about something else.
    reference: str | None
    #: The amount concerned, when the event says: what is held for ``AUTHORIZED``, and the
    #: provider's running total (every capture, or every refund, so far) for ``CAPTURED`` and
    #: ``REFUNDED``; ``None`` when the event does not say.
    amount: Money | None
    #: When the provider created the event.
    created: datetime = attrs.field(converter=ensure_utc)
    #: The provider's own event type (``"payment_intent.succeeded"``).
    provider_type: str = ""
