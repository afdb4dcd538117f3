"""The fake gateway's records of its payment intents, and the rules that move them.

A :class:`FakeCharge` is the fake provider's own record of one payment intent (``pi_fake_...``)
with every operation made on it. The rules are pure functions from one record to the next; a
refusal is the :class:`~commercekit.errors.GatewayError` a provider answers (HTTP 400) and
changes nothing. :mod:`~commercekit.gateways.payments._fake_books` keeps the records.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta

import attrs

from commercekit.clock import ensure_utc
from commercekit.errors import CurrencyMismatchError, GatewayError
from commercekit.money import Currency, Money, from_minor_units, to_minor_units

__all__ = [
    "AUTHORIZATION_HOLDS_FOR",
    "FakeCharge",
    "FakeChargeStatus",
    "FakeOperation",
    "FakeOperationKind",
]

#: How long an authorization holds before it lapses (Stripe's default for card payments).
AUTHORIZATION_HOLDS_FOR = timedelta(days=7)


class FakeChargeStatus(enum.StrEnum):
    """Where a fake payment intent stands."""

    #: The customer must act (:meth:`FakeGateway.complete_action` plays that part).
    REQUIRES_ACTION = "requires_action"
    #: The amount is held, nothing captured yet.
    AUTHORIZED = "authorized"
    #: Some of the hold was captured; more may be (a capture with ``final=False``).
    PARTIALLY_CAPTURED = "partially_captured"
    #: Capturing is over (what was not captured was released); refunds may follow.
    CAPTURED = "captured"
    #: The hold was released before any capture.
    VOIDED = "voided"
    #: Declined, or the customer's action failed.
    FAILED = "failed"
    #: The authorization lapsed (7 days) before any capture.
    EXPIRED = "expired"


class FakeOperationKind(enum.StrEnum):
    """What one operation on a fake payment intent did."""

    AUTHORIZE = "authorize"
    DECLINE = "decline"
    REQUIRE_ACTION = "require_action"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    EXPIRE = "expire"


_HELD = frozenset({FakeChargeStatus.AUTHORIZED, FakeChargeStatus.PARTIALLY_CAPTURED})
_CAPTURED = frozenset({FakeChargeStatus.PARTIALLY_CAPTURED, FakeChargeStatus.CAPTURED})


@attrs.frozen
class FakeOperation:
    """One operation the fake provider made, as it recorded it."""

    #: What was done.
    kind: FakeOperationKind = attrs.field(converter=FakeOperationKind)
    #: The amount it concerned, in minor units (held, taken, returned or released; 0 if none).
    amount_minor: int
    #: When the fake made it (its clock).
    at: datetime = attrs.field(converter=ensure_utc)
    #: The idempotency key of the call, or ``None`` (a customer's action, an expiry).
    key: str | None = None
    #: The provider's id of the operation when it has one (a refund's ``re_fake_...``).
    reference: str | None = None


@attrs.frozen
class FakeCharge:
    """The fake provider's record of one payment intent: amounts, state and every operation.

    ``authorized_minor`` is what the authorization held (it stays once captured, voided or
    lapsed: it says what was authorized); :attr:`capturable` is what is held now.
    """

    #: The provider's reference (``pi_fake_...``), as :class:`~commercekit.payments.GatewayResult`
    #: carries it.
    id: str
    #: commercekit's payment id sent with the authorization.
    payment_id: str
    #: The test token the payment was made with.
    payment_method: str
    #: The amount asked for.
    amount: Money
    #: Where it stands.
    status: FakeChargeStatus = attrs.field(converter=FakeChargeStatus)
    #: When the intent was created.
    created: datetime = attrs.field(converter=ensure_utc)
    #: Held by the authorization, in minor units (0: never authorized).
    authorized_minor: int = 0
    #: Taken, in minor units.
    captured_minor: int = 0
    #: Given back, in minor units.
    refunded_minor: int = 0
    #: When the hold lapses, once authorized.
    authorized_until: datetime | None = None
    #: The decline code of a failed intent.
    failure_code: str | None = None
    #: Every operation, oldest first.
    operations: tuple[FakeOperation, ...] = ()
    #: The stored version (the fake's own optimistic lock).
    version: int = 0

    @property
    def reference(self) -> str:
        """The provider's reference (the same as :attr:`id`)."""
        return self.id

    @property
    def currency(self) -> Currency:
        """The intent's currency."""
        return self.amount.currency

    def _money(self, minor: int) -> Money:
        return from_minor_units(minor, self.currency)

    @property
    def authorized(self) -> Money:
        """What the authorization held."""
        return self._money(self.authorized_minor)

    @property
    def captured(self) -> Money:
        """What was taken."""
        return self._money(self.captured_minor)

    @property
    def refunded(self) -> Money:
        """What was given back."""
        return self._money(self.refunded_minor)

    @property
    def capturable(self) -> Money:
        """What is held now and may still be captured."""
        held = self.status in _HELD
        return self._money(self.authorized_minor - self.captured_minor if held else 0)

    @property
    def refundable(self) -> Money:
        """What may still be refunded."""
        return self._money(self.captured_minor - self.refunded_minor)

    def count(self, kind: FakeOperationKind | str) -> int:
        """How many operations of ``kind`` were made (``count("authorize")``)."""
        wanted = FakeOperationKind(kind)
        return sum(1 for operation in self.operations if operation.kind is wanted)


def new_reference(prefix: str) -> str:
    """A fresh provider id such as ``pi_fake_3f9a...`` (random: unique across processes)."""
    return f"{prefix}_fake_{secrets.token_hex(12)}"


