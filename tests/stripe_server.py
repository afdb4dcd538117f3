"""A Stripe simulator for tests: the parts of Stripe's API v1 that StripeGateway speaks, in memory.

It is an ``httpx.MockTransport`` handler: no network. ::

    sim = StripeSimulator()
    gateway = StripeGateway(sim.api_key, client=sim.client(), sleep=lambda _: None)

Endpoints, answering Stripe's documented shapes (API reference, "PaymentIntents", "Refunds",
"Errors"): ``POST /v1/payment_intents`` (``confirm=true``; ``capture_method`` manual or
automatic), ``GET /v1/payment_intents/{id}``, ``POST /v1/payment_intents/{id}/confirm``,
``.../capture`` (``amount_to_capture``, ``final_capture``; multicapture when the intent asked
``payment_method_options[card][request_multicapture]=if_available``, up to 50 captures),
``.../cancel`` and ``POST /v1/refunds`` (``payment_intent``, ``amount``). ``expand[]=latest_charge``
expands the charge. A wrong key is a 401; a POST without the form content type a 400.

Payment methods are Stripe's own test ids (docs.stripe.com/testing): :data:`SUCCEEDS`
(``pm_card_visa``...) hold the amount; :data:`DECLINES` decline with their ``code`` and
``decline_code``; :data:`NEEDS_ACTION` (``pm_card_threeDSecure2Required``) need 3-D Secure, which
:meth:`StripeSimulator.complete_action` then completes or fails. Anything else is a 404.

Idempotency follows Stripe's "Idempotent requests" page and REFERENCES.md: a POST's first
answer under a key, success or failure (a 402 decline, a 5xx, a refusal of an operation on the
object's state), is stored and replayed with ``Idempotent-Replayed: true``; the same key with
other parameters or another endpoint is a 400 ``idempotency_error``; a request that failed
validation (a bad or missing parameter, an unknown object) stores nothing; a request while
another with the same key is in flight gets a 409 (simulated with :meth:`hold_key`, since the
simulator serves one request at a time).

Faults are queued and taken by the next requests in order: :meth:`fail_next` (429/500/503...
answered before anything is done), :meth:`refuse_next` (no connection), :meth:`time_out_next`
(a read timeout, after acting or before), :meth:`drop_next` (acted, then the connection drops),
:meth:`crash_next` (acted, then a 500 that is stored under the key).

What the "server" really did is counted per PaymentIntent in :meth:`StripeSimulator.stats`
(authorizations, declines, each capture and refund in Stripe's units, cancellation), and every
request is kept in :attr:`StripeSimulator.requests`. Events are appended to
:attr:`StripeSimulator.events`; :func:`signed_delivery` signs one as Stripe would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

API_KEY = "sk_test_51SimulatorKeyDoNotLeak0000000000000000"

#: Test payment methods that authorize.
SUCCEEDS = frozenset({"pm_card_visa", "pm_card_mastercard", "pm_card_amex"})
#: Test payment methods that decline: id -> (code, decline_code, message).
DECLINES: dict[str, tuple[str, str, str]] = {
    "pm_card_visa_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_visa_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_visa_chargeDeclinedLostCard": (
        "card_declined",
        "lost_card",
        "Your card was declined.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
}
#: Test payment methods that need 3-D Secure.
NEEDS_ACTION = frozenset({"pm_card_threeDSecure2Required", "pm_card_authenticationRequired"})

# Stripe's amount rules (whole amounts need no check), written apart from the adapter's table.
_THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
_AUTHORIZATION_DAYS = 7
_MAX_CAPTURES = 50
_CANCELABLE = frozenset(
    {"requires_payment_method", "requires_capture", "requires_confirmation", "requires_action"}
)


def decode_form(body: bytes) -> dict[str, Any]:
    """A form body as Stripe reads it: ``a[b]=1`` -> ``{"a": {"b": "1"}}``, ``e[]=x`` -> list."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode("ascii"), keep_blank_values=True):
        name, _, rest = key.partition("[")
        parts = [name, *(p.rstrip("]") for p in rest.split("["))] if rest else [name]
        target: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = parts[index + 1] if not last else None
            if part == "" and isinstance(target, list):
                target.append(value)
                break
            if last:
                target[part] = value
            else:
                target = target.setdefault(part, [] if nxt == "" else {})
    return result


