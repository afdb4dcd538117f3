"""What every HTTP adapter shares: exact JSON, shortened messages, settings, full-jitter backoff.

The TaxJar, Stripe and EasyPost clients each speak their provider's rules (which answers are
retried, how errors read); the wire mechanics below are the same for all of them, so they are
written once. Amounts never pass through a float: Decimals are written as JSON numbers from
their text, and JSON numbers are read back as Decimal. Each adapter logs its retries and its
failures through :func:`log_retry` and :func:`log_failure`, with the same ``extra`` keys.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Final, NoReturn

from commercekit.errors import (
    ConfigurationError,
    GatewayUnavailableError,
    OutcomeUnknownError,
    PaymentDeclinedError,
    TaxUnavailableError,
)

__all__ = [
    "SHOWN",
    "failure_outcome",
    "check_client_settings",
    "decode_json",
    "encode_json",
    "full_jitter_delay",
    "log_failure",
    "log_retry",
    "read_json",
    "retry_after",
    "seconds",
    "shorten",
]

#: How many characters of a provider's text a message repeats.
SHOWN: Final = 300

# Retry-After in seconds (an HTTP date is not used by these providers, and is ignored).
_RETRY_AFTER: Final = re.compile(r"\d{1,6}(\.\d{1,6})?")


def shorten(text: str) -> str:
    """``text`` cut to :data:`SHOWN` characters (``...`` marks a cut).

    >>> shorten("x" * 301)[-4:]
    'x...'
    """
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _encode(value: object, service: str) -> str:
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a JSON number: {value}")
        return format(value, "f")
    if isinstance(value, Mapping):
        pairs = (f"{json.dumps(k)}:{_encode(v, service)}" for k, v in value.items())
        return "{" + ",".join(pairs) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v, service) for v in value) + "]"
    raise TypeError(f"cannot send {type(value).__name__} to {service}")


def encode_json(payload: Mapping[str, object], *, service: str) -> bytes:
    """``payload`` as JSON, Decimals written as numbers from their text (never a float).

    A value JSON cannot carry is a TypeError naming ``service``.

    >>> encode_json({"amount": Decimal("16.50"), "items": [1, None]}, service="TaxJar")
    b'{"amount":16.50,"items":[1,null]}'
    """
    return _encode(payload, service).encode("utf-8")


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(content: bytes) -> object:
    """A JSON body with numbers as Decimal; ``NaN`` and ``Infinity`` are a ValueError.

    >>> decode_json(b'{"rate": 0.0725}')
    {'rate': Decimal('0.0725')}
    """
    return json.loads(content, parse_float=Decimal, parse_constant=_no_constant)


def read_json(content: bytes) -> object:
    """:func:`decode_json`, or ``None`` when ``content`` is not JSON."""
    try:
        return decode_json(content)
    except (ValueError, RecursionError):
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The seconds a ``Retry-After`` header asks to wait, or ``None`` without a usable one.

    >>> retry_after({"Retry-After": " 2.5 "}), retry_after({"Retry-After": "soon"})
    (2.5, None)
    """
    text = headers.get("Retry-After", "").strip()
    return float(text) if _RETRY_AFTER.fullmatch(text) else None


