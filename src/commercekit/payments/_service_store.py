"""How the payment service keeps payments in a store: the kinds, two indexes and used keys.

A payment is a versioned aggregate of :data:`PAYMENT_KIND`. Beside it the service keeps:

* its authorization request (:class:`PaymentRequestRecord`), to replay, recover and
  re-authorize it without asking the host for the payment method token again;
* a reference index (:class:`PaymentReference`): a gateway's reference to the payment id, so
  that a webhook event finds its payment;
* a claim index (:class:`PaymentClaim`): the payments with an operation claimed and not yet
  recorded, which :meth:`PaymentService.recover_pending
  <commercekit.payments.PaymentService.recover_pending>` walks;
* every idempotency key it has claimed (idempotency records in scope ``payment-key``), so that
  a key a provider has seen is never sent again for another operation.

The indexes are aggregates rather than idempotency records because pruning idempotency records
(``store.prune(idempotency_older_than=...)``) must never leave a week-old payment unreachable by
its webhooks. Every write of a payment goes through :func:`store_payment`, which keeps the
indexes in step and writes one outbox event per new transition, in the same transaction.
"""

from __future__ import annotations

import hashlib

import attrs

from commercekit.errors import StateTransitionError
from commercekit.money import Money
from commercekit.payments._payment import Payment, PaymentOperation
from commercekit.payments._values import AuthorizeRequest
from commercekit.ports import IDEMPOTENCY, OUTBOX, AggregateKind, TransactionPort

__all__ = [
    "CLAIM_KIND",
    "KEY_SCOPE",
    "PAYMENT_KIND",
    "REFERENCE_KIND",
    "REQUEST_KIND",
    "PaymentClaim",
    "PaymentReference",
    "PaymentRequestRecord",
    "find_by_reference",
    "fresh_key",
    "store_payment",
]

#: The idempotency scope recording every key the service has claimed.
KEY_SCOPE = "payment-key"


def _status(payment: Payment) -> str:
    return payment.status.value


def _amount(payment: Payment) -> Money:
    return payment.amount


#: How payments are stored: versioned aggregates, indexed by status and amount.
PAYMENT_KIND: AggregateKind[Payment] = AggregateKind(
    "payment", Payment, status=_status, amount=_amount
)


@attrs.frozen
class PaymentRequestRecord:
    """A payment's authorization request, kept to replay, recover and re-authorize it."""

    #: The payment's id.
    id: str
    #: The gateway (the service's name for it) that takes the payment.
    method: str
    #: The request sent to the gateway (a token, never card data).
    request: AuthorizeRequest
    #: The stored version.
    version: int = 0


@attrs.frozen
class PaymentReference:
    """Which payment a gateway's reference belongs to, so that a webhook event finds it."""

    #: A digest of the method and the reference (references may be long).
    id: str
    #: The gateway (the service's name for it).
    method: str
    #: The gateway's reference of the payment.
    reference: str
    #: The payment it belongs to.
    payment_id: str
    #: The stored version.
    version: int = 0


@attrs.frozen
class PaymentClaim:
    """A payment with an operation claimed and not yet recorded (removed once recorded)."""

    #: The payment's id.
    id: str
    #: The key of the claimed operation.
    key: str
    #: The stored version.
    version: int = 0


#: Authorization requests, by payment id.
REQUEST_KIND: AggregateKind[PaymentRequestRecord] = AggregateKind(
    "payment_request", PaymentRequestRecord
)
#: The reference index.
REFERENCE_KIND: AggregateKind[PaymentReference] = AggregateKind(
    "payment_reference", PaymentReference
)
#: The claim index.
CLAIM_KIND: AggregateKind[PaymentClaim] = AggregateKind("payment_claim", PaymentClaim)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def reference_id(method: str, reference: str) -> str:
    """The id of the reference index entry of ``reference`` at the gateway ``method``."""
    return _digest(method, reference)


def find_by_reference(tx: TransactionPort, method: str, reference: str | None) -> Payment | None:
    """The payment whose gateway reference at ``method`` is ``reference``, or ``None``."""
    if reference is None:
        return None
    entry = tx.aggregates(REFERENCE_KIND).find(reference_id(method, reference))
    return None if entry is None else tx.aggregates(PAYMENT_KIND).find(entry.payment_id)


def fresh_key(tx: TransactionPort, payment: Payment, operation: PaymentOperation) -> str:
    """The idempotency key of a new ``operation`` on ``payment``, recorded as used.

    :meth:`Payment.next_key` counts the operation's recorded transitions, so it can name a key
    already sent: a claim dropped after a refusal records nothing, an authorization answered
    by an action is recorded as an action, one recorded from a webhook has no key. Providers
    replay the first answer for a key, so such a key is skipped for the next free number.
    """
    used = {transition.key for transition in payment.transitions}
    keys = tx.repository(IDEMPOTENCY)
    prefix, _, number = payment.next_key(operation).rpartition(":")
    count = int(number)
    while True:
        key = f"{prefix}:{count}"
        if key not in used and keys.get(KEY_SCOPE, _digest(key)) is None:
            keys.begin(KEY_SCOPE, _digest(key), "claimed")
            return key
        count += 1


def _without_client_secret(payment: Payment) -> Payment:
    action = payment.next_action
    if action is None or action.client_secret is None:
        return payment
    # The client secret goes to the customer's browser, not into the database (Stripe: "don't
    # store it, log it"); the call that received it returns it.
    return attrs.evolve(payment, next_action=attrs.evolve(action, client_secret=None))


def _sync_claim(tx: TransactionPort, payment: Payment) -> None:
    claims = tx.aggregates(CLAIM_KIND)
    entry = claims.find(payment.id)
    pending = payment.pending
    if pending is None:
        if entry is not None:
            claims.delete(entry)
    elif entry is None:
        claims.add(PaymentClaim(payment.id, pending.key))
    elif entry.key != pending.key:
        claims.save(attrs.evolve(entry, key=pending.key))


def _index_reference(tx: TransactionPort, payment: Payment) -> None:
    reference = payment.reference
    assert reference is not None  # only called for a payment that has one
    references = tx.aggregates(REFERENCE_KIND)
    ident = reference_id(payment.method, reference)
    entry = references.find(ident)
    if entry is None:
        references.add(PaymentReference(ident, payment.method, reference, payment.id))
    elif entry.payment_id != payment.id:
        raise StateTransitionError(
            f"the gateway gave payment {payment.id!r} the reference {reference!r} of payment"
            f" {entry.payment_id!r}"
        )


def store_payment(tx: TransactionPort, before: Payment, after: Payment) -> Payment:
    """Save ``after`` (read as ``before``) with its indexes and outbox events; return it saved.

    A payment never stored (version 0) is added. The saved payment has no client secret (see
    :func:`_without_client_secret`); the caller returns the one it holds to its own caller.
    """
    saved = tx.aggregates(PAYMENT_KIND).save(_without_client_secret(after))
    _sync_claim(tx, saved)
    if saved.reference is not None and saved.reference != before.reference:
        _index_reference(tx, saved)
    outbox = tx.repository(OUTBOX)
    for transition in saved.transitions[len(before.transitions) :]:
        outbox.append(
            f"payment.{transition.status.value}",
            {
                "payment_id": saved.id,
                "method": saved.method,
                "operation": transition.operation.value,
                "status": transition.status.value,
                "amount_minor": transition.amount_minor,
                "currency": saved.currency.code,
                "reference": transition.reference,
                "key": transition.key,
            },
        )
    return saved