def signed_delivery(
    event: dict[str, Any], secret: str, timestamp: int
) -> tuple[bytes, dict[str, str]]:
    """``event``'s body and headers as Stripe would deliver them to an endpoint with ``secret``."""
    payload = json.dumps(event).encode()
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return payload, {"Stripe-Signature": f"t={timestamp},v1={digest.hexdigest()}"}


@dataclass
class Recorded:
    """One request as the simulator received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, Any]


@dataclass(frozen=True)
class IntentStats:
    """What the server really did to one PaymentIntent (amounts in Stripe's units)."""

    authorizations: int
    declines: int
    captures: tuple[int, ...]
    refunds: tuple[int, ...]
    canceled: bool


@dataclass
class _Intent:
    id: str
    amount: int
    currency: str
    payment_method: str
    capture_method: str
    metadata: dict[str, Any]
    created: int
    client_secret: str
    description: str | None = None
    customer: str | None = None
    return_url: str | None = None
    multicapture: bool = False
    authenticated: bool = False
    status: str = "requires_confirmation"
    amount_capturable: int = 0
    amount_received: int = 0
    charge: str | None = None
    capture_before: int | None = None
    next_action: dict[str, Any] | None = None
    last_payment_error: dict[str, Any] | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    authorizations: int = 0
    declines: int = 0
    captures: list[int] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)


class _Refused(Exception):
    """An error answer; ``stored`` when the endpoint had begun executing."""

    def __init__(self, status: int, error: dict[str, Any], *, stored: bool = False) -> None:
        super().__init__(error.get("message"))
        self.status, self.error, self.stored = status, error, stored


def _invalid(message: str, *, param: str | None = None, code: str | None = None) -> _Refused:
    error = {"type": "invalid_request_error", "message": message, "param": param, "code": code}
    return _Refused(400, error)


