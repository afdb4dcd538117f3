"""The payment aggregate: a state machine whose amounts always reconcile.

Every change is a pure method that returns a new :class:`Payment` with the transition appended
(the gateway's reference, the amount, the time and the idempotency key), or raises
:class:`~commercekit.errors.StateTransitionError` and changes nothing. Amounts are checked
before any gateway call (:meth:`Payment.check_capture`, :meth:`Payment.check_refund`).

States::

    pending ──> requires_action ──> authorized ──> partially_captured ──> captured
       │              │                 │  │               │                 │
       │              │                 │  └─> voided      └──> partially_refunded <──┘
       └──────────────┴──> failed       └─> authorization_expired               └─> refunded
                                              (authorized again, or requires_action first)

Invariants (a hypothesis property checks them): ``0 <= refunded <= captured <= authorized``,
all in the payment's currency; ``captured == authorized`` once ``captured``;
``refunded == captured`` once ``refunded``.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from commercekit.clock import ensure_utc
from commercekit.errors import (
    CurrencyMismatchError,
    InvalidAmountError,
    PaymentAmountError,
    StateTransitionError,
)
from commercekit.money import CTX, Currency, Money, is_minor_unit_exact
from commercekit.payments._values import GatewayResult, NextAction
from commercekit.rules import check_identifier, check_text

__all__ = [
    "Payment",
    "PaymentOperation",
    "PaymentStatus",
    "PaymentTransition",
    "PendingOperation",
]


class PaymentStatus(enum.StrEnum):
    """Where a payment stands."""

    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    AUTHORIZATION_EXPIRED = "authorization_expired"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"


class PaymentOperation(enum.StrEnum):
    """What a transition did (and the name of its idempotency keys)."""

    AUTHORIZE = "authorize"
    ACTION = "action"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    EXPIRE = "expire"
    FAIL = "fail"


_S = PaymentStatus
#: Which states each operation may start from.
_FROM: dict[PaymentOperation, frozenset[PaymentStatus]] = {
    PaymentOperation.AUTHORIZE: frozenset(
        {_S.PENDING, _S.REQUIRES_ACTION, _S.AUTHORIZATION_EXPIRED}
    ),
    PaymentOperation.ACTION: frozenset({_S.PENDING, _S.REQUIRES_ACTION, _S.AUTHORIZATION_EXPIRED}),
    PaymentOperation.CAPTURE: frozenset({_S.AUTHORIZED, _S.PARTIALLY_CAPTURED}),
    PaymentOperation.VOID: frozenset(
        {_S.PENDING, _S.REQUIRES_ACTION, _S.AUTHORIZED, _S.AUTHORIZATION_EXPIRED}
    ),
    PaymentOperation.REFUND: frozenset({_S.PARTIALLY_CAPTURED, _S.CAPTURED, _S.PARTIALLY_REFUNDED}),
    PaymentOperation.EXPIRE: frozenset({_S.AUTHORIZED}),
    PaymentOperation.FAIL: frozenset({_S.PENDING, _S.REQUIRES_ACTION, _S.AUTHORIZATION_EXPIRED}),
}


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


def _optional_reference(value: str | None) -> str | None:
    return None if value is None else check_identifier(value, name="reference")


@attrs.frozen
class PaymentTransition:
    """One change of a payment, as stored."""

    #: What was done.
    operation: PaymentOperation = attrs.field(converter=PaymentOperation)
    #: The state after it.
    status: PaymentStatus = attrs.field(converter=PaymentStatus)
    #: The amount it concerned, in minor units (0 when none).
    amount_minor: int
    #: The gateway's reference (of the payment, or of the operation such as a refund).
    reference: str | None
    #: When it was recorded.
    at: datetime = attrs.field(converter=ensure_utc)
    #: The idempotency key of the gateway call, or ``None`` (a webhook, an expiry).
    key: str | None = None


@attrs.frozen
class PendingOperation:
    """An operation claimed before its gateway call: the key every retry of it reuses."""

    #: The operation.
    operation: PaymentOperation = attrs.field(converter=PaymentOperation)
    #: The idempotency key sent to the gateway.
    key: str
    #: The amount asked, in minor units.
    amount_minor: int
    #: When it was claimed.
    started_at: datetime = attrs.field(converter=ensure_utc)
    #: Whether a capture is the last one (releases what is left of the authorization).
    final: bool = True


def _id(value: str) -> str:
    return check_identifier(value, name="payment id")


def _method(value: str) -> str:
    return check_identifier(value, name="payment method name")


def _positive(_instance: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    if not isinstance(value, Money):
        raise InvalidAmountError(f"a payment's {attribute.name} must be Money, got {value!r}")
    if value.amount <= 0 or not is_minor_unit_exact(value):
        raise PaymentAmountError(
            f"a payment's {attribute.name} must be positive whole minor units, got {value}"
        )


@attrs.frozen
class Payment:
    """One payment of one amount by one method (a gateway, store credit), and its history."""

    #: commercekit's id of the payment.
    id: str = attrs.field(converter=_id)
    #: The name of the gateway (or built-in method) that takes it.
    method: str = attrs.field(converter=_method)
    #: The amount the payment is for.
    amount: Money = attrs.field(validator=_positive)
    #: Where it stands.
    status: PaymentStatus = attrs.field(default=PaymentStatus.PENDING, converter=PaymentStatus)
    #: Held by the gateway, in minor units.
    authorized_minor: int = 0
    #: Taken, in minor units.
    captured_minor: int = 0
    #: Given back, in minor units.
    refunded_minor: int = 0
    #: The gateway's reference of the payment (``pi_...``), once it has one.
    reference: str | None = attrs.field(default=None, converter=_optional_reference)
    #: What the customer must do, while ``requires_action``.
    next_action: NextAction | None = None
    #: Until when the authorization holds, when the gateway says.
    authorized_until: datetime | None = attrs.field(default=None, converter=_optional_utc)
    #: The decline or failure code of a failed payment.
    failure_code: str | None = None
    #: The provider's message for the customer, of a declined payment.
    failure_message: str | None = None
    #: The operation claimed and not yet recorded (its gateway call may be in flight).
    pending: PendingOperation | None = None
    #: Every change, oldest first.
    transitions: tuple[PaymentTransition, ...] = ()
    #: The stored version (0: never stored).
    version: int = 0

    # -- amounts -------------------------------------------------------------------------------

    @property
    def currency(self) -> Currency:
        """The payment's currency."""
        return self.amount.currency

    def _money(self, minor: int) -> Money:
        currency = self.currency
        return Money.from_trusted(CTX.scaleb(minor, -currency.minor_units), currency)

    @property
    def authorized(self) -> Money:
        """Held by the gateway."""
        return self._money(self.authorized_minor)

    @property
    def captured(self) -> Money:
        """Taken."""
        return self._money(self.captured_minor)

    @property
    def refunded(self) -> Money:
        """Given back."""
        return self._money(self.refunded_minor)

    @property
    def capturable(self) -> Money:
        """What may still be captured (zero unless the authorization holds)."""
        if self.status not in _FROM[PaymentOperation.CAPTURE]:
            return self._money(0)
        return self._money(self.authorized_minor - self.captured_minor)

    @property
    def refundable(self) -> Money:
        """What may still be refunded."""
        if self.status not in _FROM[PaymentOperation.REFUND]:
            return self._money(0)
        return self._money(self.captured_minor - self.refunded_minor)

    def _minor(self, amount: Money, what: str) -> int:
        if not isinstance(amount, Money):
            raise InvalidAmountError(f"{what} must be Money, got {type(amount).__name__}")
        if amount.currency is not self.currency:
            raise CurrencyMismatchError(
                self.currency.code,
                amount.currency.code,
                message=f"cannot {what} {amount} on a payment in {self.currency.code}",
            )
        if amount.amount <= 0 or not is_minor_unit_exact(amount):
            raise PaymentAmountError(f"cannot {what} {amount}: positive whole minor units only")
        return int(CTX.scaleb(amount.amount, self.currency.minor_units))

    def check_capture(self, amount: Money | None = None) -> int:
        """The minor units a capture of ``amount`` (default: all that is left) would take.

        A zero or negative amount, another currency, or more than :attr:`capturable` is a
        :class:`PaymentAmountError` (or :class:`~commercekit.errors.CurrencyMismatchError`);
        a payment that cannot be captured now is a StateTransitionError.
        """
        self._allowed(PaymentOperation.CAPTURE)
        left = self.authorized_minor - self.captured_minor
        minor = left if amount is None else self._minor(amount, "capture")
        if minor > left:
            raise PaymentAmountError(
                f"cannot capture {self._money(minor)} of payment {self.id!r}: only"
                f" {self._money(left)} is authorized and not yet captured"
            )
        return minor

    def check_refund(self, amount: Money | None = None) -> int:
        """The minor units a refund of ``amount`` (default: all that is left) would return."""
        self._allowed(PaymentOperation.REFUND)
        left = self.captured_minor - self.refunded_minor
        minor = left if amount is None else self._minor(amount, "refund")
        if minor > left:
            raise PaymentAmountError(
                f"cannot refund {self._money(minor)} of payment {self.id!r}: only"
                f" {self._money(left)} is captured and not yet refunded"
            )
        return minor

    # -- transitions ---------------------------------------------------------------------------

    def _allowed(self, operation: PaymentOperation) -> None:
        if self.status not in _FROM[operation]:
            raise StateTransitionError(
                f"payment {self.id!r} is {self.status.value}: it cannot {operation.value} now"
            )

    def _moved(
        self,
        operation: PaymentOperation,
        status: PaymentStatus,
        at: datetime,
        key: str | None,
        *,
        amount_minor: int = 0,
        ref: str | None = None,
        **changes: object,
    ) -> Payment:
        transition = PaymentTransition(operation, status, amount_minor, ref, at, key)
        # Recording the claimed operation ends the claim; another key leaves it in place.
        pending = None if self.pending is not None and self.pending.key == key else self.pending
        return attrs.evolve(
            self,
            status=status,
            pending=pending,
            transitions=(*self.transitions, transition),
            **changes,  # type: ignore[arg-type]
        )

    def _same_payment(self, result: GatewayResult) -> None:
        if self.reference is not None and result.reference != self.reference:
            raise StateTransitionError(
                f"payment {self.id!r} is {self.reference!r} at the gateway, not"
                f" {result.reference!r}"
            )
        if result.amount.currency is not self.currency:
            raise CurrencyMismatchError(
                self.currency.code,
                result.amount.currency.code,
                message=f"the gateway answered in {result.amount.currency.code} for payment"
                f" {self.id!r} in {self.currency.code}",
            )

    def begin(
        self,
        operation: PaymentOperation,
        key: str,
        amount_minor: int,
        at: datetime,
        *,
        final: bool = True,
    ) -> Payment:
        """The payment with ``operation`` claimed under ``key``, before its gateway call.

        A payment holds one claimed operation at a time: claiming another while one is pending
        is a StateTransitionError (the caller finishes or recovers the first). The claim is
        stored (a versioned save) before the call, so two processes cannot both make it.
        """
        self._allowed(operation)
        if self.pending is not None:
            raise StateTransitionError(
                f"payment {self.id!r} has a {self.pending.operation.value} in flight"
                f" (key {self.pending.key!r})"
            )
        claim = PendingOperation(operation, key, amount_minor, at, final)
        return attrs.evolve(self, pending=claim)

    def next_key(self, operation: PaymentOperation) -> str:
        """The idempotency key of the next ``operation`` on this payment.

        ``<payment id>:<operation>:<n>``, ``n`` one past the highest of that operation's keys
        already used (recorded on any transition, or claimed), so a retry of an unrecorded call
        reuses its claimed key and a new call never names a key a provider has seen.
        """
        prefix = f"{self.id}:{operation.value}:"
        used = [t.key for t in self.transitions if t.key is not None]
        if self.pending is not None:
            used.append(self.pending.key)
        highest = 0
        for key in used:
            if key.startswith(prefix) and key[len(prefix) :].isdigit():
                highest = max(highest, int(key[len(prefix) :]))
        return f"{prefix}{highest + 1}"

    def record_action(
        self, result: GatewayResult, at: datetime, *, key: str | None = None
    ) -> Payment:
        """The gateway asks the customer to act (``result.next_action``)."""
        self._allowed(PaymentOperation.ACTION)
        if self.status is not PaymentStatus.AUTHORIZATION_EXPIRED:
            self._same_payment(result)  # a re-authorization may get a new reference
        return self._moved(
            PaymentOperation.ACTION,
            PaymentStatus.REQUIRES_ACTION,
            at,
            key,
            ref=result.reference,
            reference=result.reference,
            next_action=result.next_action,
        )

    def record_authorization(
        self, result: GatewayResult, at: datetime, *, key: str | None = None
    ) -> Payment:
        """The gateway holds ``result.amount`` (a new authorization after an expiry too)."""
        self._allowed(PaymentOperation.AUTHORIZE)
        self._same_payment(
            result
        ) if self.status is not PaymentStatus.AUTHORIZATION_EXPIRED else None
        minor = self._minor(result.amount, "authorize")
        if minor > self._minor(self.amount, "authorize"):
            raise PaymentAmountError(
                f"the gateway authorized {result.amount} for payment {self.id!r} of {self.amount}"
            )
        return self._moved(
            PaymentOperation.AUTHORIZE,
            PaymentStatus.AUTHORIZED,
            at,
            key,
            amount_minor=minor,
            ref=result.reference,
            reference=result.reference,
            authorized_minor=minor,
            next_action=None,
            authorized_until=result.authorized_until,
        )

    def record_failure(
        self,
        code: str,
        at: datetime,
        *,
        key: str | None = None,
        message: str | None = None,
        reference: str | None = None,
    ) -> Payment:
        """The payment failed (declined, or the action was abandoned); ``code`` says why.

        ``message`` is the provider's text for the customer and ``reference`` the refused
        attempt's reference, kept so that a replay of the decline says the same.
        """
        self._allowed(PaymentOperation.FAIL)
        return self._moved(
            PaymentOperation.FAIL,
            PaymentStatus.FAILED,
            at,
            key,
            ref=self.reference or reference,
            reference=self.reference or _optional_reference(reference),
            failure_code=check_identifier(code, name="failure code"),
            failure_message=None if message is None else check_text(message, name="message"),
            next_action=None,
        )

    def record_expiry(self, at: datetime) -> Payment:
        """The authorization lapsed before any capture; it may be authorized again."""
        self._allowed(PaymentOperation.EXPIRE)
        if self.captured_minor:
            raise StateTransitionError(f"payment {self.id!r} was partly captured: it cannot lapse")
        return self._moved(
            PaymentOperation.EXPIRE,
            PaymentStatus.AUTHORIZATION_EXPIRED,
            at,
            None,
            ref=self.reference,
            authorized_minor=0,
        )

    def record_capture(
        self, result: GatewayResult, at: datetime, *, key: str | None = None, final: bool = True
    ) -> Payment:
        """The gateway took ``result.amount``; a ``final`` capture releases the rest."""
        self._same_payment(result)
        minor = self.check_capture(result.amount)
        captured = self.captured_minor + minor
        done = final or captured == self.authorized_minor
        return self._moved(
            PaymentOperation.CAPTURE,
            PaymentStatus.CAPTURED if done else PaymentStatus.PARTIALLY_CAPTURED,
            at,
            key,
            amount_minor=minor,
            ref=result.reference,
            captured_minor=captured,
            # A final capture releases what it did not take: the authorization is what was.
            authorized_minor=captured if done else self.authorized_minor,
        )

    def record_void(
        self, at: datetime, *, result: GatewayResult | None = None, key: str | None = None
    ) -> Payment:
        """The hold was released (or the payment abandoned before one)."""
        self._allowed(PaymentOperation.VOID)
        if result is not None:
            self._same_payment(result)
        return self._moved(
            PaymentOperation.VOID,
            PaymentStatus.VOIDED,
            at,
            key,
            amount_minor=self.authorized_minor,
            ref=self.reference,
            authorized_minor=0,
            next_action=None,
        )

    def record_refund(
        self, result: GatewayResult, at: datetime, *, key: str | None = None
    ) -> Payment:
        """The gateway gave ``result.amount`` back (its refund's reference is recorded)."""
        minor = self.check_refund(result.amount)
        if result.reference != self.reference:
            raise StateTransitionError(
                f"a refund of {result.reference!r} cannot be recorded on payment {self.id!r}"
            )
        refunded = self.refunded_minor + minor
        # Refunding ends the capturing: what was not captured is released.
        return self._moved(
            PaymentOperation.REFUND,
            PaymentStatus.REFUNDED
            if refunded == self.captured_minor
            else PaymentStatus.PARTIALLY_REFUNDED,
            at,
            key,
            amount_minor=minor,
            ref=result.operation_reference or result.reference,
            refunded_minor=refunded,
            authorized_minor=self.captured_minor,
        )
