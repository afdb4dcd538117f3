"""An httpx transport that breaks the wire to the Stripe simulator, at random, reproducibly.

Each request draws from the transport's ``rng`` (a seeded :class:`random.Random`): with
probability ``rate`` it meets one fault, chosen evenly from :class:`Fault`. The faults are what
a network and Stripe's front end do to a request, and whether the server acted is part of each:

======================  =============================================  ==================
fault                   what the client sees                           the server acted
======================  =============================================  ==================
``lost``                the connection drops before the answer         yes
``409``                 another request with the key is in flight      no (nothing stored)
``429``                 rate limited (sometimes with ``Retry-After``)  no
``500``, ``503``        an error before the request was handled        no
``connect_timeout``     no connection in time: nothing was sent        no
``read_timeout``        sent, no answer in time                        at random
``reset``               sent, then the connection is reset             at random
======================  =============================================  ==================

Every request is logged (:attr:`FaultyTransport.log`) with its fault and whether the server
acted, so a failing trial can say exactly what happened on the wire.
"""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

__all__ = ["Fault", "FaultyTransport", "Hit"]


class Fault(enum.StrEnum):
    """One way a request goes wrong (see the module docs)."""

    LOST = "lost"
    CONFLICT = "409"
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    RESET = "reset"


_FAULTS = tuple(Fault)
_ANSWERED = {
    Fault.CONFLICT: ("idempotency_error", "There is currently another in-progress request"),
    Fault.RATE_LIMITED: ("invalid_request_error", "Too many requests"),
    Fault.SERVER_ERROR: ("api_error", "An unknown error occurred"),
    Fault.UNAVAILABLE: ("api_error", "Service unavailable"),
}


def _broken(fault: Fault | None, request: httpx.Request) -> httpx.TransportError:
    if fault is Fault.LOST:
        return httpx.RemoteProtocolError("server disconnected without a response", request=request)
    if fault is Fault.READ_TIMEOUT:
        return httpx.ReadTimeout("timed out reading the response", request=request)
    return httpx.ReadError("[Errno 104] Connection reset by peer", request=request)


@dataclass(frozen=True)
class Hit:
    """One request as the transport passed it on (or not)."""

    method: str
    path: str
    key: str | None
    fault: Fault | None
    acted: bool

    def __str__(self) -> str:
        what = "ok" if self.fault is None else self.fault.value
        return f"{self.method} {self.path} [{self.key}] {what}{' (acted)' if self.acted else ''}"


@dataclass
class FaultyTransport(httpx.BaseTransport):
    """``server`` (a MockTransport handler) behind a wire that fails at ``rate``."""

    server: Callable[[httpx.Request], httpx.Response]
    rng: random.Random
    rate: float = 0.35
    log: list[Hit] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.rng.choice(_FAULTS) if self.rng.random() < self.rate else None
        acts = fault in (None, Fault.LOST) or (
            fault in (Fault.READ_TIMEOUT, Fault.RESET) and self.rng.random() < 0.5
        )
        key = request.headers.get("Idempotency-Key")
        self.log.append(Hit(request.method, request.url.path, key, fault, acts))
        if fault is Fault.CONNECT_TIMEOUT:
            raise httpx.ConnectTimeout("timed out connecting", request=request)
        if fault in _ANSWERED:
            return self._answer(fault)
        if not acts:
            raise _broken(fault, request)  # the server never saw it
        request.read()
        response = self.server(request)
        response.read()
        if fault is not None:
            raise _broken(fault, request)  # the server acted; its answer is lost
        return response

    def _answer(self, fault: Fault) -> httpx.Response:
        kind, message = _ANSWERED[fault]
        headers = {"Content-Type": "application/json"}
        if fault is Fault.RATE_LIMITED and self.rng.random() < 0.5:
            headers["Retry-After"] = str(self.rng.randint(1, 30))
        body = json.dumps({"error": {"type": kind, "message": message}}).encode()
        return httpx.Response(int(fault.value), content=body, headers=headers)
