"""The wire to EasyPost's API v2: authentication, JSON, timeouts, retries and refusals.

The rules, stated once (EasyPost's API reference, "Authentication" and "Errors"):

- Every request authenticates with HTTP basic auth, the API key as the user name and no
  password, and has a timeout. Bodies are JSON; numbers go out written from Decimal text and
  come back parsed as Decimal (``parse_float=Decimal``): never a float. The key appears in no
  message, ``repr`` or log line (the server's text is scrubbed of it too).
- Connection errors, timeouts, 429 and every 5xx are transient. Before attempt ``n + 1`` the
  connection sleeps ``random() x min(max_backoff, backoff x 2 ** (n - 1))`` (capped exponential
  backoff, full jitter), or the answer's ``Retry-After`` seconds, capped at ``max_backoff``.
- A call that is safe to repeat (a GET; creating a shipment, which buys nothing; creating a
  tracker, which EasyPost deduplicates by tracking code) is retried up to ``max_attempts``
  attempts in all, and then raises :class:`~commercekit.errors.GatewayUnavailableError`.
- A call that is not (buying a label) is repeated only where nothing can have been done (no
  connection made, a 429 or a 503). After any other transient failure (a timeout after
  sending, a dropped connection, another 5xx) the caller's ``reread`` looks at what EasyPost
  holds: if the call took effect, that answer is returned; if not, the call is repeated. When
  the attempts run out, or the re-read fails, the outcome is unknown:
  :class:`~commercekit.errors.OutcomeUnknownError`.
- Any other answer is EasyPost's final word: its ``error`` object (``code``, ``message``,
  ``errors``) becomes a :class:`~commercekit.errors.GatewayError` with ``provider="easypost"``,
  EasyPost's ``code`` and the HTTP status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx

from commercekit.errors import (
    ConfigurationError,
    GatewayError,
    GatewayUnavailableError,
    OutcomeUnknownError,
)
from commercekit.gateways.http import (
    check_client_settings,
    encode_json,
    full_jitter_delay,
    log_failure,
    log_retry,
    read_json,
    seconds,
    shorten,
)
from commercekit.gateways.http import retry_after as header_retry_after

__all__ = [
    "DEFAULT_BASE_URL",
    "PROVIDER",
    "EasyPostConnection",
    "encode_json",
    "malformed",
]

#: The provider named on every error.
PROVIDER: Final = "easypost"
#: EasyPost's endpoint (test and production keys share it).
DEFAULT_BASE_URL: Final = "https://api.easypost.com"

_LOG = logging.getLogger("commercekit.gateways.easypost")
# Refusals made before any work: a rate limit, or the service down.
_NOTHING_DONE: Final = frozenset({429, 503})
# A connection never made sent nothing.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_SHOWN: Final = 300

#: What a ``reread`` answers: the object the call would have returned, or ``None`` (not done).
Reread = Callable[[], Mapping[str, Any] | None]


def malformed(what: str, problem: str) -> GatewayError:
    """The error for an answer that is not EasyPost's documented shape (not retried)."""
    return GatewayError(
        shorten(f"EasyPost's answer to {what} is not the documented shape: {problem}"),
        provider=PROVIDER,
        code="malformed_response",
        retryable=False,
    )


def _field_errors(errors: object) -> str:
    """EasyPost's ``errors`` list (FieldError objects or strings) as ``field: message; ...``."""
    if not isinstance(errors, list):
        return ""
    parts: list[str] = []
    for error in errors:
        if isinstance(error, str) and error:
            parts.append(error)
        elif isinstance(error, Mapping):
            field, message = error.get("field"), error.get("message")
            text = str(message) if message else ""
            parts.append(f"{field}: {text}" if isinstance(field, str) and field else text)
    return "; ".join(part for part in parts if part)


