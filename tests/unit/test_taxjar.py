"""TaxJar over httpx.MockTransport: the documented request, answers, refusals and retries.

The JSON answers are TaxJar's own examples, kept as text so that their numbers are parsed as
they would be off the wire. Source: TaxJar's API reference, "Calculate sales tax for an
order" (developers.taxjar.com/api/reference/#post-calculate-sales-tax-for-an-order; in the
taxjar/taxjar-api-docs repository, source/includes/endpoints/_taxes.md). Each fixture names
its "Response Example" or "Response Scenario". Errors follow the reference's "Errors" table
(source/includes/_errors.md) and the body TaxJar sends with them, ``{"error", "detail",
"status"}`` (taxjar-go's README: ``401 Unauthorized - Not authorized for route 'POST
/v2/taxes'``).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Cart, ShippingRate, price_cart
from commercekit.errors import (
    ConfigurationError,
    TaxAddressError,
    TaxServiceError,
    TaxUnavailableError,
)
from commercekit.money import get_currency
from commercekit.pricing import CatalogEntry, Customer
from commercekit.tax import SHIPPING_ITEM, Seller, TaxableItem, TaxBuyer, TaxJar, TaxRequest

# The example key of TaxJar's reference: it must never appear in an error message.
TOKEN = "9e0cd62a22f451701f29c3bde214"
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)

# The addresses of the reference's request example ("Request Example").
LA_JOLLA = Address("US", "CA", "92093", "La Jolla", ("9500 Gilman Drive",))
LOS_ANGELES = Address("US", "CA", "90002", "Los Angeles", ("1335 E 103rd St",))

# "Response Example" (the request example above: one item "1" at 15, shipping 1.5).
EXAMPLE = """{"tax": {"order_total_amount": 16.5, "shipping": 1.5, "taxable_amount": 15,
 "amount_to_collect": 1.35, "rate": 0.09, "has_nexus": true, "freight_taxable": false,
 "tax_source": "destination", "jurisdictions": {"country": "US", "state": "CA",
 "county": "LOS ANGELES", "city": "LOS ANGELES"}, "breakdown": {"taxable_amount": 15,
 "tax_collectable": 1.35, "combined_tax_rate": 0.09, "state_taxable_amount": 15,
 "state_tax_rate": 0.0625, "state_tax_collectable": 0.94, "county_taxable_amount": 15,
 "county_tax_rate": 0.0025, "county_tax_collectable": 0.04, "city_taxable_amount": 0,
 "city_tax_rate": 0, "city_tax_collectable": 0, "special_district_taxable_amount": 15,
 "special_tax_rate": 0.025, "special_district_tax_collectable": 0.38, "line_items": [{
 "id": "1", "taxable_amount": 15, "tax_collectable": 1.35, "combined_tax_rate": 0.09,
 "state_taxable_amount": 15, "state_sales_tax_rate": 0.0625, "state_amount": 0.94,
 "county_taxable_amount": 15, "county_tax_rate": 0.0025, "county_amount": 0.04,
 "city_taxable_amount": 0, "city_tax_rate": 0, "city_amount": 0,
 "special_district_taxable_amount": 15, "special_tax_rate": 0.025,
 "special_district_amount": 0.38}]}}}"""

# "Response Scenario: Clothing Exemptions" (New York: items "1" at 19.99 and "2" at 9.95,
# product tax code 20010, shipping 7.99), with its shipping breakdown.
CLOTHING = """{"tax": {"order_total_amount": 37.93, "shipping": 7.99, "taxable_amount": 37.93,
 "amount_to_collect": 1.98, "rate": 0.05218, "has_nexus": true, "freight_taxable": true,
 "tax_source": "destination", "jurisdictions": {"country": "US", "state": "NY",
 "county": "PUTNAM", "city": "MAHOPAC"}, "breakdown": {"city_tax_collectable": 0,
 "city_tax_rate": 0, "city_taxable_amount": 0, "combined_tax_rate": 0.05218,
 "county_tax_collectable": 1.52, "county_tax_rate": 0.04, "county_taxable_amount": 37.93,
 "line_items": [{"city_amount": 0, "city_tax_rate": 0, "city_taxable_amount": 0,
 "combined_tax_rate": 0.04375, "county_amount": 0.8, "county_tax_rate": 0.04,
 "county_taxable_amount": 19.99, "id": "1", "special_district_amount": 0.07,
 "special_district_taxable_amount": 19.99, "special_tax_rate": 0.00375, "state_amount": 0,
 "state_sales_tax_rate": 0, "state_taxable_amount": 0, "tax_collectable": 0.87,
 "taxable_amount": 19.99}, {"city_amount": 0, "city_tax_rate": 0, "city_taxable_amount": 0,
 "combined_tax_rate": 0.04375, "county_amount": 0.4, "county_tax_rate": 0.04,
 "county_taxable_amount": 9.95, "id": "2", "special_district_amount": 0.04,
 "special_district_taxable_amount": 9.95, "special_tax_rate": 0.00375, "state_amount": 0,
 "state_sales_tax_rate": 0, "state_taxable_amount": 0, "tax_collectable": 0.44,
 "taxable_amount": 9.95}], "shipping": {"city_amount": 0, "city_tax_rate": 0,
 "city_taxable_amount": 0, "combined_tax_rate": 0.08375, "county_amount": 0.32,
 "county_tax_rate": 0.04, "county_taxable_amount": 7.99, "special_district_amount": 0.03,
 "special_tax_rate": 0.00375, "special_taxable_amount": 7.99, "state_amount": 0.32,
 "state_sales_tax_rate": 0.04, "state_taxable_amount": 7.99, "tax_collectable": 0.67,
 "taxable_amount": 7.99}, "special_district_tax_collectable": 0.14,
 "special_district_taxable_amount": 37.93, "special_tax_rate": 0.00375,
 "state_tax_collectable": 0.32, "state_tax_rate": 0.04, "state_taxable_amount": 7.99,
 "tax_collectable": 1.98, "taxable_amount": 37.93}}}"""

# "Response Scenario: Origin-Based Sourcing" (Austin to Houston, Texas: item "1" at 15,
# shipping 1.5). Its shipping breakdown says 0.12 for 0.09 + 0.02 + 0.02.
ORIGIN = """{"tax": {"order_total_amount": 16.5, "shipping": 1.5, "taxable_amount": 16.5,
 "amount_to_collect": 1.36, "rate": 0.0825, "has_nexus": true, "freight_taxable": true,
 "tax_source": "origin", "jurisdictions": {"country": "US", "state": "TX",
 "county": "TRAVIS", "city": "AUSTIN"}, "breakdown": {"city_tax_collectable": 0.17,
 "city_tax_rate": 0.01, "city_taxable_amount": 16.5, "combined_tax_rate": 0.0825,
 "county_tax_collectable": 0, "county_tax_rate": 0, "county_taxable_amount": 0,
 "line_items": [{"city_amount": 0.15, "city_tax_rate": 0.01, "city_taxable_amount": 15,
 "combined_tax_rate": 0.0825, "county_amount": 0, "county_tax_rate": 0,
 "county_taxable_amount": 0, "id": "1", "special_district_amount": 0.15,
 "special_district_taxable_amount": 15, "special_tax_rate": 0.01, "state_amount": 0.94,
 "state_sales_tax_rate": 0.0625, "state_taxable_amount": 15, "tax_collectable": 1.24,
 "taxable_amount": 15}], "shipping": {"city_amount": 0.02, "city_tax_rate": 0.01,
 "city_taxable_amount": 1.5, "combined_tax_rate": 0.0825, "county_amount": 0,
 "county_tax_rate": 0, "county_taxable_amount": 0, "special_district_amount": 0.02,
 "special_tax_rate": 0.01, "special_taxable_amount": 1.5, "state_amount": 0.09,
 "state_sales_tax_rate": 0.0625, "state_taxable_amount": 1.5, "tax_collectable": 0.12,
 "taxable_amount": 1.5}, "special_district_tax_collectable": 0.17,
 "special_district_taxable_amount": 16.5, "special_tax_rate": 0.01,
 "state_tax_collectable": 1.03, "state_tax_rate": 0.0625, "state_taxable_amount": 16.5,
 "tax_collectable": 1.36, "taxable_amount": 16.5}}}"""

# "Response Scenario: Canada" (Vancouver to Toronto: item "1" at 15, shipping 1.5).
CANADA = """{"tax": {"order_total_amount": 16.5, "shipping": 1.5, "taxable_amount": 16.5,
 "amount_to_collect": 2.15, "rate": 0.13, "has_nexus": true, "freight_taxable": true,
 "tax_source": "destination", "jurisdictions": {"country": "CA", "state": "ON",
 "city": "TORONTO"}, "breakdown": {"combined_tax_rate": 0.13, "gst": 0.83,
 "gst_tax_rate": 0.05, "gst_taxable_amount": 16.5, "line_items": [{"combined_tax_rate": 0.13,
 "gst": 0.75, "gst_tax_rate": 0.05, "gst_taxable_amount": 15, "id": "1", "pst": 1.2,
 "pst_tax_rate": 0.08, "pst_taxable_amount": 15, "qst": 0, "qst_tax_rate": 0,
 "qst_taxable_amount": 0, "tax_collectable": 1.95, "taxable_amount": 15}], "pst": 1.32,
 "pst_tax_rate": 0.08, "pst_taxable_amount": 16.5, "qst": 0, "qst_tax_rate": 0,
 "qst_taxable_amount": 0, "shipping": {"combined_tax_rate": 0.13, "gst": 0.08,
 "gst_tax_rate": 0.05, "gst_taxable_amount": 1.5, "pst": 0.12, "pst_tax_rate": 0.08,
 "pst_taxable_amount": 1.5, "qst": 0, "qst_tax_rate": 0, "qst_taxable_amount": 0,
 "tax_collectable": 0.2, "taxable_amount": 1.5}, "tax_collectable": 2.15,
 "taxable_amount": 16.5}}}"""

# "Response Scenario: European Union" (Paris to Marseille: item "1" at 15, shipping 1.5).
EUROPE = """{"tax": {"order_total_amount": 16.5, "shipping": 1.5, "taxable_amount": 16.5,
 "amount_to_collect": 3.3, "rate": 0.2, "has_nexus": true, "freight_taxable": true,
 "tax_source": "destination", "jurisdictions": {"country": "FR", "city": "MARSEILLE"},
 "breakdown": {"combined_tax_rate": 0.2, "country_tax_collectable": 3.3,
 "country_tax_rate": 0.2, "country_taxable_amount": 16.5, "line_items": [{
 "combined_tax_rate": 0.2, "country_tax_collectable": 3, "country_tax_rate": 0.2,
 "country_taxable_amount": 15, "id": "1", "tax_collectable": 3, "taxable_amount": 15}],
 "shipping": {"combined_tax_rate": 0.2, "country_tax_collectable": 0.3,
 "country_tax_rate": 0.2, "country_taxable_amount": 1.5, "tax_collectable": 0.3,
 "taxable_amount": 1.5}, "tax_collectable": 3.3, "taxable_amount": 16.5}}}"""

# "Response Scenario: No Nexus" (Miami to Portland, Oregon).
NO_NEXUS = """{"tax": {"amount_to_collect": 0, "freight_taxable": false, "has_nexus": false,
 "rate": 0, "tax_source": null, "taxable_amount": 0}}"""

Answer = str | tuple[int, str] | tuple[int, str, dict[str, str]] | Exception


class Script:
    """A MockTransport handler answering from a list; it records every request it sees."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.answers:
            raise AssertionError("TaxJar was called more often than the test expected")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, str):
            answer = (200, answer)
        status, text, *headers = answer
        return httpx.Response(status, content=text.encode(), headers=headers[0] if headers else {})

    def body(self, index: int = 0) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.requests[index].content, parse_float=Decimal)
        return parsed


