"""The wire to TaxJar's API v2: one HTTP session, retries, refusals, and exact amounts.

Shared by :class:`~commercekit.tax.TaxJar` (calculation) and
:class:`~commercekit.tax.TaxJarReporter` (transactions). The rules, stated once:

- Every request carries ``Authorization: Bearer <token>`` and has a timeout
  (``httpx.Timeout(timeout)``). The token appears in no message and no ``repr``.
- Amounts go out as JSON numbers written from Decimal text (``Decimal(minor).scaleb(-minor
  units)``) and come back parsed with ``parse_float=Decimal``: no float anywhere.
- 429, 500, 503 and every other 5xx, connection errors and timeouts are retried, up to
  ``max_attempts`` attempts in all. Before attempt ``n + 1`` it sleeps ``random() x
  min(max_backoff, backoff x 2 ** (n - 1))`` (capped exponential backoff, full jitter), or
  the ``Retry-After`` seconds when the answer gives them, capped at ``max_backoff``.
- A 4xx is TaxJar's final answer: it is returned to the caller, which raises
  :class:`~commercekit.errors.TaxServiceError` (or, for a duplicate transaction, counts it
  as done).
- When the attempts run out: :class:`~commercekit.errors.TaxUnavailableError` (retryable) if
  nothing can have taken effect. For a write, if an attempt may have reached TaxJar and no
  answer came back (a read timeout, a dropped connection, a 5xx other than 503), the
  outcome is unknown: :class:`~commercekit.errors.OutcomeUnknownError`. A 429 or 503 is
  TaxJar refusing before doing anything; a connection that was never made sent nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

import attrs
import httpx

from commercekit.address import Address
from commercekit.errors import (
    ConfigurationError,
    OutcomeUnknownError,
    TaxAddressError,
    TaxServiceError,
    TaxUnavailableError,
)
from commercekit.gateways.http import (
    check_client_settings,
    decode_json,
    encode_json,
    full_jitter_delay,
    log_failure,
    log_retry,
    seconds,
    shorten,
)
from commercekit.gateways.http import retry_after as header_retry_after
from commercekit.money import CTX, Currency

__all__ = ["DEFAULT_BASE_URL", "PROVIDER", "Reply", "TaxJarConnection"]

#: The provider name on every error and tax line.
PROVIDER: Final = "taxjar"
#: TaxJar's production endpoint (the sandbox is ``https://api.sandbox.taxjar.com``).
DEFAULT_BASE_URL: Final = "https://api.taxjar.com"

_LOG = logging.getLogger("commercekit.tax")
# Refusals made before any work: a rate limit, or the service down for maintenance.
_NOTHING_DONE: Final = frozenset({429, 503})
# A refused request that never left: no connection, or none free in the pool.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Numbers past 10**15 major units are no amount (and int() of 1E+999999999 would hang).
_MAX_EXPONENT: Final = 15
_SHOWN: Final = 300


def wire_amount(minor: int, currency: Currency) -> Decimal:
    """``minor`` units as the Decimal TaxJar reads (1650 USD cents -> ``Decimal("16.50")``)."""
    return Decimal(minor).scaleb(-currency.minor_units, context=CTX)


def malformed(what: str, problem: str) -> TaxServiceError:
    """The error for an answer that is not the documented shape."""
    return TaxServiceError(
        f"TaxJar's answer to {what} is not the documented shape: {problem}",
        provider=PROVIDER,
        code="malformed_response",
    )


def number(value: object, what: str, where: str) -> Decimal:
    """TaxJar's JSON number ``value`` (read as Decimal); anything else is malformed."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise malformed(what, f"{where} is not a number: {shorten(repr(value))}")
    result = Decimal(value)
    if not result.is_finite() or result.adjusted() > _MAX_EXPONENT:
        raise malformed(what, f"{where} is out of range: {shorten(str(result))}")
    return result


def minor_amount(value: object, currency: Currency, what: str, where: str) -> int:
    """TaxJar's amount ``value`` in minor units; finer than the minor unit is malformed."""
    amount = number(value, what, where)
    scaled = amount.scaleb(currency.minor_units, context=CTX)
    if scaled != scaled.to_integral_value(context=CTX):
        raise malformed(what, f"{where} = {amount} is finer than the minor unit of {currency}")
    return int(scaled)


def state_code(address: Address) -> str:
    """The region without its country prefix (``"US-CA"`` and ``"CA"`` give ``"CA"``)."""
    prefix = address.country + "-"
    return address.region[len(prefix) :] if address.region.startswith(prefix) else address.region


def address_fields(prefix: str, address: Address) -> dict[str, str]:
    """TaxJar's fields for ``address``: ``<prefix>country``, ``zip``, ``state``, ``city``..."""
    fields = {f"{prefix}country": address.country}
    if address.postal_code:
        fields[f"{prefix}zip"] = address.postal_code
    if address.region:
        fields[f"{prefix}state"] = state_code(address)
    if address.city:
        fields[f"{prefix}city"] = address.city
    if address.lines:
        fields[f"{prefix}street"] = ", ".join(address.lines)
    return fields


def destination_fields(address: Address, *, zip_everywhere: bool) -> dict[str, str]:
    """The ``to_`` fields, once TaxJar's required ones are known to be there.

    TaxJar wants ``to_zip`` for the US (for transactions: everywhere) and ``to_state`` for
    the US and Canada (transactions: everywhere); without them it can only refuse.
    """
    where = address.subdivision or address.country
    if not address.postal_code and (zip_everywhere or address.country == "US"):
        raise TaxAddressError(f"TaxJar needs the destination's postal code ({where})")
    if not address.region and (zip_everywhere or address.country in ("US", "CA")):
        raise TaxAddressError(f"TaxJar needs the destination's state or province ({where})")
    return address_fields("to_", address)


