"""The engine of the payment service: claim, call, record, with guarded claims and waiting.

Every operation that calls a gateway runs in three steps:

1. **claim**: one store transaction reads the payment, checks the request (a refusal raises
   before any call and changes nothing) and claims the operation with
   :meth:`Payment.begin <commercekit.payments.Payment.begin>` under a fresh idempotency key,
   saved at the payment's version. Of two processes claiming at once, one save is stale; that
   transaction runs again, reads the other's claim and does not call.
2. **call**: the gateway is called with the claim's key, outside any transaction.
3. **record**: a second transaction records the answer under the key, which ends the claim.
   An answer already recorded under that key (by a process that took the claim over) is left.

A claim older than ``claim_timeout`` (by the store's clock) belonged to a process that died or
hung: the next caller takes it over and repeats its call with the same key, so the provider
does the work once. How a failed call leaves its claim is said in
:mod:`commercekit.payments._service_calls`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import timedelta

import attrs

from commercekit.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    StateTransitionError,
    ValidationError,
)
from commercekit.payments._payment import Payment, PaymentOperation, PendingOperation
from commercekit.payments._port import PaymentGateway
from commercekit.payments._service_calls import Calls
from commercekit.payments._service_store import (
    PAYMENT_KIND,
    REQUEST_KIND,
    fresh_key,
    store_payment,
)
from commercekit.payments._values import AuthorizeRequest
from commercekit.ports import StorePort, TransactionPort
from commercekit.rules import check_identifier

__all__ = ["Choose", "Prepare", "ServiceBase", "Want"]

_OP = PaymentOperation
_MAX_ROUNDS = 50


@attrs.frozen
class Want:
    """The operation a request needs next on a payment."""

    operation: PaymentOperation
    amount_minor: int = 0
    final: bool = True
    #: Recorded without a gateway call (a void with no hold to release).
    local: bool = False


#: Decides, from the payment and how many transitions it had when first read, what to do
#: next: a :class:`Want`, or ``None`` when the request is answered by the payment as it is.
Choose = Callable[[Payment, int], Want | None]
#: Turns the stored payment (or ``None``) into the payment to work on, or refuses.
Prepare = Callable[[TransactionPort, Payment | None], Payment]


@attrs.define
class _Progress:
    seen: int | None = None


@attrs.frozen
class _Step:
    action: str  # "done", "call" or "wait"
    payment: Payment
    own: bool = False
    identical: bool = False
    request: AuthorizeRequest | None = None


def _same(claim: PendingOperation, want: Want) -> bool:
    return (claim.operation, claim.amount_minor, claim.final) == (
        want.operation,
        want.amount_minor,
        want.final,
    )


def _seconds(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValidationError(f"{name} must be a number of seconds >= 0, got {value!r}")
    return float(value)


class ServiceBase(Calls):
    """The store, the gateways and the claim-call-record engine of the payment service."""

    def __init__(
        self,
        store: StorePort,
        gateways: Mapping[str, PaymentGateway],
        *,
        claim_timeout: timedelta = timedelta(minutes=5),
        wait: float = 3.0,
        poll: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        max_attempts: int = 10,
    ) -> None:
        checked: dict[str, PaymentGateway] = {}
        for name, gateway in gateways.items():
            if not isinstance(gateway, PaymentGateway):
                raise ConfigurationError(f"gateway {name!r} does not implement PaymentGateway")
            checked[check_identifier(name, name="payment method name")] = gateway
        if not isinstance(claim_timeout, timedelta) or claim_timeout <= timedelta(0):
            raise ValidationError(f"claim_timeout must be a positive timedelta: {claim_timeout!r}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError(f"max_attempts must be an int >= 1, got {max_attempts!r}")
        #: The store payments are kept in; its clock stamps every transition.
        self.store = store
        #: The gateways by the name payments record as their ``method``.
        self.gateways: Mapping[str, PaymentGateway] = checked
        #: How old a claim must be before another caller takes it over.
        self.claim_timeout = claim_timeout
        #: How long a caller waits for another's claimed call to be recorded (seconds).
        self.wait = _seconds(wait, "wait")
        self._poll = max(_seconds(poll, "poll"), 0.001)
        self._sleep = sleep
        self._monotonic = monotonic
        self._max_attempts = max_attempts

    # -- claim, call, record -------------------------------------------------------------------

    def _drive(
        self,
        payment_id: str,
        choose: Choose,
        *,
        prepare: Prepare | None = None,
        stale_after: timedelta | None = None,
    ) -> Payment:
        """Claim, call and record what ``choose`` wants until it wants nothing more."""
        progress = _Progress()
        stale = self.claim_timeout if stale_after is None else stale_after
        deadline: float | None = None
        for _ in range(_MAX_ROUNDS):
            step = self._transact(
                lambda tx: self._step(tx, payment_id, choose, progress, prepare, stale)
            )
            if step.action == "done":
                return step.payment
            if step.action == "call":
                answered = self._call(step.payment, step.request, own=step.own)
                if step.own:
                    return answered
                continue  # a claim taken over is finished; now the request itself
            claim = step.payment.pending
            assert claim is not None  # a wait is for a claim
            if deadline is None:
                deadline = self._monotonic() + self.wait
            latest = self._await(payment_id, claim, deadline)
            if latest is None:
                continue
            if step.identical:
                return latest  # the same request, made by another caller, is still in flight
            raise StateTransitionError(
                f"payment {payment_id!r} has a {claim.operation.value} in flight (key"
                f" {claim.key!r}): try again once it is recorded"
            )
        raise ConflictError(f"payment {payment_id!r} kept changing: try again")

    def _step(
        self,
        tx: TransactionPort,
        payment_id: str,
        choose: Choose,
        progress: _Progress,
        prepare: Prepare | None,
        stale: timedelta,
    ) -> _Step:
        found = tx.aggregates(PAYMENT_KIND).find(payment_id)
        if prepare is not None:
            payment = prepare(tx, found)
        elif found is None:
            raise NotFoundError(f"no payment with id {payment_id!r}")
        else:
            payment = found
        if progress.seen is None:  # kept across reruns: what others did since counts
            progress.seen = len(payment.transitions)
        # The request is judged first (a refusal raises before anything is written or called).
        want = choose(payment, progress.seen)
        now = tx.now()
        claim = payment.pending
        if claim is not None and claim.started_at <= now - stale:
            taken = attrs.evolve(payment, pending=attrs.evolve(claim, started_at=now))
            return self._calling(tx, payment, taken, own=False)
        if want is None:
            return _Step("done", payment)
        if claim is not None:
            return _Step("wait", payment, identical=_same(claim, want))
        if want.local:
            return _Step("done", store_payment(tx, payment, payment.record_void(now)))
        key = fresh_key(tx, payment, want.operation)
        claimed = payment.begin(want.operation, key, want.amount_minor, now, final=want.final)
        return self._calling(tx, payment, claimed, own=True)

    def _calling(self, tx: TransactionPort, before: Payment, after: Payment, own: bool) -> _Step:
        saved = store_payment(tx, before, after)
        assert saved.pending is not None  # a claim was just made or taken over
        request = None
        if saved.pending.operation is _OP.AUTHORIZE:
            request = tx.aggregates(REQUEST_KIND).get(saved.id).request
        return _Step("call", saved, own=own, request=request)

    def _await(self, payment_id: str, claim: PendingOperation, deadline: float) -> Payment | None:
        """``None`` once ``claim`` ended (or went stale); the payment if ``deadline`` passed."""
        while True:
            latest = self.get(payment_id)
            current = latest.pending
            if (
                current is None
                or (current.key, current.started_at) != (claim.key, claim.started_at)
                or current.started_at <= self.store.clock.now() - self.claim_timeout
            ):
                return None
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return latest
            self._sleep(min(self._poll, remaining))
