"""StripeGateway: the PaymentGateway port over Stripe's PaymentIntents and Refunds API.

One payment is one PaymentIntent created with ``capture_method=manual`` and ``confirm=true``:

- :meth:`~StripeGateway.authorize` creates it (``POST /v1/payment_intents``). Without a
  ``return_url`` it also sends ``automatic_payment_methods[allow_redirects]=never``, since Stripe
  refuses to confirm a payment that might redirect when it has nowhere to send the customer
  back to; 3-D Secure then goes through Stripe's client library (``use_stripe_sdk``).
- :meth:`~StripeGateway.confirm` reads the PaymentIntent (``GET``) after the customer's action.
  With Stripe's default automatic confirmation the action itself completes the payment, so
  nothing is sent; only a PaymentIntent left in ``requires_confirmation`` is confirmed
  (``POST .../confirm``, with the caller's idempotency key).
- :meth:`~StripeGateway.capture` sends ``amount_to_capture``; a capture that is not final adds
  ``final_capture=false`` (multicapture). Stripe allows that only on PaymentIntents authorized
  with ``payment_method_options[card][request_multicapture]=if_available`` (pass
  ``request_multicapture=True``) whose charge reports multicapture as available (online card
  payments on Visa, Mastercard, Amex and Discover, an IC+ pricing feature, up to 50 captures);
  otherwise Stripe refuses it with a :class:`~commercekit.errors.GatewayError`.
- :meth:`~StripeGateway.void` cancels it; :meth:`~StripeGateway.refund` creates a Refund of
  ``amount`` (several partial refunds add up).

Every answer is checked against what was asked (the PaymentIntent's id, currency, amounts)
before it becomes a :class:`~commercekit.payments.GatewayResult`: see
:mod:`commercekit.gateways.payments._stripe_objects`. The wire (retries, errors) is
:mod:`commercekit.gateways.payments._stripe_http`'s.
"""

from __future__ import annotations

import random as _random
import re
import time
from collections.abc import Callable, Mapping
from typing import Final

import httpx

from commercekit.errors import ConfigurationError, CurrencyMismatchError, ValidationError
from commercekit.gateways.payments._stripe_currencies import to_stripe_amount
from commercekit.gateways.payments._stripe_http import (
    DEFAULT_BASE_URL,
    PROVIDER,
    STRIPE_API_VERSION,
    StripeConnection,
)
from commercekit.gateways.payments._stripe_objects import INTENT_ID, StripeObjects
from commercekit.gateways.payments._stripe_webhooks import (
    DEFAULT_TOLERANCE,
    StripeWebhookVerifier,
)
from commercekit.money import Money
from commercekit.payments import (
    AuthorizeRequest,
    GatewayResult,
    WebhookEvent,
    check_payment_token,
    looks_like_card_number,
)
from commercekit.ports import Clock

__all__ = ["DEFAULT_MAX_ATTEMPTS", "DEFAULT_TIMEOUT", "StripeGateway"]

#: Seconds each attempt may take (stripe-python waits 80 s; a checkout should not).
DEFAULT_TIMEOUT: Final = 30.0
#: Attempts per call, the first included (stripe-python's default of two retries).
DEFAULT_MAX_ATTEMPTS: Final = 3

_METADATA_KEY: Final = re.compile(r"[^\[\]]{1,40}")
_METADATA_MAX_KEYS: Final = 50
_EXPAND: Final = ["latest_charge"]
#: How many PaymentIntents' currencies a gateway remembers (oldest forgotten first).
_REMEMBERED: Final = 10_000


def _reference(value: object) -> str:
    if isinstance(value, str) and looks_like_card_number(value):
        raise ValidationError(
            "reference looks like a card number: pass the PaymentIntent id (pi_...), never"
            " card data"
        )
    if not isinstance(value, str) or not INTENT_ID.fullmatch(value):
        raise ValidationError("reference must be a Stripe PaymentIntent id (pi_ and letters)")
    return value


