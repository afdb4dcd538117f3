"""The call side of the payment service: make a claimed call, then record or undo it.

The gateway is called outside any transaction with the claim's idempotency key. Its answer is
recorded under that key in a transaction of its own (an answer already recorded under it, by a
process that took the claim over, is left as it is). When the call fails:

* a decline of an authorization or a confirmation is recorded as a failure;
* :class:`~commercekit.errors.OutcomeUnknownError` (sent, no answer) or an unexpected
  exception *releases* the claim: it stays with its key, marked for the next caller to take
  over at once and repeat the call;
* :class:`~commercekit.errors.GatewayUnavailableError` (nothing done by this attempt) drops a
  claim whose key was never sent before, and releases one taken over (an earlier attempt
  under its key may have been acted on: the next call must reuse the key);
* any other :class:`~commercekit.errors.CommerceError` (a declined capture, an invalid
  request) *drops* it: nothing was done. Its key stays spent (see
  :func:`~commercekit.payments._service_store.fresh_key`).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import attrs

from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    ConflictError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    InvalidIdentifierError,
    OutcomeUnknownError,
    PaymentDeclinedError,
    StateTransitionError,
)
from commercekit.money import from_minor_units
from commercekit.payments._outcomes import apply_answer
from commercekit.payments._payment import Payment, PaymentOperation, PendingOperation
from commercekit.payments._port import PaymentGateway
from commercekit.payments._service_store import PAYMENT_KIND, store_payment
from commercekit.payments._values import AuthorizeRequest, GatewayResult
from commercekit.ports import StorePort, TransactionPort
from commercekit.rules import check_identifier

__all__ = ["RELEASED", "Calls"]

T = TypeVar("T")
_LOG = logging.getLogger("commercekit.payments")
_OP = PaymentOperation
#: The start time of a released claim: older than any timeout, so the next caller takes it.
RELEASED = datetime(1970, 1, 1, tzinfo=UTC)


def _failure_code(code: str | None) -> str:
    try:
        return check_identifier(code, name="failure code") if code else "declined"
    except InvalidIdentifierError:
        return "declined"


def _reference_or_none(reference: str | None) -> str | None:
    try:
        return None if reference is None else check_identifier(reference, name="reference")
    except InvalidIdentifierError:
        return None


def _log_failure(
    gateway: PaymentGateway, payment: Payment, claim: PendingOperation, exc: Exception
) -> None:
    """Log a failed gateway call: a decline at INFO, a gateway's failure at WARNING.

    Other errors (a request the service refused before calling) go to the caller unlogged.
    Messages of gateway errors carry no secret (adapters scrub them); the payment method
    token, which may be a gift card code, is never logged.
    """
    if isinstance(exc, PaymentDeclinedError):
        level, outcome = logging.INFO, "declined"
    elif isinstance(exc, OutcomeUnknownError):
        level, outcome = logging.WARNING, "outcome_unknown"
    elif isinstance(exc, GatewayUnavailableError):
        level, outcome = logging.WARNING, "unavailable"
    elif isinstance(exc, GatewayError):
        level, outcome = logging.WARNING, "error"
    elif isinstance(exc, CommerceError):
        return
    else:
        level, outcome = logging.WARNING, "unexpected"
    provider = getattr(exc, "provider", None) or gateway.provider
    _LOG.log(
        level,
        "payment %s: %s %s by %s: %s",
        payment.id,
        claim.operation.value,
        outcome,
        provider,
        exc if isinstance(exc, CommerceError) else type(exc).__name__,
        extra={
            "area": "payments",
            "event": "gateway_failure",
            "outcome": outcome,
            "operation": claim.operation.value,
            "error": type(exc).__name__,
            "payment_id": payment.id,
            "method": payment.method,
            "provider": provider,
            "status": getattr(exc, "status", None),
            "code": getattr(exc, "code", None),
        },
    )


class Calls:
    """The store, the gateways, and making and recording claimed calls (a base of the service)."""

    #: The store payments are kept in; its clock stamps every transition.
    store: StorePort
    #: The gateways by the name payments record as their ``method``.
    gateways: Mapping[str, PaymentGateway]
    #: How old a claim must be before another caller takes it over.
    claim_timeout: timedelta
    _sleep: Callable[[float], None]
    _max_attempts: int

    def _gateway(self, method: str) -> PaymentGateway:
        gateway = self.gateways.get(method)
        if gateway is None:
            raise ConfigurationError(
                f"no gateway named {method!r}: this service has {sorted(self.gateways)}"
            )
        return gateway

    def _outside_transaction(self) -> None:
        if self.store.in_transaction():
            raise ConfigurationError(
                "PaymentService calls gateways: call it outside any store transaction"
            )

    def _transact(self, work: Callable[[TransactionPort], T]) -> T:
        """Run ``work`` in a write transaction of its own, again after a lost race.

        A stale versioned save (another process changed the payment) rolls the transaction
        back whole; ``work`` then reads the payment again. Refused inside a caller's
        transaction: a claim must be committed before its gateway call.
        """
        self._outside_transaction()
        for attempt in range(1, self._max_attempts + 1):
            try:
                with self.store.transaction() as tx:
                    return work(tx)
            except IdempotencyConflictError:
                raise
            except ConflictError as exc:
                if attempt == self._max_attempts:
                    raise
                delay = random.uniform(0, min(0.05, 0.002 * 2**attempt))
                _LOG.info(
                    "payment changed meanwhile (%s); retrying",
                    type(exc).__name__,
                    extra={
                        "area": "payments",
                        "event": "retry",
                        "operation": "transaction",
                        "attempt": attempt,
                        "max_attempts": self._max_attempts,
                        "delay_ms": round(delay * 1000, 1),
                    },
                )
                self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def get(self, payment_id: str) -> Payment:
        """The stored payment ``payment_id`` (:class:`~commercekit.errors.NotFoundError`)."""
        payment_id = check_identifier(payment_id, name="payment id")
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(PAYMENT_KIND).get(payment_id)

    def find(self, payment_id: str) -> Payment | None:
        """The stored payment ``payment_id``, or ``None`` if there is none."""
        payment_id = check_identifier(payment_id, name="payment id")
        with self.store.transaction(readonly=True) as tx:
            return tx.aggregates(PAYMENT_KIND).find(payment_id)

    def _call(
        self, payment: Payment, request: AuthorizeRequest | None, *, own: bool = True
    ) -> Payment:
        """Make the call ``payment``'s claim stands for, then record its answer (or undo).

        ``own`` says the claim's key is new (this is its first call); a claim taken over may
        have reached the gateway before, so an unreachable gateway keeps it, key and all.
        """
        claim = payment.pending
        assert claim is not None
        gateway = self._gateway(payment.method)
        try:
            result = self._send(gateway, payment, claim, request)
        except PaymentDeclinedError as exc:
            if claim.operation in (_OP.AUTHORIZE, _OP.ACTION):
                code = _failure_code(exc.code)
                said, ref = exc.customer_message, _reference_or_none(exc.reference)
                self._quietly(
                    lambda: self._record(
                        payment.id,
                        claim,
                        lambda p, at: p.record_failure(
                            code, at, key=claim.key, message=said, reference=ref
                        ),
                    )
                )
            else:
                self._quietly(lambda: self._release(payment.id, claim, drop=True))
            raise
        except OutcomeUnknownError:
            self._quietly(lambda: self._release(payment.id, claim, drop=False))
            raise
        except GatewayUnavailableError:
            # Nothing done by this attempt; but a key taken over may have been acted on by an
            # earlier one, so only a key never sent before may be dropped (and a new one used).
            self._quietly(lambda: self._release(payment.id, claim, drop=own))
            raise
        except CommerceError:
            self._quietly(lambda: self._release(payment.id, claim, drop=True))
            raise
        except Exception:
            self._quietly(lambda: self._release(payment.id, claim, drop=False))
            raise
        return self._record(
            payment.id,
            claim,
            lambda p, at: apply_answer(p, claim, result, at, gateway.provider),
        )

    @classmethod
    def _send(
        cls,
        gateway: PaymentGateway,
        payment: Payment,
        claim: PendingOperation,
        request: AuthorizeRequest | None,
    ) -> GatewayResult:
        try:
            return cls._make_call(gateway, payment, claim, request)
        except Exception as exc:
            _log_failure(gateway, payment, claim, exc)
            raise

    @staticmethod
    def _make_call(
        gateway: PaymentGateway,
        payment: Payment,
        claim: PendingOperation,
        request: AuthorizeRequest | None,
    ) -> GatewayResult:
        op, key = claim.operation, claim.key
        if op is _OP.AUTHORIZE:
            assert request is not None  # loaded with the claim
            return gateway.authorize(request, idempotency_key=key)
        reference = payment.reference
        if reference is None:
            raise StateTransitionError(f"payment {payment.id!r} has no gateway reference yet")
        amount = from_minor_units(claim.amount_minor, payment.currency)
        if op is _OP.ACTION:
            return gateway.confirm(reference, idempotency_key=key)
        if op is _OP.CAPTURE:
            return gateway.capture(reference, amount, final=claim.final, idempotency_key=key)
        if op is _OP.VOID:
            return gateway.void(reference, idempotency_key=key)
        if op is _OP.REFUND:
            return gateway.refund(reference, amount, idempotency_key=key)
        raise StateTransitionError(f"no gateway call makes a {op.value}")  # pragma: no cover

    def _record(
        self,
        payment_id: str,
        claim: PendingOperation,
        apply: Callable[[Payment, datetime], Payment],
    ) -> Payment:
        def work(tx: TransactionPort) -> Payment:
            payment = tx.aggregates(PAYMENT_KIND).get(payment_id)
            if any(transition.key == claim.key for transition in payment.transitions):
                return payment  # recorded by whoever took the claim over
            after = apply(payment, tx.now())
            saved = store_payment(tx, payment, after)
            # The client secret of an action is returned to this caller, never stored.
            return attrs.evolve(saved, next_action=after.next_action)

        return self._transact(work)

    def _release(self, payment_id: str, claim: PendingOperation, *, drop: bool) -> Payment:
        def work(tx: TransactionPort) -> Payment:
            payment = tx.aggregates(PAYMENT_KIND).get(payment_id)
            current = payment.pending
            if current is None or (current.key, current.started_at) != (
                claim.key,
                claim.started_at,
            ):
                return payment  # taken over meanwhile: the new holder decides
            pending = None if drop else attrs.evolve(current, started_at=RELEASED)
            return store_payment(tx, payment, attrs.evolve(payment, pending=pending))

        return self._transact(work)

    def _quietly(self, work: Callable[[], object]) -> None:
        # Bookkeeping after a failed call must not hide the gateway's error; a claim left in
        # place is taken over once it is older than claim_timeout.
        try:
            work()
        except CommerceError as exc:
            _LOG.warning(
                "could not update a payment after a failed gateway call: %s",
                exc,
                extra={
                    "area": "payments",
                    "event": "bookkeeping_failed",
                    "error": type(exc).__name__,
                },
            )
