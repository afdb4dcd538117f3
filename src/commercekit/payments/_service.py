"""PaymentService: payments through gateways, idempotent, crash-safe, with guarded captures.

The service keeps :class:`~commercekit.payments.Payment` aggregates in a store and calls
:class:`~commercekit.ports.PaymentGateway` adapters. Each gateway call is claimed in the store
with its idempotency key before it is made and recorded after (see the engine's notes in
:mod:`commercekit.payments._service_base`), so that:

* a retried request, a call that timed out (:class:`~commercekit.errors.OutcomeUnknownError`)
  and a process that died after claiming all repeat the call with the same key: the provider
  does the work once;
* two processes capturing the same payment at once make one gateway call: the loser of the
  versioned claim does not call, it waits up to ``wait`` seconds for the winner's record and
  returns the payment (as stored, with the claim still pending, if the wait runs out);
* a webhook and a client completing the same operation record it once: a webhook changes
  nothing while an operation is claimed (its answer records it) and nothing already recorded.

Run :meth:`PaymentService.recover_pending` and :meth:`PaymentService.expire_authorizations`
from a periodic job: the first finishes claims left by crashed processes, the second marks
lapsed authorizations so that they can be authorized again.
"""

from __future__ import annotations

from collections.abc import Mapping

from commercekit.errors import (
    IdempotencyConflictError,
    PaymentDeclinedError,
    StateTransitionError,
    ValidationError,
)
from commercekit.money import Money, to_minor_units
from commercekit.payments._payment import Payment, PaymentOperation, PaymentStatus
from commercekit.payments._service_base import Want
from commercekit.payments._service_store import PAYMENT_KIND, REQUEST_KIND, PaymentRequestRecord
from commercekit.payments._service_upkeep import RecoveryReport, Upkeep
from commercekit.payments._values import AuthorizeRequest
from commercekit.ports import TransactionPort
from commercekit.rules import check_identifier

__all__ = ["PAYMENT_KIND", "PaymentService", "RecoveryReport"]

_OP = PaymentOperation
_S = PaymentStatus
_VOIDABLE = frozenset({_S.PENDING, _S.REQUIRES_ACTION, _S.AUTHORIZED, _S.AUTHORIZATION_EXPIRED})


def _recorded_since(payment: Payment, seen: int, operation: PaymentOperation, minor: int) -> bool:
    return any(
        t.operation is operation and t.amount_minor == minor for t in payment.transitions[seen:]
    )


def _reauthorizing(payment: Payment) -> bool:
    """Whether an expired payment's re-authorization is being processed by the provider."""
    expiry = next((t for t in reversed(payment.transitions) if t.operation is _OP.EXPIRE), None)
    return expiry is not None and expiry.reference != payment.reference


def _declined(payment: Payment, provider: str) -> PaymentDeclinedError:
    return PaymentDeclinedError(
        payment.failure_message or "The payment was declined.",
        provider=provider,
        code=payment.failure_code,
        reference=payment.reference,
    )


def _final(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"final must be True or False, got {value!r}")
    return value


