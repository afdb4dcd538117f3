"""An EasyPost simulator for tests: the parts of EasyPost's API v2 the adapter speaks, in memory.

It is an ``httpx.MockTransport`` handler: no network. ::

    sim = EasyPostSimulator()
    gateway = EasyPost(sim.api_key, client=sim.client(), sleep=lambda _: None)

Endpoints, answering EasyPost's documented shapes (API reference: Shipments, Rates, Trackers,
Errors): ``POST /v2/shipments`` (``{"shipment": {to_address, from_address, parcel,
carrier_accounts}}``; the rates of :attr:`EasyPostSimulator.rate_table`, amounts as decimal
text), ``GET /v2/shipments/{id}``, ``POST /v2/shipments/{id}/buy`` (``{"rate": {"id"}}``: sets
``selected_rate``, ``postage_label.label_url`` and ``tracking_code``), ``POST /v2/trackers``
(``{"tracker": {"tracking_code", "carrier"}}``, one tracker per code as EasyPost dedupes) and
``GET /v2/trackers/{id}``. Authentication is HTTP basic with the key as user: none is a 401
``APIKEY.REQUIRED``, a wrong one a 401 ``APIKEY.INACTIVE``.

Errors carry EasyPost's ``{"error": {"code", "message", "errors"}}``: a destination ZIP of
:data:`UNDELIVERABLE_ZIP` is a 422 ``ADDRESS.VERIFY.FAILURE`` with field errors; an address
without a country a 422 ``SHIPMENT.INVALID_PARAMS``; a parcel over :data:`MAX_OUNCES` gets no
rates, only carrier ``messages`` (as EasyPost answers); buying a bought shipment is a 422
``SHIPMENT.POSTAGE.EXISTS`` and an unknown rate a 422 ``SHIPMENT.RATE.NOT_FOUND`` (codes of the
simulator, in EasyPost's style); an unknown id a 404 ``NOT_FOUND``. Tracking codes follow
EasyPost's test codes: ``EZ1000000001`` (pre_transit) to ``EZ7000000007`` (unknown).

Faults (:meth:`EasyPostSimulator.fault`) are taken by the next matching requests, in order:
``status`` (429/500/503... answered before acting, with ``Retry-After`` if given), ``refuse``
(no connection), ``timeout_before`` and ``timeout_after`` (a read timeout, before or after the
request acted). :attr:`labels_bought` counts the labels bought per shipment.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

API_KEY = "EZTK_sim0DoNotLeak7f3a9c2b5e8d1f4a6c9b"
UNDELIVERABLE_ZIP = "00000"
MAX_OUNCES = Decimal(1120)  # 70 lb
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class RateSpec:
    """One rate the simulator offers."""

    carrier: str
    service: str
    rate: str
    currency: str = "USD"
    delivery_days: int | None = None


DEFAULT_RATES = (
    RateSpec("USPS", "Priority", "7.42", "USD", 2),
    RateSpec("USPS", "Express", "26.35", "USD", 1),
    RateSpec("UPS", "Ground", "9.87", "USD", 5),
)
_PROGRESS = ("pre_transit", "in_transit", "out_for_delivery", "delivered")
TEST_CODES = {
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}


@dataclass
class Recorded:
    """One request as the simulator received it (JSON numbers read as Decimal)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any


@dataclass
class _Fault:
    kind: str
    path: str | None
    status: int = 500
    retry_after: str | None = None


