"""The webhook tests of the payment gateway contract, as a mixin its public class inherits.

:class:`~commercekit.testing.gateway_contract.PaymentGatewayContract` inherits them, with its
hooks and fixtures (``run``, ``secrets``, ``signed_delivery``); a host subclasses that class
only, never this one. Each test needs the ``signed_delivery`` hook and skips without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import pytest

from commercekit.errors import WebhookSignatureError
from commercekit.payments import WebhookKind

if TYPE_CHECKING:
    from commercekit.testing.gateway_contract import Delivery, _Run

__all__ = ["WebhookContract"]


class WebhookContract:
    """The webhook tests of :class:`~commercekit.testing.gateway_contract.PaymentGatewayContract`.

    The amounts are read from :data:`~commercekit.testing.gateway_contract.HOLD_MINOR` when a
    test runs: that module imports this one, so this one does not import it at load time.
    """

    #: A payment method the provider authorizes (set by the contract's subclass).
    authorize_token: ClassVar[str]

    # -- webhooks ------------------------------------------------------------------------------

    @pytest.fixture
    def deliver(
        self, signed_delivery: Callable[[str, WebhookKind], Delivery] | None
    ) -> Callable[[str, WebhookKind], Delivery]:
        """The ``signed_delivery`` hook, or a skip."""
        if signed_delivery is None:
            pytest.skip("needs the signed_delivery fixture")
        return signed_delivery

    def test_verified_webhooks_parse_to_their_events(
        self, run: _Run, deliver: Callable[[str, WebhookKind], Delivery]
    ) -> None:
        """Held, captured, refunded: each event names the payment, the kind and the amount."""
        from commercekit.testing.gateway_contract import HOLD_MINOR

        ref = run.authorize(self.authorize_token).reference
        steps: list[tuple[WebhookKind, int, Callable[[], object]]] = [
            (WebhookKind.AUTHORIZED, HOLD_MINOR, lambda: None),
            (WebhookKind.CAPTURED, 6_000, lambda: run.capture(ref, 6_000, "c1")),
            (WebhookKind.REFUNDED, 2_500, lambda: run.refund(ref, 2_500, "r1")),
        ]
        for kind, minor, act in steps:
            act()
            payload, headers = deliver(ref, kind)
            event = run.gateway.parse_webhook(payload, headers)
            assert (event.provider, event.kind, event.reference, event.amount) == (
                run.gateway.provider,
                kind,
                ref,
                run.money(minor),
            )
            assert event.id and event.created.tzinfo is not None
            # Deliveries come at least once: the same one parses to the same event id.
            assert run.gateway.parse_webhook(payload, headers).id == event.id

    def test_a_void_webhook(
        self, run: _Run, deliver: Callable[[str, WebhookKind], Delivery]
    ) -> None:
        """A voided event says what was released."""
        from commercekit.testing.gateway_contract import HOLD_MINOR

        ref = run.authorize(self.authorize_token).reference
        run.gateway.void(ref, idempotency_key=run.key("v1"))
        event = run.gateway.parse_webhook(*deliver(ref, WebhookKind.VOIDED))
        assert (event.kind, event.reference, event.amount) == (
            WebhookKind.VOIDED,
            ref,
            run.money(HOLD_MINOR),
        )

    def test_a_tampered_webhook_is_refused(
        self,
        run: _Run,
        deliver: Callable[[str, WebhookKind], Delivery],
        secrets: Sequence[str],
    ) -> None:
        """A changed body, another delivery's signature or none at all: WebhookSignatureError."""
        from commercekit.testing.gateway_contract import HOLD_MINOR

        ref = run.authorize(self.authorize_token).reference
        payload, headers = deliver(ref, WebhookKind.AUTHORIZED)
        run.capture(ref, HOLD_MINOR, "c1")
        other_payload, other_headers = deliver(ref, WebhookKind.CAPTURED)
        # Another payment's reference, one character off (the event now speaks of it).
        other_ref = ref[:-1] + ("1" if ref.endswith("0") else "0")
        tampered = payload.replace(ref.encode(), other_ref.encode(), 1)
        assert tampered != payload
        for body, signed in (
            (tampered, headers),
            (payload + b" ", headers),
            (payload, other_headers),
            (other_payload, headers),
            (payload, {}),
        ):
            with pytest.raises(WebhookSignatureError) as error:
                run.gateway.parse_webhook(body, signed)
            assert isinstance(error.value, ValueError)
            assert not [s for s in secrets if s in str(error.value)]
