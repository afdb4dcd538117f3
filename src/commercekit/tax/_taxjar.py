"""TaxJar's API v2 as a :class:`~commercekit.ports.TaxCalculator`.

:class:`TaxJar` asks ``POST /v2/taxes`` for a cart's sales tax and keeps TaxJar's amounts
exactly as TaxJar rounded them: one tax line per jurisdiction and item, read from
``tax.breakdown.line_items[]`` and ``tax.breakdown.shipping``. TaxJar rounds each
jurisdiction's amount on its own, and ``amount_to_collect`` once over the order's unrounded
tax (TaxJar support, "Rounding during Calculations"), so the two may differ by a few cents.
Its own documented example does: 0.94 + 0.04 + 0.38 = 1.36 against 1.35. The
per-jurisdiction amounts are what gets filed and shown on the invoice, so they are what the
buyer is charged, unchanged; the difference is noted (``TaxNote("taxjar_rounding")``) and
never spread over the jurisdictions. A difference larger than rounding can explain (half a
minor unit per rounded amount, plus half for the total) means the answer is not one to
charge: :class:`~commercekit.errors.TaxServiceError`. So does an amount finer than the minor
unit, a line that was not asked about, or any other shape than the documented one. Tax is
never silently zero.

:class:`~commercekit.tax.TaxJarReporter` (:mod:`commercekit.tax._taxjar_reporter`) posts order
and refund transactions for TaxJar's filing. The HTTP rules (retries, timeouts, errors) live in
:mod:`commercekit.tax._taxjar_http`.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import httpx

from commercekit.address import Address
from commercekit.errors import ConfigurationError, TaxAddressError, TaxServiceError, ValidationError
from commercekit.money import Currency
from commercekit.rules import check_identifier
from commercekit.tax._rates import check_rate
from commercekit.tax._reporting import per_unit
from commercekit.tax._request import SHIPPING_ITEM, TaxRequest
from commercekit.tax._result import ItemTax, TaxLine, TaxNote, TaxResult
from commercekit.tax._taxjar_http import (
    DEFAULT_BASE_URL,
    PROVIDER,
    TaxJarConnection,
    address_fields,
    destination_fields,
    malformed,
    minor_amount,
    number,
    state_code,
    wire_amount,
)

__all__ = ["TaxJar"]

_TAXES: Final = "POST /v2/taxes"
_NO_CODES: Final[Mapping[str, str]] = MappingProxyType({})
# (name, amount field, rate field, what the jurisdiction is) per documented breakdown field.
_FIELDS: Final = (
    ("State tax", "state_amount", "state_sales_tax_rate", "state"),
    ("County tax", "county_amount", "county_tax_rate", "county"),
    ("City tax", "city_amount", "city_tax_rate", "city"),
    ("Special district tax", "special_district_amount", "special_tax_rate", "state"),
    ("GST", "gst", "gst_tax_rate", "country"),
    ("PST", "pst", "pst_tax_rate", "state"),
    ("QST", "qst", "qst_tax_rate", "state"),
    ("Country tax", "country_tax_collectable", "country_tax_rate", "country"),
)


class TaxJar:
    """The remote :class:`~commercekit.ports.TaxCalculator` over TaxJar's ``POST /v2/taxes``.

    Options: ``transport`` replaces the network (``httpx.MockTransport``); ``timeout`` bounds
    every attempt; ``max_attempts``, ``backoff``, ``max_backoff``, ``sleep`` and ``random``
    shape the retries (see :mod:`commercekit.tax._taxjar_http`); ``product_tax_codes`` maps
    commercekit tax categories to TaxJar's codes (``{"clothing": "20010"}``; an unmapped item
    is fully taxable); ``nexus_addresses`` are sent with every calculation (otherwise TaxJar
    uses the nexus on file in the account). Prices must exclude tax: TaxJar computes on
    exclusive amounts. Calculating changes nothing at TaxJar, so a retry after a timeout is
    safe. Close it to release its connections.
    """

    #: The source recorded on every tax line.
    source: Final = PROVIDER

    def __init__(
        self,
        api_token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 5.0,
        max_attempts: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        sleep: Callable[[float], object] = time.sleep,
        random: Callable[[], float] = _random.random,
        product_tax_codes: Mapping[str, str] = _NO_CODES,
        nexus_addresses: Sequence[Address] = (),
    ) -> None:
        codes = dict(product_tax_codes)
        for category, code in codes.items():
            check_identifier(category, name="tax category")
            check_identifier(code, name="product tax code")
        nexus = tuple(nexus_addresses)
        for address in nexus:
            # TaxJar requires a state; its own Australian example has none, so US and CA only.
            if not isinstance(address, Address) or (
                address.country in ("US", "CA") and not address.region
            ):
                raise ConfigurationError(
                    f"a TaxJar nexus address is an Address, with a state in the US and Canada:"
                    f" {address!r}"
                )
        self.connection = TaxJarConnection(
            api_token,
            transport=transport,
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            sleep=sleep,
            random=random,
        )
        #: TaxJar product tax code per commercekit tax category.
        self.product_tax_codes: Mapping[str, str] = MappingProxyType(codes)
        #: The nexus addresses sent with every calculation.
        self.nexus_addresses: tuple[Address, ...] = nexus

    def __repr__(self) -> str:
        return f"TaxJar(base_url={self.connection.base_url!r})"

    def __enter__(self) -> TaxJar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP connections."""
        self.connection.close()

    def calculate(self, request: TaxRequest) -> TaxResult:
        """The sales tax of ``request`` as TaxJar computes it (see the module docs)."""
        body = self.request_body(request)
        reply = self.connection.request("POST", "/v2/taxes", body, writes=False)
        if reply.status >= 300:
            raise self.connection.refused(reply, _TAXES)
        return _Answer(request).read(reply.body)

    def request_body(self, request: TaxRequest) -> dict[str, object]:
        """The JSON body of ``POST /v2/taxes`` for ``request``, checked before any call."""
        if request.prices_include_tax:
            raise ConfigurationError(
                "TaxJar computes sales tax on prices without tax, and this request's prices"
                " include it: price the cart with prices_include_tax=False, or use a local"
                " calculator (a TaxRuleTable) for tax-inclusive prices"
            )
        destination = request.destination
        if destination is None:
            raise TaxAddressError(
                "TaxJar needs where the goods go: the cart has no shipping or billing address"
            )
        currency = request.currency
        body: dict[str, object] = {}
        if request.ship_from is not None:
            body.update(address_fields("from_", request.ship_from))
        body.update(destination_fields(destination, zip_everywhere=False))
        body["amount"] = wire_amount(sum(i.amount_minor for i in request.items), currency)
        shipping = 0 if request.shipping is None else request.shipping.amount_minor
        body["shipping"] = wire_amount(shipping, currency)
        lines = []
        for item in request.items:
            quantity, unit = per_unit(item.subtotal_minor, item.quantity)
            line: dict[str, object] = {"id": item.key, "quantity": quantity}
            code = (
                None if item.tax_category is None else self.product_tax_codes.get(item.tax_category)
            )
            if code is not None:
                line["product_tax_code"] = code
            line["unit_price"] = wire_amount(unit, currency)
            line["discount"] = wire_amount(item.discount_minor, currency)
            lines.append(line)
        body["line_items"] = lines
        if request.buyer.customer_id is not None:
            body["customer_id"] = request.buyer.customer_id
        body["exemption_type"] = "other" if request.buyer.exempt else "non_exempt"
        if self.nexus_addresses:
            body["nexus_addresses"] = [address_fields("", a) for a in self.nexus_addresses]
        return body


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise malformed(_TAXES, f"{where} is not an object")
    return value