class StripeSimulator:
    """The simulated Stripe account (see the module docs). Call it as a MockTransport handler."""

    def __init__(self, api_key: str = API_KEY, *, now: Callable[[], int] | None = None) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.events: list[dict[str, Any]] = []
        self._now = now or (lambda: int(time.time()))
        self._lock = threading.RLock()
        self._intents: dict[str, _Intent] = {}
        self._stored: dict[str, tuple[tuple[object, ...], int, bytes]] = {}
        self._faults: list[tuple[str, dict[str, Any]]] = []
        self._held: dict[str, int] = {}
        self._serial = 0

    # -- set-up ----------------------------------------------------------------------------------

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx.Client whose transport is this simulator."""
        return httpx.Client(transport=httpx.MockTransport(self), **kwargs)

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        should_retry: bool | None = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` before doing anything."""
        fault = {"status": status, "retry_after": retry_after, "should_retry": should_retry}
        self._faults.extend([("status", fault)] * times)

    def refuse_next(self, *, times: int = 1) -> None:
        """Refuse the next ``times`` connections (nothing is sent)."""
        self._faults.extend([("refuse", {})] * times)

    def time_out_next(self, *, times: int = 1, after_acting: bool = True) -> None:
        """Let the next ``times`` requests time out waiting for the answer (done, or not)."""
        self._faults.extend([("timeout", {"act": after_acting})] * times)

    def drop_next(self, *, times: int = 1) -> None:
        """Do the next ``times`` requests, then drop the connection before answering."""
        self._faults.extend([("drop", {})] * times)

    def crash_next(self, *, times: int = 1) -> None:
        """Do the next ``times`` requests, then answer (and store) a 500."""
        self._faults.extend([("crash", {})] * times)

    def hold_key(self, key: str, *, times: int = 1) -> None:
        """The next ``times`` requests with ``key`` find another request with it in flight (409)."""
        self._held[key] = self._held.get(key, 0) + times

    def complete_action(
        self, intent_id: str, *, succeed: bool = True, manual: bool = False
    ) -> None:
        """The customer finishes 3-D Secure: the hold is made (or refused).

        ``manual`` leaves the intent in ``requires_confirmation``, as Stripe does for
        ``confirmation_method=manual``.
        """
        with self._lock:
            intent = self._intents[intent_id]
            assert intent.status == "requires_action", intent.status
            intent.next_action = None
            if not succeed:
                intent.status = "requires_payment_method"
                intent.declines += 1
                intent.last_payment_error = {
                    "type": "card_error",
                    "code": "payment_intent_authentication_failure",
                    "message": "We are unable to authenticate your payment method.",
                }
                self._event("payment_intent.payment_failed", self._intent_json(intent, False))
            elif manual:
                intent.status, intent.authenticated = "requires_confirmation", True
            else:
                intent.authenticated = True
                self._hold(intent)

    # -- reading -----------------------------------------------------------------------------------

    def stats(self, intent_id: str) -> IntentStats:
        """What was really done to ``intent_id``."""
        with self._lock:
            i = self._intents[intent_id]
            return IntentStats(
                i.authorizations,
                i.declines,
                tuple(i.captures),
                tuple(i.refunds),
                i.canceled_at is not None,
            )

    def intent_ids(self) -> list[str]:
        """Every PaymentIntent created, oldest first."""
        with self._lock:
            return list(self._intents)

    def intent(self, intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as Stripe's API shows it (charge expanded)."""
        with self._lock:
            return self._intent_json(self._intents[intent_id], True)

    def posts(self) -> Iterator[Recorded]:
        """The POST requests received, oldest first."""
        return (r for r in self.requests if r.method == "POST")

    # -- serving -----------------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` as Stripe would (the MockTransport handler)."""
        with self._lock:
            body = request.read()
            form = (
                decode_form(body)
                if request.method == "POST"
                else decode_form(urlsplit(str(request.url)).query.encode())
            )
            self.requests.append(
                Recorded(request.method, request.url.path, dict(request.headers), body, form)
            )
            fault, options = self._faults.pop(0) if self._faults else ("", {})
            if fault == "refuse":
                raise httpx.ConnectError("connection refused", request=request)
            if fault == "timeout" and not options["act"]:
                raise httpx.ReadTimeout("timed out", request=request)
            if fault == "status":
                return self._fault_response(options)
            status, content, replayed = self._serve(request, form)
            if fault == "timeout":
                raise httpx.ReadTimeout("timed out", request=request)
            if fault == "drop":
                raise httpx.RemoteProtocolError("server disconnected", request=request)
            if fault == "crash":
                status, content = (
                    500,
                    self._error_body({"type": "api_error", "message": "An unknown error occurred"}),
                )
                key = request.headers.get("Idempotency-Key")
                if key is not None:
                    self._stored[key] = (self._fingerprint(request, form), status, content)
            return self._response(
                status, content, replayed=replayed, should_retry=False if status >= 500 else None
            )

    def _serve(self, request: httpx.Request, form: dict[str, Any]) -> tuple[int, bytes, bool]:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            given = request.headers.get("Authorization", "")[-4:]
            error = {
                "type": "invalid_request_error",
                "message": f"Invalid API Key provided: sk_test_****{given}",
            }
            return 401, self._error_body(error), False
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key is not None:
            if self._held.get(key):
                self._held[key] -= 1
                error = {
                    "type": "idempotency_error",
                    "message": "There is currently another in-progress request using this"
                    " Idempotency Key. Please try again later.",
                }
                return 409, self._error_body(error), False
            stored = self._stored.get(key)
            if stored is not None:
                if stored[0] != self._fingerprint(request, form):
                    error = {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same"
                        " parameters they were first used with.",
                    }
                    return 400, self._error_body(error), False
                return stored[1], stored[2], True
        try:
            if request.method == "POST" and request.headers.get("Content-Type") != (
                "application/x-www-form-urlencoded"
            ):
                raise _invalid(
                    "Invalid request (check that your POST content type is"
                    " application/x-www-form-urlencoded)"
                )
            status, obj = 200, self._route(request.method, request.url.path, form)
            content = json.dumps(obj).encode()
        except _Refused as refused:
            status, content = refused.status, self._error_body(refused.error)
            if not refused.stored:
                return status, content, False
        if key is not None:
            self._stored[key] = (self._fingerprint(request, form), status, content)
        return status, content, False

    def _route(self, method: str, path: str, form: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._create(form)
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._refund(form)
        if len(parts) >= 3 and parts[:2] == ["v1", "payment_intents"]:
            intent = self._intents.get(parts[2])
            if intent is None:
                raise _Refused(
                    404,
                    {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "param": "intent",
                        "message": f"No such payment_intent: '{parts[2]}'",
                    },
                )
            expand = "latest_charge" in form.get("expand", [])
            if method == "GET" and len(parts) == 3:
                return self._intent_json(intent, expand)
            action = parts[3] if method == "POST" and len(parts) == 4 else ""
            if action == "confirm":
                self._confirm(intent)
            elif action == "capture":
                self._capture(intent, form)
            elif action == "cancel":
                self._cancel(intent, form)
            else:
                raise _Refused(
                    404, {"type": "invalid_request_error", "message": "Unrecognized request URL"}
                )
            return self._intent_json(intent, expand)
        raise _Refused(
            404, {"type": "invalid_request_error", "message": "Unrecognized request URL"}
        )

    # -- the API -----------------------------------------------------------------------------------

    def _units(self, value: object, currency: str, param: str) -> int:
        if not isinstance(value, str) or not value.isdigit() or int(value) <= 0:
            raise _invalid(
                "Invalid positive integer", param=param, code="parameter_invalid_integer"
            )
        units = int(value)
        if currency in _THREE_DECIMAL and units % 10:
            raise _invalid(
                "Invalid amount: the last digit must be 0 for this currency.",
                param=param,
                code="invalid_charge_amount",
            )
        if currency == "isk" and units % 100:
            raise _invalid(
                "Invalid amount. Currency ISK has become effectively zero-decimal and"
                " charged amounts must be evenly divisible by 100.",
                param=param,
                code="invalid_charge_amount_no_decimal_compatible",
            )
        return units

    def _create(self, form: dict[str, Any]) -> dict[str, Any]:
        currency = form.get("currency")
        if not isinstance(currency, str) or currency != currency.lower() or len(currency) != 3:
            raise _invalid("Invalid currency", param="currency", code="parameter_invalid_empty")
        amount = self._units(form.get("amount"), currency, "amount")
        pm = form.get("payment_method")
        if pm not in SUCCEEDS and pm not in DECLINES and pm not in NEEDS_ACTION:
            raise _Refused(
                404,
                {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "payment_method",
                    "message": f"No such PaymentMethod: '{pm}'",
                },
            )
        redirects = form.get("automatic_payment_methods", {}).get("allow_redirects")
        if form.get("confirm") == "true" and "return_url" not in form and redirects != "never":
            raise _invalid(
                "This PaymentIntent is configured to accept payment methods enabled in"
                " your Dashboard, some of which may require a full page redirect; pass"
                " return_url or set allow_redirects to never.",
                param="return_url",
            )
        options = form.get("payment_method_options", {}).get("card", {})
        self._serial += 1
        intent_id = f"pi_3Sim{self._serial:010d}"
        intent = _Intent(
            id=intent_id,
            amount=amount,
            currency=currency,
            payment_method=str(pm),
            capture_method=form.get("capture_method", "automatic"),
            metadata=form.get("metadata", {}),
            created=self._now(),
            client_secret=f"{intent_id}_secret_Sim{self._serial}",
            description=form.get("description"),
            customer=form.get("customer"),
            return_url=form.get("return_url"),
            multicapture=options.get("request_multicapture") == "if_available",
        )
        self._intents[intent_id] = intent
        if form.get("confirm") == "true":
            self._confirm(intent)
        return self._intent_json(intent, "latest_charge" in form.get("expand", []))

    def _confirm(self, intent: _Intent) -> None:
        if intent.status not in ("requires_confirmation", "requires_payment_method"):
            raise self._state_error(intent, "confirm")
        pm = intent.payment_method
        if pm in DECLINES:
            code, decline, message = DECLINES[pm]
            intent.status, intent.declines = "requires_payment_method", intent.declines + 1
            intent.last_payment_error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline,
                "message": message,
            }
            self._event("payment_intent.payment_failed", self._intent_json(intent, False))
            error = {
                **intent.last_payment_error,
                "payment_intent": self._intent_json(intent, False),
            }
            raise _Refused(402, error, stored=True)
        if pm in NEEDS_ACTION and not intent.authenticated:
            intent.status = "requires_action"
            if intent.return_url:
                redirect = f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={intent.id}"
                intent.next_action = {
                    "type": "redirect_to_url",
                    "redirect_to_url": {"url": redirect, "return_url": intent.return_url},
                }
            else:
                intent.next_action = {
                    "type": "use_stripe_sdk",
                    "use_stripe_sdk": {"type": "three_d_secure_redirect"},
                }
            self._event("payment_intent.requires_action", self._intent_json(intent, False))
            return
        self._hold(intent)

    def _hold(self, intent: _Intent) -> None:
        self._serial += 1
        intent.charge = f"ch_3Sim{self._serial:010d}"
        intent.authorizations += 1
        intent.last_payment_error = None
        intent.capture_before = self._now() + _AUTHORIZATION_DAYS * 86400
        if intent.capture_method == "manual":
            intent.status, intent.amount_capturable = "requires_capture", intent.amount
            self._event(
                "payment_intent.amount_capturable_updated", self._intent_json(intent, False)
            )
        else:
            intent.status, intent.amount_received = "succeeded", intent.amount
            intent.captures.append(intent.amount)
            self._event("payment_intent.succeeded", self._intent_json(intent, False))

    def _capture(self, intent: _Intent, form: dict[str, Any]) -> None:
        if intent.status != "requires_capture":
            raise self._state_error(intent, "capture")
        units = intent.amount_capturable
        if "amount_to_capture" in form:
            units = self._units(form["amount_to_capture"], intent.currency, "amount_to_capture")
        final = form.get("final_capture", "true") != "false"
        if not final and not intent.multicapture:
            raise _invalid(
                "Multicapture is not available for this PaymentIntent.", param="final_capture"
            )
        if units > intent.amount_capturable:
            raise _Refused(
                400,
                {
                    "type": "invalid_request_error",
                    "code": "amount_too_large",
                    "param": "amount_to_capture",
                    "message": "The amount to capture is greater than the amount capturable.",
                },
                stored=True,
            )
        if len(intent.captures) >= _MAX_CAPTURES:
            raise self._state_error(intent, "capture")
        intent.captures.append(units)
        intent.amount_received += units
        intent.amount_capturable = 0 if final else intent.amount_capturable - units
        if final or intent.amount_capturable == 0:
            intent.status = "succeeded"
            self._event("payment_intent.succeeded", self._intent_json(intent, False))

    def _cancel(self, intent: _Intent, form: dict[str, Any]) -> None:
        if intent.status not in _CANCELABLE:
            raise self._state_error(intent, "cancel")
        intent.status, intent.amount_capturable = "canceled", 0
        intent.canceled_at, intent.next_action = self._now(), None
        intent.cancellation_reason = form.get("cancellation_reason")
        self._event("payment_intent.canceled", self._intent_json(intent, False))

    def _refund(self, form: dict[str, Any]) -> dict[str, Any]:
        intent = self._intents.get(form.get("payment_intent", ""))
        if intent is None:
            raise _Refused(
                404,
                {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "payment_intent",
                    "message": f"No such payment_intent: '{form.get('payment_intent')}'",
                },
            )
        left = intent.amount_received - sum(intent.refunds)
        units = (
            left if "amount" not in form else self._units(form["amount"], intent.currency, "amount")
        )
        if intent.amount_received == 0:
            raise self._state_error(intent, "refund")
        if left == 0:
            raise _Refused(
                400,
                {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": f"Charge {intent.charge} has already been refunded.",
                },
                stored=True,
            )
        if units > left:
            raise _Refused(
                400,
                {
                    "type": "invalid_request_error",
                    "code": "amount_too_large",
                    "param": "amount",
                    "message": f"Refund amount ({units}) is greater than unrefunded"
                    f" amount on charge ({left})",
                },
                stored=True,
            )
        intent.refunds.append(units)
        self._serial += 1
        refund = {
            "id": f"re_3Sim{self._serial:010d}",
            "object": "refund",
            "amount": units,
            "charge": intent.charge,
            "created": self._now(),
            "currency": intent.currency,
            "metadata": {},
            "payment_intent": intent.id,
            "reason": None,
            "status": "succeeded",
        }
        self._event("refund.created", refund)
        self._event("charge.refunded", self._charge_json(intent))
        return refund

    # -- shapes ------------------------------------------------------------------------------------

    def _state_error(self, intent: _Intent, action: str) -> _Refused:
        error = {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "message": f"You cannot {action} this PaymentIntent because it has a status of"
            f" {intent.status}.",
            "payment_intent": self._intent_json(intent, False),
        }
        return _Refused(400, error, stored=True)

    def _charge_json(self, intent: _Intent) -> dict[str, Any]:
        refunded = sum(intent.refunds)
        return {
            "id": intent.charge,
            "object": "charge",
            "amount": intent.amount,
            "amount_captured": intent.amount_received,
            "amount_refunded": refunded,
            "captured": intent.amount_received > 0,
            "currency": intent.currency,
            "paid": True,
            "payment_intent": intent.id,
            "refunded": refunded > 0 and refunded == intent.amount_received,
            "status": "succeeded",
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": "visa",
                    "last4": "4242",
                    "capture_before": intent.capture_before,
                    "multicapture": {
                        "status": "available" if intent.multicapture else "unavailable"
                    },
                },
            },
        }

    def _intent_json(self, intent: _Intent, expand: bool) -> dict[str, Any]:
        charge: object = intent.charge
        if expand and intent.charge is not None:
            charge = self._charge_json(intent)
        return {
            "id": intent.id,
            "object": "payment_intent",
            "amount": intent.amount,
            "amount_capturable": intent.amount_capturable,
            "amount_received": intent.amount_received,
            "canceled_at": intent.canceled_at,
            "cancellation_reason": intent.cancellation_reason,
            "capture_method": intent.capture_method,
            "client_secret": intent.client_secret,
            "confirmation_method": "automatic",
            "created": intent.created,
            "currency": intent.currency,
            "customer": intent.customer,
            "description": intent.description,
            "last_payment_error": intent.last_payment_error,
            "latest_charge": charge,
            "livemode": False,
            "metadata": dict(intent.metadata),
            "next_action": intent.next_action,
            "payment_method": intent.payment_method,
            "payment_method_options": {
                "card": {"request_multicapture": "if_available" if intent.multicapture else None}
            },
            "payment_method_types": ["card"],
            "status": intent.status,
        }

    def _event(self, kind: str, obj: dict[str, Any]) -> None:
        self._serial += 1
        self.events.append(
            {
                "id": f"evt_3Sim{self._serial:010d}",
                "object": "event",
                "api_version": "2024-06-20",
                "created": self._now(),
                "data": {"object": obj},
                "livemode": False,
                "type": kind,
            }
        )

    def _error_body(self, error: dict[str, Any]) -> bytes:
        error = {k: v for k, v in error.items() if v is not None}
        if "code" in error:
            error["doc_url"] = (
                f"https://stripe.com/docs/error-codes/{error['code'].replace('_', '-')}"
            )
        return json.dumps({"error": error}).encode()

    def _fingerprint(self, request: httpx.Request, form: dict[str, Any]) -> tuple[object, ...]:
        return (request.method, request.url.path, json.dumps(form, sort_keys=True))

    def _fault_response(self, fault: dict[str, Any]) -> httpx.Response:
        status = fault["status"]
        kind = "api_error" if status >= 500 else "invalid_request_error"
        code = "rate_limit" if status == 429 else None
        error = {"type": kind, "code": code, "message": f"simulated {status}"}
        response = self._response(
            status, self._error_body(error), should_retry=fault["should_retry"]
        )
        if fault["retry_after"] is not None:
            response.headers["Retry-After"] = str(fault["retry_after"])
        return response

    def _response(
        self,
        status: int,
        content: bytes,
        *,
        replayed: bool = False,
        should_retry: bool | None = None,
    ) -> httpx.Response:
        self._serial += 1
        headers = {"Content-Type": "application/json", "Request-Id": f"req_Sim{self._serial}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        if should_retry is not None:
            headers["Stripe-Should-Retry"] = "true" if should_retry else "false"
        return httpx.Response(status, content=content, headers=headers)
