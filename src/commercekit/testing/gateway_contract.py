"""The contract every :class:`~commercekit.ports.PaymentGateway` adapter must pass, as pytest tests.

:class:`PaymentGatewayContract` holds the tests; a host subclasses it in its own test suite (the
subclass's name must start with ``Test``) and provides the hooks: a ``gateway`` fixture, the
currency, and the payment method tokens its provider's test mode knows. Optional fixtures turn
on the tests that need the provider's side (a customer finishing 3-D Secure, a signed webhook
delivery, a count of the provider's payments, an outage, a lost answer); a test whose hook is
missing is skipped and says which hook it needs. This module imports pytest: import it from
tests only, explicitly (``commercekit.testing`` does not import it). ::

    import pytest

    from commercekit.testing import (
        FAKE_TOKEN_DECLINE,
        FAKE_TOKEN_OK,
        FAKE_TOKEN_REQUIRES_ACTION,
        FakeGateway,
    )
    from commercekit.testing.gateway_contract import PaymentGatewayContract


    class TestFakeGateway(PaymentGatewayContract):
        authorize_token = FAKE_TOKEN_OK
        decline_token = FAKE_TOKEN_DECLINE
        decline_code = "card_declined"
        action_token = FAKE_TOKEN_REQUIRES_ACTION
        multicapture = True

        @pytest.fixture
        def gateway(self):
            return FakeGateway()

        @pytest.fixture
        def complete_action(self, gateway):
            return gateway.complete_action

        @pytest.fixture
        def signed_delivery(self, gateway):
            return gateway.event_for

        @pytest.fixture
        def count_payments(self, gateway):
            return lambda: len(gateway.charges())

commercekit runs this example as written, and the suite on its fake (in memory and backed by
each store) and on :class:`~commercekit.gateways.payments.StripeGateway` over a Stripe
simulator, in ``tests/contract/test_gateway_contract.py``. Against a real provider's test
mode, leave out the hooks it cannot play (3-D Secure is completed by a person): those tests
skip. Every run uses fresh idempotency keys and payment ids, so it may run against the same
account again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

import attrs
import pytest

from commercekit.errors import (
    CommerceError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
    PaymentDeclinedError,
)
from commercekit.money import Money, from_minor_units
from commercekit.payments import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    PaymentGateway,
    WebhookKind,
)
from commercekit.testing._gateway_contract_webhooks import WebhookContract

__all__ = ["HOLD_MINOR", "Delivery", "PaymentGatewayContract"]

#: The amount every test holds, in the currency's minor units (a multiple of 100, so that
#: providers' own rules, such as Stripe's for three-decimal currencies and ISK, accept it).
HOLD_MINOR = 10_000

#: A webhook delivery as a web framework hands it over: the raw body and the headers.
Delivery = tuple[bytes, Mapping[str, str]]
_G = GatewayStatus
_REFUNDS = frozenset({_G.REFUNDED, _G.PROCESSING})  # a provider may settle a refund later


@attrs.frozen
class _Run:
    """The gateway under test, with the currency and fresh ids and keys for one test."""

    gateway: PaymentGateway
    currency: str
    prefix: str = attrs.field(factory=lambda: f"ct{uuid.uuid4().hex[:12]}")

    def money(self, minor: int) -> Money:
        return from_minor_units(minor, self.currency)

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def request(self, token: str, minor: int = HOLD_MINOR) -> AuthorizeRequest:
        return AuthorizeRequest(f"{self.prefix}-pay", self.money(minor), token)

    def authorize(self, token: str, minor: int = HOLD_MINOR, key: str = "a") -> GatewayResult:
        return self.gateway.authorize(self.request(token, minor), idempotency_key=self.key(key))

    def capture(self, ref: str, minor: int, key: str, *, final: bool = True) -> GatewayResult:
        return self.gateway.capture(
            ref, self.money(minor), final=final, idempotency_key=self.key(key)
        )

    def refund(self, ref: str, minor: int, key: str) -> GatewayResult:
        return self.gateway.refund(ref, self.money(minor), idempotency_key=self.key(key))


def _refused(error: pytest.ExceptionInfo[GatewayError], provider: str) -> None:
    """A provider's refusal: typed, named, final (retrying the same call will not help)."""
    assert not isinstance(error.value, GatewayUnavailableError | OutcomeUnknownError)
    assert error.value.provider == provider
    assert error.value.retryable is False