def taxjar(script: Script, **options: object) -> tuple[TaxJar, list[float]]:
    sleeps: list[float] = []
    options.setdefault("random", lambda: 0.5)
    calculator = TaxJar(
        TOKEN,
        transport=httpx.MockTransport(script),
        sleep=sleeps.append,
        **options,  # type: ignore[arg-type]
    )
    return calculator, sleeps


def item(key: str, subtotal: int, *, quantity: int | Decimal = 1, discount: int = 0,
         category: str | None = "clothing") -> TaxableItem:  # fmt: skip
    return TaxableItem(key, f"SKU-{key}", category, quantity, subtotal, discount)


def ship(amount: int, discount: int = 0) -> TaxableItem:
    return TaxableItem(SHIPPING_ITEM, None, None, 1, amount, discount)


def request(
    *items: TaxableItem,
    shipping: TaxableItem | None = None,
    to: Address | None = LOS_ANGELES,
    origin: Address | None = LA_JOLLA,
    currency: str = "USD",
    buyer: TaxBuyer | None = None,
    inclusive: bool = False,
) -> TaxRequest:
    return TaxRequest(
        currency=get_currency(currency),
        at=AT,
        items=items,
        shipping=shipping,
        ship_to=to,
        ship_from=origin,
        buyer=buyer or TaxBuyer(),
        prices_include_tax=inclusive,
    )


