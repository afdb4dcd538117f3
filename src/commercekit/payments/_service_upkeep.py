"""The payment service's upkeep: webhooks, recovery of interrupted calls, lapsed holds.

Webhook deliveries are verified by the gateway adapter, deduplicated by event id and applied in
one transaction (:func:`~commercekit.payments._outcomes.apply_event` says what each event does).
:meth:`Upkeep.recover_pending` and :meth:`Upkeep.expire_authorizations` are meant for a periodic
job: the first finishes operations claimed by processes that died, the second marks
authorizations past their ``authorized_until`` as expired.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from commercekit.clock import ensure_utc
from commercekit.errors import CommerceError, PaymentDeclinedError, ValidationError
from commercekit.payments._outcomes import apply_event
from commercekit.payments._payment import Payment, PaymentStatus
from commercekit.payments._service_base import ServiceBase
from commercekit.payments._service_store import (
    CLAIM_KIND,
    PAYMENT_KIND,
    find_by_reference,
    store_payment,
)
from commercekit.payments._values import WebhookEvent
from commercekit.ports import IDEMPOTENCY, TransactionPort
from commercekit.rules import check_identifier

__all__ = ["RecoveryReport", "Upkeep"]

_LOG = logging.getLogger("commercekit.payments")
_S = PaymentStatus


@attrs.frozen
class RecoveryReport:
    """What :meth:`PaymentService.recover_pending` finished, and what it could not."""

    #: The payments whose claims were finished, as recorded.
    finished: tuple[Payment, ...] = ()
    #: ``(payment id, error)`` for each claim that failed again (it stays claimed).
    failed: tuple[tuple[str, str], ...] = ()


def _event_hash(event: WebhookEvent) -> str:
    text = f"{event.kind.value}|{event.reference}|{event.amount}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Upkeep(ServiceBase):
    """Webhooks, recovery and expiry: the part of the service that is not a customer's call.

    A base of :class:`~commercekit.payments.PaymentService`; use that class.
    """

    def handle_webhook(
        self, method: str, payload: bytes, headers: Mapping[str, str]
    ) -> Payment | None:
        """Apply a webhook delivery of the gateway ``method``; return its payment, if known.

        The adapter verifies the signature
        (:class:`~commercekit.errors.WebhookSignatureError`: nothing is stored). Deliveries
        are at least once: each event id is recorded (an idempotency record in scope
        ``webhook:<provider>``) in the transaction that applies it, so a second delivery
        changes nothing. Events about unknown references, earlier authorizations, operations
        in flight or states already recorded change nothing either (see
        :func:`~commercekit.payments._outcomes.apply_event`).
        """
        gateway = self._gateway(method)
        event = gateway.parse_webhook(payload, headers)
        scope = f"webhook:{gateway.provider}"

        def work(tx: TransactionPort) -> Payment | None:
            record = tx.repository(IDEMPOTENCY).begin(scope, event.id, _event_hash(event))
            payment = find_by_reference(tx, method, event.reference)
            if not record.is_new:
                return payment
            tx.repository(IDEMPOTENCY).complete(scope, event.id, event.kind.value)
            if payment is None:
                return None
            after = apply_event(payment, event, tx.now())
            return payment if after is None else store_payment(tx, payment, after)

        return self._transact(work)

    def recover(self, payment_id: str, *, older_than: timedelta | None = None) -> Payment:
        """Finish the payment's claimed operation if it is older than ``older_than``.

        ``older_than`` defaults to ``claim_timeout``: a younger claim may still be in flight
        in another process, and the payment is returned as it is. The call is repeated with
        the claim's key, so the provider replays what it did the first time.
        """
        payment_id = check_identifier(payment_id, name="payment id")
        if older_than is not None and (
            not isinstance(older_than, timedelta) or older_than < timedelta(0)
        ):
            raise ValidationError(f"older_than must be a timedelta >= 0, got {older_than!r}")
        return self._drive(payment_id, lambda _payment, _seen: None, stale_after=older_than)

    def recover_pending(
        self, *, older_than: timedelta | None = None, limit: int = 100
    ) -> RecoveryReport:
        """Finish up to ``limit`` claimed operations older than ``older_than``.

        Each is finished as :meth:`recover` does; a claim whose call fails again stays
        claimed, and the report says which and why.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 10_000:
            raise ValidationError(f"limit must be an int from 1 to 10000, got {limit!r}")
        self._outside_transaction()
        with self.store.transaction(readonly=True) as tx:
            claimed = [claim.id for claim in tx.aggregates(CLAIM_KIND).list(limit=limit)]
        finished: list[Payment] = []
        failed: list[tuple[str, str]] = []
        for payment_id in claimed:
            try:
                before = self.get(payment_id)
                self.recover(payment_id, older_than=older_than)
            except PaymentDeclinedError:
                pass  # an authorization declined on recovery: recorded as failed, finished
            except CommerceError as exc:
                _LOG.warning(
                    "could not recover payment %r: %s",
                    payment_id,
                    exc,
                    extra={
                        "area": "payments",
                        "event": "recovery_failed",
                        "payment_id": payment_id,
                        "error": type(exc).__name__,
                    },
                )
                failed.append((payment_id, f"{type(exc).__name__}: {exc}"))
                continue
            after = self.get(payment_id)
            if before.pending is not None and after.pending != before.pending:
                finished.append(after)
        return RecoveryReport(tuple(finished), tuple(failed))

    def expire_authorizations(self, now: datetime | None = None) -> list[Payment]:
        """Mark authorized payments past their ``authorized_until`` as expired; return them.

        ``now`` defaults to the store's clock. A payment with an operation in flight is left
        for the next run. Expired payments may be authorized again
        (:meth:`PaymentService.reauthorize <commercekit.payments.PaymentService.reauthorize>`).
        """
        moment = self.store.clock.now() if now is None else ensure_utc(now)
        due: list[str] = []
        with self.store.transaction(readonly=True) as tx:
            payments = tx.aggregates(PAYMENT_KIND)
            offset = 0
            while batch := payments.list(status=_S.AUTHORIZED.value, limit=500, offset=offset):
                offset += len(batch)
                due += [p.id for p in batch if _lapsed(p, moment)]
        expired: list[Payment] = []
        for payment_id in due:

            def work(tx: TransactionPort, payment_id: str = payment_id) -> Payment | None:
                payment = tx.aggregates(PAYMENT_KIND).get(payment_id)
                if not _lapsed(payment, moment):
                    return None
                return store_payment(tx, payment, payment.record_expiry(moment))

            done = self._transact(work)
            if done is not None:
                expired.append(done)
        return expired

    def expire_authorization(self, payment_id: str) -> Payment:
        """Mark one payment expired if its hold has lapsed (by the store's clock); return it.

        A payment whose hold has not lapsed, or that is not authorized, is returned as it is.
        """
        payment_id = check_identifier(payment_id, name="payment id")
        moment = self.store.clock.now()

        def work(tx: TransactionPort) -> Payment:
            payment = tx.aggregates(PAYMENT_KIND).get(payment_id)
            if not _lapsed(payment, moment):
                return payment
            return store_payment(tx, payment, payment.record_expiry(moment))

        return self._transact(work)


def _lapsed(payment: Payment, moment: datetime) -> bool:
    until = payment.authorized_until
    return (
        payment.status is _S.AUTHORIZED
        and payment.pending is None
        and until is not None
        and until <= moment
    )
