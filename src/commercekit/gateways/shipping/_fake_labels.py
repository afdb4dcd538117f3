"""The fake carrier for tests: labels bought idempotently, tracking with scripted events.

:class:`FakeShippingGateway` buys labels idempotently on the key, in memory or in a store
shared by processes (each a :class:`FakeLabel`), can be told to lose the answer of a purchase
that was made (a retry with the same key then returns that label: one label), or to be
unreachable, and tracks with scripted events. It never touches the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid

import attrs

from commercekit.errors import (
    CommerceError,
    ConfigurationError,
    GatewayError,
    GatewayUnavailableError,
    IdempotencyConflictError,
    OutcomeUnknownError,
    ValidationError,
)
from commercekit.money import Money
from commercekit.ports import IDEMPOTENCY, AggregateKind, StorePort
from commercekit.rules import check_identifier
from commercekit.shipping import Label, ShippingQuote, Tracking, TrackingEvent, TrackingStatus

__all__ = ["FakeLabel", "FakeShippingGateway"]


@attrs.frozen
class FakeLabel:
    """The fake carrier's record of one bought label (stored as an aggregate in a store)."""

    #: The shipment id (``shp_fake_...``).
    id: str
    #: The tracking code (``FAKE...``).
    tracking_code: str
    #: The method of the quote bought.
    method: str
    #: The rate id of the quote bought, or ``None``.
    rate_id: str | None
    #: What the label cost (the quote's amount).
    cost: Money
    #: Version in the store (0: never stored).
    version: int = 0

    @property
    def label(self) -> Label:
        """The label as :meth:`FakeShippingGateway.buy_label` answers it."""
        url = f"https://fake-carrier.invalid/labels/{self.id}.pdf"
        return Label(self.id, self.tracking_code, url, self.cost)


def _new_label(quote: ShippingQuote) -> FakeLabel:
    token = uuid.uuid4().hex[:20]
    return FakeLabel(
        f"shp_fake_{token}", f"FAKE{token.upper()}", quote.method, quote.rate_id, quote.amount
    )


def _shipment_id(tracking_code: str) -> str | None:
    if not tracking_code.startswith("FAKE") or len(tracking_code) <= 4:
        return None
    return f"shp_fake_{tracking_code[4:].lower()}"