def amounts(result: object) -> dict[str, list[tuple[str, str, str, int]]]:
    return {
        entry.key: [(t.name, t.jurisdiction, str(t.rate), t.amount_minor) for t in entry.lines]
        for entry in result.items  # type: ignore[attr-defined]
    }


def note_codes(result: object) -> list[str]:
    return [note.code for note in result.notes]  # type: ignore[attr-defined]


# --- the request -------------------------------------------------------------------------


def test_request_is_the_documented_body_with_exact_numbers_and_the_bearer_token() -> None:
    script = Script(EXAMPLE)
    calculator, _ = taxjar(
        script, product_tax_codes={"clothing": "20010"}, nexus_addresses=[LA_JOLLA]
    )
    calculator.calculate(request(item("1", 1500), shipping=ship(150)))
    sent = script.requests[0]
    assert sent.method == "POST"
    assert str(sent.url) == "https://api.taxjar.com/v2/taxes"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Content-Type"] == "application/json"
    # Every attempt is bounded: httpx.Timeout(5.0) for connect, read, write and pool.
    assert sent.extensions["timeout"] == dict.fromkeys(("connect", "read", "write", "pool"), 5.0)
    # The reference's request example, field by field (its nexus address id is optional).
    assert script.body() == {
        "from_country": "US",
        "from_zip": "92093",
        "from_state": "CA",
        "from_city": "La Jolla",
        "from_street": "9500 Gilman Drive",
        "to_country": "US",
        "to_zip": "90002",
        "to_state": "CA",
        "to_city": "Los Angeles",
        "to_street": "1335 E 103rd St",
        "amount": Decimal("15.00"),
        "shipping": Decimal("1.50"),
        "line_items": [
            {
                "id": "1",
                "quantity": 1,
                "product_tax_code": "20010",
                "unit_price": Decimal("15.00"),
                "discount": Decimal("0.00"),
            }
        ],
        "exemption_type": "non_exempt",
        "nexus_addresses": [
            {
                "country": "US",
                "zip": "92093",
                "state": "CA",
                "city": "La Jolla",
                "street": "9500 Gilman Drive",
            }
        ],
    }
    # Numbers are written from Decimal text, never through a float.
    assert b'"amount":15.00,"shipping":1.50' in sent.content