@attrs.frozen
class Reply:
    """A final answer from TaxJar: a 2xx with its JSON object, or a refusal (4xx)."""

    #: The HTTP status.
    status: int
    #: The JSON object of the body (empty when a refusal's body was not JSON).
    body: Mapping[str, Any]


class TaxJarConnection:
    """One TaxJar account's HTTP session and retry policy (see the module docs).

    ``transport`` replaces the network (``httpx.MockTransport`` in tests); ``sleep`` and
    ``random`` are injected so that tests see every pause. Close it (or use it as a context
    manager) to release its connections.
    """

    def __init__(
        self,
        api_token: str,
        *,
        transport: httpx.BaseTransport | None,
        base_url: str,
        timeout: float,
        max_attempts: int,
        backoff: float,
        max_backoff: float,
        sleep: Callable[[float], object],
        random: Callable[[], float],
    ) -> None:
        check_client_settings(
            api_token,
            what="the TaxJar API token",
            max_attempts=max_attempts,
            sleep=sleep,
            random=random,
        )
        if not isinstance(base_url, str) or not re.match(r"https?://[^/\s]+", base_url):
            raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
        self._token = api_token
        self.base_url = base_url.rstrip("/")
        self.timeout = seconds(timeout, "timeout", positive=True)
        self.max_attempts = max_attempts
        self.backoff = seconds(backoff, "backoff", positive=False)
        self.max_backoff = seconds(max_backoff, "max_backoff", positive=False)
        self._sleep = sleep
        self._random = random
        self._client = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(self.timeout),
            headers={
                "Authorization": f"Bearer {api_token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )

    def __repr__(self) -> str:
        return f"TaxJarConnection(base_url={self.base_url!r})"

    def close(self) -> None:
        """Release the connections."""
        self._client.close()

    def scrub(self, text: str) -> str:
        """``text`` without the API token, cut to a readable length."""
        return shorten(text.replace(self._token, "[api token]"))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The pause after failed attempt ``attempt`` (1-based), by the module's rule."""
        return full_jitter_delay(
            attempt,
            retry_after,
            backoff=self.backoff,
            max_backoff=self.max_backoff,
            random=self._random,
        )

    def request(
        self, method: str, path: str, payload: Mapping[str, object], *, writes: bool
    ) -> Reply:
        """Send ``payload`` and return the final answer, retrying as the module docs say."""
        what = f"{method} {path}"
        content = encode_json(payload, service="TaxJar")
        maybe_done = False
        problem = ""
        status: int | None = None
        cause: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            retry_after = None
            try:
                response = self._client.request(method, path, content=content)
            except httpx.HTTPError as exc:
                cause, status = exc, None
                maybe_done = maybe_done or not isinstance(exc, _NOT_SENT)
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                problem = f"the request {kind} ({type(exc).__name__})"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return Reply(status, self._body(response, what))
                if status != 429 and status < 500:
                    return Reply(status, self._refusal_body(response))
                cause = None
                maybe_done = maybe_done or status not in _NOTHING_DONE
                retry_after = header_retry_after(response.headers)
                problem = f"TaxJar answered {status} {response.reason_phrase}"
            pause = self.delay(attempt, retry_after) if attempt < self.max_attempts else None
            log_retry(
                _LOG,
                provider=PROVIDER,
                operation=what,
                attempt=attempt,
                max_attempts=self.max_attempts,
                problem=problem,
                status=status,
                code=None if status is None else f"http_{status}",
                delay=pause,
                area="tax",
            )
            if pause is not None:
                self._sleep(pause)
        attempts = f"{self.max_attempts} attempt{'s' if self.max_attempts > 1 else ''}"
        error: OutcomeUnknownError | TaxUnavailableError
        if writes and maybe_done:
            error = OutcomeUnknownError(
                f"{what}: no answer after {attempts} (last: {problem}); it may or may not have"
                " been recorded: report it again, a duplicate is recognized"
            )
        else:
            error = TaxUnavailableError(
                f"TaxJar is unavailable: {what} failed {attempts} (last: {problem})",
                provider=PROVIDER,
                status=status,
                retryable=True,
            )
        log_failure(
            _LOG, error, provider=PROVIDER, operation=what, attempts=self.max_attempts, area="tax"
        )
        raise error from cause

    def refused(self, reply: Reply, what: str) -> TaxServiceError:
        """The error for TaxJar's refusal ``reply`` (a 4xx, or a non-2xx it should not send)."""
        error, detail = reply.body.get("error"), reply.body.get("detail")
        code = error if isinstance(error, str) and error else None
        message = f"TaxJar refused {what} with {reply.status}"
        if code is not None:
            message += f" {code}"
        if isinstance(detail, str) and detail:
            message += f": {detail}"
        error = TaxServiceError(
            self.scrub(message),
            provider=PROVIDER,
            code=None if code is None else self.scrub(code),
            status=reply.status,
        )
        log_failure(_LOG, error, provider=PROVIDER, operation=what, attempts=None, area="tax")
        return error

    def _body(self, response: httpx.Response, what: str) -> Mapping[str, Any]:
        try:
            body = decode_json(response.content)
        except (ValueError, RecursionError) as exc:
            raise malformed(what, f"the body is not JSON ({type(exc).__name__})") from None
        if not isinstance(body, dict):
            raise malformed(what, "the body is not a JSON object")
        return body

    def _refusal_body(self, response: httpx.Response) -> Mapping[str, Any]:
        try:
            body = decode_json(response.content)
        except (ValueError, RecursionError):
            return {}
        return body if isinstance(body, dict) else {}
