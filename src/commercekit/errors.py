"""The one exception hierarchy of commercekit.

Every error commercekit raises is a :class:`CommerceError`. Third-party errors (``sqlite3``,
``psycopg``, ``httpx``) are translated at the adapter boundary with ``raise ... from exc``, so a
caller never needs to catch anything else. Where an error is also a bad value or a bad type, it
subclasses the builtin too, so ``except ValueError`` keeps working in host code::

    CommerceError
    ├── InvalidAmountError (TypeError)         an amount of a type money refuses (float, bool)
    ├── ValidationError (ValueError)           a value that is well typed but not acceptable
    │   ├── MalformedAmountError               NaN, infinity, non-numeric text, out of range
    │   ├── CurrencyError                      a currency code money cannot use
    │   │   ├── UnknownCurrencyError           not an ISO 4217 code
    │   │   └── UnsupportedCurrencyError       ISO code without minor unit (XAU, XXX)
    │   ├── CurrencyMismatchError              arithmetic across two currencies
    │   ├── AllocationError                    weights that cannot split an amount
    │   ├── InvalidIdentifierError             an id or text breaking the shared input rules
    │   ├── InvalidQuantityError               zero, negative or fractional where not allowed
    │   ├── UnknownLineError (LookupError)     a cart line id the cart does not hold
    │   └── EventSignatureError                a commercekit webhook not signed as it signs
    ├── OutcomeUnknownError                    sent, no answer: it may or may not have happened
    ├── ConfigurationError                     a setting or URL commercekit cannot use
    │   └── MissingDependencyError (ImportError)  an optional extra is not installed
    ├── StorageError                           the store failed (wraps the driver's error)
    │   ├── ConflictError                      a stale version or a competing writer
    │   │   ├── RetryableConflictError         lost a deadlock or serialization race: rerun it
    │   │   └── IdempotencyConflictError       a key reused with a different request
    │   ├── ConstraintError                    a CHECK/UNIQUE/FOREIGN KEY refused a write
    │   ├── NotFoundError (LookupError)        no record with that key
    │   ├── SchemaVersionError                 the database schema is newer or older than usable
    │   │   └── BackupSchemaError              a backup from a newer schema than this library's
    │   ├── BackupError                        a backup file that is damaged or not a backup
    │   ├── RestoreRefusedError                a restore target not empty, or at a newer schema
    │   ├── StorageUnavailableError            the server cannot be reached (refused, down)
    │   └── StorageBusyError                   the database stayed locked past the busy timeout
    ├── InventoryError
    │   ├── InsufficientStockError             a reservation would take stock below its floor
    │   ├── ReservationError                   a reservation that is unknown, expired or closed
    │   └── UnknownSkuError (LookupError)      a SKU with no stock row and no bundle definition
    ├── PricingError
    │   ├── PriceNotFoundError (LookupError)   no price for a SKU in a currency
    │   └── CouponError                        a refused coupon, with the reason
    ├── PaymentError
    │   ├── PaymentDeclinedError               the gateway refused the payment
    │   ├── PaymentAmountError (ValueError)    zero, negative, or more than is left to take
    │   └── WebhookSignatureError (ValueError) a webhook not signed as the provider signs
    ├── ShippingError
    │   └── MethodRefusedError (ValueError)    a method that must price a request refuses it
    │       └── MissingWeightError             an item without the weight a method needs
    ├── TaxError
    │   ├── TaxTableError (ValueError)         a tax rule table that cannot be built
    │   └── TaxAddressError (ValueError)       an address tax cannot be computed for
    ├── GatewayError                           a gateway or external service failed
    │   ├── GatewayUnavailableError            unreachable or overloaded: nothing done, retry
    │   ├── TaxServiceError (TaxError)         a tax service refused or garbled a request
    │   ├── TaxUnavailableError (TaxError)     a tax service cannot answer now: never zero tax
    │   └── WebhookDeliveryError               an outgoing webhook was not answered with 2xx
    ├── StateTransitionError                   an illegal move in a state machine
    └── CheckoutError                          a checkout that did not place an order
        ├── CheckoutFailedError                a step failed; what was held is given back
        ├── PriceChangedError                  prices moved since the customer saw them
        ├── EmptyCartError (ValueError)        nothing to order
        └── CheckoutInProgressError            the same key is being checked out elsewhere

Errors carry structured context as attributes (for example :attr:`CurrencyMismatchError.left`)
so that hosts can show precise messages without parsing text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AllocationError",
    "BackupError",
    "BackupSchemaError",
    "CheckoutError",
    "CheckoutFailedError",
    "CheckoutInProgressError",
    "CommerceError",
    "ConfigurationError",
    "ConflictError",
    "ConstraintError",
    "CouponError",
    "CurrencyError",
    "CurrencyMismatchError",
    "EmptyCartError",
    "EventSignatureError",
    "GatewayError",
    "GatewayUnavailableError",
    "IdempotencyConflictError",
    "InsufficientStockError",
    "InvalidAmountError",
    "InvalidIdentifierError",
    "InvalidQuantityError",
    "InventoryError",
    "MalformedAmountError",
    "MissingDependencyError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PaymentAmountError",
    "PaymentDeclinedError",
    "PaymentError",
    "PriceChangedError",
    "PriceNotFoundError",
    "PricingError",
    "ReservationError",
    "RestoreRefusedError",
    "RetryableConflictError",
    "SchemaVersionError",
    "MethodRefusedError",
    "MissingWeightError",
    "ShippingError",
    "StateTransitionError",
    "StorageBusyError",
    "StorageError",
    "StorageUnavailableError",
    "TaxAddressError",
    "TaxError",
    "TaxServiceError",
    "TaxTableError",
    "TaxUnavailableError",
    "UnknownCurrencyError",
    "UnknownLineError",
    "UnknownSkuError",
    "UnsupportedCurrencyError",
    "ValidationError",
    "WebhookDeliveryError",
    "WebhookSignatureError",
]


class CommerceError(Exception):
    """Root of every error commercekit raises.

    :attr:`retryable` says whether trying the same call again may succeed (a lost race, a busy
    database, a server that is back): false unless the subclass says otherwise.
    """

    #: Whether trying the same call again may succeed.
    retryable: bool = False


class InvalidAmountError(CommerceError, TypeError):
    """An amount of a type money refuses: a float, a bool, or something that is not a number.

    Floats are refused because they cannot represent most decimal amounts (``0.1`` is
    ``0.1000000000000000055511151231257827...``). Pass a :class:`~decimal.Decimal`, an ``int``
    or a string such as ``"0.10"``.
    """


class ValidationError(CommerceError, ValueError):
    """A value of the right type that commercekit cannot accept."""


class MalformedAmountError(ValidationError):
    """An amount that is not a finite number in range: NaN, infinity, or unparsable text."""


class CurrencyError(ValidationError):
    """A currency code that money cannot be expressed in."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        #: The offending code, as given.
        self.code = code


