"""EasyPost over httpx: live rates (a RateProvider), labels and tracking (a ShippingGateway).

Quoting creates one EasyPost shipment per :class:`~commercekit.shipping.Shipment` of the
request (from its origin to the destination, its parcel in ounces and inches) and reads the
rates. A cart split across locations gets one quote per carrier service that every shipment
can use: the amounts summed, the parcels listed, the estimate running from the fastest
shipment's days to the slowest's. Amounts EasyPost quotes in another currency are converted to
the cart's through :class:`~commercekit.ports.ExchangeRates` (each shipment's rate rounded
half-up to the cart's minor unit, then summed).

Buying is idempotent: one EasyPost shipment holds at most one label, a timeout after the buy
is settled by reading the shipment back (``GET /v2/shipments/{id}``) before buying again, and
a key already used in this process returns its labels without a call. The wire rules
(authentication, retries, errors) are in :mod:`._easypost_http`.
"""

from __future__ import annotations

import random as _random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import httpx

from commercekit.errors import (
    ConfigurationError,
    GatewayError,
    IdempotencyConflictError,
    ValidationError,
)
from commercekit.gateways.shipping._easypost_http import (
    DEFAULT_BASE_URL,
    PROVIDER,
    EasyPostConnection,
    malformed,
)
from commercekit.gateways.shipping._easypost_objects import (
    EasyPostRate,
    join_rate_ids,
    parcel_of,
    read_label,
    read_rates,
    read_tracking,
    shipment_body,
    split_rate_id,
)
from commercekit.money import Currency, Money, sum_money
from commercekit.ports import ExchangeRates
from commercekit.pricing import convert
from commercekit.rules import check_identifier
from commercekit.shipping import (
    DeliveryEstimate,
    Dimensions,
    Label,
    Parcel,
    ShippingQuote,
    ShippingRequest,
    Tracking,
)

__all__ = ["DEFAULT_MAX_ATTEMPTS", "DEFAULT_TIMEOUT", "EasyPost"]

#: Seconds each call may take (buying a label can take several seconds at some carriers).
DEFAULT_TIMEOUT: Final = 30.0
#: Attempts of each call, the first included.
DEFAULT_MAX_ATTEMPTS: Final = 3
# How many idempotency keys (and tracker ids) this process remembers.
_REMEMBERED: Final = 1024
# Refusals of a buy that may mean "already bought" (by an earlier attempt).
_MAYBE_BOUGHT: Final = frozenset({400, 409, 422})


