"""The wire to Stripe's API v1: form encoding, headers and retries.

The rules, stated once (Stripe's API reference, "Idempotent requests", "Errors", "Versioning";
stripe-python's retry policy in ``stripe/_http_client.py``):

- Every request carries ``Authorization: Bearer <key>``, the pinned ``Stripe-Version``, and
  ``Content-Type: application/x-www-form-urlencoded`` (even with an empty body), and has a
  timeout. Every POST carries the caller's ``Idempotency-Key``. The key appears in no message,
  ``repr`` or log line.
- Bodies are form-encoded here: ``metadata[k]=v`` for mappings, ``expand[]=x`` for lists.
- Retried, up to ``max_attempts`` attempts in all: connection errors and timeouts, 409 (another
  request with the same idempotency key is in flight), 429, every 5xx, and any answer with
  ``Stripe-Should-Retry: true``; never an answer with ``Stripe-Should-Retry: false``. Before
  retry ``n`` it sleeps ``max(0.5, min(0.5 x 2**(n-1), 5) x (1 + random()) / 2)`` seconds, or
  the answer's ``Retry-After`` when that is longer and at most 60 s.
- When the retries end: :class:`~commercekit.errors.GatewayUnavailableError` if no attempt can
  have been acted on (no connection made, 429); otherwise, for a POST,
  :class:`~commercekit.errors.OutcomeUnknownError` (a timeout after sending, a dropped
  connection, a 409 or a 5xx): retry with the same key to learn the outcome. A GET acts on
  nothing, so it only ever ends unavailable.
- A final 4xx maps Stripe's error body to a typed error: see
  :mod:`commercekit.gateways.payments._stripe_errors`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote_plus

import httpx

from commercekit.errors import ConfigurationError
from commercekit.gateways.http import check_client_settings, log_failure, log_retry, seconds
from commercekit.gateways.http import retry_after as header_retry_after
from commercekit.gateways.payments._stripe_errors import PROVIDER, StripeErrors, read_json
from commercekit.rules import check_identifier

__all__ = [
    "DEFAULT_BASE_URL",
    "PROVIDER",
    "STRIPE_API_VERSION",
    "StripeConnection",
    "encode_form",
    "stripe_idempotency_key",
]

#: Stripe's API endpoint.
DEFAULT_BASE_URL: Final = "https://api.stripe.com"
#: The API version every request pins (the shapes read here are this version's).
STRIPE_API_VERSION: Final = "2024-06-20"

_LOG = logging.getLogger("commercekit.gateways.stripe")
# stripe-python's constants: first delay, longest backoff, longest Retry-After honoured.
_INITIAL_DELAY: Final = 0.5
_MAX_DELAY: Final = 5.0
_MAX_RETRY_AFTER: Final = 60.0
# A connection never made sent nothing.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_KEY_HEADER: Final = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")


def _pairs(prefix: str, value: object) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    if isinstance(value, int | str):
        return [(prefix, str(value))]
    if isinstance(value, Mapping):
        return [pair for k, v in value.items() for pair in _pairs(f"{prefix}[{k}]", v)]
    if isinstance(value, list | tuple):
        return [pair for item in value for pair in _pairs(f"{prefix}[]", item)]
    raise TypeError(f"cannot form-encode {type(value).__name__} for Stripe")


def encode_form(params: Mapping[str, object]) -> bytes:
    """``params`` form-encoded as Stripe reads them (``None`` values are left out).

    >>> encode_form({"amount": 1000, "metadata": {"order": "A 1"}, "expand": ["latest_charge"]})
    b'amount=1000&metadata[order]=A+1&expand[]=latest_charge'
    """
    pairs = [pair for key, value in params.items() for pair in _pairs(key, value)]
    return "&".join(
        f"{quote_plus(k, safe='[]')}={quote_plus(v, safe='')}" for k, v in pairs
    ).encode("ascii")


def stripe_idempotency_key(key: object) -> str:
    """The ``Idempotency-Key`` header for the caller's ``key``, the same on every retry.

    ``key`` follows commercekit's identifier rules (so it is at most 200 characters, within
    Stripe's 255). One of printable ASCII goes as it is; one with characters an HTTP header
    cannot carry (accents, CJK) as ``sha256:`` and the digest of its UTF-8.

    >>> stripe_idempotency_key("pay_1:authorize:1")
    'pay_1:authorize:1'
    """
    text = check_identifier(key, name="idempotency key")
    if _KEY_HEADER.fullmatch(text):
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class StripeConnection:
    """One Stripe account's wire: headers, retries and error mapping (see the module docs).

    :attr:`errors` builds the errors of this account's answers, its API key scrubbed out.
    """

    def __init__(
        self,
        api_key: str,
        *,
        client: httpx.Client | None,
        base_url: str,
        timeout: float,
        max_attempts: int,
        sleep: Callable[[float], object],
        random: Callable[[], float],
        stripe_version: str,
    ) -> None:
        check_client_settings(
            api_key,
            what="the Stripe API key",
            max_attempts=max_attempts,
            sleep=sleep,
            random=random,
        )
        if not isinstance(base_url, str) or not re.fullmatch(r"https?://[^/\s]+/?", base_url):
            raise ConfigurationError(f"base_url must be an http(s) origin, got {base_url!r}")
        if not isinstance(stripe_version, str) or not re.fullmatch(r"[\w.-]+", stripe_version):
            raise ConfigurationError(f"stripe_version is not an API version: {stripe_version!r}")
        if client is not None and not isinstance(client, httpx.Client):
            raise ConfigurationError("client must be an httpx.Client")
        self._key = api_key
        self.errors = StripeErrors(api_key)
        self.base_url = base_url.rstrip("/")
        self.timeout = seconds(timeout, "timeout", positive=True)
        self.max_attempts = max_attempts
        self.stripe_version = stripe_version
        self._sleep = sleep
        self._random = random
        self._owns_client = client is None
        self._client = httpx.Client() if client is None else client

    def __repr__(self) -> str:
        return f"StripeConnection(base_url={self.base_url!r})"

    def close(self) -> None:
        """Release the connections (a client the host passed in is the host's to close)."""
        if self._owns_client:
            self._client.close()

    def delay(self, retry: int, retry_after: float | None) -> float:
        """The pause before retry number ``retry`` (1-based), by stripe-python's rule."""
        backoff = min(math.ldexp(_INITIAL_DELAY, min(retry - 1, 64)), _MAX_DELAY)
        pause = max(_INITIAL_DELAY, backoff * (1 + self._random()) / 2)
        if retry_after is not None and retry_after <= _MAX_RETRY_AFTER:
            pause = max(pause, retry_after)
        return pause

    def _headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._key}",
            "Stripe-Version": self.stripe_version,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def post(
        self, path: str, params: Mapping[str, object], *, idempotency_key: str
    ) -> Mapping[str, Any]:
        """POST ``params`` to ``path`` with ``idempotency_key``; Stripe's object, or an error."""
        key = stripe_idempotency_key(idempotency_key)
        return self._send("POST", path, encode_form(params), self._headers(key), key=key)

    def get(self, path: str, params: Mapping[str, object] | None = None) -> Mapping[str, Any]:
        """GET ``path`` (``params`` in the query); Stripe's object, or an error."""
        query = encode_form(params or {}).decode("ascii")
        target = f"{path}?{query}" if query else path
        return self._send("GET", target, b"", self._headers(None), key=None)

    def _send(
        self, method: str, path: str, body: bytes, headers: dict[str, str], *, key: str | None
    ) -> Mapping[str, Any]:
        what = f"{method} {path.partition('?')[0]}"
        url = self.base_url + path
        maybe_done = False
        problem, code = "", "connection_error"
        status: int | None = None
        cause: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self._client.request(
                    method, url, content=body, headers=headers, timeout=self.timeout
                )
            except httpx.TransportError as exc:
                cause, status, retry = exc, None, True
                maybe_done = maybe_done or not isinstance(exc, _NOT_SENT)
                timed_out = isinstance(exc, httpx.TimeoutException)
                code = "timeout" if timed_out else "connection_error"
                problem = f"the request {'timed out' if timed_out else 'failed'}"
                problem += f" ({type(exc).__name__})"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return self._object(response, what)
                hint = response.headers.get("Stripe-Should-Retry", "").lower()
                transient = status in (409, 429) or status >= 500
                retry = hint == "true" or (hint != "false" and transient)
                # A refusal Stripe asks to retry stands once the attempts are spent.
                if not transient and (not retry or attempt == self.max_attempts):
                    refused = self.errors.refusal(response, what, key)
                    log_failure(_LOG, refused, provider=PROVIDER, operation=what, attempts=attempt)
                    raise refused
                cause = None
                maybe_done = maybe_done or status == 409 or status >= 500
                code, problem = self.errors.failure(response)
                retry_after = header_retry_after(response.headers)
            again = retry and attempt < self.max_attempts
            pause = self.delay(attempt, retry_after) if again else None
            log_retry(
                _LOG,
                provider=PROVIDER,
                operation=what,
                attempt=attempt,
                max_attempts=self.max_attempts,
                problem=problem,
                status=status,
                code=code,
                delay=pause,
            )
            if pause is None:
                break
            self._sleep(pause)
        error = self.errors.exhausted(
            what,
            attempt,
            problem,
            code=code,
            status=status,
            maybe_done=method == "POST" and maybe_done,
        )
        log_failure(_LOG, error, provider=PROVIDER, operation=what, attempts=attempt)
        raise error from cause

    def _object(self, response: httpx.Response, what: str) -> Mapping[str, Any]:
        body = read_json(response.content)
        if not isinstance(body, dict):
            raise self.errors.malformed(what, "the body is not a JSON object")
        return body
