"""The fallback policy: a tax service that fails never becomes zero tax."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Cart, price_cart
from commercekit.errors import TaxServiceError, TaxUnavailableError, ValidationError
from commercekit.money import get_currency
from commercekit.pricing import CatalogEntry
from commercekit.tax import (
    FallbackTaxCalculator,
    FlatTaxTable,
    TaxableItem,
    TaxJar,
    TaxNote,
    TaxRate,
    TaxRequest,
    TaxResult,
)

TOKEN = "9e0cd62a22f451701f29c3bde214"
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
LOS_ANGELES = Address("US", "CA", "90002", "Los Angeles")
# California's statewide base rate, as the local rule a shop keeps for when TaxJar is down.
LOCAL = FlatTaxTable(default=TaxRate("Sales tax", "0.0725", jurisdiction="US-CA"))
NOTE = ("fallback", "taxjar unavailable: tax computed from local rules")


def request() -> TaxRequest:
    return TaxRequest(
        currency=get_currency("USD"),
        at=AT,
        items=(TaxableItem("1", "WIDGET", None, 1, 1500, 0),),
        ship_to=LOS_ANGELES,
    )


def failing_taxjar(*answers: httpx.Response | Exception) -> tuple[TaxJar, list[httpx.Request]]:
    """A TaxJar whose every attempt gets the next of ``answers``."""
    queue = list(answers)
    seen: list[httpx.Request] = []

    def handler(sent: httpx.Request) -> httpx.Response:
        seen.append(sent)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    taxjar = TaxJar(TOKEN, transport=httpx.MockTransport(handler), sleep=lambda _: None)
    return taxjar, seen


def down() -> tuple[TaxJar, list[httpx.Request]]:
    return failing_taxjar(*[httpx.Response(503)] * 3)


class Counting:
    """A local calculator that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def calculate(self, request: TaxRequest) -> TaxResult:
        self.calls += 1
        return LOCAL.calculate(request)


def test_an_unavailable_service_is_answered_from_local_rules_and_says_so() -> None:
    taxjar, seen = down()
    result = FallbackTaxCalculator(taxjar, LOCAL).calculate(request())
    assert len(seen) == 3  # TaxJar's own retries ran first
    # 15.00 x 7.25% = 1.0875 -> 1.09: tax, never zero.
    assert [line.amount_minor for entry in result.items for line in entry.lines] == [109]
    assert [(note.code, note.text) for note in result.notes] == [NOTE]


def test_without_a_fallback_the_failure_propagates_and_is_never_zero_tax() -> None:
    taxjar, _ = down()
    with pytest.raises(TaxUnavailableError) as caught:
        FallbackTaxCalculator(taxjar).calculate(request())
    assert caught.value.provider == "taxjar"


def test_connection_failures_fall_back_too() -> None:
    taxjar, _ = failing_taxjar(*[httpx.ConnectError("refused")] * 3)
    result = FallbackTaxCalculator(taxjar, LOCAL).calculate(request())
    assert sum(entry.total_minor for entry in result.items) == 109


def test_a_refusal_is_not_unavailability_and_propagates() -> None:
    refused = httpx.Response(
        401,
        json={"error": "Unauthorized", "detail": "Not authorized for route 'POST /v2/taxes'"},
    )
    taxjar, _ = failing_taxjar(refused)
    local = Counting()
    with pytest.raises(TaxServiceError, match="Not authorized"):
        FallbackTaxCalculator(taxjar, local).calculate(request())
    assert local.calls == 0


def test_a_working_primary_is_not_second_guessed() -> None:
    no_nexus = httpx.Response(200, json={"tax": {"amount_to_collect": 0, "has_nexus": False}})
    taxjar, _ = failing_taxjar(no_nexus)
    local = Counting()
    result = FallbackTaxCalculator(taxjar, local).calculate(request())
    assert (result.items, [note.code for note in result.notes]) == ((), ["no_nexus"])
    assert local.calls == 0


def test_the_fallbacks_own_notes_are_kept_after_the_fallback_note() -> None:
    class Down:
        def calculate(self, request: TaxRequest) -> TaxResult:
            raise TaxUnavailableError("down")  # no provider named: the class name is used

    class Local:
        def calculate(self, request: TaxRequest) -> TaxResult:
            return TaxResult((), (TaxNote("export", "goods leave the EU"),))

    result = FallbackTaxCalculator(Down(), Local()).calculate(request())
    assert [note.code for note in result.notes] == ["fallback", "export"]
    assert result.notes[0].text == "Down unavailable: tax computed from local rules"


def test_only_calculators_are_accepted() -> None:
    with pytest.raises(ValidationError, match="TaxCalculator"):
        FallbackTaxCalculator(object())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="TaxCalculator"):
        FallbackTaxCalculator(LOCAL, "rules")  # type: ignore[arg-type]


def test_a_cart_priced_while_taxjar_is_down_still_pays_tax() -> None:
    taxjar, _ = down()
    cart = Cart(id="c1", currency="USD", shipping_address=LOS_ANGELES).add("WIDGET", 2)
    catalog = {"WIDGET": CatalogEntry("WIDGET", price=Money("15.00", "USD"))}
    breakdown = price_cart(cart, catalog, at=AT, tax=FallbackTaxCalculator(taxjar, LOCAL))
    # 2 x 15.00 = 30.00; 30.00 x 7.25% = 2.175 -> 2.18 (half up).
    assert breakdown.tax_total_minor == 218
    assert breakdown.grand_total_minor == 3218
    assert [(note.code, note.text) for note in breakdown.tax_notes] == [NOTE]