class PaymentGatewayContract(WebhookContract):
    """The tests every PaymentGateway adapter passes; subclass it and provide the hooks.

    Class attributes: :attr:`authorize_token`, :attr:`decline_token` and :attr:`decline_code`
    are required; :attr:`currency`, :attr:`action_token` and :attr:`multicapture` have
    defaults. Fixtures: ``gateway`` is required; ``complete_action``, ``signed_delivery``,
    ``count_payments``, ``arrange_unavailable``, ``arrange_lost_answer`` and ``secrets`` are
    optional (each documented on its default).
    """

    #: The currency every test pays in.
    currency: ClassVar[str] = "EUR"
    #: A payment method the provider authorizes.
    authorize_token: ClassVar[str]
    #: A payment method the provider declines ...
    decline_token: ClassVar[str]
    #: ... with this code (:attr:`~commercekit.errors.PaymentDeclinedError.code`).
    decline_code: ClassVar[str]
    #: A payment method that needs the customer (3-D Secure), or ``None``.
    action_token: ClassVar[str | None] = None
    #: Whether several captures of one authorization (``final=False``) are allowed.
    multicapture: ClassVar[bool] = False

    # -- hooks ---------------------------------------------------------------------------------

    @pytest.fixture
    def gateway(self) -> PaymentGateway:
        """The adapter under test (required: override this fixture)."""
        pytest.fail(f"{type(self).__name__} must override the `gateway` fixture")

    @pytest.fixture
    def complete_action(self) -> Callable[[str], object] | None:
        """Play the customer completing the action the payment ``reference`` waits for."""
        return None

    @pytest.fixture
    def signed_delivery(self) -> Callable[[str, WebhookKind], Delivery] | None:
        """A delivery ``(payload, headers)`` the provider signed: a ``kind`` event about ``ref``.

        Its amount is what the event says: held (``AUTHORIZED``), captured or refunded so far
        (``CAPTURED``, ``REFUNDED``), released (``VOIDED``).
        """
        return None

    @pytest.fixture
    def count_payments(self) -> Callable[[], int] | None:
        """How many payments (PaymentIntents, charges) the provider holds, declined included."""
        return None

    @pytest.fixture
    def arrange_unavailable(self) -> Callable[[], str] | None:
        """Make the next authorization find the provider unreachable; return the token to use."""
        return None

    @pytest.fixture
    def arrange_lost_answer(self) -> Callable[[], str] | None:
        """Make the next authorization be done but its answer lost; return the token to use."""
        return None

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        """Texts (API keys, webhook secrets) that must appear in no repr and no error."""
        return ()

    @pytest.fixture
    def run(self, gateway: PaymentGateway) -> _Run:
        """The gateway, with fresh ids and keys for one test."""
        for name in ("authorize_token", "decline_token", "decline_code"):
            if not isinstance(getattr(self, name, None), str):
                pytest.fail(f"{type(self).__name__} must set the class attribute {name}")
        return _Run(gateway, self.currency)

    # -- authorize, capture, void, refund ------------------------------------------------------

    def test_it_is_a_payment_gateway(self, gateway: PaymentGateway, secrets: Sequence[str]) -> None:
        """The port is implemented and the adapter names its provider; no secret in its repr."""
        assert isinstance(gateway, PaymentGateway)
        assert isinstance(gateway.provider, str) and gateway.provider
        assert not [s for s in secrets if s in repr(gateway)]

    def test_authorize_holds_the_amount(self, run: _Run) -> None:
        """An authorization holds the whole amount under a reference, with nothing to do."""
        held = run.authorize(self.authorize_token)
        assert held.status is _G.AUTHORIZED
        assert isinstance(held.reference, str) and held.reference
        assert held.amount == run.money(HOLD_MINOR)
        assert held.next_action is None

    def test_a_final_partial_capture_releases_the_rest(self, run: _Run) -> None:
        """A final capture takes part of the hold and releases the rest: nothing more to take."""
        ref = run.authorize(self.authorize_token).reference
        taken = run.capture(ref, 3_000, "c1")
        assert (taken.status, taken.reference, taken.amount) == (_G.CAPTURED, ref, run.money(3_000))
        with pytest.raises(GatewayError) as error:
            run.capture(ref, 1_000, "c2")
        _refused(error, run.gateway.provider)

    def test_several_partial_captures(self, run: _Run) -> None:
        """Captures that are not final add up to the hold, and no further."""
        if not self.multicapture:
            pytest.skip("the adapter allows one capture per authorization (multicapture=False)")
        ref = run.authorize(self.authorize_token).reference
        parts = [2_500, 3_500, HOLD_MINOR - 6_000]
        for n, minor in enumerate(parts):
            taken = run.capture(ref, minor, f"c{n}", final=False)
            assert (taken.status, taken.amount) == (_G.CAPTURED, run.money(minor))
        with pytest.raises(GatewayError) as error:
            run.capture(ref, 100, "c-more")
        _refused(error, run.gateway.provider)

    def test_capturing_more_than_held_is_refused_and_changes_nothing(self, run: _Run) -> None:
        """A capture above the hold is the provider's refusal; the whole hold is still there."""
        ref = run.authorize(self.authorize_token).reference
        with pytest.raises(GatewayError) as error:
            run.capture(ref, HOLD_MINOR + 100, "c1")
        _refused(error, run.gateway.provider)
        assert run.capture(ref, HOLD_MINOR, "c2").amount == run.money(HOLD_MINOR)

    def test_an_amount_in_another_currency_is_refused_and_takes_nothing(self, run: _Run) -> None:
        """A capture or refund in another currency raises, and takes or returns nothing."""
        other = "JPY" if self.currency != "JPY" else "EUR"
        ref = run.authorize(self.authorize_token).reference
        foreign = from_minor_units(3_000, other)
        with pytest.raises(CommerceError):
            run.gateway.capture(ref, foreign, final=False, idempotency_key=run.key("c1"))
        # Had anything been taken, the full amount could not be captured any more.
        assert run.capture(ref, HOLD_MINOR, "c2").amount == run.money(HOLD_MINOR)
        with pytest.raises(CommerceError):
            run.gateway.refund(ref, foreign, idempotency_key=run.key("r1"))
        assert run.refund(ref, HOLD_MINOR, "r2").amount == run.money(HOLD_MINOR)

    def test_void_releases_the_hold(self, run: _Run) -> None:
        """A void releases the whole hold; nothing can be captured or voided after it."""
        ref = run.authorize(self.authorize_token).reference
        voided = run.gateway.void(ref, idempotency_key=run.key("v1"))
        assert (voided.status, voided.reference, voided.amount) == (
            _G.VOIDED,
            ref,
            run.money(HOLD_MINOR),
        )
        with pytest.raises(GatewayError) as error:
            run.capture(ref, 1_000, "c1")
        _refused(error, run.gateway.provider)
        with pytest.raises(GatewayError) as error:
            run.gateway.void(ref, idempotency_key=run.key("v2"))
        _refused(error, run.gateway.provider)

    def test_partial_refunds_add_up_to_what_was_captured(self, run: _Run) -> None:
        """Two partial refunds, each named; a third above what is left is refused."""
        ref = run.authorize(self.authorize_token).reference
        run.capture(ref, 8_000, "c1")
        first, second = run.refund(ref, 3_000, "r1"), run.refund(ref, 4_000, "r2")
        for result, minor in ((first, 3_000), (second, 4_000)):
            assert result.status in _REFUNDS
            assert (result.reference, result.amount) == (ref, run.money(minor))
        assert first.operation_reference != second.operation_reference
        with pytest.raises(GatewayError) as error:
            run.refund(ref, 1_100, "r3")  # 1,000 is left
        _refused(error, run.gateway.provider)
        assert run.refund(ref, 1_000, "r4").amount == run.money(1_000)

    def test_a_refund_needs_a_capture(self, run: _Run) -> None:
        """Nothing captured, nothing to refund: the provider refuses."""
        ref = run.authorize(self.authorize_token).reference
        with pytest.raises(GatewayError) as error:
            run.refund(ref, 1_000, "r1")
        _refused(error, run.gateway.provider)

    def test_an_unknown_reference_is_refused(self, run: _Run) -> None:
        """A reference the provider does not know is its refusal, not an outage."""
        ref = run.authorize(self.authorize_token).reference
        with pytest.raises(GatewayError) as error:
            run.capture(f"{ref}0unknown", 1_000, "c1")
        _refused(error, run.gateway.provider)

    # -- declines and customer actions ---------------------------------------------------------

    def test_a_decline(
        self,
        run: _Run,
        count_payments: Callable[[], int] | None,
        secrets: Sequence[str],
    ) -> None:
        """A decline names its provider and code, reads well to a customer, and is replayed."""
        before = None if count_payments is None else count_payments()
        with pytest.raises(PaymentDeclinedError) as first:
            run.authorize(self.decline_token)
        declined = first.value
        assert (declined.provider, declined.code) == (run.gateway.provider, self.decline_code)
        assert declined.retryable is False
        assert str(declined) == declined.customer_message and declined.customer_message
        shown = declined.customer_message
        assert not [s for s in (*secrets, self.decline_token, run.prefix) if s in shown]
        with pytest.raises(PaymentDeclinedError) as again:
            run.authorize(self.decline_token)
        assert (again.value.code, again.value.reference) == (declined.code, declined.reference)
        if count_payments is not None:
            assert before is not None and count_payments() == before + 1

    def test_requires_action_then_confirm(
        self, run: _Run, complete_action: Callable[[str], object] | None
    ) -> None:
        """The customer must act first; once they did, a confirm finds the amount held."""
        if self.action_token is None or complete_action is None:
            pytest.skip("needs action_token and the complete_action fixture")
        first = run.authorize(self.action_token)
        assert first.status is _G.REQUIRES_ACTION
        assert first.next_action is not None and first.next_action.kind
        assert first.amount == run.money(HOLD_MINOR)
        waiting = run.gateway.confirm(first.reference, idempotency_key=run.key("act1"))
        assert (waiting.status, waiting.reference) == (_G.REQUIRES_ACTION, first.reference)
        complete_action(first.reference)
        done = run.gateway.confirm(first.reference, idempotency_key=run.key("act2"))
        assert (done.status, done.reference, done.amount) == (
            _G.AUTHORIZED,
            first.reference,
            run.money(HOLD_MINOR),
        )
        assert run.capture(first.reference, HOLD_MINOR, "c1").status is _G.CAPTURED

    # -- idempotency ---------------------------------------------------------------------------

    def test_the_same_key_replays_the_same_authorization(
        self, run: _Run, count_payments: Callable[[], int] | None
    ) -> None:
        """A retried authorization answers the first one: the same reference, one payment."""
        before = None if count_payments is None else count_payments()
        first, again = run.authorize(self.authorize_token), run.authorize(self.authorize_token)
        assert (again.status, again.reference, again.amount) == (
            first.status,
            first.reference,
            first.amount,
        )
        if count_payments is not None:
            assert before is not None and count_payments() == before + 1

    def test_the_same_key_captures_and_refunds_once(self, run: _Run) -> None:
        """A retried capture or refund answers the first one, and takes or returns nothing more."""
        ref = run.authorize(self.authorize_token).reference
        assert run.capture(ref, 6_000, "c1") == run.capture(ref, 6_000, "c1")
        first, again = run.refund(ref, 2_000, "r1"), run.refund(ref, 2_000, "r1")
        assert first == again and first.operation_reference == again.operation_reference
        # Exactly 6,000 captured and 2,000 refunded: 4,000 is left to refund, and no more.
        with pytest.raises(GatewayError):
            run.refund(ref, 4_100, "r2")
        assert run.refund(ref, 4_000, "r3").amount == run.money(4_000)

    def test_the_same_key_with_other_parameters_is_a_conflict(self, run: _Run) -> None:
        """A key sent again with another amount, or for another call, is refused."""
        held = run.authorize(self.authorize_token)
        with pytest.raises(IdempotencyConflictError) as error:
            run.authorize(self.authorize_token, HOLD_MINOR + 100)
        assert error.value.retryable is False
        run.capture(held.reference, 1_000, "c1")
        with pytest.raises(IdempotencyConflictError):
            run.capture(held.reference, 2_000, "c1")
        with pytest.raises(IdempotencyConflictError):
            run.capture(held.reference, 1_000, "a")  # the authorization's key

    # -- outages and lost answers --------------------------------------------------------------

    def test_an_unreachable_provider_is_retryable_and_did_nothing(
        self,
        run: _Run,
        arrange_unavailable: Callable[[], str] | None,
        count_payments: Callable[[], int] | None,
    ) -> None:
        """Unreachable: GatewayUnavailableError, retryable, and no payment was made."""
        if arrange_unavailable is None:
            pytest.skip("needs the arrange_unavailable fixture")
        before = None if count_payments is None else count_payments()
        token = arrange_unavailable()
        with pytest.raises(GatewayUnavailableError) as error:
            run.authorize(token)
        assert (error.value.provider, error.value.retryable) == (run.gateway.provider, True)
        if count_payments is not None:
            assert count_payments() == before

    def test_a_lost_answer_is_learned_by_retrying_the_key(
        self,
        run: _Run,
        arrange_lost_answer: Callable[[], str] | None,
        count_payments: Callable[[], int] | None,
    ) -> None:
        """Done but unanswered: OutcomeUnknownError; the same key then tells, with one payment."""
        if arrange_lost_answer is None:
            pytest.skip("needs the arrange_lost_answer fixture")
        before = None if count_payments is None else count_payments()
        token = arrange_lost_answer()
        with pytest.raises(OutcomeUnknownError) as error:
            run.authorize(token)
        assert (error.value.provider, error.value.retryable) == (run.gateway.provider, True)
        learned = run.authorize(token)
        assert (learned.status, learned.amount) == (_G.AUTHORIZED, run.money(HOLD_MINOR))
        if count_payments is not None:
            assert before is not None and count_payments() == before + 1

    # -- webhooks ------------------------------------------------------------------------------
    # Inherited from WebhookContract, in commercekit.testing._gateway_contract_webhooks.

    # -- secrets -------------------------------------------------------------------------------

    def test_errors_show_no_secret(self, run: _Run, secrets: Sequence[str]) -> None:
        """Refusals and conflicts name what went wrong, never a key or a secret."""
        ref = run.authorize(self.authorize_token).reference
        calls: list[Callable[[], object]] = [
            lambda: run.capture(ref, HOLD_MINOR + 100, "c1"),
            lambda: run.authorize(self.authorize_token, HOLD_MINOR + 100),
            lambda: run.refund(ref, 1_000, "r1"),
        ]
        for call in calls:
            with pytest.raises(CommerceError) as error:
                call()
            assert not [s for s in secrets if s in str(error.value) or s in repr(error.value)]
