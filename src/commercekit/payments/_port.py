"""The PaymentGateway port: one small interface every payment provider adapter implements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from commercekit.money import Money
from commercekit.payments._values import AuthorizeRequest, GatewayResult, WebhookEvent

__all__ = ["PaymentGateway"]


@runtime_checkable
class PaymentGateway(Protocol):
    """A payment provider, as commercekit calls it (a port; also in :mod:`commercekit.ports`).

    Every call that changes something takes an ``idempotency_key``: the caller stores it before
    the first attempt and sends the same key on every retry, and the adapter passes it to the
    provider, so a retried call never charges twice. A decline raises
    :class:`~commercekit.errors.PaymentDeclinedError`; an unreachable provider
    :class:`~commercekit.errors.GatewayUnavailableError` (nothing done); a call that was sent and
    got no answer :class:`~commercekit.errors.OutcomeUnknownError` (retry with the same key);
    anything else a :class:`~commercekit.errors.GatewayError`. A payment that needs the
    customer (3-D Secure) is a result with ``status=REQUIRES_ACTION`` and a ``next_action``,
    not an exception. :class:`commercekit.testing.FakeGateway` is the test double.
    """

    #: The provider's name (``"stripe"``, ``"fake"``), recorded on payments and errors.
    provider: str

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        """Hold ``request.amount`` (``AUTHORIZED``), or say what the customer must do."""
        ...

    def confirm(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """Go on with a payment whose customer action completed; answers its state now."""
        ...

    def capture(
        self, reference: str, amount: Money, *, final: bool, idempotency_key: str
    ) -> GatewayResult:
        """Take ``amount`` of the hold; ``final`` releases the rest (one capture) or not."""
        ...

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """Release the hold (nothing captured)."""
        ...

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayResult:
        """Give ``amount`` of what was captured back; ``operation_reference`` names the refund."""
        ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event in a webhook delivery, once its signature is verified.

        A bad or missing signature, or one outside the tolerance, is a
        :class:`~commercekit.errors.WebhookSignatureError`; nothing is acted on.
        """
        ...