class _Answer:
    """Reads one ``POST /v2/taxes`` answer against the request it answers."""

    def __init__(self, request: TaxRequest) -> None:
        self.request = request
        self.currency: Currency = request.currency
        destination = request.destination
        assert destination is not None  # request_body refused it before the call
        self.country = destination.country
        state = state_code(destination)
        self.subdivision = f"{self.country}-{state}" if state else self.country
        self.places: Mapping[str, Any] = {}
        self.rounded = 0

    def read(self, body: Mapping[str, Any]) -> TaxResult:
        tax = _mapping(body.get("tax"), "tax")
        has_nexus = tax.get("has_nexus")
        if not isinstance(has_nexus, bool):
            raise malformed(_TAXES, "tax.has_nexus is not true or false")
        to_collect = self._amount(tax.get("amount_to_collect"), "tax.amount_to_collect")
        if not has_nexus:
            if to_collect:
                raise malformed(_TAXES, "tax to collect without nexus")
            text = f"TaxJar found no nexus in {self.subdivision}: no sales tax is collected"
            return TaxResult((), (TaxNote("no_nexus", text),))
        places = tax.get("jurisdictions", {})
        self.places = _mapping(places, "tax.jurisdictions")
        notes = []
        source = tax.get("tax_source")
        if source in ("origin", "destination"):
            notes.append(
                TaxNote("taxjar_sourcing", f"TaxJar sourced the sales tax at the {source}")
            )
        elif source is not None:
            raise malformed(_TAXES, "tax.tax_source is neither origin nor destination")
        items = self._items(tax.get("breakdown"), to_collect)
        charged = sum(item.total_minor for item in items)
        if 2 * abs(charged - to_collect) > self.rounded + 1:
            raise TaxServiceError(
                f"TaxJar's per-jurisdiction amounts add up to {self._text(charged)}, its"
                f" amount_to_collect is {self._text(to_collect)}: more than rounding explains",
                provider=PROVIDER,
                code="inconsistent_response",
            )
        if charged != to_collect:
            notes.append(
                TaxNote(
                    "taxjar_rounding",
                    f"TaxJar's per-jurisdiction amounts add up to {self._text(charged)} and its"
                    f" amount_to_collect is {self._text(to_collect)} (each is rounded on its"
                    " own): the per-jurisdiction amounts are charged and reported",
                )
            )
        return TaxResult(items, notes)

    def _items(self, breakdown: object, to_collect: int) -> list[ItemTax]:
        if breakdown is None:
            if to_collect:
                raise malformed(_TAXES, "tax to collect and no breakdown to attribute it to")
            return []
        breakdown = _mapping(breakdown, "tax.breakdown")
        entries = breakdown.get("line_items", [])
        if not isinstance(entries, list):
            raise malformed(_TAXES, "tax.breakdown.line_items is not a list")
        asked = {item.key for item in self.request.items}
        found: dict[str, ItemTax] = {}
        for index, entry in enumerate(entries):
            where = f"tax.breakdown.line_items[{index}]"
            entry = _mapping(entry, where)
            key = entry.get("id")
            if not isinstance(key, str) or key not in asked:
                raise malformed(_TAXES, f"{where} answers for line {key!r}, which was not asked")
            if key in found:
                raise malformed(_TAXES, f"{where} answers for line {key!r} twice")
            found[key] = ItemTax(key, self._lines(entry, where))
        items = [found[i.key] for i in self.request.items if i.key in found and found[i.key].lines]
        shipping = breakdown.get("shipping")
        if shipping is not None:
            where = "tax.breakdown.shipping"
            lines = self._lines(_mapping(shipping, where), where)
            if lines and self.request.shipping is None:
                raise malformed(_TAXES, "tax on shipping, and no shipping was asked about")
            if lines:
                items.append(ItemTax(SHIPPING_ITEM, lines))
        return items

    def _lines(self, entry: Mapping[str, Any], where: str) -> tuple[TaxLine, ...]:
        lines = []
        for name, amount_field, rate_field, level in _FIELDS:
            if amount_field not in entry:
                continue
            amount = self._amount(entry[amount_field], f"{where}.{amount_field}")
            if amount == 0:
                continue
            rate = number(entry.get(rate_field), _TAXES, f"{where}.{rate_field}")
            try:
                rate = check_rate(rate)
            except ValidationError:
                raise malformed(_TAXES, f"{where}.{rate_field} = {rate} is no rate") from None
            self.rounded += 1
            place = self._place(level)
            lines.append(
                TaxLine(
                    name=name,
                    jurisdiction=place,
                    rate=rate,
                    amount_minor=amount,
                    currency=self.currency,
                    source=PROVIDER,
                )
            )
        return tuple(lines)

    def _place(self, level: str) -> str:
        if level == "country":
            return self.country
        name = self.places.get(level) if level in ("county", "city") else None
        if not isinstance(name, str) or not name:
            return self.subdivision
        try:
            return check_identifier(f"{self.subdivision}:{name}", name="jurisdiction")
        except ValidationError:
            raise malformed(_TAXES, f"tax.jurisdictions.{level} is no name") from None

    def _amount(self, value: object, where: str) -> int:
        amount = minor_amount(value, self.currency, _TAXES, where)
        if amount < 0:
            raise malformed(_TAXES, f"{where} is negative")
        return amount

    def _text(self, minor: int) -> str:
        return f"{wire_amount(minor, self.currency)} {self.currency}"
