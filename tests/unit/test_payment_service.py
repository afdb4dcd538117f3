"""PaymentService on every store (memory, SQLite, PostgreSQL) with a scripted gateway double.

The double behaves as a provider does: each idempotency key's first answer (a decline
included) is stored and replayed, so the tests count both the calls made (``gateway.calls``)
and the work done (``gateway.work``): a retry with the same key is a call, not more work.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from commercekit import Money
from commercekit.clock import ManualClock
from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    CurrencyMismatchError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    InvalidAmountError,
    NotFoundError,
    OutcomeUnknownError,
    PaymentAmountError,
    PaymentDeclinedError,
    StateTransitionError,
    ValidationError,
    WebhookSignatureError,
)
from commercekit.payments import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    NextAction,
    Payment,
    PaymentOperation,
    PaymentStatus,
    WebhookEvent,
    WebhookKind,
)
from commercekit.payments._service import PAYMENT_KIND, PaymentService
from commercekit.storage import Store
from tests.contract._backends import T0
from tests.contract.conftest import clock, store, store_and_clock  # noqa: F401

G = GatewayStatus
S = PaymentStatus
OP = PaymentOperation
EUR = "EUR"
SECRET = b"whsec_test_only"


def eur(amount: str) -> Money:
    return Money(amount, EUR)


class Crash(BaseException):
    """A process dying mid-call: no handler runs, nothing is written after it."""


@attrs.define
class Intent:
    """The provider's record of one payment."""

    amount: Money
    status: GatewayStatus
    held: int = 0
    captured: int = 0
    refunded: int = 0
    acted: bool | None = None  # the customer's action: None not yet, True done, False failed


