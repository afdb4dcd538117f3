"""Stripe's error bodies and statuses mapped to commercekit's typed errors, the key scrubbed.

The mapping, stated once (Stripe's API reference, "Errors"):

- A final 4xx maps Stripe's error body: ``card_error`` is a
  :class:`~commercekit.errors.PaymentDeclinedError` (Stripe's message is meant for the
  customer), ``idempotency_error`` an :class:`~commercekit.errors.IdempotencyConflictError`,
  anything else a :class:`~commercekit.errors.GatewayError` with Stripe's code and the status.
- When the retries end (see :mod:`commercekit.gateways.payments._stripe_http`):
  :class:`~commercekit.errors.OutcomeUnknownError` if the request may have been acted on,
  otherwise :class:`~commercekit.errors.GatewayUnavailableError`.
- An answer that is not the documented shape is a :class:`~commercekit.errors.GatewayError`
  with the code ``malformed_response``.

Every message has the API key (and anything shaped like one) scrubbed out, and is cut to a
readable length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import httpx

from commercekit.errors import (
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
    PaymentDeclinedError,
)
from commercekit.gateways.http import read_json, shorten

__all__ = ["PROVIDER", "StripeErrors", "read_json"]

#: The provider name on every result and error.
PROVIDER: Final = "stripe"

_SECRET_KEY: Final = re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9*]+")
_SHOWN: Final = 300
_DECLINED: Final = "Your card was declined."


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _error_body(response: httpx.Response) -> Mapping[str, Any]:
    body = read_json(response.content)
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


class StripeErrors:
    """One Stripe account's errors: every message without its API key (see the module docs)."""

    def __init__(self, api_key: str) -> None:
        self._key = api_key

    def __repr__(self) -> str:
        return "StripeErrors()"

    def scrub(self, text: str) -> str:
        """``text`` without the API key (nor anything shaped like one), cut to a readable length."""
        return shorten(_SECRET_KEY.sub("[api key]", text.replace(self._key, "[api key]")))

    def malformed(self, what: str, problem: str) -> GatewayError:
        """The error for an answer that is not the documented shape."""
        return GatewayError(
            self.scrub(f"Stripe's answer to {what} is not the documented shape: {problem}"),
            provider=PROVIDER,
            code="malformed_response",
            retryable=False,
        )

    def declined(self, error: object, reference: str | None) -> PaymentDeclinedError:
        """The decline a Stripe error object (or a ``last_payment_error``) describes.

        Stripe writes a card error's message for the customer; the decline code (else the
        error code) is kept for the merchant.
        """
        found: Mapping[str, Any] = error if isinstance(error, dict) else {}
        message = _text(found.get("message"))
        return PaymentDeclinedError(
            self.scrub(message or _DECLINED),
            provider=PROVIDER,
            code=_text(found.get("decline_code")) or _text(found.get("code")) or "card_declined",
            reference=reference,
        )

    def refusal(self, response: httpx.Response, what: str, key: str | None) -> Exception:
        """The error for a final 4xx ``response`` to ``what`` (sent with idempotency ``key``)."""
        error = _error_body(response)
        kind, code = _text(error.get("type")), _text(error.get("code"))
        message = _text(error.get("message"))
        status = response.status_code
        if kind == "card_error":
            intent = error.get("payment_intent")
            return self.declined(
                error, _text(intent.get("id")) if isinstance(intent, dict) else None
            )
        if kind == "idempotency_error":
            return IdempotencyConflictError(
                self.scrub(
                    f"Stripe refused {what}: idempotency key {key!r} was first used with other"
                    f" parameters ({message or 'no detail'})"
                )
            )
        text = f"Stripe refused {what} with {status}"
        text += "".join(f" {part}" for part in (kind, code) if part)
        param = _text(error.get("param"))
        if param:
            text += f" (parameter {param})"
        if message:
            text += f": {message}"
        request_id = response.headers.get("Request-Id")
        if request_id:
            text += f" [request {request_id}]"
        return GatewayError(
            self.scrub(text),
            provider=PROVIDER,
            code=self.scrub(code or kind or f"http_{status}"),
            status=status,
            retryable=False,
        )

    @staticmethod
    def failure(response: httpx.Response) -> tuple[str, str]:
        """The code and the problem of a ``response`` that will be retried, for the last error."""
        status = response.status_code
        body_error = _error_body(response)
        code = _text(body_error.get("code")) or _text(body_error.get("type")) or (f"http_{status}")
        problem = f"Stripe answered {status} {response.reason_phrase}"
        request_id = response.headers.get("Request-Id")
        if request_id:
            problem += f" (request {request_id})"
        return code, problem

    def exhausted(
        self,
        what: str,
        attempts: int,
        problem: str,
        *,
        code: str,
        status: int | None,
        maybe_done: bool,
    ) -> Exception:
        """The error once ``attempts`` attempts at ``what`` got no usable answer.

        ``maybe_done`` says whether one of them may have been acted on (so only for a POST).
        """
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        if maybe_done:
            return OutcomeUnknownError(
                self.scrub(
                    f"Stripe: {what} got no usable answer after {tries} (last: {problem}); it"
                    " may or may not have been done: retry with the same idempotency key"
                ),
                provider=PROVIDER,
                code=code,
            )
        return GatewayUnavailableError(
            self.scrub(f"Stripe is unavailable: {what} failed {tries} (last: {problem})"),
            provider=PROVIDER,
            code=code,
            status=status,
            retryable=True,
        )