def _refused(provider: str, code: str, message: str) -> GatewayError:
    return GatewayError(message, provider=provider, code=code, status=400, retryable=False)


def _moved(charge: FakeCharge, operation: FakeOperation, **changes: object) -> FakeCharge:
    return attrs.evolve(charge, operations=(*charge.operations, operation), **changes)  # type: ignore[arg-type]


def lapse(charge: FakeCharge, now: datetime) -> FakeCharge:
    """The intent as it stands at ``now``: a hold past its 7 days is released.

    Nothing captured: the intent expires (it cannot be captured; authorize again, which makes
    a new intent). Partly captured: capturing ends, what was taken stays.
    """
    until = charge.authorized_until
    if charge.status not in _HELD or until is None or now < until:
        return charge
    released = charge.authorized_minor - charge.captured_minor
    status = FakeChargeStatus.CAPTURED if charge.captured_minor else FakeChargeStatus.EXPIRED
    return _moved(charge, FakeOperation(FakeOperationKind.EXPIRE, released, until), status=status)


def authorized(charge: FakeCharge, now: datetime, key: str | None) -> FakeCharge:
    """The intent with its amount held for :data:`AUTHORIZATION_HOLDS_FOR` from ``now``."""
    minor = to_minor_units(charge.amount)
    return _moved(
        charge,
        FakeOperation(FakeOperationKind.AUTHORIZE, minor, now, key),
        status=FakeChargeStatus.AUTHORIZED,
        authorized_minor=minor,
        authorized_until=now + AUTHORIZATION_HOLDS_FOR,
    )


def failed(charge: FakeCharge, now: datetime, key: str | None, code: str) -> FakeCharge:
    """The intent refused with the decline ``code``."""
    return _moved(
        charge,
        FakeOperation(FakeOperationKind.DECLINE, 0, now, key),
        status=FakeChargeStatus.FAILED,
        failure_code=code,
    )


def _same_currency(charge: FakeCharge, currency: Currency, what: str) -> None:
    if currency is not charge.currency:
        raise CurrencyMismatchError(
            charge.currency.code,
            currency.code,
            message=f"cannot {what} {currency.code} on {charge.id!r}, in {charge.currency.code}",
        )


def captured(
    charge: FakeCharge,
    minor: int,
    currency: Currency,
    *,
    final: bool,
    now: datetime,
    key: str,
    provider: str,
) -> FakeCharge:
    """The intent after taking ``minor`` of its hold; ``final`` releases the rest."""
    _same_currency(charge, currency, "capture")
    if charge.status is FakeChargeStatus.EXPIRED:
        raise _refused(
            provider,
            "charge_expired_for_capture",
            f"the authorization of {charge.id!r} lapsed on {charge.authorized_until}: it cannot"
            " be captured; authorize again",
        )
    if charge.status not in _HELD:
        raise _refused(
            provider,
            "payment_intent_unexpected_state",
            f"{charge.id!r} is {charge.status.value}: it cannot be captured",
        )
    left = charge.authorized_minor - charge.captured_minor
    if minor > left:
        raise _refused(
            provider,
            "amount_too_large",
            f"cannot capture {charge._money(minor)} of {charge.id!r}: {charge._money(left)} is"
            " held and not yet captured",
        )
    total = charge.captured_minor + minor
    done = final or total == charge.authorized_minor
    return _moved(
        charge,
        FakeOperation(FakeOperationKind.CAPTURE, minor, now, key),
        status=FakeChargeStatus.CAPTURED if done else FakeChargeStatus.PARTIALLY_CAPTURED,
        captured_minor=total,
    )


def voided(charge: FakeCharge, *, now: datetime, key: str, provider: str) -> FakeCharge:
    """The intent with its hold released (or, before any hold, abandoned)."""
    if charge.status not in {FakeChargeStatus.REQUIRES_ACTION, FakeChargeStatus.AUTHORIZED}:
        raise _refused(
            provider,
            "payment_intent_unexpected_state",
            f"{charge.id!r} is {charge.status.value}: it cannot be voided",
        )
    return _moved(
        charge,
        FakeOperation(FakeOperationKind.VOID, charge.authorized_minor, now, key),
        status=FakeChargeStatus.VOIDED,
    )


def refunded(
    charge: FakeCharge, minor: int, currency: Currency, *, now: datetime, key: str, provider: str
) -> FakeCharge:
    """The intent after giving ``minor`` of what was captured back.

    As in :class:`~commercekit.payments.Payment`, a refund ends the capturing: what was held
    and not captured is released.
    """
    _same_currency(charge, currency, "refund")
    if charge.status not in _CAPTURED:
        raise _refused(
            provider,
            "payment_intent_unexpected_state",
            f"{charge.id!r} is {charge.status.value}: nothing was captured to refund",
        )
    left = charge.captured_minor - charge.refunded_minor
    if left == 0:
        raise _refused(
            provider, "charge_already_refunded", f"{charge.id!r} was already refunded in full"
        )
    if minor > left:
        raise _refused(
            provider,
            "amount_too_large",
            f"cannot refund {charge._money(minor)} of {charge.id!r}: {charge._money(left)} is"
            " captured and not yet refunded",
        )
    return _moved(
        charge,
        FakeOperation(FakeOperationKind.REFUND, minor, now, key, new_reference("re")),
        status=FakeChargeStatus.CAPTURED,
        refunded_minor=charge.refunded_minor + minor,
    )
