"""The fake gateway's test tokens, and what authorizing with each of them does.

The payment method of an authorization is one of the tokens below; the table of what each
does is on :class:`~commercekit.gateways.payments._fake.FakeGateway`. :func:`check_token`
refuses, before any work, a token the fake does not know and the outage token;
:func:`authorize_by_token` makes the intent a token asks for and its answer; :func:`lost_answer`
is the error that replaces the answer of :data:`TOKEN_NETWORK_FAILURE_AFTER_CHARGE`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import attrs

from commercekit.errors import GatewayError, GatewayUnavailableError, OutcomeUnknownError
from commercekit.gateways.payments._fake_rules import (
    FakeCharge,
    FakeChargeStatus,
    FakeOperation,
    FakeOperationKind,
    authorized,
    failed,
    new_reference,
)
from commercekit.gateways.payments._fake_state import Outcome, declined, result
from commercekit.payments import AuthorizeRequest, GatewayStatus

__all__ = [
    "TOKEN_DECLINE",
    "TOKEN_INSUFFICIENT_FUNDS",
    "TOKEN_NETWORK_FAILURE_AFTER_CHARGE",
    "TOKEN_OK",
    "TOKEN_REQUIRES_ACTION",
    "TOKEN_SLOW",
    "TOKEN_UNAVAILABLE",
    "authorize_by_token",
    "check_token",
    "lost_answer",
]

#: Authorizes.
TOKEN_OK: Final = "fake_ok"
#: Declined: PaymentDeclinedError, code ``card_declined``.
TOKEN_DECLINE: Final = "fake_decline"
#: Declined: PaymentDeclinedError, code ``insufficient_funds``.
TOKEN_INSUFFICIENT_FUNDS: Final = "fake_insufficient_funds"
#: Needs the customer (3-D Secure): ``REQUIRES_ACTION`` with a NextAction.
TOKEN_REQUIRES_ACTION: Final = "fake_requires_action"
#: Authorizes, then the answer is lost: OutcomeUnknownError.
TOKEN_NETWORK_FAILURE_AFTER_CHARGE: Final = "fake_network_failure_after_charge"
#: Authorizes after the fake's ``slow_seconds``.
TOKEN_SLOW: Final = "fake_slow"
#: The provider is down: GatewayUnavailableError, nothing done.
TOKEN_UNAVAILABLE: Final = "fake_unavailable"
_TOKENS = frozenset(
    {
        TOKEN_OK,
        TOKEN_DECLINE,
        TOKEN_INSUFFICIENT_FUNDS,
        TOKEN_REQUIRES_ACTION,
        TOKEN_NETWORK_FAILURE_AFTER_CHARGE,
        TOKEN_SLOW,
        TOKEN_UNAVAILABLE,
    }
)

_DECLINING_TOKENS: Final = {
    TOKEN_DECLINE: "card_declined",
    TOKEN_INSUFFICIENT_FUNDS: "insufficient_funds",
}


def check_token(token: str, provider: str) -> None:
    """Refuse ``token`` if the fake does not know it, or if it plays the provider being down.

    An unknown token is a GatewayError ``resource_missing`` (400); :data:`TOKEN_UNAVAILABLE`
    a GatewayUnavailableError (503). Nothing was done in either case.
    """
    if token not in _TOKENS:
        raise GatewayError(
            f"no such payment method {token!r}: the fake gateway knows {sorted(_TOKENS)}",
            provider=provider,
            code="resource_missing",
            status=400,
            retryable=False,
        )
    if token == TOKEN_UNAVAILABLE:
        raise GatewayUnavailableError(
            f"the fake gateway is unavailable (test token {token}): nothing was done",
            provider=provider,
            code="service_unavailable",
            status=503,
        )


def authorize_by_token(
    request: AuthorizeRequest, *, now: datetime, key: str, provider: str
) -> tuple[FakeCharge, Outcome]:
    """The new intent for ``request`` as its token leaves it, and the answer to give.

    A declining token fails the intent with its code, :data:`TOKEN_REQUIRES_ACTION` leaves it
    waiting for the customer, any other token holds the amount.
    """
    token = request.payment_method
    charge = FakeCharge(
        new_reference("pi"),
        request.payment_id,
        token,
        request.amount,
        FakeChargeStatus.REQUIRES_ACTION,
        now,
    )
    outcome: Outcome
    if token in _DECLINING_TOKENS:
        code = _DECLINING_TOKENS[token]
        charge = failed(charge, now, key, code)
        outcome = declined(code, charge.id, provider)
    elif token == TOKEN_REQUIRES_ACTION:
        waiting = FakeOperation(FakeOperationKind.REQUIRE_ACTION, 0, now, key)
        charge = attrs.evolve(charge, operations=(waiting,))
        outcome = result(GatewayStatus.REQUIRES_ACTION, charge, charge.amount)
    else:
        charge = authorized(charge, now, key)
        outcome = result(GatewayStatus.AUTHORIZED, charge, charge.amount)
    return charge, outcome


def lost_answer(token: str, provider: str) -> OutcomeUnknownError:
    """The error that replaces a fresh answer to :data:`TOKEN_NETWORK_FAILURE_AFTER_CHARGE`."""
    return OutcomeUnknownError(
        f"the connection to the fake gateway dropped after it answered (test token"
        f" {token}): retry with the same idempotency key to learn the outcome",
        provider=provider,
        code="network_failure_after_charge",
    )