class ScriptedGateway:
    """A provider in memory: tokens decide the answers; each key's first answer is replayed.

    Tokens: ``tok_ok`` authorizes, ``tok_decline`` is declined (``insufficient_funds``),
    ``tok_action`` needs the customer the first time (``complete_action``/``fail_action``),
    ``tok_processing`` answers ``processing``. ``fault(op, exc, after=...)`` makes the next
    ``op`` raise ``exc`` before any work, or after it (the answer lost on the way back);
    ``during[op]`` runs while that call is in flight (another caller arriving meanwhile).
    """

    provider = "scripted"

    def __init__(self, time: ManualClock) -> None:
        self.clock = time
        self.calls: list[tuple[str, str]] = []
        self.work: list[tuple[str, str]] = []
        self.intents: dict[str, Intent] = {}
        self.paid_for: list[str] = []
        self.during: dict[str, Callable[[], None]] = {}
        self._answers: dict[str, GatewayResult | CommerceError] = {}
        self._faults: list[tuple[str, BaseException, bool]] = []

    def fault(self, op: str, exc: BaseException, *, after: bool = False) -> None:
        self._faults.append((op, exc, after))

    def keys(self, op: str) -> list[str]:
        return [key for name, key in self.calls if name == op]

    def _run(self, op: str, key: str, do: Callable[[], GatewayResult]) -> GatewayResult:
        self.calls.append((op, key))
        if key in self._answers:
            answer = self._answers[key]
            if isinstance(answer, CommerceError):
                raise answer
            return answer
        fault = next((f for f in self._faults if f[0] == op), None)
        if fault is not None and not fault[2]:
            self._faults.remove(fault)
            raise fault[1]
        hook = self.during.pop(op, None)
        if hook is not None:
            hook()
        try:
            answer = do()
        except PaymentDeclinedError as exc:
            self._answers[key] = exc
            raise
        self._answers[key] = answer
        self.work.append((op, key))
        if fault is not None:
            self._faults.remove(fault)
            raise fault[1]
        return answer

    def _result(self, ref: str, status: GatewayStatus, minor: int, **kw: Any) -> GatewayResult:
        amount = Money(Decimal(minor).scaleb(-2), EUR)
        return GatewayResult(status, ref, amount, **kw)

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        def do() -> GatewayResult:
            ref = f"pi_{len(self.intents) + 1}"
            token = request.payment_method
            if token == "tok_decline":
                raise PaymentDeclinedError(
                    "Your card has insufficient funds.",
                    provider=self.provider,
                    code="insufficient_funds",
                    reference=ref,
                )
            minor = int(request.amount.amount * 100)
            intent = Intent(request.amount, G.AUTHORIZED, held=minor)
            self.intents[ref] = intent
            again = any(r.startswith(f"{request.payment_id}@") for r in self.paid_for)
            self.paid_for.append(f"{request.payment_id}@{ref}")
            if token == "tok_action" and not again:  # a re-authorization needs no new action
                intent.status = G.REQUIRES_ACTION
                action = NextAction("redirect_to_url", "https://bank.test/3ds", "cs_secret_42")
                return self._result(ref, G.REQUIRES_ACTION, minor, next_action=action)
            if token == "tok_processing":
                intent.status = G.PROCESSING
                return self._result(ref, G.PROCESSING, minor)
            until = self.clock.now() + timedelta(days=7)
            return self._result(ref, G.AUTHORIZED, minor, authorized_until=until)

        return self._run("authorize", idempotency_key, do)

    def confirm(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        def do() -> GatewayResult:
            intent = self.intents[reference]
            if intent.acted is False:
                raise PaymentDeclinedError(
                    "Authentication failed.", provider=self.provider, code="authentication_failed"
                )
            if intent.acted is None:
                return self._result(reference, G.REQUIRES_ACTION, intent.held)
            intent.status = G.AUTHORIZED
            until = self.clock.now() + timedelta(days=7)
            return self._result(reference, G.AUTHORIZED, intent.held, authorized_until=until)

        return self._run("confirm", idempotency_key, do)

    def capture(
        self, reference: str, amount: Money, *, final: bool, idempotency_key: str
    ) -> GatewayResult:
        def do() -> GatewayResult:
            intent = self.intents[reference]
            minor = int(amount.amount * 100)
            if intent.status is not G.AUTHORIZED or minor > intent.held - intent.captured:
                raise GatewayError("cannot capture that", provider=self.provider, status=400)
            intent.captured += minor
            intent.status = G.CAPTURED if final else G.AUTHORIZED
            return self._result(reference, intent.status, minor)

        return self._run("capture", idempotency_key, do)

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        def do() -> GatewayResult:
            intent = self.intents[reference]
            intent.status = G.VOIDED
            return self._result(reference, G.VOIDED, intent.held)

        return self._run("void", idempotency_key, do)

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayResult:
        def do() -> GatewayResult:
            intent = self.intents[reference]
            minor = int(amount.amount * 100)
            if minor > intent.captured - intent.refunded:
                raise GatewayError("cannot refund that", provider=self.provider, status=400)
            intent.refunded += minor
            number = sum(1 for op, _ in self.work if op == "refund") + 1
            return self._result(reference, G.REFUNDED, minor, operation_reference=f"re_{number}")

        return self._run("refund", idempotency_key, do)

    def complete_action(self, reference: str) -> None:
        self.intents[reference].acted = True

    def fail_action(self, reference: str) -> None:
        self.intents[reference].acted = False

    def event(
        self, event_id: str, kind: WebhookKind, reference: str, amount: Money | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A signed delivery, as the provider would send it."""
        body = {"id": event_id, "kind": kind.value, "reference": reference}
        if amount is not None:
            body["amount"] = str(amount.amount)
        payload = json.dumps(body).encode()
        signature = hmac.new(SECRET, payload, hashlib.sha256).hexdigest()
        return payload, {"x-signature": signature}

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        expected = hmac.new(SECRET, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-signature", "")):
            raise WebhookSignatureError("the webhook signature does not match")
        body = json.loads(payload)
        amount = Money(body["amount"], EUR) if "amount" in body else None
        kind = WebhookKind(body["kind"])
        return WebhookEvent(body["id"], self.provider, kind, body["reference"], amount, T0)


@pytest.fixture
def gateway(clock: ManualClock) -> ScriptedGateway:  # noqa: F811
    return ScriptedGateway(clock)


@pytest.fixture
def service(store: Store, gateway: ScriptedGateway) -> PaymentService:  # noqa: F811
    return PaymentService(store, {"card": gateway}, wait=0.0)


def authorized(
    service: PaymentService, payment_id: str = "pay-1", amount: str = "100.00"
) -> Payment:
    return service.authorize(payment_id, "card", eur(amount), "tok_ok")


def outbox_topics(store: Store) -> list[str]:  # noqa: F811
    with store.transaction(readonly=True) as tx:
        return [event.topic for event in tx.outbox.pending(limit=1000)]


def snapshot(store: Store) -> list[tuple[str, int, str]]:  # noqa: F811
    """Every stored document of the store's aggregates, with its version."""
    with store.transaction(readonly=True) as tx:
        rows = tx.execute("SELECT kind, id, version, data FROM ck_aggregates ORDER BY kind, id")
        aggregates = [(row[0] + ":" + row[1], int(row[2]), row[3]) for row in rows.fetchall()]
        keys = tx.execute("SELECT scope, idem_key FROM ck_idempotency ORDER BY 1, 2").fetchall()
        events = tx.execute("SELECT COUNT(*) FROM ck_outbox").fetchone()[0]
    return [*aggregates, ("keys", len(keys), repr(keys)), ("outbox", int(events), "")]


# --- authorize: replay, conflicts, declines, actions -----------------------------------------


def test_authorize_holds_the_amount_and_a_replay_calls_nothing(
    service: PaymentService,
    gateway: ScriptedGateway,
    store: Store,  # noqa: F811
) -> None:
    payment = authorized(service)
    assert payment.status is S.AUTHORIZED
    assert payment.reference == "pi_1"
    assert payment.authorized == eur("100.00")
    assert payment.authorized_until == T0 + timedelta(days=7)
    assert payment.pending is None
    assert gateway.calls == [("authorize", "pay-1:authorize:1")]
    assert payment.transitions[-1].key == "pay-1:authorize:1"
    again = authorized(service)
    assert again == payment
    assert gateway.calls == [("authorize", "pay-1:authorize:1")]
    assert service.get("pay-1") == payment
    assert outbox_topics(store) == ["payment.authorized"]


@pytest.mark.parametrize(
    "change",
    [
        {"amount": eur("100.01")},
        {"payment_method_token": "tok_other"},
        {"customer_id": "cus-9"},
        {"return_url": "https://shop.test/back"},
        {"metadata": {"order": "o-2"}},
        {"method": "other"},
    ],
)
def test_the_same_id_with_other_parameters_is_a_conflict_and_changes_nothing(
    store: Store,  # noqa: F811
    gateway: ScriptedGateway,
    change: dict[str, Any],
) -> None:
    service = PaymentService(store, {"card": gateway, "other": gateway}, wait=0.0)
    asked: dict[str, Any] = {
        "method": "card",
        "amount": eur("100.00"),
        "payment_method_token": "tok_ok",
        "metadata": {"order": "o-1"},
    }
    service.authorize("pay-1", **asked)
    before = snapshot(store)
    with pytest.raises(IdempotencyConflictError):
        service.authorize("pay-1", **{**asked, **change})
    assert snapshot(store) == before
    assert len(gateway.calls) == 1


def test_a_decline_is_recorded_as_failed_with_its_code_and_replayed(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    with pytest.raises(PaymentDeclinedError) as declined:
        service.authorize("pay-1", "card", eur("50.00"), "tok_decline")
    assert declined.value.code == "insufficient_funds"
    assert str(declined.value) == "Your card has insufficient funds."
    stored = service.get("pay-1")
    assert stored.status is S.FAILED
    assert stored.failure_code == "insufficient_funds"
    assert stored.pending is None
    assert [t.operation for t in stored.transitions] == [OP.FAIL]
    with pytest.raises(PaymentDeclinedError) as replayed:
        service.authorize("pay-1", "card", eur("50.00"), "tok_decline")
    assert replayed.value.code == "insufficient_funds"
    assert gateway.calls == [("authorize", "pay-1:authorize:1")]  # the replay asked nobody
    with pytest.raises(StateTransitionError):
        service.capture("pay-1")


def test_requires_action_then_resume_after_the_customer_acted(
    service: PaymentService,
    gateway: ScriptedGateway,
    store: Store,  # noqa: F811
) -> None:
    payment = service.authorize(
        "pay-1", "card", eur("80.00"), "tok_action", return_url="https://shop.test/back"
    )
    assert payment.status is S.REQUIRES_ACTION
    assert payment.next_action is not None
    assert payment.next_action.url == "https://bank.test/3ds"
    assert payment.next_action.client_secret == "cs_secret_42"  # for this caller only
    stored = service.get("pay-1")
    assert stored.next_action == NextAction("redirect_to_url", "https://bank.test/3ds")
    assert "cs_secret_42" not in repr(snapshot(store))
    # The client comes back before the customer finished: still requires action.
    assert service.resume("pay-1").status is S.REQUIRES_ACTION
    gateway.complete_action("pi_1")
    resumed = service.resume("pay-1")
    assert resumed.status is S.AUTHORIZED
    assert resumed.authorized == eur("80.00")
    assert gateway.keys("confirm") == ["pay-1:action:1", "pay-1:action:2"]
    # A second return of the client changes nothing and asks nobody.
    assert service.resume("pay-1") == resumed
    assert len(gateway.keys("confirm")) == 2


def test_a_failed_action_fails_the_payment(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    service.authorize("pay-1", "card", eur("80.00"), "tok_action")
    gateway.fail_action("pi_1")
    with pytest.raises(PaymentDeclinedError) as declined:
        service.resume("pay-1")
    assert declined.value.code == "authentication_failed"
    stored = service.get("pay-1")
    assert (stored.status, stored.failure_code) == (S.FAILED, "authentication_failed")


def test_processing_waits_for_the_webhook(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    payment = service.authorize("pay-1", "card", eur("20.00"), "tok_processing")
    assert (payment.status, payment.reference, payment.pending) == (S.PENDING, "pi_1", None)
    assert service.authorize("pay-1", "card", eur("20.00"), "tok_processing") == payment
    done = service.handle_webhook("card", *gateway.event("evt_1", WebhookKind.AUTHORIZED, "pi_1"))
    assert done is not None
    assert (done.status, done.authorized) == (S.AUTHORIZED, eur("20.00"))
    assert gateway.keys("authorize") == ["pay-1:authorize:1"]


# --- captures, refunds, voids ----------------------------------------------------------------


def test_partial_captures_then_partial_refunds_reconcile(
    service: PaymentService,
    gateway: ScriptedGateway,
    store: Store,  # noqa: F811
) -> None:
    authorized(service)
    first = service.capture("pay-1", eur("30.00"), final=False)
    assert (first.status, first.captured, first.capturable) == (
        S.PARTIALLY_CAPTURED,
        eur("30.00"),
        eur("70.00"),  # 100.00 - 30.00
    )
    second = service.capture("pay-1", eur("50.00"))  # final: the last 20.00 are released
    assert (second.status, second.captured, second.authorized) == (
        S.CAPTURED,
        eur("80.00"),
        eur("80.00"),
    )
    assert service.refund("pay-1", eur("20.00")).status is S.PARTIALLY_REFUNDED
    last = service.refund("pay-1")  # the rest: 80.00 - 20.00
    assert (last.status, last.refunded) == (S.REFUNDED, eur("80.00"))
    assert last.transitions[-1].amount_minor == 6000
    assert last.transitions[-1].reference == "re_2"
    assert gateway.keys("capture") == ["pay-1:capture:1", "pay-1:capture:2"]
    assert gateway.keys("refund") == ["pay-1:refund:1", "pay-1:refund:2"]
    assert gateway.intents["pi_1"].captured == 8000
    assert gateway.intents["pi_1"].refunded == 8000
    assert outbox_topics(store) == [
        "payment.authorized",
        "payment.partially_captured",
        "payment.captured",
        "payment.partially_refunded",
        "payment.refunded",
    ]


def test_void_releases_the_hold_and_a_payment_never_authorized_needs_no_call(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    voided = service.void("pay-1")
    assert (voided.status, voided.authorized_minor) == (S.VOIDED, 0)
    assert gateway.keys("void") == ["pay-1:void:1"]
    assert gateway.intents["pi_1"].status is G.VOIDED
    gateway.fault("authorize", GatewayUnavailableError("down", provider="scripted"))
    with pytest.raises(GatewayUnavailableError):
        service.authorize("pay-2", "card", eur("5.00"), "tok_ok")
    assert service.get("pay-2").pending is None  # nothing was done: the claim is dropped
    abandoned = service.void("pay-2")
    assert abandoned.status is S.VOIDED
    assert gateway.keys("void") == ["pay-1:void:1"]


def test_a_refused_capture_drops_its_claim_and_the_next_one_uses_a_new_key(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    gateway.fault("capture", GatewayError("card expired", provider="scripted", status=402))
    with pytest.raises(GatewayError):
        service.capture("pay-1")
    stored = service.get("pay-1")
    assert (stored.status, stored.pending) == (S.AUTHORIZED, None)
    # The provider has seen key 1 (and would replay its answer): the next capture uses 2.
    assert service.capture("pay-1").status is S.CAPTURED
    assert gateway.keys("capture") == ["pay-1:capture:1", "pay-1:capture:2"]


# --- timeouts and crashes --------------------------------------------------------------------


def test_a_timed_out_capture_is_retried_with_the_same_key_and_done_once(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    gateway.fault("capture", OutcomeUnknownError("timed out", provider="scripted"), after=True)
    with pytest.raises(OutcomeUnknownError):
        service.capture("pay-1")
    stored = service.get("pay-1")
    assert stored.status is S.AUTHORIZED
    assert stored.pending is not None
    assert stored.pending.key == "pay-1:capture:1"
    captured = service.capture("pay-1")
    assert captured.status is S.CAPTURED
    assert gateway.keys("capture") == ["pay-1:capture:1", "pay-1:capture:1"]
    assert gateway.work.count(("capture", "pay-1:capture:1")) == 1
    assert gateway.intents["pi_1"].captured == 10000
    assert [t.operation for t in captured.transitions] == [OP.AUTHORIZE, OP.CAPTURE]


def test_an_authorization_whose_answer_was_lost_is_retried_with_the_same_key(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    gateway.fault("authorize", OutcomeUnknownError("reset", provider="scripted"), after=True)
    with pytest.raises(OutcomeUnknownError):
        authorized(service)
    payment = authorized(service)
    assert payment.status is S.AUTHORIZED
    assert gateway.keys("authorize") == ["pay-1:authorize:1"] * 2
    assert len(gateway.intents) == 1  # one authorization at the provider


def test_recovery_finishes_a_claim_left_by_a_dead_process(
    service: PaymentService,
    gateway: ScriptedGateway,
    clock: ManualClock,  # noqa: F811
) -> None:
    authorized(service)
    gateway.fault("capture", Crash(), after=True)
    with pytest.raises(Crash):
        service.capture("pay-1", eur("40.00"))
    stored = service.get("pay-1")
    assert stored.pending is not None  # claimed, never recorded
    # Young claims may still be in flight elsewhere: recovery leaves them.
    report = service.recover_pending()
    assert (report.finished, report.failed) == ((), ())
    assert service.recover("pay-1") == stored
    clock.advance(service.claim_timeout)
    report = service.recover_pending()
    assert report.failed == ()
    [recovered] = report.finished
    assert (recovered.status, recovered.captured) == (S.CAPTURED, eur("40.00"))
    assert recovered.pending is None
    assert gateway.keys("capture") == ["pay-1:capture:1"] * 2
    assert gateway.work.count(("capture", "pay-1:capture:1")) == 1
    assert service.recover_pending().finished == ()


def test_recovery_reports_a_claim_that_fails_again(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    gateway.fault("refund", Crash(), after=False)
    service.capture("pay-1")
    with pytest.raises(Crash):
        service.refund("pay-1")
    gateway.fault("refund", OutcomeUnknownError("timed out", provider="scripted"))
    report = service.recover_pending(older_than=timedelta(0))
    assert report.finished == ()
    assert [payment_id for payment_id, _ in report.failed] == ["pay-1"]
    assert "OutcomeUnknownError" in report.failed[0][1]
    assert service.get("pay-1").pending is not None
    [finished] = service.recover_pending(older_than=timedelta(0)).finished
    assert finished.status is S.REFUNDED
    assert gateway.keys("refund") == ["pay-1:refund:1"] * 3


# --- concurrent callers (in-process: the second caller arrives during the first's call) -----


def test_the_same_capture_asked_during_the_call_does_not_call_again(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    seen: list[Payment] = []
    gateway.during["capture"] = lambda: seen.append(service.capture("pay-1"))
    captured = service.capture("pay-1")
    [loser] = seen
    assert loser.status is S.AUTHORIZED  # returned as stored: the winner's call is in flight
    assert loser.pending is not None
    assert loser.pending.key == "pay-1:capture:1"
    assert captured.status is S.CAPTURED
    assert gateway.keys("capture") == ["pay-1:capture:1"]
    assert [t.operation for t in captured.transitions] == [OP.AUTHORIZE, OP.CAPTURE]


def test_another_operation_during_a_call_is_refused(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    errors: list[Exception] = []

    def void_meanwhile() -> None:
        try:
            service.void("pay-1")
        except StateTransitionError as exc:
            errors.append(exc)

    gateway.during["capture"] = void_meanwhile
    assert service.capture("pay-1").status is S.CAPTURED
    assert "in flight" in str(errors[0])
    assert gateway.keys("void") == []


def test_the_same_authorization_asked_during_the_call_is_not_made_twice(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    seen: list[Payment] = []
    refused: list[Exception] = []

    def meanwhile() -> None:
        seen.append(service.authorize("pay-1", "card", eur("9.00"), "tok_ok"))
        try:
            service.authorize("pay-1", "card", eur("9.01"), "tok_ok")
        except IdempotencyConflictError as exc:
            refused.append(exc)

    gateway.during["authorize"] = meanwhile
    payment = service.authorize("pay-1", "card", eur("9.00"), "tok_ok")
    [loser] = seen
    assert (loser.status, loser.pending is not None) == (S.PENDING, True)
    assert len(refused) == 1
    assert payment.status is S.AUTHORIZED
    assert gateway.keys("authorize") == ["pay-1:authorize:1"]


# --- webhooks --------------------------------------------------------------------------------


def test_a_webhook_delivered_twice_changes_the_payment_once(
    service: PaymentService,
    gateway: ScriptedGateway,
    store: Store,  # noqa: F811
) -> None:
    service.authorize("pay-1", "card", eur("60.00"), "tok_action")
    delivery = gateway.event("evt_1", WebhookKind.AUTHORIZED, "pi_1", eur("60.00"))
    first = service.handle_webhook("card", *delivery)
    assert first is not None
    assert first.status is S.AUTHORIZED
    before = snapshot(store)
    second = service.handle_webhook("card", *delivery)
    assert second == first
    assert snapshot(store) == before
    assert [t.operation for t in first.transitions] == [OP.ACTION, OP.AUTHORIZE]
    assert first.transitions[-1].key is None  # recorded from a webhook, not a call


def test_a_webhook_during_the_clients_capture_records_one_capture(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    delivery = gateway.event("evt_c", WebhookKind.CAPTURED, "pi_1", eur("100.00"))
    meanwhile: list[Payment | None] = []
    gateway.during["capture"] = lambda: meanwhile.append(service.handle_webhook("card", *delivery))
    captured = service.capture("pay-1")
    [during] = meanwhile
    assert during is not None
    # The event proves the claimed capture: recorded under the claim's key, which the
    # client's own answer then finds recorded: one capture either way.
    assert during.status is S.CAPTURED
    assert during.transitions[-1].key == "pay-1:capture:1"
    assert [t.operation for t in captured.transitions] == [OP.AUTHORIZE, OP.CAPTURE]
    assert service.handle_webhook("card", *delivery) == captured  # redelivered: nothing
    later = gateway.event("evt_c2", WebhookKind.CAPTURED, "pi_1", eur("100.00"))
    assert service.handle_webhook("card", *later) == captured  # already recorded
    assert service.get("pay-1").captured == eur("100.00")


def test_a_capture_made_at_the_provider_is_recorded_from_its_webhook(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    authorized(service)
    service.capture("pay-1", eur("30.00"), final=False)
    # Captured in the provider's dashboard: the event carries the running total, 30 + 45.
    total = eur("75.00")
    payment = service.handle_webhook(
        "card", *gateway.event("evt_d", WebhookKind.CAPTURED, "pi_1", total)
    )
    assert payment is not None
    assert (payment.status, payment.captured, payment.transitions[-1].amount_minor) == (
        S.CAPTURED,
        total,
        4500,
    )
    refunded = service.handle_webhook(
        "card", *gateway.event("evt_r", WebhookKind.REFUNDED, "pi_1", eur("10.00"))
    )
    assert refunded is not None
    assert refunded.refunded == eur("10.00")
    # The same total again, and an event that does not say how much, change nothing.
    again = gateway.event("evt_r2", WebhookKind.REFUNDED, "pi_1", eur("10.00"))
    assert service.handle_webhook("card", *again) == refunded
    unsaid = gateway.event("evt_r3", WebhookKind.REFUNDED, "pi_1")
    assert service.handle_webhook("card", *unsaid) == refunded
    with pytest.raises(StateTransitionError):
        service.capture("pay-1")


def test_webhooks_about_other_references_and_bad_signatures_change_nothing(
    service: PaymentService,
    gateway: ScriptedGateway,
    store: Store,  # noqa: F811
) -> None:
    authorized(service)
    before = snapshot(store)
    unknown = gateway.event("evt_u", WebhookKind.CAPTURED, "pi_404")
    assert service.handle_webhook("card", *unknown) is None
    payload, headers = gateway.event("evt_t", WebhookKind.VOIDED, "pi_1")
    with pytest.raises(WebhookSignatureError):
        service.handle_webhook("card", payload.replace(b"pi_1", b"pi_2"), headers)
    with pytest.raises(WebhookSignatureError):
        service.handle_webhook("card", payload, {})
    after = snapshot(store)
    assert after[:-2] == before[:-2]  # the same payments and indexes
    assert after[-2][0] == "keys"
    assert after[-2][1] == before[-2][1] + 1  # only the unknown event's id is recorded
    assert service.get("pay-1").status is S.AUTHORIZED


def test_a_failed_action_by_webhook_fails_the_payment_and_replays_as_a_decline(
    service: PaymentService, gateway: ScriptedGateway
) -> None:
    service.authorize("pay-1", "card", eur("15.00"), "tok_action")
    failed = service.handle_webhook("card", *gateway.event("evt_f", WebhookKind.FAILED, "pi_1"))
    assert failed is not None
    assert (failed.status, failed.failure_code) == (S.FAILED, "payment_failed")
    with pytest.raises(PaymentDeclinedError) as declined:
        service.authorize("pay-1", "card", eur("15.00"), "tok_action")
    assert (declined.value.code, declined.value.reference) == ("payment_failed", "pi_1")
    with pytest.raises(PaymentDeclinedError):
        service.resume("pay-1")
    assert gateway.keys("confirm") == []


def test_a_cancelled_hold_past_its_expiry_is_an_expiry_not_a_void(
    service: PaymentService,
    gateway: ScriptedGateway,
    clock: ManualClock,  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    authorized(service)
    authorized(service, "pay-2")
    cancelled = gateway.event("evt_x", WebhookKind.VOIDED, "pi_1")
    voided = service.handle_webhook("card", *cancelled)
    assert voided is not None
    assert voided.status is S.VOIDED  # cancelled while the hold was good: a void
    clock.advance(timedelta(days=7))  # pi_2 holds until T0 + 7 days: now
    lapsed = service.handle_webhook("card", *gateway.event("evt_y", WebhookKind.VOIDED, "pi_2"))
    assert lapsed is not None
    assert lapsed.status is S.AUTHORIZATION_EXPIRED  # the provider let it lapse
    assert service.reauthorize("pay-2").status is S.AUTHORIZED
    with store.transaction(readonly=True) as tx:
        events = tx.outbox.pending(limit=100)
    voided_event = json.loads(next(e.payload for e in events if e.topic == "payment.voided"))
    assert voided_event == {
        "amount_minor": 10000,
        "currency": "EUR",
        "key": None,
        "method": "card",
        "operation": "void",
        "payment_id": "pay-1",
        "reference": "pi_1",
        "status": "voided",
    }


# --- expiry and re-authorization -------------------------------------------------------------


def test_expiry_then_reauthorization_with_a_new_reference(
    service: PaymentService,
    gateway: ScriptedGateway,
    clock: ManualClock,  # noqa: F811
) -> None:
    authorized(service)
    assert service.expire_authorizations(T0 + timedelta(days=6)) == []
    clock.advance(timedelta(days=8))
    [expired] = service.expire_authorizations()
    assert (expired.status, expired.authorized_minor) == (S.AUTHORIZATION_EXPIRED, 0)
    with pytest.raises(StateTransitionError):
        service.capture("pay-1")
    again = service.reauthorize("pay-1")
    assert (again.status, again.reference, again.authorized) == (
        S.AUTHORIZED,
        "pi_2",
        eur("100.00"),
    )
    assert gateway.keys("authorize") == ["pay-1:authorize:1", "pay-1:authorize:2"]
    # The provider cancels the lapsed first authorization: its event concerns pi_1, not pi_2.
    old = gateway.event("evt_old", WebhookKind.VOIDED, "pi_1")
    assert service.handle_webhook("card", *old) == again
    assert service.capture("pay-1").captured == eur("100.00")
    assert gateway.intents["pi_2"].captured == 10000


def test_reauthorizing_after_an_action_authorized_by_webhook_uses_a_new_key(
    service: PaymentService,
    gateway: ScriptedGateway,
    clock: ManualClock,  # noqa: F811
) -> None:
    # Payment.next_key would name pay-1:authorize:1 again here (see test_payment_state).
    service.authorize("pay-1", "card", eur("10.00"), "tok_action")
    service.handle_webhook("card", *gateway.event("evt_a", WebhookKind.AUTHORIZED, "pi_1"))
    service.handle_webhook("card", *gateway.event("evt_v", WebhookKind.VOIDED, "pi_1"))
    assert service.get("pay-1").status is S.VOIDED
    service.authorize("pay-2", "card", eur("10.00"), "tok_action")
    service.handle_webhook("card", *gateway.event("evt_b", WebhookKind.AUTHORIZED, "pi_2"))
    with service.store.transaction() as tx:  # the provider gave no expiry: lapse it by hand
        payments = tx.aggregates(PAYMENT_KIND)
        payments.save(payments.get("pay-2").record_expiry(clock.now()))
    again = service.authorize("pay-2", "card", eur("10.00"), "tok_action")
    assert (again.status, again.reference) == (S.AUTHORIZED, "pi_3")
    assert gateway.keys("authorize") == [
        "pay-1:authorize:1",
        "pay-2:authorize:1",
        "pay-2:authorize:2",
    ]


# --- refused calls change nothing ------------------------------------------------------------


REFUSALS: list[tuple[str, Callable[[PaymentService], object], type[Exception]]] = [
    ("capture zero", lambda s: s.capture("pay-1", eur("0")), PaymentAmountError),
    ("capture negative", lambda s: s.capture("pay-1", eur("-1.00")), PaymentAmountError),
    ("capture finer", lambda s: s.capture("pay-1", eur("1.005")), PaymentAmountError),
    ("capture too much", lambda s: s.capture("pay-1", eur("100.01")), PaymentAmountError),
    ("capture USD", lambda s: s.capture("pay-1", Money("1.00", "USD")), CurrencyMismatchError),
    ("capture float", lambda s: s.capture("pay-1", 1.5), InvalidAmountError),  # type: ignore[arg-type]
    ("capture final=1", lambda s: s.capture("pay-1", final=1), ValidationError),  # type: ignore[arg-type]
    ("refund uncaptured", lambda s: s.refund("pay-1"), StateTransitionError),
    ("unknown payment", lambda s: s.capture("pay-404"), NotFoundError),
    ("bad id", lambda s: s.void(" pay-1"), ValidationError),
    ("resume unknown", lambda s: s.resume("nope"), NotFoundError),
    ("reauthorize", lambda s: s.reauthorize("pay-1"), StateTransitionError),
    (
        "card number",
        lambda s: s.authorize("pay-2", "card", eur("1.00"), "4242 4242 4242 4242"),
        ValidationError,
    ),
    (
        "card in metadata",
        lambda s: s.authorize(
            "pay-2", "card", eur("1.00"), "tok_ok", metadata={"note": "4242424242424242"}
        ),
        ValidationError,
    ),
    ("zero amount", lambda s: s.authorize("pay-2", "card", eur("0"), "tok_ok"), PaymentAmountError),
    (
        "unknown method",
        lambda s: s.authorize("pay-2", "cash", eur("1.00"), "tok_ok"),
        ConfigurationError,
    ),
    (
        "webhook of unknown method",
        lambda s: s.handle_webhook("cash", b"{}", {}),
        ConfigurationError,
    ),
    ("older_than", lambda s: s.recover("pay-1", older_than=-timedelta(1)), ValidationError),
    ("limit", lambda s: s.recover_pending(limit=0), ValidationError),
]


@pytest.mark.parametrize(("what", "call", "error"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_call_changes_nothing_and_calls_nobody(
    service: PaymentService,
    gateway: ScriptedGateway,
    store: Store,  # noqa: F811
    what: str,
    call: Callable[[PaymentService], object],
    error: type[Exception],
) -> None:
    authorized(service)
    before = snapshot(store)
    calls = list(gateway.calls)
    with pytest.raises(error):
        call(service)
    assert snapshot(store) == before, what
    assert gateway.calls == calls


def test_refused_after_capture_and_refund(service: PaymentService, store: Store) -> None:  # noqa: F811
    authorized(service)
    service.capture("pay-1", eur("60.00"))
    before = snapshot(store)
    refusals: list[tuple[Callable[[], object], type[Exception]]] = [
        (lambda: service.void("pay-1"), StateTransitionError),
        (lambda: service.capture("pay-1"), StateTransitionError),
        (lambda: service.refund("pay-1", eur("60.01")), PaymentAmountError),
        (lambda: service.refund("pay-1", Money("1", "JPY")), CurrencyMismatchError),
    ]
    for call, error in refusals:
        with pytest.raises(error):
            call()
        assert snapshot(store) == before


def test_the_service_refuses_to_run_inside_a_transaction(
    service: PaymentService,
    store: Store,  # noqa: F811
) -> None:
    authorized(service)
    before = snapshot(store)
    with pytest.raises(ConfigurationError), store.transaction():
        service.capture("pay-1")
    with pytest.raises(ConfigurationError), store.transaction():
        service.recover_pending()
    assert snapshot(store) == before


def test_bad_settings_are_refused(store: Store, gateway: ScriptedGateway) -> None:  # noqa: F811
    with pytest.raises(ConfigurationError):
        PaymentService(store, {"card": object()})  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        PaymentService(store, {"bad name ": gateway})
    with pytest.raises(ValidationError):
        PaymentService(store, {"card": gateway}, claim_timeout=timedelta(0))
    with pytest.raises(ValidationError):
        PaymentService(store, {"card": gateway}, wait=-1)


def test_a_declined_replay_says_what_the_first_decline_said() -> None:
    from commercekit.gateways.payments import FAKE_TOKEN_DECLINE, FakeGateway
    from commercekit.storage import open_store

    with open_store("memory://") as shop:
        payments = PaymentService(shop, {"card": FakeGateway()})
        with pytest.raises(PaymentDeclinedError) as first:
            payments.authorize("pay-d", "card", eur("60.00"), FAKE_TOKEN_DECLINE)
        with pytest.raises(PaymentDeclinedError) as again:
            payments.authorize("pay-d", "card", eur("60.00"), FAKE_TOKEN_DECLINE)
        said = (str(first.value), first.value.code, first.value.reference)
        assert (str(again.value), again.value.code, again.value.reference) == said
        assert first.value.reference is not None
        assert payments.get("pay-d").reference == first.value.reference


def test_an_authorization_learned_from_a_webhook_still_expires() -> None:
    from datetime import UTC, datetime, timedelta

    from commercekit.clock import ManualClock
    from commercekit.gateways.payments import FAKE_TOKEN_REQUIRES_ACTION, FakeGateway
    from commercekit.storage import open_store

    manual = ManualClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    with open_store("memory://", clock=manual) as shop:
        fake = FakeGateway(clock=manual)
        payments = PaymentService(shop, {"card": fake})
        waiting = payments.authorize(
            "pay-w", "card", eur("80.00"), FAKE_TOKEN_REQUIRES_ACTION, return_url="https://x.test"
        )
        assert waiting.reference is not None
        held = payments.handle_webhook("card", *fake.complete_action(waiting.reference))
        assert held is not None and held.status is S.AUTHORIZED
        # The event says no end: the usual seven-day card hold is assumed.
        assert held.authorized_until == manual.now() + timedelta(days=7)
        manual.advance(timedelta(days=8))
        [lapsed] = payments.expire_authorizations()
        assert (lapsed.id, lapsed.status) == ("pay-w", S.AUTHORIZATION_EXPIRED)