class UnknownCurrencyError(CurrencyError):
    """A code that is not in the ISO 4217 table."""


class UnsupportedCurrencyError(CurrencyError):
    """An ISO 4217 code without a minor unit (precious metals, testing and no-currency codes)."""


class CurrencyMismatchError(ValidationError):
    """Arithmetic or comparison between amounts of two different currencies."""

    def __init__(
        self, left: str, right: str, operation: str = "combine", *, message: str | None = None
    ) -> None:
        super().__init__(message or f"cannot {operation} {left} and {right}: currencies differ")
        #: The currency code of the left operand.
        self.left = left
        #: The currency code of the right operand.
        self.right = right


class AllocationError(ValidationError):
    """Weights or keys that cannot be used to split an amount (negative, empty, mismatched)."""


class InvalidIdentifierError(ValidationError):
    """An identifier or text that breaks the shared rules of :mod:`commercekit.rules`.

    Empty, too long, surrounding spaces, control characters, lone surrogates, or not text at
    all. :attr:`name` says which field and :attr:`reason` says why in a stable word:
    ``"not_text"``, ``"empty"``, ``"too_long"``, ``"whitespace"``, ``"control_character"``,
    ``"surrogate"`` or ``"noncharacter"``.
    """

    def __init__(self, message: str, name: str, reason: str) -> None:
        super().__init__(message)
        #: The field that was refused, e.g. ``"sku"`` or ``"coupon code"``.
        self.name = name
        #: Why it was refused, e.g. ``"too_long"`` or ``"control_character"``.
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        # Picklable despite the extra arguments (errors cross process boundaries in workers).
        return (self.__class__, (*self.args, self.name, self.reason), self.__dict__)