class PaymentService(Upkeep):
    """Authorize, capture, void and refund payments through gateways, safely under retries.

    ``gateways`` maps the names payments record as their ``method`` to adapters. The store's
    clock stamps every transition and judges claims and expiries. ``claim_timeout`` is how old
    a claim must be before another caller takes it over (longer than a gateway call with all
    its retries); ``wait`` how long (in seconds) a caller waits for the same request made by
    another caller to be recorded. Every method must be called outside a store transaction.
    """

    def authorize(
        self,
        payment_id: str,
        method: str,
        amount: Money,
        payment_method_token: str,
        *,
        customer_id: str | None = None,
        return_url: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Payment:
        """Create the payment ``payment_id`` and hold ``amount`` through the gateway ``method``.

        Calling again with the same id and the same parameters replays: the payment as stored
        (or, after an expiry, a new authorization). Other parameters under the same id are an
        :class:`~commercekit.errors.IdempotencyConflictError`. A payment that needs the
        customer is returned ``requires_action`` with its ``next_action`` (the client secret is
        in this return value only, never stored); a decline is recorded as ``failed`` with the
        provider's code and raised as :class:`~commercekit.errors.PaymentDeclinedError`, and
        so is a replay of it.
        """
        fresh = Payment(payment_id, method, amount)  # amounts and ids checked first
        gateway = self._gateway(fresh.method)
        request = AuthorizeRequest(
            fresh.id,
            amount,
            payment_method_token,
            customer_id=customer_id,
            return_url=return_url,
            metadata={} if metadata is None else metadata,
        )

        def prepare(tx: TransactionPort, found: Payment | None) -> Payment:
            requests = tx.aggregates(REQUEST_KIND)
            if found is None:
                requests.add(PaymentRequestRecord(fresh.id, fresh.method, request))
                return fresh
            stored = requests.find(fresh.id)
            if stored is None or (stored.method, stored.request) != (fresh.method, request):
                raise IdempotencyConflictError(
                    f"payment {fresh.id!r} was created with other parameters"
                )
            return found

        payment = self._drive(fresh.id, self._choose_authorize, prepare=prepare)
        if payment.status is _S.FAILED:
            raise _declined(payment, gateway.provider)
        return payment

    @staticmethod
    def _choose_authorize(payment: Payment, _seen: int) -> Want | None:
        status = payment.status
        if (status is _S.PENDING and payment.reference is None) or (
            status is _S.AUTHORIZATION_EXPIRED and not _reauthorizing(payment)
        ):
            return Want(_OP.AUTHORIZE, to_minor_units(payment.amount))
        return None

    def reauthorize(self, payment_id: str) -> Payment:
        """Authorize an expired payment again, with the request it was created with.

        The provider gives the new authorization a new reference. A payment that is not
        ``authorization_expired`` is a :class:`~commercekit.errors.StateTransitionError`.
        """
        payment_id = check_identifier(payment_id, name="payment id")

        def choose(payment: Payment, seen: int) -> Want | None:
            if payment.status is _S.AUTHORIZATION_EXPIRED:
                return self._choose_authorize(payment, seen)
            if any(t.operation is _OP.AUTHORIZE for t in payment.transitions[seen:]):
                return None  # another caller re-authorized it meanwhile
            raise StateTransitionError(
                f"payment {payment_id!r} is {payment.status.value}: only an expired"
                " authorization is authorized again"
            )

        payment = self._drive(payment_id, choose)
        if payment.status is _S.FAILED:
            raise _declined(payment, self._gateway(payment.method).provider)
        return payment

    def resume(self, payment_id: str) -> Payment:
        """Go on with a payment after the customer's action (the client came back).

        Calls the gateway's ``confirm`` for a payment that requires action (or whose provider
        was still processing it). A payment the webhook already moved on is returned as it is;
        one that failed raises :class:`~commercekit.errors.PaymentDeclinedError`.
        """
        payment_id = check_identifier(payment_id, name="payment id")

        def choose(payment: Payment, seen: int) -> Want | None:
            if payment.transitions[seen:] or payment.reference is None:
                return None
            if payment.status in (_S.REQUIRES_ACTION, _S.PENDING):
                return Want(_OP.ACTION)
            return None

        payment = self._drive(payment_id, choose)
        if payment.status is _S.FAILED:
            raise _declined(payment, self._gateway(payment.method).provider)
        return payment

    def capture(
        self, payment_id: str, amount: Money | None = None, *, final: bool = True
    ) -> Payment:
        """Take ``amount`` (default: all that is authorized and not yet taken).

        ``final=False`` keeps the rest of the authorization for later captures (providers
        that support several captures). The amount is checked before any call: zero,
        negative, finer than the minor unit, another currency or more than is left is refused
        (:class:`~commercekit.errors.PaymentAmountError`,
        :class:`~commercekit.errors.CurrencyMismatchError`). The same capture asked by two
        callers at once is made once: the second waits for the first's record.
        """
        payment_id = check_identifier(payment_id, name="payment id")
        final = _final(final)
        wanted: list[int] = []

        def choose(payment: Payment, seen: int) -> Want | None:
            if wanted and _recorded_since(payment, seen, _OP.CAPTURE, wanted[0]):
                return None
            minor = payment.check_capture(amount)
            wanted[:] = wanted or [minor]
            return Want(_OP.CAPTURE, minor, final)

        return self._drive(payment_id, choose)

    def refund(self, payment_id: str, amount: Money | None = None) -> Payment:
        """Give ``amount`` back (default: all that is captured and not yet refunded).

        Checked before any call like :meth:`capture`; the same refund asked by two callers at
        once is made once.
        """
        payment_id = check_identifier(payment_id, name="payment id")
        wanted: list[int] = []

        def choose(payment: Payment, seen: int) -> Want | None:
            if wanted and _recorded_since(payment, seen, _OP.REFUND, wanted[0]):
                return None
            minor = payment.check_refund(amount)
            wanted[:] = wanted or [minor]
            return Want(_OP.REFUND, minor)

        return self._drive(payment_id, choose)

    def void(self, payment_id: str) -> Payment:
        """Release the hold, or abandon a payment not yet authorized.

        The gateway is called when the provider may hold something (a reference, and the
        authorization has not lapsed); a payment with nothing held is voided in the store
        alone. A payment with captures is a :class:`~commercekit.errors.StateTransitionError`
        (refund it instead).
        """
        payment_id = check_identifier(payment_id, name="payment id")

        def choose(payment: Payment, seen: int) -> Want | None:
            if any(t.operation is _OP.VOID for t in payment.transitions[seen:]):
                return None
            if payment.status not in _VOIDABLE:
                raise StateTransitionError(
                    f"payment {payment_id!r} is {payment.status.value}: it cannot void now"
                )
            nothing_held = payment.reference is None or payment.status is _S.AUTHORIZATION_EXPIRED
            return Want(_OP.VOID, payment.authorized_minor, local=nothing_held)

        return self._drive(payment_id, choose)