def _metadata(request: AuthorizeRequest) -> dict[str, str]:
    metadata = dict(request.metadata)
    given = metadata.setdefault("payment_id", request.payment_id)
    if given != request.payment_id:
        raise ValidationError("metadata 'payment_id' is set by the gateway: leave it out")
    if request.customer_id is not None and not request.customer_id.startswith("cus_"):
        metadata.setdefault("customer_id", request.customer_id)
    if len(metadata) > _METADATA_MAX_KEYS:
        raise ValidationError(f"Stripe takes at most {_METADATA_MAX_KEYS} metadata keys")
    for key in metadata:
        if not _METADATA_KEY.fullmatch(key) or looks_like_card_number(key):
            # The key is not echoed: it could be anything, card data included.
            raise ValidationError(
                "Stripe metadata keys are 1 to 40 characters without brackets (nor card data)"
            )
    return metadata


class StripeGateway:
    """The :class:`~commercekit.ports.PaymentGateway` for Stripe, over httpx.

    ``api_key`` is the secret key (``sk_...`` or a restricted ``rk_...``); it appears in no
    message, ``repr`` or log. ``client`` is the host's own :class:`httpx.Client`: its transport,
    proxies and limits are used, its base URL is not, and the gateway's headers win over its
    own. Without one the gateway makes its own (closed by :meth:`close`). Every attempt has
    ``timeout`` seconds; a call makes up to ``max_attempts`` attempts, retrying connection
    errors, 409, 429, 5xx and ``Stripe-Should-Retry: true`` (never ``false``) after
    stripe-python's backoff, or ``Retry-After`` up to 60 s; ``sleep`` and ``random`` are
    injectable for tests. When the attempts run out,
    :class:`~commercekit.errors.GatewayUnavailableError` means nothing was done and
    :class:`~commercekit.errors.OutcomeUnknownError` that it may have been: retry with the same
    key. ``stripe_version`` pins the API version of every request. ``webhook_secret``
    (``whsec_...``) is needed by :meth:`parse_webhook` only; ``webhook_tolerance`` is in
    seconds and ``clock`` tells the time for it. ``request_multicapture`` asks Stripe for
    multicapture on every authorization. See the module docs for each call's request.
    """

    #: The provider's name, on every result and error.
    provider = PROVIDER

    def __init__(
        self,
        api_key: str,
        *,
        client: httpx.Client | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        sleep: Callable[[float], object] = time.sleep,
        random: Callable[[], float] = _random.random,
        stripe_version: str = STRIPE_API_VERSION,
        webhook_secret: str | None = None,
        webhook_tolerance: int = DEFAULT_TOLERANCE,
        clock: Clock | None = None,
        request_multicapture: bool = False,
    ) -> None:
        self._http = StripeConnection(
            api_key,
            client=client,
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            sleep=sleep,
            random=random,
            stripe_version=stripe_version,
        )
        self._read = StripeObjects(self._http.errors)
        self._currencies: dict[str, str] = {}
        self._webhooks = (
            None
            if webhook_secret is None
            else StripeWebhookVerifier(webhook_secret, tolerance=webhook_tolerance, clock=clock)
        )
        if not isinstance(request_multicapture, bool):
            raise ConfigurationError("request_multicapture is True or False")
        self.request_multicapture = request_multicapture

    def __repr__(self) -> str:
        return (
            f"StripeGateway(base_url={self._http.base_url!r},"
            f" stripe_version={self._http.stripe_version!r})"
        )

    def close(self) -> None:
        """Release the connections of a client the gateway made itself."""
        self._http.close()

    def __enter__(self) -> StripeGateway:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the port ------------------------------------------------------------------------------

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        """Create and confirm a PaymentIntent holding ``request.amount`` (manual capture)."""
        if not isinstance(request, AuthorizeRequest):
            raise ValidationError("authorize takes an AuthorizeRequest")
        check_payment_token(request.payment_method)
        params: dict[str, object] = {
            "amount": to_stripe_amount(request.amount),
            "currency": request.amount.currency.code.lower(),
            "payment_method": request.payment_method,
            "confirm": True,
            "capture_method": "manual",
            "metadata": _metadata(request),
            "expand": _EXPAND,
        }
        if request.return_url is not None:
            params["return_url"] = request.return_url
        else:
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        if request.description is not None:
            params["description"] = request.description
        if request.customer_id is not None and request.customer_id.startswith("cus_"):
            params["customer"] = request.customer_id
        if self.request_multicapture:
            params["payment_method_options"] = {"card": {"request_multicapture": "if_available"}}
        intent = self._http.post("/v1/payment_intents", params, idempotency_key=idempotency_key)
        result = self._read.authorize_result(intent, "POST /v1/payment_intents", request.amount)
        self._remember(result.reference, request.amount.currency.code)
        return result

    def confirm(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """The PaymentIntent's state after the customer's action, confirming it if it waits."""
        ref = _reference(reference)
        path = f"/v1/payment_intents/{ref}"
        intent = self._http.get(path, {"expand": _EXPAND})
        what = f"GET {path}"
        if intent.get("status") == "requires_confirmation":
            path += "/confirm"
            what = f"POST {path}"
            intent = self._http.post(path, {"expand": _EXPAND}, idempotency_key=idempotency_key)
        return self._read.intent_result(intent, what, ref, None)

    def capture(
        self, reference: str, amount: Money, *, final: bool, idempotency_key: str
    ) -> GatewayResult:
        """Capture ``amount``; ``final=False`` keeps the rest capturable (multicapture)."""
        ref = _reference(reference)
        if not isinstance(final, bool):
            raise ValidationError("final is True or False")
        units = to_stripe_amount(amount)
        self._same_currency(ref, amount)
        params: dict[str, object] = {"amount_to_capture": units}
        if not final:
            params["final_capture"] = False
        path = f"/v1/payment_intents/{ref}/capture"
        intent = self._http.post(path, params, idempotency_key=idempotency_key)
        return self._read.capture_result(intent, f"POST {path}", ref, amount, final=final)

    def _same_currency(self, ref: str, amount: Money) -> None:
        """Refuse, before any money moves, an amount in another currency than the intent's.

        Stripe's capture and refund take a bare number of minor units: JPY 3000 sent for an
        EUR PaymentIntent would take EUR 30.00. The intent's currency is remembered from this
        gateway's own answers, else read once (a GET, which changes nothing).
        """
        currency = self._currencies.get(ref)
        if currency is None:
            intent = self._http.get(f"/v1/payment_intents/{ref}")
            currency = str(intent.get("currency", "")).upper()
            self._remember(ref, currency)
        if currency != amount.currency.code:
            raise CurrencyMismatchError(
                currency,
                amount.currency.code,
                message=f"PaymentIntent {ref} is in {currency}: cannot take {amount}",
            )

    def _remember(self, ref: str, currency: str) -> None:
        if len(self._currencies) >= _REMEMBERED:
            self._currencies.pop(next(iter(self._currencies)))
        self._currencies[ref] = currency

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        """Cancel the PaymentIntent, releasing what it holds."""
        ref = _reference(reference)
        path = f"/v1/payment_intents/{ref}/cancel"
        intent = self._http.post(path, {}, idempotency_key=idempotency_key)
        return self._read.void_result(intent, f"POST {path}", ref)

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayResult:
        """Refund ``amount`` of what the PaymentIntent captured (one Refund per call)."""
        ref = _reference(reference)
        units = to_stripe_amount(amount)
        self._same_currency(ref, amount)
        params = {"payment_intent": ref, "amount": units}
        refund = self._http.post("/v1/refunds", params, idempotency_key=idempotency_key)
        return self._read.refund_result(refund, "POST /v1/refunds", ref, amount)

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event of a delivery signed with ``webhook_secret``, once its signature is checked.

        A missing, wrong or stale signature is a
        :class:`~commercekit.errors.WebhookSignatureError`. Stripe delivers at least once and
        out of order: deduplicating by :attr:`~commercekit.payments.WebhookEvent.id` is the
        caller's job (the payment service's).
        """
        if self._webhooks is None:
            raise ConfigurationError("StripeGateway needs webhook_secret= to verify webhooks")
        return self._webhooks.parse(payload, headers)