class InvalidQuantityError(ValidationError):
    """A quantity that is zero, negative, fractional where whole units are required, or huge."""


class UnknownLineError(ValidationError, LookupError):
    """A cart line id (or SKU and options) that the cart does not hold."""

    def __init__(self, line_id: str) -> None:
        super().__init__(f"the cart has no line {line_id!r}")
        #: The line id asked for.
        self.line_id = line_id


class EventSignatureError(ValidationError):
    """A webhook from commercekit (:mod:`commercekit.events`) that does not check out.

    Its ``Commercekit-Signature`` header is missing or malformed, matches none of the
    receiver's secrets, or was made too long ago or too far in the future; or its
    ``Commercekit-Event-Id`` header is missing or disagrees with the signed body. Nothing in
    such a delivery should be acted on. The payment providers' own webhooks raise
    :class:`WebhookSignatureError` instead.
    """


class OutcomeUnknownError(CommerceError):
    """A request was sent and no answer came back: it may or may not have taken effect.

    A COMMIT whose connection dropped before the server answered, or a gateway call that timed
    out after it was sent. Do not assume either outcome: read the state back, or retry with the
    same idempotency key (calls that take one are safe to retry; see each call's docs).
    :attr:`provider` names the gateway when one was called (else ``None``); :attr:`retryable`
    is true: retrying with the same idempotency key is how the outcome is learned.
    """

    retryable = True

    def __init__(self, message: str, *, provider: str | None = None, code: str | None = None):
        super().__init__(message)
        self.provider = provider
        self.code = code


class ConfigurationError(CommerceError):
    """A setting, URL or option that commercekit cannot use."""


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional extra is needed but not installed; the message names the extra."""


class StorageError(CommerceError):
    """The store failed; the driver's own error is chained as ``__cause__``."""


class ConflictError(StorageError):
    """A write lost a race: a stale version, or a competing writer holding the same key.

    Nothing was changed. Reload, reapply the change and save again.
    """


class RetryableConflictError(ConflictError):
    """A transaction lost a deadlock or serialization race and was rolled back as a whole.

    Raised where a caller owns the transaction (the library retries the ones it owns): run the
    whole transaction again.
    """

    retryable = True


class IdempotencyConflictError(ConflictError):
    """An idempotency key reused with a request different from the first one that used it."""


class ConstraintError(StorageError):
    """A database constraint (CHECK, UNIQUE, FOREIGN KEY) refused a write.

    Constraints are the second line of defence behind the library's own checks, so this error
    points at a bug or at data changed behind the library's back. The transaction was rolled back.
    """


class StorageUnavailableError(StorageError):
    """The database server cannot be reached (refused, down, unknown host); the reason is said.

    Nothing was sent. Retrying once the server is back succeeds: the store reconnects by itself.
    """

    retryable = True


class StorageBusyError(StorageError):
    """The database stayed locked by other writers for longer than the store's busy timeout.

    Nothing was written. Raise the ``busy_timeout`` option of :func:`commercekit.open_store`
    or reduce the length of write transactions.
    """

    retryable = True


class NotFoundError(StorageError, LookupError):
    """No record with the requested key."""


class SchemaVersionError(StorageError):
    """The database schema is of a version this library cannot work with."""


class BackupSchemaError(SchemaVersionError):
    """A backup made at a newer schema: an area version (or an area) this library does not know.

    Nothing was restored; the message names the area, and restoring needs a commercekit that
    knows it (see :func:`commercekit.storage.restore`).
    """