def _request_hash(quote: ShippingQuote) -> str:
    money = quote.amount
    what = [quote.method, quote.carrier, quote.service, str(money.amount), money.currency.code]
    text = json.dumps([*what, quote.rate_id], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _conflict(key: str) -> IdempotencyConflictError:
    return IdempotencyConflictError(
        f"idempotency key {key!r} was first used to buy another label: use a new key"
    )


class _MemoryLabels:
    """Labels and keys in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[str, str]] = {}
        self._labels: dict[str, FakeLabel] = {}

    def buy(self, key: str, request_hash: str, new: FakeLabel) -> FakeLabel:
        with self._lock:
            stored = self._keys.get(key)
            if stored is not None:
                if stored[0] != request_hash:
                    raise _conflict(key)
                return self._labels[stored[1]]
            self._keys[key] = (request_hash, new.id)
            self._labels[new.id] = new
            return new

    def find(self, shipment_id: str) -> FakeLabel | None:
        with self._lock:
            return self._labels.get(shipment_id)

    def count(self) -> int:
        with self._lock:
            return len(self._labels)


# Labels counted per read (the most a store lists at once).
_PAGE = 10_000


class _StoreLabels:
    """Labels as aggregates and keys as idempotency records in a store, one transaction a buy."""

    def __init__(self, store: StorePort, name: str) -> None:
        self._store = store
        self._scope = f"fake_shipping.{name}"
        self._kind: AggregateKind[FakeLabel] = AggregateKind(
            self._scope, FakeLabel, amount=lambda label: label.cost
        )

    def buy(self, key: str, request_hash: str, new: FakeLabel) -> FakeLabel:
        if self._store.in_transaction():
            raise ConfigurationError(
                "the fake carrier was called inside a transaction of its store: a carrier's"
                " label is not undone when your transaction rolls back, so call it after"
                " committing (or give the fake a store of its own)"
            )
        with self._store.transaction() as tx:
            keys = tx.repository(IDEMPOTENCY)
            record = keys.begin(self._scope, key, request_hash)
            labels = tx.aggregates(self._kind)
            if not record.is_new:
                if record.request_hash != request_hash:
                    raise _conflict(key)
                assert record.response is not None
                found = labels.find(record.response)
                assert found is not None
                return found
            labels.save(new)
            keys.complete(self._scope, key, new.id)
        return new

    def find(self, shipment_id: str) -> FakeLabel | None:
        with self._store.transaction(readonly=True) as tx:
            return tx.aggregates(self._kind).find(shipment_id)

    def count(self) -> int:
        counted = 0
        with self._store.transaction(readonly=True) as tx:
            labels = tx.aggregates(self._kind)
            while True:
                page = len(labels.list(limit=_PAGE, offset=counted))
                counted += page
                if page < _PAGE:
                    return counted


class FakeShippingGateway:
    """A :class:`~commercekit.ports.ShippingGateway` that buys labels in memory or in a store.

    Buying is idempotent on the key: the same key and quote return the same label; the key
    with another quote is an :class:`~commercekit.errors.IdempotencyConflictError`. With a
    ``store``, processes sharing it share the labels (tracking scripts stay per instance).
    :meth:`lose_next_answer` makes the next purchase happen and raise
    :class:`~commercekit.errors.OutcomeUnknownError`; :meth:`fail_next` makes it raise
    without buying. :meth:`script` sets a tracking code's events.

    >>> from commercekit.money import Money
    >>> carrier = FakeShippingGateway()
    >>> quote = ShippingQuote("std", "USPS", "Ground", Money("7.42", "USD"))
    >>> first = carrier.buy_label(quote, idempotency_key="order-1")
    >>> carrier.buy_label(quote, idempotency_key="order-1") == first, carrier.label_count()
    (True, 1)
    >>> carrier.track(first.tracking_code).status
    <TrackingStatus.PRE_TRANSIT: 'pre_transit'>
    """

    def __init__(self, *, store: StorePort | None = None, name: str = "fake_carrier") -> None:
        #: The provider's name.
        self.name = check_identifier(name, name="name")
        self._labels = _MemoryLabels() if store is None else _StoreLabels(store, self.name)
        self._lock = threading.Lock()
        self._fail_next: CommerceError | None = None
        self._lose_next = False
        self._scripts: dict[str, tuple[TrackingEvent, ...]] = {}

    def fail_next(self, error: CommerceError | None = None) -> None:
        """Make the next purchase raise ``error`` without buying (default: unreachable)."""
        with self._lock:
            self._fail_next = error or GatewayUnavailableError(
                "the fake carrier is unreachable (told to fail)",
                provider=self.name,
                code="unavailable",
            )

    def lose_next_answer(self) -> None:
        """Make the next purchase buy its label and then time out (OutcomeUnknownError)."""
        with self._lock:
            self._lose_next = True

    def script(self, tracking_code: str, *events: TrackingEvent) -> None:
        """Set the events :meth:`track` answers for ``tracking_code`` (oldest first)."""
        for event in events:
            if not isinstance(event, TrackingEvent):
                raise ValidationError(f"events must be TrackingEvents, got {event!r}")
        with self._lock:
            self._scripts[check_identifier(tracking_code, name="tracking_code")] = events

    def label_count(self) -> int:
        """How many labels were bought (each once, whatever the retries)."""
        return self._labels.count()

    def buy_label(self, quote: ShippingQuote, *, idempotency_key: str) -> Label:
        """Buy the label of ``quote`` once per ``idempotency_key``."""
        if not isinstance(quote, ShippingQuote):
            raise ValidationError(f"quote must be a ShippingQuote, got {type(quote).__name__}")
        key = check_identifier(idempotency_key, name="idempotency_key")
        with self._lock:
            failure, self._fail_next = self._fail_next, None
        if failure is not None:
            raise failure
        label = self._labels.buy(key, _request_hash(quote), _new_label(quote))
        with self._lock:
            lose, self._lose_next = self._lose_next, False
        if lose:
            raise OutcomeUnknownError(
                "the fake carrier bought the label but its answer was lost (told to time"
                " out): retry with the same idempotency key",
                provider=self.name,
                code="timeout",
            )
        return label.label

    def track(self, tracking_code: str) -> Tracking:
        """The scripted events of ``tracking_code`` (a bought label without any: pre-transit).

        A code neither bought nor scripted is the carrier's refusal
        (:class:`~commercekit.errors.GatewayError`, not retryable).
        """
        code = check_identifier(tracking_code, name="tracking_code")
        with self._lock:
            events = self._scripts.get(code)
        if events is None:
            shipment = _shipment_id(code)
            if shipment is None or self._labels.find(shipment) is None:
                raise GatewayError(
                    f"the fake carrier knows no tracking code {code!r}",
                    provider=self.name,
                    code="not_found",
                    status=404,
                    retryable=False,
                )
            return Tracking(code, TrackingStatus.PRE_TRANSIT)
        ordered = tuple(sorted(events, key=lambda event: event.at))
        status = ordered[-1].status if ordered else TrackingStatus.UNKNOWN
        return Tracking(code, status, ordered)