def test_amounts_are_the_discounted_ones_and_quantities_stay_whole() -> None:
    script = Script(NO_NEXUS)
    calculator, _ = taxjar(script)
    calculator.calculate(
        request(
            item("mugs", 3000, quantity=3, discount=450),  # 3 x 10.00 - 4.50
            item("tea", 1200, quantity=Decimal("0.5"), category=None),  # by measure
            item("pens", 1000, quantity=3),  # 10.00 / 3 has no exact unit price
            shipping=ship(799, discount=299),  # shipping 7.99 - 2.99
            buyer=TaxBuyer("cust-42", exempt=True),
        )
    )
    body = script.body()
    # amount: (30.00 - 4.50) + 12.00 + 10.00 = 47.50, shipping excluded; shipping 5.00.
    assert (body["amount"], body["shipping"]) == (Decimal("47.50"), Decimal("5.00"))
    assert body["line_items"] == [
        {"id": "mugs", "quantity": 3, "unit_price": Decimal("10.00"), "discount": Decimal("4.50")},
        {"id": "tea", "quantity": 1, "unit_price": Decimal("12.00"), "discount": Decimal("0.00")},
        {"id": "pens", "quantity": 1, "unit_price": Decimal("10.00"), "discount": Decimal("0.00")},
    ]
    assert (body["customer_id"], body["exemption_type"]) == ("cust-42", "other")
    assert "nexus_addresses" not in body and "product_tax_code" not in str(body)


@pytest.mark.parametrize(
    ("currency", "minor", "text"),
    [
        ("USD", 1999, b'"amount":19.99'),
        ("JPY", 1999, b'"amount":1999'),
        ("KWD", 1999, b'"amount":1.999'),
    ],
)
def test_minor_units_follow_the_currency(currency: str, minor: int, text: bytes) -> None:
    script = Script(NO_NEXUS)
    calculator, _ = taxjar(script)
    calculator.calculate(request(item("1", minor), currency=currency))
    assert text in script.requests[0].content
    assert b'"shipping":0' in script.requests[0].content  # TaxJar requires shipping


def test_tax_inclusive_prices_are_refused_before_any_call() -> None:
    script = Script()
    calculator, _ = taxjar(script)
    with pytest.raises(ConfigurationError, match="prices without tax"):
        calculator.calculate(request(item("1", 1500), inclusive=True))
    assert script.requests == []


