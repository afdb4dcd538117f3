"""The PaymentGateway contract (commercekit.testing.gateway_contract) on every adapter we ship.

FakeGateway runs it with its state in memory and in a store on each contract backend (memory,
a SQLite file, a PostgreSQL schema); StripeGateway runs it over the Stripe simulator
(tests/stripe_server.py), with and without multicapture, in EUR and in zero-decimal JPY.
The example in the contract's module docs runs too, exactly as written
(``TestTheDocumentedExample``).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import pytest

from commercekit.clock import ManualClock
from commercekit.gateways.payments import (
    DEFAULT_MAX_ATTEMPTS,
    FAKE_TOKEN_DECLINE,
    FAKE_TOKEN_NETWORK_FAILURE_AFTER_CHARGE,
    FAKE_TOKEN_OK,
    FAKE_TOKEN_REQUIRES_ACTION,
    FAKE_TOKEN_UNAVAILABLE,
    FAKE_WEBHOOK_SECRET,
    FakeGateway,
    StripeGateway,
)
from commercekit.payments import WebhookKind
from commercekit.storage import Store
from commercekit.testing import gateway_contract
from commercekit.testing.gateway_contract import Delivery, PaymentGatewayContract
from tests.contract._backends import T0
from tests.stripe_server import API_KEY, StripeSimulator, signed_delivery

WEBHOOK_SECRET = "whsec_contract_5b0e6f2d8c1a4e7f9a3b"

# The Stripe event that says each kind, and where it names its PaymentIntent.
_STRIPE_EVENTS: dict[WebhookKind, tuple[str, str]] = {
    WebhookKind.REQUIRES_ACTION: ("payment_intent.requires_action", "id"),
    WebhookKind.AUTHORIZED: ("payment_intent.amount_capturable_updated", "id"),
    WebhookKind.CAPTURED: ("payment_intent.succeeded", "id"),
    WebhookKind.FAILED: ("payment_intent.payment_failed", "id"),
    WebhookKind.VOIDED: ("payment_intent.canceled", "id"),
    WebhookKind.REFUNDED: ("charge.refunded", "payment_intent"),
}


def _documented_example() -> Any:
    """The example of the contract's module docs, run as written (its indented block)."""
    doc = gateway_contract.__doc__ or ""
    found = re.search(r"::\n\n((?:    .*\n|\n)+)", doc)
    assert found is not None, "the contract's docs lost their example"
    namespace: dict[str, Any] = {}
    exec(compile(textwrap.dedent(found.group(1)), "gateway_contract example", "exec"), namespace)
    return namespace["TestFakeGateway"]


#: The documented example, collected here as a test class of its own.
TestTheDocumentedExample = _documented_example()


class FakeContract(PaymentGatewayContract):
    """The fake's tokens and hooks; subclasses say where its state lives."""

    authorize_token = FAKE_TOKEN_OK
    decline_token = FAKE_TOKEN_DECLINE
    decline_code = "card_declined"
    action_token = FAKE_TOKEN_REQUIRES_ACTION
    multicapture = True

    @pytest.fixture
    def complete_action(self, gateway: FakeGateway) -> Callable[[str], object]:
        return gateway.complete_action

    @pytest.fixture
    def signed_delivery(self, gateway: FakeGateway) -> Callable[[str, WebhookKind], Delivery]:
        return gateway.event_for

    @pytest.fixture
    def count_payments(self, gateway: FakeGateway) -> Callable[[], int]:
        return lambda: len(gateway.charges())

    @pytest.fixture
    def arrange_unavailable(self) -> Callable[[], str]:
        return lambda: FAKE_TOKEN_UNAVAILABLE

    @pytest.fixture
    def arrange_lost_answer(self) -> Callable[[], str]:
        return lambda: FAKE_TOKEN_NETWORK_FAILURE_AFTER_CHARGE

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        return (FAKE_WEBHOOK_SECRET,)


class TestFakeGatewayInMemory(FakeContract):
    @pytest.fixture
    def gateway(self) -> FakeGateway:
        return FakeGateway(clock=ManualClock(T0))


class TestFakeGatewayOnAStore(FakeContract):
    """``store`` is the contract fixture: memory, SQLite and PostgreSQL in turn."""

    @pytest.fixture
    def gateway(self, store: Store) -> FakeGateway:
        return FakeGateway(store=store)


class TestStripeGateway(PaymentGatewayContract):
    """StripeGateway over the simulator, its test cards, and webhooks signed as Stripe signs."""

    authorize_token = "pm_card_visa"
    decline_token = "pm_card_visa_chargeDeclinedInsufficientFunds"
    decline_code = "insufficient_funds"
    action_token = "pm_card_threeDSecure2Required"
    multicapture: ClassVar[bool] = True

    @pytest.fixture
    def sim(self) -> StripeSimulator:
        return StripeSimulator(API_KEY, now=lambda: int(T0.timestamp()))

    @pytest.fixture
    def gateway(self, sim: StripeSimulator) -> Iterator[StripeGateway]:
        with sim.client() as client:
            yield StripeGateway(
                API_KEY,
                client=client,
                sleep=lambda _seconds: None,
                webhook_secret=WEBHOOK_SECRET,
                clock=ManualClock(T0),
                request_multicapture=self.multicapture,
            )

    @pytest.fixture
    def complete_action(self, sim: StripeSimulator) -> Callable[[str], object]:
        return sim.complete_action

    @pytest.fixture
    def signed_delivery(self, sim: StripeSimulator) -> Callable[[str, WebhookKind], Delivery]:
        def deliver(reference: str, kind: WebhookKind) -> Delivery:
            wanted, field = _STRIPE_EVENTS[kind]
            for event in reversed(sim.events):
                found = event["data"]["object"]
                if event["type"] == wanted and found.get(field) == reference:
                    return signed_delivery(event, WEBHOOK_SECRET, int(T0.timestamp()))
            raise LookupError(f"the simulator sent no {wanted} about {reference}")

        return deliver

    @pytest.fixture
    def count_payments(self, sim: StripeSimulator) -> Callable[[], int]:
        return lambda: len(sim.intent_ids())

    @pytest.fixture
    def arrange_unavailable(self, sim: StripeSimulator) -> Callable[[], str]:
        def arrange() -> str:
            sim.refuse_next(times=DEFAULT_MAX_ATTEMPTS)
            return self.authorize_token

        return arrange

    @pytest.fixture
    def arrange_lost_answer(self, sim: StripeSimulator) -> Callable[[], str]:
        def arrange() -> str:
            # The first attempt is done and dropped; the gateway's own retries replay the
            # stored answer, and those are dropped too.
            sim.drop_next(times=DEFAULT_MAX_ATTEMPTS)
            return self.authorize_token

        return arrange

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        return (API_KEY, WEBHOOK_SECRET)


class TestStripeGatewayInYenWithoutMulticapture(TestStripeGateway):
    """JPY is zero-decimal at Stripe too; one capture per authorization."""

    currency = "JPY"
    multicapture = False