class EasyPostConnection:
    """One EasyPost account's wire (see the module docs); it holds the API key, and shows none.

    ``client`` is the host's :class:`httpx.Client` (an ``httpx.MockTransport`` one in tests),
    closed by its owner; without one the connection makes and closes its own.
    """

    def __init__(
        self,
        api_key: str,
        *,
        client: httpx.Client | None,
        base_url: str,
        timeout: float,
        max_attempts: int,
        backoff: float,
        max_backoff: float,
        sleep: Callable[[float], object],
        random: Callable[[], float],
    ) -> None:
        check_client_settings(
            api_key,
            what="the EasyPost API key",
            max_attempts=max_attempts,
            sleep=sleep,
            random=random,
        )
        if not isinstance(base_url, str) or not re.fullmatch(r"https?://[^/\s]+/?", base_url):
            raise ConfigurationError(f"base_url must be an http(s) origin, got {base_url!r}")
        if client is not None and not isinstance(client, httpx.Client):
            raise ConfigurationError("client must be an httpx.Client")
        self._key = api_key
        self._auth = httpx.BasicAuth(api_key, "")
        self.base_url = base_url.rstrip("/")
        self.timeout = seconds(timeout, "timeout", positive=True)
        self.max_attempts = max_attempts
        self.backoff = seconds(backoff, "backoff", positive=False)
        self.max_backoff = seconds(max_backoff, "max_backoff", positive=False)
        self._sleep = sleep
        self._random = random
        self._owns_client = client is None
        self._client = httpx.Client() if client is None else client

    def __repr__(self) -> str:
        return f"EasyPostConnection(base_url={self.base_url!r})"

    def close(self) -> None:
        """Release the connections (a client the host passed in is the host's to close)."""
        if self._owns_client:
            self._client.close()

    def scrub(self, text: str) -> str:
        """``text`` without the API key, cut to a readable length."""
        return shorten(text.replace(self._key, "[api key]"))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The pause after failed attempt ``attempt`` (1-based), by the module's rule."""
        return full_jitter_delay(
            attempt,
            retry_after,
            backoff=self.backoff,
            max_backoff=self.max_backoff,
            random=self._random,
        )

    def get(self, path: str) -> Mapping[str, Any]:
        """GET ``path``: EasyPost's object, or an error (retried: a GET acts on nothing)."""
        return self.request("GET", path)

    def request(
        self,
        method: str,
        path: str,
        payload: Mapping[str, object] | None = None,
        *,
        reread: Reread | None = None,
    ) -> Mapping[str, Any]:
        """Send ``payload`` and return EasyPost's object, retrying as the module docs say.

        Without ``reread`` the call is repeated after any transient failure; with it, only
        where nothing was done, ``reread`` deciding after the others.
        """
        what = f"{method} {path}"
        content = b"" if payload is None else encode_json(payload, service="EasyPost")
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        maybe_done = False
        problem, code = "", "connection_error"
        status: int | None = None
        cause: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self._client.request(
                    method,
                    self.base_url + path,
                    content=content,
                    headers=headers,
                    auth=self._auth,
                    timeout=self.timeout,
                )
            except httpx.TransportError as exc:
                cause, status = exc, None
                acted = not isinstance(exc, _NOT_SENT)
                timed_out = isinstance(exc, httpx.TimeoutException)
                code = "timeout" if timed_out else "connection_error"
                problem = f"the request {'timed out' if timed_out else 'failed'}"
                problem += f" ({type(exc).__name__})"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return self._object(response, what)
                if status != 429 and status < 500:
                    refused = self.refusal(response, what)
                    log_failure(_LOG, refused, provider=PROVIDER, operation=what, attempts=attempt)
                    raise refused
                cause = None
                acted = status not in _NOTHING_DONE
                code, problem = f"http_{status}", f"EasyPost answered {status}"
                retry_after = header_retry_after(response.headers)
            pause = self.delay(attempt, retry_after) if attempt < self.max_attempts else None
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
            # After a failure that may have acted, the last attempt may still be under way.
            maybe_done = reread is not None and acted
            if maybe_done:
                assert reread is not None
                found = self._reread(reread, what, problem, attempt)
                if found is not None:
                    _LOG.info(
                        "%s: the re-read shows it took effect",
                        what,
                        extra={
                            "area": "gateways",
                            "event": "reread",
                            "provider": PROVIDER,
                            "operation": what,
                            "attempt": attempt,
                        },
                    )
                    return found
            if pause is not None:
                self._sleep(pause)
        attempts = f"{self.max_attempts} attempt{'s' if self.max_attempts > 1 else ''}"
        error: GatewayError | OutcomeUnknownError
        if maybe_done:
            error = OutcomeUnknownError(
                f"{what}: no answer after {attempts} (last: {problem}), and the last may still"
                " be under way: call again with the same idempotency key to learn the outcome",
                provider=PROVIDER,
                code=code,
            )
        else:
            error = GatewayUnavailableError(
                f"EasyPost is unavailable: {what} failed {attempts} (last: {problem})",
                provider=PROVIDER,
                code=code,
                status=status,
                retryable=True,
            )
        log_failure(_LOG, error, provider=PROVIDER, operation=what, attempts=self.max_attempts)
        raise error from cause

    def _reread(
        self, reread: Reread, what: str, problem: str, attempt: int
    ) -> Mapping[str, Any] | None:
        try:
            return reread()
        except GatewayError as exc:
            error = OutcomeUnknownError(
                f"{what}: {problem}, and reading it back failed ({exc}); it may or may not"
                " have been done: call again with the same idempotency key",
                provider=PROVIDER,
                code=exc.code,
            )
            log_failure(_LOG, error, provider=PROVIDER, operation=what, attempts=attempt)
            raise error from exc

    def refusal(self, response: httpx.Response, what: str) -> GatewayError:
        """The error for EasyPost's final refusal ``response`` (its ``error`` object)."""
        body = read_json(response.content)
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code, message = error.get("code"), error.get("message")
        status = response.status_code
        code = code if isinstance(code, str) and code else f"http_{status}"
        text = f"EasyPost refused {what} with {status} {code}"
        if isinstance(message, str) and message:
            text += f": {message}"
        details = _field_errors(error.get("errors"))
        if details:
            text += f" ({details})"
        return GatewayError(
            self.scrub(text),
            provider=PROVIDER,
            code=self.scrub(code),
            status=status,
            retryable=False,
        )

    def _object(self, response: httpx.Response, what: str) -> Mapping[str, Any]:
        body = read_json(response.content)
        if not isinstance(body, dict):
            raise malformed(what, "the body is not a JSON object")
        return body
