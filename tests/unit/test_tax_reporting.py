"""Reporting collected tax: the transaction values, the in-memory reporter, TaxJar's reporter.

The TaxJar bodies are the reference's examples for "Create an order transaction" and "Create
a refund transaction" (developers.taxjar.com/api/reference/#transactions; in the
taxjar/taxjar-api-docs repository, source/includes/endpoints/_transactions.md): an order of
one "Fuzzy Widget" (product identifier 12-34243-9) at 15 plus 1.5 shipping and 0.95 tax,
shipped to 123 Palm Grove Ln, Los Angeles, CA 90002, and its refund "321" referencing order
"123", sent with negative amounts ("We recommend passing negative values for monetary amounts
when creating or updating refund transactions"). A duplicate transaction_id is answered
``422 Unprocessable Entity`` with the detail "Provider tranx already imported for your user
account" (the text TaxJar's clients meet, e.g. in SuperGoodSoft/solidus_taxjar's tests).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from commercekit.address import Address
from commercekit.errors import (
    IdempotencyConflictError,
    InvalidQuantityError,
    OutcomeUnknownError,
    TaxServiceError,
    TaxUnavailableError,
    ValidationError,
)
from commercekit.money import get_currency
from commercekit.tax import (
    SHIPPING_ITEM,
    InMemoryTaxReporter,
    ItemTax,
    TaxableItem,
    TaxBuyer,
    TaxJar,
    TaxJarReporter,
    TaxLine,
    TaxReporter,
    TaxRequest,
    TaxResult,
    TaxTransaction,
    TaxTransactionLine,
    TransactionKind,
    per_unit,
)

TOKEN = "9e0cd62a22f451701f29c3bde214"
AT = datetime(2015, 5, 14, tzinfo=UTC)
SANTA_BARBARA = Address("US", "CA", "93101", "Santa Barbara", ("1218 State St",))
PALM_GROVE = Address("US", "CA", "90002", "Los Angeles", ("123 Palm Grove Ln",))
ORDER = TransactionKind.ORDER
REFUND = TransactionKind.REFUND
DUPLICATE = (
    422,
    '{"error": "Unprocessable Entity", "status": 422,'
    ' "detail": "Provider tranx already imported for your user account"}',
)
CREATED = (201, '{"order": {"transaction_id": "123"}}')


def widget(sales_tax: int = 95) -> TaxTransactionLine:
    return TaxTransactionLine(
        "1", 1, None, 1500, sales_tax_minor=sales_tax, sku="12-34243-9", description="Fuzzy Widget"
    )


def order(**changes: object) -> TaxTransaction:
    fields: dict[str, object] = {
        "transaction_id": "123",
        "kind": ORDER,
        "at": AT,
        "currency": "USD",
        "ship_from": SANTA_BARBARA,
        "ship_to": PALM_GROVE,
        "amount_minor": 1650,  # 15.00 + 1.50 shipping, tax excluded
        "shipping_minor": 150,
        "sales_tax_minor": 95,
        "lines": (widget(),),
    }
    fields.update(changes)
    return TaxTransaction(**fields)  # type: ignore[arg-type]


def refund(**changes: object) -> TaxTransaction:
    return order(**{"transaction_id": "321", "kind": REFUND, "reference_id": "123", **changes})


class Script:
    """A MockTransport handler answering (status, body) or raising, in turn."""

    def __init__(self, *answers: tuple[int, str] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer[0], content=answer[1].encode())

    def body(self, index: int = 0) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.requests[index].content, parse_float=Decimal)
        return parsed


def reporter(script: Script) -> tuple[TaxJarReporter, list[float]]:
    sleeps: list[float] = []
    made = TaxJarReporter(
        TOKEN, transport=httpx.MockTransport(script), sleep=sleeps.append, random=lambda: 0.5
    )
    return made, sleeps


# --- the values ----------------------------------------------------------------------------


def test_per_unit_keeps_whole_quantities_when_the_subtotal_splits_exactly() -> None:
    assert per_unit(3000, 3) == (3, 1000)
    assert per_unit(1000, 3) == (1, 1000)  # 3.33... a unit would not give 10.00 back
    assert per_unit(313, Decimal("250.2")) == (1, 313)  # sold by measure


def test_a_line_comes_to_quantity_times_price_less_discount() -> None:
    line = TaxTransactionLine("mugs", 3, "20010", 1000, 450, 150)
    assert line.amount_minor == 2550  # 3 x 10.00 - 4.50


@pytest.mark.parametrize(
    ("changes", "error", "problem"),
    [
        ({"amount_minor": -1650}, ValidationError, "must not be negative"),
        ({"sales_tax_minor": 9.5}, ValidationError, "whole number of minor units"),
        ({"shipping_minor": True}, ValidationError, "whole number of minor units"),
        ({"shipping_minor": 2000, "lines": ()}, ValidationError, "shipping exceeds"),
        ({"amount_minor": 1700}, ValidationError, r"must equal the lines \(1500\) plus shipping"),
        ({"sales_tax_minor": 90}, ValidationError, r"lines' tax \(95\) exceeds"),
        ({"at": datetime(2015, 5, 14)}, ValidationError, "timezone-aware"),
        ({"currency": "XYZ"}, ValidationError, "XYZ"),
        ({"reference_id": "122"}, ValidationError, "only a refund has one"),
        ({"ship_to": "Los Angeles"}, ValidationError, "expected an Address"),
        ({"lines": (widget(), widget())}, ValidationError, "line '1' twice"),
        ({"transaction_id": " 123"}, ValidationError, "transaction id"),
    ],
)
def test_a_transaction_is_checked_when_built(
    changes: dict[str, object], error: type[Exception], problem: str
) -> None:
    with pytest.raises(error, match=problem):
        order(**changes)


def test_a_refund_needs_the_order_it_refunds_and_an_id_of_its_own() -> None:
    with pytest.raises(ValidationError, match="needs reference_id"):
        refund(reference_id=None)
    with pytest.raises(ValidationError, match="an id of its own"):
        refund(transaction_id="123")


@pytest.mark.parametrize(
    ("arguments", "error", "problem"),
    [
        (("1", 0, None, 100), InvalidQuantityError, "positive"),
        (("1", 2, None, 100, 201), ValidationError, "exceeds the line"),
        (("1", 1, None, -100), ValidationError, "must not be negative"),
        (("1", 1, "", 100), ValidationError, "product tax code"),
    ],
)
def test_a_line_is_checked_when_built(
    arguments: tuple[object, ...], error: type[Exception], problem: str
) -> None:
    with pytest.raises(error, match=problem):
        TaxTransactionLine(*arguments)  # type: ignore[arg-type]


def test_a_transaction_reports_exactly_what_a_tax_result_charged() -> None:
    request = TaxRequest(
        currency=get_currency("USD"),
        at=AT,
        items=(
            TaxableItem("1", "SHIRT", "clothing", 1, 1999, 0),
            TaxableItem("2", "SOCKS", "clothing", 2, 1990, 100),
        ),
        shipping=TaxableItem(SHIPPING_ITEM, None, None, 1, 799, 0),
        ship_to=PALM_GROVE,
        ship_from=SANTA_BARBARA,
        buyer=TaxBuyer("cust-7"),
    )
    usd = get_currency("USD")

    def tax(amount: int) -> TaxLine:
        return TaxLine("County tax", "US-CA", Decimal("0.04"), amount, usd, source="taxjar")

    result = TaxResult(
        (ItemTax("1", (tax(80),)), ItemTax("2", (tax(76),)), ItemTax(SHIPPING_ITEM, (tax(32),)))
    )
    made = TaxTransaction.from_tax("A-1", request, result, product_tax_codes={"clothing": "20010"})
    # Lines: 19.99 and 2 x 9.95 - 1.00 = 18.90; amount 19.99 + 18.90 + 7.99 shipping = 46.88;
    # tax 0.80 + 0.76 on the lines and 0.32 on shipping = 1.88.
    assert (made.amount_minor, made.shipping_minor, made.sales_tax_minor) == (4688, 799, 188)
    assert [
        (line.quantity, line.unit_price_minor, line.discount_minor, line.sales_tax_minor)
        for line in made.lines
    ] == [(1, 1999, 0, 80), (2, 995, 100, 76)]
    assert {line.product_tax_code for line in made.lines} == {"20010"}
    assert (made.customer_id, made.at, made.ship_to) == ("cust-7", AT, PALM_GROVE)


# --- the in-memory reporter ----------------------------------------------------------------


def test_in_memory_reporter_records_in_order_and_is_idempotent() -> None:
    memory = InMemoryTaxReporter()
    assert isinstance(memory, TaxReporter)
    memory.report_order(order())
    memory.report_order(order())  # the same again: done, nothing added
    memory.report_refund(refund(amount_minor=1500, shipping_minor=0, sales_tax_minor=95))
    assert [t.transaction_id for t in memory.transactions] == ["123", "321"]
    assert [t.transaction_id for t in memory.orders] == ["123"]
    assert [t.transaction_id for t in memory.refunds] == ["321"]


def test_in_memory_reporter_refuses_what_the_checkout_got_wrong() -> None:
    memory = InMemoryTaxReporter()
    with pytest.raises(ValidationError, match="report the order first"):
        memory.report_refund(refund())
    memory.report_order(order())
    with pytest.raises(IdempotencyConflictError, match="different contents"):
        memory.report_order(order(sales_tax_minor=96))
    with pytest.raises(ValidationError, match="report_refund"):
        memory.report_order(refund())
    with pytest.raises(ValidationError, match="in EUR, its order in USD"):
        memory.report_refund(refund(currency="EUR"))
    assert memory.transactions == (order(),)


# --- TaxJar's reporter ---------------------------------------------------------------------


def test_an_order_is_posted_with_the_documented_fields() -> None:
    script = Script(CREATED)
    taxjar, _ = reporter(script)
    assert isinstance(taxjar, TaxReporter)
    taxjar.report_order(order(customer_id="cust-7"))
    sent = script.requests[0]
    assert (sent.method, str(sent.url)) == ("POST", "https://api.taxjar.com/v2/transactions/orders")
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert script.body() == {
        "transaction_id": "123",
        "transaction_date": "2015-05-14T00:00:00+00:00",
        "from_country": "US",
        "from_zip": "93101",
        "from_state": "CA",
        "from_city": "Santa Barbara",
        "from_street": "1218 State St",
        "to_country": "US",
        "to_zip": "90002",
        "to_state": "CA",
        "to_city": "Los Angeles",
        "to_street": "123 Palm Grove Ln",
        "amount": Decimal("16.50"),
        "shipping": Decimal("1.50"),
        "sales_tax": Decimal("0.95"),
        "customer_id": "cust-7",
        "line_items": [
            {
                "id": "1",
                "quantity": 1,
                "product_identifier": "12-34243-9",
                "description": "Fuzzy Widget",
                "unit_price": Decimal("15.00"),
                "discount": Decimal("0.00"),
                "sales_tax": Decimal("0.95"),
            }
        ],
    }
    assert b'"amount":16.50,"shipping":1.50,"sales_tax":0.95' in sent.content


def test_a_refund_is_posted_with_negative_money_as_taxjar_recommends() -> None:
    script = Script(CREATED)
    taxjar, _ = reporter(script)
    discounted = TaxTransactionLine("1", 2, "20010", 1500, 500, 190, sku="12-34243-9")
    taxjar.report_refund(refund(lines=(discounted,), amount_minor=2650, sales_tax_minor=190))
    body = script.body()
    assert str(script.requests[0].url) == "https://api.taxjar.com/v2/transactions/refunds"
    assert (body["transaction_id"], body["transaction_reference_id"]) == ("321", "123")
    # 2 x -15.00 - (-5.00) + (-1.50) = -26.50: TaxJar's amount check holds with every sign.
    assert (body["amount"], body["shipping"], body["sales_tax"]) == (
        Decimal("-26.50"),
        Decimal("-1.50"),
        Decimal("-1.90"),
    )
    assert body["line_items"] == [
        {
            "id": "1",
            "quantity": 2,
            "product_identifier": "12-34243-9",
            "product_tax_code": "20010",
            "unit_price": Decimal("-15.00"),
            "discount": Decimal("-5.00"),
            "sales_tax": Decimal("-1.90"),
        }
    ]


def test_a_retry_after_a_timeout_that_finds_the_transaction_there_is_done() -> None:
    # The first request reached TaxJar but its answer was lost; the retry is told that the
    # transaction_id is already there, which means the first one was recorded.
    script = Script(httpx.ReadTimeout("no answer"), DUPLICATE)
    taxjar, sleeps = reporter(script)
    taxjar.report_order(order())
    assert len(script.requests) == 2
    assert script.requests[0].content == script.requests[1].content
    assert sleeps == [0.125]  # 0.5 x min(4.0, 0.25)


def test_reporting_an_order_twice_is_done() -> None:
    taxjar, _ = reporter(Script(DUPLICATE))
    taxjar.report_order(order())


def test_any_other_refusal_is_a_service_error() -> None:
    bad_math = (
        400,
        '{"status": 400, "error": "Bad Request", "detail": "amount must be equal to the sum'
        ' of line items and shipping, excluding sales tax."}',
    )  # TaxJar support, "TaxJar API: How to address bad math"
    other_422 = (422, '{"status": 422, "error": "Unprocessable Entity", "detail": "to_zip"}')
    for answer in (bad_math, other_422):
        taxjar, sleeps = reporter(Script(answer))
        with pytest.raises(TaxServiceError) as caught:
            taxjar.report_order(order())
        assert (caught.value.status, caught.value.provider) == (answer[0], "taxjar")
        assert "'123'" in str(caught.value) and sleeps == []


@pytest.mark.parametrize(
    "answers",
    [
        [httpx.ReadTimeout("lost")] * 3,
        [httpx.ReadTimeout("lost"), (503, ""), (503, "")],  # the first may have been recorded
        [(500, "")] * 3,  # a 500 may come after the write took effect
        [httpx.RemoteProtocolError("dropped")] * 3,
    ],
)
def test_no_answer_to_a_sent_request_is_an_unknown_outcome(answers: list[object]) -> None:
    taxjar, _ = reporter(Script(*answers))  # type: ignore[arg-type]
    with pytest.raises(OutcomeUnknownError, match="may or may not have been recorded"):
        taxjar.report_refund(refund())


@pytest.mark.parametrize(
    "answers",
    [
        [httpx.ConnectError("refused")] * 3,  # never sent
        [(503, "")] * 3,  # maintenance: refused before doing anything
        [(429, ""), httpx.ConnectTimeout("slow"), (503, "")],
    ],
)
def test_failures_that_recorded_nothing_are_unavailable(answers: list[object]) -> None:
    taxjar, _ = reporter(Script(*answers))  # type: ignore[arg-type]
    with pytest.raises(TaxUnavailableError) as caught:
        taxjar.report_order(order())
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"currency": "EUR"}, "US dollars"),
        ({"transaction_id": "123.1"}, "letters, digits"),
        ({"ship_to": Address("US", "CA", "", "Los Angeles")}, "postal code"),
    ],
)
def test_what_taxjar_cannot_record_is_refused_before_any_call(
    changes: dict[str, object], problem: str
) -> None:
    script = Script()
    taxjar, _ = reporter(script)
    with pytest.raises(ValidationError, match=problem):
        taxjar.report_order(order(**changes))
    assert script.requests == []


def test_an_order_reported_as_a_refund_is_refused() -> None:
    taxjar, _ = reporter(Script())
    with pytest.raises(ValidationError, match="report_order"):
        taxjar.report_refund(order())


def test_a_reporter_built_from_a_calculator_shares_its_account() -> None:
    script = Script(CREATED)
    calculator = TaxJar(TOKEN, transport=httpx.MockTransport(script))
    shared = TaxJarReporter.from_calculator(calculator)
    shared.report_order(order())
    assert shared.connection is calculator.connection
    assert script.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(shared)
