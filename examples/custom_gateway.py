"""Write your own payment gateway adapter and prove it with commercekit's contract suite.

``ToyBank`` is a payment provider that lives in memory: it holds, captures, voids and refunds,
declines one token, answers a retried call from what it did the first time (idempotency keys),
and signs its webhooks with HMAC-SHA256. ``ToyBankGateway`` is the adapter commercekit calls: a
class with the six methods of the :class:`~commercekit.payments.PaymentGateway` port that
translates the provider's answers into commercekit's results and errors. An adapter for a
real provider has the same shape, with an HTTP client where ``ToyBank`` is.

``TestToyBankGateway`` subclasses
:class:`~commercekit.testing.gateway_contract.PaymentGatewayContract` (a pytest class) with
the bank's tokens and hooks; ``main`` runs it with ``pytest.main`` on this file, then places
a payment through :class:`~commercekit.payments.PaymentService` with the new gateway. Put the
test class in your own test suite and pytest collects it as it is. The toy has no 3-D Secure,
so the contract's customer-action test is skipped and says which hook it needs.

Run: ``python examples/custom_gateway.py`` (needs pytest, as the contract suite does)
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

import attrs
import pytest

from commercekit import Money, open_store
from commercekit.errors import (
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
    PaymentDeclinedError,
    WebhookSignatureError,
)
from commercekit.money import from_minor_units, to_minor_units
from commercekit.payments import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    PaymentGateway,
    PaymentService,
    WebhookEvent,
    WebhookKind,
)
from commercekit.testing.gateway_contract import Delivery, PaymentGatewayContract

TOKEN_OK = "tok_toybank_ok"
TOKEN_DECLINE = "tok_toybank_decline"
TOKEN_UNREACHABLE = "tok_toybank_unreachable"  # the bank cannot be reached: nothing happens
TOKEN_LOST_ANSWER = "tok_toybank_lost_answer"  # done, but the first answer never arrives
SIGNATURE_HEADER = "X-ToyBank-Signature"


@attrs.define
class Account:
    """What the bank knows of one payment, in minor units."""

    reference: str
    currency: str
    held: int
    captured: int = 0
    refunded: int = 0
    open: bool = True  # False once voided or finally captured


class ToyBank:
    """The provider: an in-memory ledger with idempotency keys and signed webhooks."""

    def __init__(self, webhook_secret: str) -> None:
        self._secret = webhook_secret.encode()
        self._accounts: dict[str, Account] = {}
        self._keys: dict[str, tuple[tuple[object, ...], GatewayResult | Exception]] = {}
        self._ids = itertools.count(1)
        self._lose_next_answer = False

    def payments(self) -> int:
        """How many payments the bank holds, declined ones included."""
        return len(self._accounts)

    def call(
        self, key: str, request: tuple[object, ...], act: Callable[[], GatewayResult]
    ) -> GatewayResult:
        """Run ``act`` once per idempotency key; a retry gets the first answer back."""
        if key in self._keys:
            first_request, outcome = self._keys[key]
            if first_request != request:
                raise IdempotencyConflictError("this idempotency key was sent with another request")
        else:
            try:
                outcome = act()
            except PaymentDeclinedError as declined:
                outcome = declined  # a decline is an answer too: replayed as it was
            except GatewayError:
                raise  # refused before anything happened: the key stays unused
            self._keys[key] = (request, outcome)
            if self._lose_next_answer:
                self._lose_next_answer = False
                raise OutcomeUnknownError("toybank did not answer in time", provider="toybank")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def open_account(self, currency: str, minor: int) -> Account:
        account = Account(f"tb_{next(self._ids):06d}", currency, minor)
        self._accounts[account.reference] = account
        return account

    def account(self, reference: str) -> Account:
        if reference not in self._accounts:
            raise refused(f"no payment {reference}", "not_found")
        return self._accounts[reference]

    def lose_next_answer(self) -> None:
        self._lose_next_answer = True

    def sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def event_for(self, reference: str, kind: WebhookKind) -> Delivery:
        """A signed webhook about ``reference``, as the bank would POST it."""
        account = self.account(reference)
        amount = {
            WebhookKind.CAPTURED: account.captured,
            WebhookKind.REFUNDED: account.refunded,
        }.get(kind, account.held)
        body = json.dumps(
            {
                "id": f"evt_{next(self._ids):06d}",
                "type": kind.value,
                "payment": reference,
                "amount": amount,
                "currency": account.currency,
                "created": datetime.now(UTC).isoformat(),
            }
        ).encode()
        return body, {SIGNATURE_HEADER: self.sign(body)}


def refused(message: str, code: str) -> GatewayError:
    """The bank said no: final, so retrying the same call will not help."""
    return GatewayError(message, provider="toybank", code=code, retryable=False)


class ToyBankGateway:
    """The adapter: commercekit's PaymentGateway port over the toy bank."""

    provider = "toybank"

    def __init__(self, bank: ToyBank) -> None:
        self.bank = bank

    def __repr__(self) -> str:
        return "ToyBankGateway()"  # never the webhook secret

    def _result(self, status: GatewayStatus, account: Account, minor: int) -> GatewayResult:
        amount = from_minor_units(minor, account.currency)
        return GatewayResult(status, account.reference, amount)

    def _minor(self, account: Account, amount: Money) -> int:
        if amount.currency.code != account.currency:
            raise refused(f"the payment is in {account.currency}", "currency_mismatch")
        return to_minor_units(amount)

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        token, amount = request.payment_method, request.amount
        if token == TOKEN_UNREACHABLE:
            raise GatewayUnavailableError("toybank is unreachable", provider=self.provider)
        if token == TOKEN_LOST_ANSWER:
            self.bank.lose_next_answer()

        def act() -> GatewayResult:
            account = self.bank.open_account(amount.currency.code, to_minor_units(amount))
            if token == TOKEN_DECLINE:
                account.open = False
                raise PaymentDeclinedError(
                    "Your card was declined.",
                    provider=self.provider,
                    code="card_declined",
                    reference=account.reference,
                )
            return self._result(GatewayStatus.AUTHORIZED, account, account.held)

        request_id = ("authorize", request.payment_id, str(amount), token)
        return self.bank.call(idempotency_key, request_id, act)

    def confirm(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        account = self.bank.account(reference)  # no customer actions at this bank
        return self._result(GatewayStatus.AUTHORIZED, account, account.held)

    def capture(
        self, reference: str, amount: Money, *, final: bool, idempotency_key: str
    ) -> GatewayResult:
        account = self.bank.account(reference)
        minor = self._minor(account, amount)

        def act() -> GatewayResult:
            if not account.open or account.captured + minor > account.held:
                raise refused("nothing left to capture for that amount", "capture_refused")
            account.captured += minor
            account.open = not final and account.captured < account.held
            return self._result(GatewayStatus.CAPTURED, account, minor)

        return self.bank.call(idempotency_key, ("capture", reference, minor, final), act)

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        account = self.bank.account(reference)

        def act() -> GatewayResult:
            if not account.open or account.captured:
                raise refused("only an uncaptured hold can be voided", "void_refused")
            account.open = False
            return self._result(GatewayStatus.VOIDED, account, account.held)

        return self.bank.call(idempotency_key, ("void", reference), act)

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayResult:
        account = self.bank.account(reference)
        minor = self._minor(account, amount)

        def act() -> GatewayResult:
            if account.refunded + minor > account.captured:
                raise refused("more than is left to refund", "refund_refused")
            account.refunded += minor
            result = self._result(GatewayStatus.REFUNDED, account, minor)
            return attrs.evolve(result, operation_reference=f"rf_{idempotency_key}")

        return self.bank.call(idempotency_key, ("refund", reference, minor), act)

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER.lower(), "")
        if not hmac.compare_digest(signature, self.bank.sign(payload)):
            raise WebhookSignatureError("toybank webhook signature does not match")
        data = json.loads(payload)
        return WebhookEvent(
            id=data["id"],
            provider=self.provider,
            kind=WebhookKind(data["type"]),
            reference=data["payment"],
            amount=from_minor_units(data["amount"], data["currency"]),
            created=datetime.fromisoformat(data["created"]),
            provider_type=data["type"],
        )