@pytest.mark.parametrize(
    ("destination", "problem"),
    [
        (None, "no shipping or billing address"),
        (Address("US", "CA", "", "Los Angeles"), "postal code"),
        (Address("CA", "", "M5V 2T6", "Toronto"), "state or province"),
    ],
)
def test_a_destination_taxjar_cannot_use_is_refused_before_any_call(
    destination: Address | None, problem: str
) -> None:
    script = Script()
    calculator, _ = taxjar(script)
    with pytest.raises(TaxAddressError, match=problem):
        calculator.calculate(request(item("1", 1500), to=destination))
    assert script.requests == []


# --- the answer --------------------------------------------------------------------------


def test_documented_example_maps_to_one_line_per_jurisdiction_as_taxjar_rounded_it() -> None:
    calculator, _ = taxjar(Script(EXAMPLE))
    result = calculator.calculate(request(item("1", 1500), shipping=ship(150)))
    # 15 x 0.0625 = 0.9375 -> 0.94; 15 x 0.0025 = 0.0375 -> 0.04; city 0 is left out;
    # 15 x 0.025 = 0.375 -> 0.38. Shipping has no breakdown (freight not taxable).
    assert amounts(result) == {
        "1": [
            ("State tax", "US-CA", "0.0625", 94),
            ("County tax", "US-CA:LOS ANGELES", "0.0025", 4),
            ("Special district tax", "US-CA", "0.025", 38),
        ]
    }
    assert {line.source for entry in result.items for line in entry.lines} == {"taxjar"}
    # 94 + 4 + 38 = 136, but amount_to_collect is 1.35 (15 x 0.09, rounded once): the
    # per-jurisdiction amounts are charged unchanged, and the difference is noted.
    assert sum(entry.total_minor for entry in result.items) == 136
    assert note_codes(result) == ["taxjar_sourcing", "taxjar_rounding"]
    assert "destination" in result.notes[0].text
    assert "1.36 USD" in result.notes[1].text and "1.35 USD" in result.notes[1].text


def test_shipping_breakdown_is_taxed_as_the_shipping_item() -> None:
    calculator, _ = taxjar(Script(CLOTHING))
    result = calculator.calculate(
        request(
            item("1", 1999),
            item("2", 995),
            shipping=ship(799),
            to=Address("US", "NY", "10541", "Mahopac"),
            origin=Address("US", "NY", "12054", "Delmar"),
        )
    )
    # Clothing under USD 110 is exempt from New York's state rate, not from Putnam county's:
    # 19.99 x 0.04 = 0.7996 -> 0.80 and x 0.00375 = 0.0749625 -> 0.07; 9.95 x 0.04 = 0.398
    # -> 0.40 and x 0.00375 = 0.0373125 -> 0.04. Shipping 7.99 x 0.04 = 0.3196 -> 0.32 for
    # state and county, x 0.00375 = 0.0299625 -> 0.03.
    assert amounts(result) == {
        "1": [
            ("County tax", "US-NY:PUTNAM", "0.04", 80),
            ("Special district tax", "US-NY", "0.00375", 7),
        ],
        "2": [
            ("County tax", "US-NY:PUTNAM", "0.04", 40),
            ("Special district tax", "US-NY", "0.00375", 4),
        ],
        SHIPPING_ITEM: [
            ("State tax", "US-NY", "0.04", 32),
            ("County tax", "US-NY:PUTNAM", "0.04", 32),
            ("Special district tax", "US-NY", "0.00375", 3),
        ],
    }
    # 87 + 44 + 67 = 198 = amount_to_collect 1.98: nothing to note but the sourcing.
    assert [entry.total_minor for entry in result.items] == [87, 44, 67]
    assert note_codes(result) == ["taxjar_sourcing"]


def test_origin_sourcing_and_a_rounded_shipping_total_are_noted() -> None:
    calculator, _ = taxjar(Script(ORIGIN))
    austin = Address("US", "TX", "78701", "Austin", ("1100 Congress Ave",))
    houston = Address("US", "TX", "77058", "Houston", ("1601 E NASA Pkwy",))
    result = calculator.calculate(
        request(item("1", 1500), shipping=ship(150), to=houston, origin=austin)
    )
    # The line: 0.94 + 0.15 + 0.15 = 1.24. Shipping: 0.09 + 0.02 + 0.02 = 0.13, where TaxJar's
    # shipping tax_collectable says 0.12 (1.5 x 0.0825 = 0.12375). Charged: 1.37, not 1.36.
    assert [entry.total_minor for entry in result.items] == [124, 13]
    assert (result.notes[0].code, "origin" in result.notes[0].text) == ("taxjar_sourcing", True)
    assert "1.37 USD" in result.notes[1].text and "1.36 USD" in result.notes[1].text