class BackupError(StorageError):
    """A file that cannot be restored: not a commercekit backup, damaged, or cut short.

    Raised for bad compressed data or JSON, a checksum or row count that does not match, or a
    missing trailer. A restore runs in one transaction, so nothing of the file was restored.
    """


class RestoreRefusedError(StorageError):
    """A restore refused by its target: a store that is not empty, or is at a newer schema.

    A restore only fills an empty store (no row in any of commercekit's tables); nothing was
    changed.
    """


class InventoryError(CommerceError):
    """Base for stock and reservation errors."""


class InsufficientStockError(InventoryError):
    """Reserving or selling would take available stock below its floor. Nothing was reserved.

    :attr:`shortages` maps each SKU that was short to the number of units missing (empty when
    the error comes from a single storage operation that only knows its own row).
    """

    def __init__(self, message: str, shortages: Mapping[str, int] | None = None) -> None:
        super().__init__(message)
        #: SKU -> units missing, for every SKU of the request that could not be covered.
        self.shortages: dict[str, int] = dict(shortages or {})


class ReservationError(InventoryError):
    """A reservation that is unknown, expired, already committed or released."""


class UnknownSkuError(InventoryError, LookupError):
    """A SKU that is neither stocked at any location nor defined as a bundle.

    :attr:`skus` lists the unknown SKUs. Receive stock for a SKU (or give it a stock policy at a
    location) before reserving it.
    """

    def __init__(self, message: str, skus: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        #: The SKUs nobody has stocked, in the order given.
        self.skus = skus


class PricingError(CommerceError):
    """Base for price lookup and promotion errors."""


class PriceNotFoundError(PricingError, LookupError):
    """No price applies to a SKU in the requested currency, channel and time."""


class CouponError(PricingError):
    """A coupon was refused; :attr:`reason` says why in a stable, machine-readable word."""

    def __init__(
        self, message: str, code: str | None, reason: str, *, promotion_id: str | None = None
    ) -> None:
        super().__init__(message)
        #: The coupon code as entered, or ``None`` for a promotion applied without a code.
        self.code = code
        #: Why it was refused, e.g. ``"expired"`` or ``"usage_exhausted"``: a
        #: :class:`~commercekit.pricing.CouponRefusal` (a ``str`` enum) for refusals the
        #: library makes, so it compares and prints as that word.
        self.reason = reason
        #: The promotion that refused it, or ``None`` (an unknown code).
        self.promotion_id = promotion_id


class PaymentError(CommerceError):
    """Base for payment errors."""


class PaymentDeclinedError(PaymentError):
    """The gateway declined the payment; retrying the same request will not help.

    ``str(error)`` and :attr:`customer_message` are safe to show the customer (no gateway
    internals); :attr:`code` is the provider's decline code (``"insufficient_funds"``,
    ``"card_declined"``), :attr:`provider` the gateway's name, :attr:`reference` the gateway's
    reference of the refused attempt when it has one.
    """

    retryable = False

    def __init__(
        self,
        customer_message: str,
        *,
        provider: str | None = None,
        code: str | None = None,
        reference: str | None = None,
    ) -> None:
        super().__init__(customer_message)
        self.customer_message = customer_message
        self.provider = provider
        self.code = code
        self.reference = reference


class GatewayError(CommerceError):
    """A gateway or external service failed or timed out; never read as success or zero.

    :attr:`provider` names the service (``"taxjar"``), :attr:`code` is the provider's own
    error code or HTTP status text, :attr:`status` the HTTP status (``None`` when no answer
    came), and :attr:`retryable` whether the same call may succeed later.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        code: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.code = code
        self.status = status
        if retryable is not None:
            self.retryable = retryable


class PaymentAmountError(PaymentError, ValidationError):
    """An amount a payment cannot take, raised before any gateway call.

    Zero or negative, finer than the minor unit, or more than is left to capture or refund.
    """


class WebhookSignatureError(PaymentError, ValidationError):
    """A webhook whose signature is missing, wrong or too old: nothing in it is acted on."""


class GatewayUnavailableError(GatewayError):
    """A gateway could not be reached or was overloaded after the retries: retry later.

    Connection refused, 429 or a 5xx that says nothing was done; when the request may have
    been acted on, the error is :class:`OutcomeUnknownError` instead.
    """

    retryable = True


class WebhookDeliveryError(GatewayError):
    """An outgoing webhook (:mod:`commercekit.gateways.webhooks`) was not delivered.

    The endpoint answered something other than 2xx (:attr:`status` says what), or could not
    be reached or timed out (:attr:`status` is ``None``). :attr:`retryable` is true for no
    answer, 408, 409, 425, 429 and 5xx; the event dispatcher retries every failed delivery
    all the same, until its attempts run out. The message names the endpoint without its
    query or credentials and never carries the signing secret or the event's payload.
    """


class ShippingError(CommerceError):
    """Base for shipping errors."""


class MethodRefusedError(ShippingError, ValidationError):
    """A shipping method was required to price a request it refuses.

    :attr:`refusal` is the method's refusal (its ``reason``, ``message``, ``sku``,
    ``location``); :attr:`reason` its stable word (``"too_heavy"``, ``"missing_weight"``).
    """

    def __init__(self, message: str, *, refusal: object = None, reason: str | None = None):
        super().__init__(message)
        self.refusal = refusal
        self.reason = reason


class MissingWeightError(MethodRefusedError):
    """An item without a weight where a method needs every item's weight."""