WEBHOOK_SECRET = "toybank-webhook-secret-for-the-example"


class TestToyBankGateway(PaymentGatewayContract):
    """The contract suite, with the toy bank's tokens and the hooks it can play."""

    authorize_token = TOKEN_OK
    decline_token = TOKEN_DECLINE
    decline_code = "card_declined"
    multicapture = True

    @pytest.fixture
    def bank(self) -> ToyBank:
        return ToyBank(WEBHOOK_SECRET)

    @pytest.fixture
    def gateway(self, bank: ToyBank) -> PaymentGateway:
        return ToyBankGateway(bank)

    @pytest.fixture
    def signed_delivery(self, bank: ToyBank) -> Callable[[str, WebhookKind], Delivery]:
        return bank.event_for

    @pytest.fixture
    def count_payments(self, bank: ToyBank) -> Callable[[], int]:
        return bank.payments

    @pytest.fixture
    def arrange_unavailable(self) -> Callable[[], str]:
        return lambda: TOKEN_UNREACHABLE

    @pytest.fixture
    def arrange_lost_answer(self) -> Callable[[], str]:
        return lambda: TOKEN_LOST_ANSWER

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        return (WEBHOOK_SECRET,)


def main() -> None:
    """Run the contract on the adapter, then take a payment through it."""
    code = pytest.main(["-q", "-rs", "-p", "no:cacheprovider", f"{__file__}::TestToyBankGateway"])
    if code != 0:
        sys.exit(f"the contract suite failed (pytest exit code {code})")
    print("contract suite passed")

    with open_store("memory://") as store:
        payments = PaymentService(store, {"toybank": ToyBankGateway(ToyBank(WEBHOOK_SECRET))})
        payments.authorize("order-7", "toybank", Money("42.00", "EUR"), TOKEN_OK)
        paid = payments.capture("order-7")
        print(f"order-7 through toybank: {paid.status.value}, captured {paid.captured}")


if __name__ == "__main__":
    main()