@pytest.mark.parametrize(
    ("answer", "currency", "to", "expected"),
    [
        # 15 x 0.05 = 0.75 GST and x 0.08 = 1.20 PST; shipping 1.5 x 0.05 = 0.075 -> 0.08
        # and x 0.08 = 0.12. 75 + 120 + 8 + 12 = 215 = 2.15.
        (CANADA, "CAD", Address("CA", "ON", "M5V 2T6", "Toronto"), {
            "1": [("GST", "CA", "0.05", 75), ("PST", "CA-ON", "0.08", 120)],
            SHIPPING_ITEM: [("GST", "CA", "0.05", 8), ("PST", "CA-ON", "0.08", 12)]}),
        # 15 x 0.2 = 3.00 and 1.5 x 0.2 = 0.30: 3.30.
        (EUROPE, "EUR", Address("FR", "", "13281", "Marseille"), {
            "1": [("Country tax", "FR", "0.2", 300)],
            SHIPPING_ITEM: [("Country tax", "FR", "0.2", 30)]}),
    ],
)  # fmt: skip
def test_non_us_breakdowns_map_their_own_fields(
    answer: str, currency: str, to: Address, expected: object
) -> None:
    calculator, _ = taxjar(Script(answer))
    result = calculator.calculate(
        request(item("1", 1500), shipping=ship(150), to=to, origin=None, currency=currency)
    )
    assert amounts(result) == expected
    assert note_codes(result) == ["taxjar_sourcing"]


def test_no_nexus_is_no_tax_and_says_why() -> None:
    calculator, _ = taxjar(Script(NO_NEXUS))
    portland = Address("US", "OR", "97035", "Portland")
    result = calculator.calculate(request(item("1", 1500), shipping=ship(150), to=portland))
    assert result.items == ()
    assert note_codes(result) == ["no_nexus"]
    assert "US-OR" in result.notes[0].text


# --- refusals and malformed answers --------------------------------------------------------

# The reference's error table: status, its name (TaxJar's "error") and meaning ("detail").
REFUSALS = [
    (400, "Bad Request", "Your request format is bad"),
    (401, "Unauthorized", "Not authorized for route 'POST /v2/taxes'"),
    (403, "Forbidden", "The resource requested is not authorized for use"),
    (404, "Not Found", "The specified resource could not be found"),
    (405, "Method Not Allowed", "You tried to access a resource with an invalid method"),
    (406, "Not Acceptable", "You requested a format that isn't json"),
    (410, "Gone", "The resource requested has been removed from our servers"),
    (422, "Unprocessable Entity", "Some entity of the resource could not be processed"),
]


@pytest.mark.parametrize(("status", "error", "detail"), REFUSALS)
def test_each_documented_refusal_is_a_service_error_and_never_retried(
    status: int, error: str, detail: str
) -> None:
    body = json.dumps({"error": error, "detail": detail, "status": status})
    script = Script((status, body))
    calculator, sleeps = taxjar(script)
    with pytest.raises(TaxServiceError) as caught:
        calculator.calculate(request(item("1", 1500)))
    exc = caught.value
    assert (exc.provider, exc.code, exc.status, exc.retryable) == ("taxjar", error, status, False)
    assert detail in str(exc)
    assert (len(script.requests), sleeps) == (1, [])


def test_a_refusal_without_a_json_body_still_says_the_status() -> None:
    calculator, _ = taxjar(Script((404, "<html>Not Found</html>")))
    with pytest.raises(TaxServiceError, match="404") as caught:
        calculator.calculate(request(item("1", 1500)))
    assert (caught.value.code, caught.value.status) == (None, 404)


class Raw(str):
    """JSON text put in verbatim (a number TaxJar could send that Python would not write)."""