class EasyPost:
    """EasyPost's API as a :class:`~commercekit.ports.RateProvider` and a ShippingGateway.

    ``api_key`` is a test or production key (it shows in no message or ``repr``);
    ``client`` an :class:`httpx.Client` to send through (the host closes it);
    ``carrier_accounts`` limits rating to those EasyPost carrier account ids;
    ``exchange_rates`` converts rates quoted in another currency than the cart's (without it,
    such a rate is a :class:`~commercekit.errors.ConfigurationError`); ``default_box`` is the
    box of a shipment of several units (one unit ships in its own box). ``sleep`` and
    ``random`` pace the retries.
    """

    def __init__(
        self,
        api_key: str,
        *,
        client: httpx.Client | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], object] = time.sleep,
        random: Callable[[], float] = _random.random,
        name: str = "easypost",
        carrier_accounts: Iterable[str] | None = None,
        exchange_rates: ExchangeRates | None = None,
        default_box: Dimensions | None = None,
    ) -> None:
        if isinstance(carrier_accounts, str):
            raise ConfigurationError("carrier_accounts is a list of ids, not one string")
        if default_box is not None and not isinstance(default_box, Dimensions):
            raise ConfigurationError(f"default_box must be Dimensions, got {default_box!r}")
        #: The provider's name, recorded as each quote's ``source``.
        self.name = check_identifier(name, name="provider name")
        self._accounts = tuple(
            check_identifier(account, name="carrier account") for account in carrier_accounts or ()
        )
        self._exchange = exchange_rates
        self._box = default_box
        self._wire = EasyPostConnection(
            api_key,
            client=client,
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            sleep=sleep,
            random=random,
        )
        self._lock = threading.Lock()
        self._labels: OrderedDict[str, tuple[str, tuple[Label, ...]]] = OrderedDict()
        self._trackers: OrderedDict[str, str] = OrderedDict()

    def __repr__(self) -> str:
        return f"EasyPost(name={self.name!r}, base_url={self._wire.base_url!r})"

    def close(self) -> None:
        """Release the connections (a client the host passed in is the host's to close)."""
        self._wire.close()

    def __enter__(self) -> EasyPost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- quoting -----------------------------------------------------------------------------

    def quote(self, request: ShippingRequest) -> tuple[ShippingQuote, ...]:
        """The carrier services that can ship every shipment of ``request``, cheapest first.

        A shipment without an origin address, or with an item without a weight, is a
        :class:`~commercekit.errors.ValidationError`; no rate at all is a
        :class:`~commercekit.errors.GatewayError` with code ``"no_rates"``.
        """
        if not isinstance(request, ShippingRequest):
            raise ValidationError(f"quote() takes a ShippingRequest, not {type(request).__name__}")
        if not request.shipments:
            raise ValidationError("the shipping request has no shipments: nothing to quote")
        quoted: list[tuple[Parcel, tuple[EasyPostRate, ...]]] = []
        for shipment in request.shipments:
            if shipment.origin is None:
                where = f" from {shipment.location!r}" if shipment.location else ""
                raise ValidationError(
                    f"the shipment{where} has no origin address: EasyPost rates between addresses"
                )
            parcel = parcel_of(shipment, self._box)
            body = shipment_body(shipment.origin, request.destination, parcel, self._accounts)
            answer = self._wire.request("POST", "/v2/shipments", body)
            quoted.append((parcel, read_rates(answer, "POST /v2/shipments")))
        return self._combine(request.currency, quoted)

    def _in(self, amount: Money, currency: Currency) -> Money:
        if amount.currency is currency:
            return amount
        if self._exchange is None:
            raise ConfigurationError(
                f"EasyPost quoted in {amount.currency.code} for a {currency.code} cart: give"
                " EasyPost(exchange_rates=...) to convert"
            )
        rate = self._exchange.get_rate(amount.currency.code, currency.code)
        return convert(amount, currency, rate)

    def _combine(
        self, currency: Currency, quoted: list[tuple[Parcel, tuple[EasyPostRate, ...]]]
    ) -> tuple[ShippingQuote, ...]:
        # Per shipment, the cheapest rate of each carrier service, in the cart's currency.
        offers: list[dict[tuple[str, str], tuple[Money, EasyPostRate]]] = []
        for _, rates in quoted:
            best: dict[tuple[str, str], tuple[Money, EasyPostRate]] = {}
            for rate in rates:
                amount = self._in(rate.amount, currency)
                key = (rate.carrier, rate.service)
                if key not in best or amount.amount < best[key][0].amount:
                    best[key] = (amount, rate)
            offers.append(best)
        common = set(offers[0]).intersection(*offers[1:])
        if not common:
            raise GatewayError(
                f"no carrier service of EasyPost ships all {len(offers)} shipments of the cart",
                provider=PROVIDER,
                code="no_rates",
                retryable=False,
            )
        parcels = tuple(parcel for parcel, _ in quoted)
        quotes = []
        for carrier, service in common:
            chosen = [offer[(carrier, service)] for offer in offers]
            days = [rate.days for _, rate in chosen]
            known = [day for day in days if day is not None]
            estimate = DeliveryEstimate(min(known), max(known)) if len(known) == len(days) else None
            quotes.append(
                ShippingQuote(
                    method=f"{self.name}:{carrier}:{service}",
                    carrier=carrier,
                    service=service,
                    amount=sum_money((amount for amount, _ in chosen), currency),
                    estimate=estimate,
                    parcels=parcels,
                    source=self.name,
                    rate_id=join_rate_ids([(r.shipment_id, r.rate_id) for _, r in chosen]),
                )
            )
        return tuple(sorted(quotes, key=lambda q: (q.amount.amount, q.carrier, q.service)))

    # -- labels ------------------------------------------------------------------------------

    def buy_label(self, quote: ShippingQuote, *, idempotency_key: str) -> Label:
        """Buy the label of ``quote`` (an EasyPost quote of one shipment), once per key.

        A quote of a split cart has a label per shipment: buy them with :meth:`buy_labels`.
        """
        pairs = self._pairs(quote)
        if len(pairs) != 1:
            raise ValidationError(
                f"quote {quote.method!r} covers {len(pairs)} shipments (a split cart): buy"
                " its labels with buy_labels()"
            )
        return self.buy_labels(quote, idempotency_key=idempotency_key)[0]

    def buy_labels(self, quote: ShippingQuote, *, idempotency_key: str) -> tuple[Label, ...]:
        """Buy the labels of every shipment of ``quote``, in order; safe to call again.

        The same key with another quote is an
        :class:`~commercekit.errors.IdempotencyConflictError`. When the outcome of a buy is
        unknown (:class:`~commercekit.errors.OutcomeUnknownError`), call again with the same
        key: labels already bought are read back, never bought twice.
        """
        key = check_identifier(idempotency_key, name="idempotency key")
        pairs = self._pairs(quote)
        with self._lock:
            known = self._labels.get(key)
        if known is not None:
            if known[0] != quote.rate_id:
                raise IdempotencyConflictError(
                    f"idempotency key {key!r} already bought the labels of another quote"
                )
            return known[1]
        labels = tuple(self._buy(shipment_id, rate_id) for shipment_id, rate_id in pairs)
        with self._lock:
            self._labels[key] = (quote.rate_id or "", labels)
            while len(self._labels) > _REMEMBERED:
                self._labels.popitem(last=False)
        return labels

    def _pairs(self, quote: ShippingQuote) -> tuple[tuple[str, str], ...]:
        if not isinstance(quote, ShippingQuote):
            raise ValidationError(f"a label is bought for a ShippingQuote, not {quote!r}")
        if quote.source != self.name:
            raise ValidationError(
                f"quote {quote.method!r} comes from {quote.source!r}, not {self.name!r}:"
                " only this provider's quotes have labels here"
            )
        return split_rate_id(quote.rate_id)

    def _buy(self, shipment_id: str, rate_id: str) -> Label:
        path = f"/v2/shipments/{shipment_id}"
        what = f"POST {path}/buy"

        def reread() -> Mapping[str, Any] | None:
            shipment = self._wire.get(path)
            return shipment if shipment.get("postage_label") is not None else None

        try:
            body = self._wire.request(
                "POST", f"{path}/buy", {"rate": {"id": rate_id}}, reread=reread
            )
        except GatewayError as refused:
            if refused.status not in _MAYBE_BOUGHT:
                raise
            # An earlier attempt (a timeout, another process) may have bought it: look.
            try:
                shipment = self._wire.get(path)
            except GatewayError:
                raise refused from None
            label = read_label(shipment, rate_id, f"GET {path}")
            if label is None:
                raise refused
            return label
        label = read_label(body, rate_id, what)
        if label is None:
            raise malformed(what, "the bought shipment has no postage_label")
        return label

    # -- tracking ----------------------------------------------------------------------------

    def track(self, tracking_code: str, *, carrier: str | None = None) -> Tracking:
        """The status and events of ``tracking_code`` (``carrier`` helps EasyPost guess).

        The first call creates EasyPost's tracker (EasyPost returns the existing one for a
        code it already tracks); later calls read it back by id.
        """
        code = check_identifier(tracking_code, name="tracking code")
        with self._lock:
            tracker_id = self._trackers.get(code)
        if tracker_id is not None:
            return read_tracking(self._wire.get(f"/v2/trackers/{tracker_id}"), "GET tracker")
        fields = {"tracking_code": code}
        if carrier is not None:
            fields["carrier"] = check_identifier(carrier, name="carrier")
        body = self._wire.request("POST", "/v2/trackers", {"tracker": fields})
        tracking = read_tracking(body, "POST /v2/trackers")
        tracker_id = body.get("id")
        if isinstance(tracker_id, str) and tracker_id.isascii() and tracker_id.isidentifier():
            with self._lock:
                self._trackers[code] = tracker_id
                while len(self._trackers) > _REMEMBERED:
                    self._trackers.popitem(last=False)
        return tracking