def seconds(value: object, name: str, *, positive: bool) -> float:
    """A setting in seconds: a finite number, positive (or ``>= 0`` when not ``positive``).

    Anything else is a :class:`~commercekit.errors.ConfigurationError` naming ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} is a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ConfigurationError(f"{name} must be {'positive' if positive else '>= 0'}: {value}")
    return float(value)


def check_client_settings(
    key: object,
    *,
    what: str,
    max_attempts: object,
    sleep: object,
    random: object,
) -> None:
    """Refuse an adapter's settings that cannot work, as :class:`ConfigurationError`.

    ``key`` (named ``what`` in the message, never shown) must be printable ASCII without
    spaces, ``max_attempts`` a whole number >= 1, ``sleep`` and ``random`` callables.
    """
    if not isinstance(key, str) or not re.fullmatch(r"[\x21-\x7e]+", key):
        raise ConfigurationError(f"{what} is printable ASCII without spaces")
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ConfigurationError(f"max_attempts is a whole number >= 1, got {max_attempts!r}")
    if not callable(sleep) or not callable(random):
        raise ConfigurationError("sleep and random must be callables")


def full_jitter_delay(
    attempt: int,
    retry_after: float | None,
    *,
    backoff: float,
    max_backoff: float,
    random: Callable[[], float],
) -> float:
    """The pause after failed attempt ``attempt`` (1-based): capped exponential, full jitter.

    ``random() x min(max_backoff, backoff x 2 ** (attempt - 1))``; a server's ``Retry-After``
    wins, capped at ``max_backoff``.

    >>> full_jitter_delay(3, None, backoff=0.5, max_backoff=4.0, random=lambda: 1.0)
    2.0
    >>> full_jitter_delay(1, 30.0, backoff=0.5, max_backoff=4.0, random=lambda: 1.0)
    4.0
    """
    if retry_after is not None:
        return min(retry_after, max_backoff)
    # The exponent is capped so that no attempt count overflows.
    return random() * min(max_backoff, math.ldexp(backoff, min(attempt - 1, 64)))


def log_retry(
    log: logging.Logger,
    *,
    provider: str,
    operation: str,
    attempt: int,
    max_attempts: int,
    problem: str,
    status: int | None,
    code: str | None,
    delay: float | None,
    area: str = "gateways",
) -> None:
    """Log failed attempt ``attempt`` of ``operation`` at WARNING (``event="retry"``).

    ``delay`` is the pause before the next attempt, ``None`` when there is none. ``problem``
    must already be free of secrets (adapters build it from the status and the request id).
    """
    log.warning(
        "%s: attempt %d of %d: %s",
        operation,
        attempt,
        max_attempts,
        problem,
        stacklevel=2,  # the record names the adapter's line, not this helper's
        extra={
            "area": area,
            "event": "retry",
            "provider": provider,
            "operation": operation,
            "attempt": attempt,
            "max_attempts": max_attempts,
            "status": status,
            "code": code,
            "delay_ms": None if delay is None else round(delay * 1000, 1),
        },
    )


def failure_outcome(error: BaseException) -> str:
    """How a failed call ended, in the words every ``gateway_failure`` log record uses.

    ``declined``, ``outcome_unknown`` (it may have been done), ``unavailable`` (nothing was
    done: retry later) or ``error`` (a refusal or an unreadable answer).
    """
    if isinstance(error, PaymentDeclinedError):
        return "declined"
    if isinstance(error, OutcomeUnknownError):
        return "outcome_unknown"
    if isinstance(error, GatewayUnavailableError | TaxUnavailableError):
        return "unavailable"
    return "error"


def log_failure(
    log: logging.Logger,
    error: Exception,
    *,
    provider: str,
    operation: str,
    attempts: int | None,
    area: str = "gateways",
) -> None:
    """Log the error an adapter is about to raise: a decline at INFO, anything else at WARNING.

    The record (``event="gateway_failure"``) carries the error's ``provider``, ``status`` and
    ``code`` and its message, which adapters build scrubbed of their keys; ``attempts`` is how
    many were made (``None`` if the caller does not know).
    """
    outcome = failure_outcome(error)
    log.log(
        logging.INFO if outcome == "declined" else logging.WARNING,
        "%s: %s",
        operation,
        error,
        stacklevel=2,
        extra={
            "area": area,
            "event": "gateway_failure",
            "outcome": outcome,
            "error": type(error).__name__,
            "provider": getattr(error, "provider", None) or provider,
            "operation": operation,
            "attempt": attempts,
            "status": getattr(error, "status", None),
            "code": getattr(error, "code", None),
        },
    )