def dumps(value: object) -> str:
    """JSON with Decimals written as numbers from their text, as TaxJar's answers are."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def _tampered(path: list[str | int], value: object, source: str = EXAMPLE) -> str:
    data = json.loads(source, parse_float=Decimal)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return dumps(data)


LINE: list[str | int] = ["tax", "breakdown", "line_items", 0]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("<html>maintenance</html>", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ("{}", "tax is not an object"),
        (_tampered(["tax", "has_nexus"], "yes"), "has_nexus"),
        (_tampered(["tax", "amount_to_collect"], "1.35"), "not a number"),
        (_tampered(["tax", "amount_to_collect"], Raw("NaN")), "not JSON"),
        (_tampered(["tax", "amount_to_collect"], Raw("1e999999999")), "out of range"),
        (_tampered([*LINE, "state_amount"], Raw("0.945")), "finer than the minor unit"),
        (_tampered([*LINE, "state_amount"], Raw("-0.94")), "negative"),
        (_tampered([*LINE, "state_sales_tax_rate"], KeyError), "not a number"),
        (_tampered([*LINE, "state_sales_tax_rate"], Raw("1.5")), "no rate"),
        (_tampered([*LINE, "id"], "99"), "'99', which was not asked"),
        (_tampered([*LINE, "id"], 1), "which was not asked"),
        (_tampered(["tax", "breakdown", "line_items"], {"id": "1"}), "not a list"),
        (_tampered(["tax", "breakdown"], KeyError), "no breakdown"),
        (_tampered(["tax", "tax_source"], "elsewhere"), "neither origin nor destination"),
        (_tampered(["tax", "jurisdictions", "county"], "A\nB"), "no name"),
        (_tampered(["tax", "amount_to_collect"], Raw("5.00")), "more than rounding explains"),
        (_tampered(["tax", "has_nexus"], False), "without nexus"),
        (_tampered(["tax", "breakdown", "shipping"], {"state_amount": Raw("0.10"),
         "state_sales_tax_rate": Raw("0.0625")}), "no shipping was asked"),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_the_documented_shape_is_a_service_error(
    answer: str, problem: str
) -> None:
    script = Script(answer)
    calculator, sleeps = taxjar(script)
    with pytest.raises(TaxServiceError, match=problem) as caught:
        calculator.calculate(request(item("1", 1500)))
    assert caught.value.provider == "taxjar"
    assert (len(script.requests), sleeps) == (1, [])  # a garbled answer is not retried


def test_a_line_answered_twice_is_refused() -> None:
    data = json.loads(EXAMPLE, parse_float=Decimal)
    lines = data["tax"]["breakdown"]["line_items"]
    lines.append(dict(lines[0]))
    calculator, _ = taxjar(Script(dumps(data)))
    with pytest.raises(TaxServiceError, match="twice"):
        calculator.calculate(request(item("1", 1500)))


# --- retries -------------------------------------------------------------------------------


def test_429_with_retry_after_sleeps_that_long_then_succeeds() -> None:
    limited = (429, '{"error": "Too Many Requests", "status": 429}', {"Retry-After": "2"})
    script = Script(limited, EXAMPLE)
    calculator, sleeps = taxjar(script)
    result = calculator.calculate(request(item("1", 1500)))
    assert sleeps == [2.0]
    assert len(script.requests) == 2
    assert sum(entry.total_minor for entry in result.items) == 136


def test_retry_after_is_capped_at_max_backoff() -> None:
    script = Script((503, "", {"Retry-After": "30"}), EXAMPLE)
    calculator, sleeps = taxjar(script)
    calculator.calculate(request(item("1", 1500)))
    assert sleeps == [4.0]  # 30 s asked, max_backoff 4.0


def test_503_three_times_is_unavailable_after_three_attempts_with_jittered_backoff() -> None:
    script = Script((503, ""), (503, ""), (503, ""))
    calculator, sleeps = taxjar(script)
    with pytest.raises(TaxUnavailableError, match="3 attempts") as caught:
        calculator.calculate(request(item("1", 1500)))
    exc = caught.value
    assert (exc.provider, exc.retryable, exc.status) == ("taxjar", True, 503)
    assert len(script.requests) == 3
    # random() = 0.5 times min(4.0, 0.25 x 2 ** (n - 1)): 0.5 x 0.25, 0.5 x 0.5; no sleep
    # after the last attempt.
    assert sleeps == [0.125, 0.25]


def test_backoff_doubles_up_to_its_cap() -> None:
    script = Script(*[(500, "")] * 4)
    calculator, sleeps = taxjar(
        script, max_attempts=4, backoff=1.0, max_backoff=1.5, random=lambda: 1.0
    )
    with pytest.raises(TaxUnavailableError):
        calculator.calculate(request(item("1", 1500)))
    assert sleeps == [1.0, 1.5, 1.5]  # min(1.5, 1), min(1.5, 2), min(1.5, 4)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(status: int) -> None:
    script = Script((status, "oops"), EXAMPLE)
    calculator, sleeps = taxjar(script)
    assert calculator.calculate(request(item("1", 1500))).items
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError]
)
def test_connection_errors_and_timeouts_are_retried(error: type[httpx.HTTPError]) -> None:
    script = Script(error("boom"), EXAMPLE)
    calculator, sleeps = taxjar(script)
    assert calculator.calculate(request(item("1", 1500))).items
    assert (len(script.requests), sleeps) == (2, [0.125])


def test_timeouts_to_the_end_are_unavailable_and_chain_the_cause() -> None:
    script = Script(*[httpx.ReadTimeout("slow")] * 3)
    calculator, _ = taxjar(script)
    with pytest.raises(TaxUnavailableError, match="timed out") as caught:
        calculator.calculate(request(item("1", 1500)))
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


# --- the token -----------------------------------------------------------------------------


def _failures() -> list[Callable[[], Script]]:
    echo = json.dumps({"error": "Unauthorized", "detail": f"bad token {TOKEN}", "status": 401})
    return [
        lambda: Script((401, echo)),
        lambda: Script(*[(503, "")] * 3),
        lambda: Script(*[httpx.ConnectError("refused")] * 3),
        lambda: Script("not json"),
        lambda: Script(_tampered(["tax", "amount_to_collect"], Raw("9.99"))),
    ]


@pytest.mark.parametrize("make", _failures())
def test_the_token_never_appears_in_an_error(make: Callable[[], Script]) -> None:
    calculator, _ = taxjar(make())
    with pytest.raises((TaxServiceError, TaxUnavailableError)) as caught:
        calculator.calculate(request(item("1", 1500)))
    shown = "".join(traceback.format_exception(caught.value))
    assert TOKEN not in shown and TOKEN not in repr(caught.value)
    assert TOKEN not in repr(calculator) and TOKEN not in repr(calculator.connection)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"api_token": ""}, "API token"),
        ({"api_token": "has space"}, "API token"),
        ({"base_url": "ftp://api.taxjar.com"}, "base_url"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"timeout": 0}, "timeout"),
        ({"backoff": -1}, "backoff"),
        ({"nexus_addresses": [Address("US")]}, "nexus address"),
    ],
)
def test_unusable_settings_are_configuration_errors(
    options: dict[str, object], problem: str
) -> None:
    arguments: dict[str, object] = {"api_token": TOKEN, **options}
    with pytest.raises(ConfigurationError, match=problem):
        TaxJar(**arguments)  # type: ignore[arg-type]


# --- end to end ------------------------------------------------------------------------------


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def test_a_cart_priced_through_taxjar_end_to_end() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        # The clothing scenario, answered for the cart's own line ids.
        ids = [line["id"] for line in json.loads(request.content)["line_items"]]
        data = json.loads(CLOTHING, parse_float=Decimal)
        for line, key in zip(data["tax"]["breakdown"]["line_items"], ids, strict=True):
            line["id"] = key
        return httpx.Response(200, content=dumps(data).encode())

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    catalog = {
        "SHIRT": CatalogEntry("SHIRT", price=usd("19.99"), tax_category="clothing"),
        "SOCKS": CatalogEntry("SOCKS", price=usd("9.95"), tax_category="clothing"),
    }
    cart = (
        Cart(id="c1", currency="USD", shipping_address=Address("US", "NY", "10541", "Mahopac"))
        .add("SHIRT", 1)
        .add("SOCKS", 1)
    )
    calculator = TaxJar(
        TOKEN, transport=httpx.MockTransport(handler), product_tax_codes={"clothing": "20010"}
    )
    breakdown = price_cart(
        cart,
        catalog,
        at=AT,
        customer=Customer(id="cust-7"),
        tax=calculator,
        shipping=ShippingRate("ground", usd("7.99")),
        seller=Seller("US", address=Address("US", "NY", "12054", "Delmar")),
    )
    sent = json.loads(seen[0].content, parse_float=Decimal)
    assert [(line["id"], line["product_tax_code"]) for line in sent["line_items"]] == [
        ("SHIRT", "20010"),
        ("SOCKS", "20010"),
    ]
    assert (sent["from_zip"], sent["to_zip"], sent["customer_id"]) == ("12054", "10541", "cust-7")
    by_line = {line.line_id: [t.amount_minor for t in line.tax_lines] for line in breakdown.lines}
    assert by_line == {"SHIRT": [80, 7], "SOCKS": [40, 4]}
    assert breakdown.shipping is not None
    assert [t.amount_minor for t in breakdown.shipping.tax_lines] == [32, 32, 3]
    # 0.87 + 0.44 + 0.67 = 1.98; 19.99 + 9.95 + 7.99 + 1.98 = 39.91.
    assert breakdown.tax_total_minor == 198
    assert breakdown.grand_total_minor == 3991
    assert [note.code for note in breakdown.tax_notes] == ["taxjar_sourcing"]