@dataclass
class EasyPostSimulator:
    """The simulated EasyPost account (see the module docs). Call it as a MockTransport handler."""

    api_key: str = API_KEY
    #: The rates offered for a shipment, given its request body (default: DEFAULT_RATES).
    rate_table: Callable[[dict[str, Any]], Sequence[RateSpec]] = lambda _: DEFAULT_RATES
    requests: list[Recorded] = field(default_factory=list)
    labels_bought: Counter[str] = field(default_factory=Counter)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    trackers: dict[str, dict[str, Any]] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _serial: int = 0

    def client(self) -> httpx.Client:
        """An httpx client whose transport is this simulator."""
        return httpx.Client(transport=httpx.MockTransport(self))

    def fault(
        self,
        kind: str,
        *,
        path: str | None = None,
        status: int = 500,
        retry_after: str | None = None,
        times: int = 1,
    ) -> None:
        """Queue ``times`` faults for the next requests whose path ends with ``path``."""
        assert kind in ("status", "refuse", "timeout_before", "timeout_after")
        self._faults.extend(_Fault(kind, path, status, retry_after) for _ in range(times))

    def paths(self) -> list[str]:
        """``METHOD /path`` of every request, in order."""
        return [f"{r.method} {r.path}" for r in self.requests]

    # -- the handler ---------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        parsed = json.loads(body, parse_float=Decimal) if body else None
        path = request.url.path
        self.requests.append(Recorded(request.method, path, dict(request.headers), body, parsed))
        fault = next((f for f in self._faults if f.path is None or path.endswith(f.path)), None)
        if fault is not None:
            self._faults.remove(fault)
            if fault.kind == "refuse":
                raise httpx.ConnectError("connection refused", request=request)
            if fault.kind == "timeout_before":
                raise httpx.ReadTimeout("timed out", request=request)
            if fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                error = {"code": "INTERNAL_SERVER_ERROR", "message": "Something went wrong"}
                return httpx.Response(fault.status, json={"error": error}, headers=headers)
        response = self._answer(request.method, path, request.headers, parsed)
        if fault is not None and fault.kind == "timeout_after":
            raise httpx.ReadTimeout("timed out after acting", request=request)
        return response

    def _answer(self, method: str, path: str, headers: Any, body: Any) -> httpx.Response:
        auth = headers.get("authorization", "")
        if not auth:
            return _error(401, "APIKEY.REQUIRED", "An API key is required for this request.")
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        if auth != expected:
            return _error(401, "APIKEY.INACTIVE", "This API key is no longer active.")
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v2", "shipments"]:
            return self._create_shipment(body["shipment"])
        if parts[:2] == ["v2", "shipments"] and len(parts) >= 3:
            shipment = self.shipments.get(parts[2])
            if shipment is None:
                return _error(404, "NOT_FOUND", "The requested resource could not be found.")
            if method == "GET" and len(parts) == 3:
                return httpx.Response(200, json=shipment)
            if method == "POST" and parts[3:] == ["buy"]:
                return self._buy(shipment, body["rate"]["id"])
        if method == "POST" and parts == ["v2", "trackers"]:
            return self._create_tracker(body["tracker"])
        if method == "GET" and parts[:2] == ["v2", "trackers"] and len(parts) == 3:
            tracker = next((t for t in self.trackers.values() if t["id"] == parts[2]), None)
            if tracker is not None:
                return httpx.Response(200, json=tracker)
        return _error(404, "NOT_FOUND", "The requested resource could not be found.")

    def _id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}_{self._serial:032x}"

    def _create_shipment(self, asked: dict[str, Any]) -> httpx.Response:
        for side in ("to_address", "from_address"):
            if not asked.get(side, {}).get("country"):
                return _error(
                    422,
                    "SHIPMENT.INVALID_PARAMS",
                    "Unable to create shipment, one or more parameters were invalid.",
                    [{"field": f"{side}.country", "message": "cannot be blank"}],
                )
        if asked["to_address"].get("zip") == UNDELIVERABLE_ZIP:
            return _error(
                422,
                "ADDRESS.VERIFY.FAILURE",
                "Address not found",
                [
                    {"field": "address", "message": "Address not found", "suggestion": None},
                    {"field": "street1", "message": "House number is missing", "suggestion": None},
                ],
            )
        shipment_id = self._id("shp")
        parcel = {k: float(v) for k, v in asked["parcel"].items()}
        heavy = asked["parcel"]["weight"] > MAX_OUNCES
        rates = [] if heavy else [self._rate(shipment_id, spec) for spec in self.rate_table(asked)]
        messages = (
            [{"carrier": "USPS", "type": "rate_error", "message": "Weight exceeds 70 lbs."}]
            if heavy
            else []
        )
        self.shipments[shipment_id] = {
            "id": shipment_id,
            "object": "Shipment",
            "mode": "test",
            "to_address": {"id": self._id("adr"), "object": "Address", **asked["to_address"]},
            "from_address": {"id": self._id("adr"), "object": "Address", **asked["from_address"]},
            "parcel": {"id": self._id("prcl"), "object": "Parcel", **parcel},
            "rates": rates,
            "messages": messages,
            "selected_rate": None,
            "postage_label": None,
            "tracking_code": None,
            "tracker": None,
        }
        return httpx.Response(201, json=self.shipments[shipment_id])

    def _rate(self, shipment_id: str, spec: RateSpec) -> dict[str, Any]:
        return {
            "id": self._id("rate"),
            "object": "Rate",
            "mode": "test",
            "shipment_id": shipment_id,
            "carrier": spec.carrier,
            "service": spec.service,
            "rate": spec.rate,
            "currency": spec.currency,
            "retail_rate": None,
            "list_rate": spec.rate,
            "delivery_days": spec.delivery_days,
            "est_delivery_days": spec.delivery_days,
            "carrier_account_id": "ca_" + "0" * 32,
        }

    def _buy(self, shipment: dict[str, Any], rate_id: str) -> httpx.Response:
        if shipment["postage_label"] is not None:
            return _error(422, "SHIPMENT.POSTAGE.EXISTS", "Shipment already has postage.")
        rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
        if rate is None:
            return _error(422, "SHIPMENT.RATE.NOT_FOUND", "Rate not found for this shipment.")
        self.labels_bought[shipment["id"]] += 1
        shipment["selected_rate"] = rate
        shipment["tracking_code"] = f"9400{self._serial:018d}"
        shipment["postage_label"] = {
            "id": self._id("pl"),
            "object": "PostageLabel",
            "label_file_type": "image/png",
            "label_url": f"https://easypost-files.s3.us-west-2.amazonaws.com/{shipment['id']}.png",
        }
        return httpx.Response(200, json=shipment)

    def _create_tracker(self, asked: dict[str, Any]) -> httpx.Response:
        code = asked.get("tracking_code", "")
        if not code or not code.isalnum():
            return _error(
                422,
                "TRACKER.CREATE.ERROR",
                "Invalid tracking code.",
                ["tracking_code is invalid"],
            )
        if code not in self.trackers:
            status = TEST_CODES.get(code, "pre_transit")
            steps = _PROGRESS[: _PROGRESS.index(status) + 1] if status in _PROGRESS else (status,)
            details = [
                {
                    "object": "TrackingDetail",
                    "message": f"Status: {step}",
                    "status": step,
                    "datetime": (T0 + timedelta(hours=10 * n)).isoformat().replace("+00:00", "Z"),
                    "source": asked.get("carrier", "USPS"),
                    "tracking_location": {
                        "object": "TrackingLocation",
                        "city": "SAN FRANCISCO",
                        "state": "CA",
                        "country": "US",
                        "zip": "94103",
                    },
                }
                for n, step in enumerate(steps)
            ]
            self.trackers[code] = {
                "id": self._id("trk"),
                "object": "Tracker",
                "mode": "test",
                "tracking_code": code,
                "status": status,
                "carrier": asked.get("carrier", "USPS"),
                "tracking_details": list(reversed(details)),  # any order: the adapter sorts
            }
        return httpx.Response(201, json=self.trackers[code])


def _error(status: int, code: str, message: str, errors: list[Any] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message, "errors": errors or []}}
    )