class TaxError(CommerceError):
    """Base for tax errors."""


class TaxTableError(TaxError, ValidationError):
    """A tax rule table that cannot be built; raised when it is built, never at checkout.

    Overlapping validity for one zone and category, an unknown country or subdivision code,
    a rate outside [0, 1).
    """


class TaxAddressError(TaxError, ValidationError):
    """An address tax cannot be computed for: none where one is needed, or an unknown ZIP."""


class TaxServiceError(GatewayError, TaxError):
    """A tax service refused the request (4xx) or answered something unreadable: do not retry."""


class TaxUnavailableError(GatewayError, TaxError):
    """A tax service cannot answer now (timeout, 429, 5xx) and there is no fallback.

    Tax is never silently zero: the shop's fallback policy either answers from local rules
    or raises this.
    """

    retryable = True


class StateTransitionError(CommerceError):
    """A state machine was asked for a transition its current state does not allow."""


class CheckoutError(CommerceError):
    """A checkout that did not place an order (see :mod:`commercekit.checkout`)."""


class CheckoutFailedError(CheckoutError):
    """A checkout step failed after something was held; what was held has been given back.

    ``step`` names the step (``"reserve"``, ``"authorize"``, ``"place"``), ``cause`` is the
    typed error that stopped it (an :class:`InsufficientStockError`, a
    :class:`PaymentDeclinedError`, a :class:`CouponError`, ...) and ``undone`` says what was
    given back (``"released reservation ..."``, ``"voided payment ..."``). The same checkout
    key raises it again: start a new checkout with a new key.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str,
        step: str,
        cause: str,
        undone: tuple[str, ...] = (),
        customer_message: str | None = None,
    ) -> None:
        super().__init__(message)
        #: The checkout key.
        self.key = key
        #: What to tell the customer, when the cause had it (a decline's own message), else
        #: ``None``: show a message of your own for the step.
        self.customer_message = customer_message
        #: The step that failed.
        self.step = step
        #: The name of the error type that stopped it (``"PaymentDeclinedError"``).
        self.cause = cause
        #: What was given back, in order.
        self.undone = undone


class PriceChangedError(CheckoutError):
    """Prices changed since the customer saw them; ``changes`` lists each line's old and new.

    Nothing was held. Show the new prices (``cart.with_seen_prices(...)``) and check out
    again, or pass ``accept_price_changes=True``.
    """

    def __init__(self, message: str, changes: tuple[Any, ...]) -> None:
        super().__init__(message)
        #: The :class:`~commercekit.cart.PriceChange` of every line whose price moved.
        self.changes = changes


class EmptyCartError(CheckoutError, ValidationError):
    """A checkout of a cart with no lines."""


class CheckoutInProgressError(CheckoutError):
    """The same checkout key is being worked on by another caller: ask again shortly."""

    retryable = True
