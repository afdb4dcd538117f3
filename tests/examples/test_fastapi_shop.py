"""The FastAPI example shop, end to end through FastAPI's TestClient, on a SQLite file.

The same flow as a customer's: browse, fill a cart, have a coupon refused and another
accepted, choose shipping, pay, read the receipt in their language.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import pytest
from fastapi.testclient import TestClient
from fastapi_shop.app import create_app, preferred_languages
from fastapi_shop.shop import PRODUCTS_BY_SKU, Shop


class Page(Protocol):
    """An HTTP response (httpx's or httpx2's, whichever the TestClient uses)."""

    @property
    def text(self) -> str: ...


GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    # The context manager runs the app's lifespan: the store is opened, seeded and closed.
    with TestClient(create_app(store_url), headers=GERMAN, follow_redirects=True) as client:
        yield client


def shop_of(client: TestClient) -> Shop:
    shop: Shop = client.app.state.shop  # type: ignore[attr-defined]
    return shop


def available(client: TestClient, sku: str) -> int:
    level = shop_of(client).inventory.level(sku, "main")
    assert level is not None
    return level.available


def error_of(response: Page) -> str:
    found = re.search(r'<p class="error" id="error" role="alert">(.*?)</p>', response.text, re.S)
    assert found is not None, response.text
    return html.unescape(found.group(1))


def cell(response: Page, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)<', response.text)
    assert found is not None, f"no #{element_id} in {response.text}"
    return html.unescape(found.group(1)).replace("\N{MINUS SIGN}", "-")


def checkout_key(response: Page) -> str:
    found = re.search(r'name="checkout_key" value="([^"]+)"', response.text)
    assert found is not None, response.text
    return found.group(1)


def fill_cart(client: TestClient) -> None:
    """A grinder and two mugs with WELCOME10 and express shipping: 1,103.40 EUR."""
    assert client.post("/cart/add", data={"sku": "GRINDER"}).status_code == 200
    assert client.post("/cart/add", data={"sku": "MUG", "quantity": "2"}).status_code == 200
    assert client.post("/cart/coupon", data={"code": "welcome10"}).status_code == 200
    assert client.post("/cart/shipping", data={"method": "express"}).status_code == 200


def test_the_whole_purchase_in_german(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="de-DE">' in page.text
    assert "Hand coffee grinder" in page.text
    assert "1.190,00\xa0€" in page.text  # babel's de_DE format: grouping dot, decimal comma

    cart = client.post("/cart/add", data={"sku": "GRINDER"})
    assert cart.url.path == "/cart"
    cart = client.post("/cart/add", data={"sku": "MUG", "quantity": "2"})
    assert "Cart (3)" in cart.text
    assert cell(cart, "subtotal") == "1.215,00\xa0€"

    refused = client.post("/cart/coupon", data={"code": "BIG20"})
    assert refused.status_code == 422
    assert error_of(refused) == (
        "Coupon BIG20 was refused: your order does not reach the offer's minimum (minimum_not_met)."
    )
    unknown = client.post("/cart/coupon", data={"code": "NOPE"})
    assert "(unknown_code)" in error_of(unknown)
    assert "BIG20" not in client.get("/cart").text  # a refused code is never kept

    applied = client.post("/cart/coupon", data={"code": "welcome10"})
    assert applied.status_code == 200
    assert '<strong class="coupon-code">WELCOME10</strong> applied' in applied.text
    assert cell(applied, "discounts") == "-121,50\xa0€"

    shipped = client.post("/cart/shipping", data={"method": "express"})
    assert cell(shipped, "shipping-total") == "9,90\xa0€"
    assert cell(shipped, "total") == "1.103,40\xa0€"

    form = client.get("/checkout")
    assert "Pay 1.103,40\xa0€" in form.text
    receipt = client.post("/checkout", data={"checkout_key": checkout_key(form), "card": "ok"})
    assert receipt.status_code == 200
    assert receipt.url.path.startswith("/receipt/chk-")
    assert cell(receipt, "order-number") == "1001"
    assert cell(receipt, "total") == "1.103,40\xa0€"
    assert "Paid: 1.103,40\xa0€." in receipt.text
    assert available(client, "GRINDER") == PRODUCTS_BY_SKU["GRINDER"].opening_stock - 1
    assert [charge.captured.amount for charge in shop_of(client).gateway.charges()] == [
        shop_of(client).orders.get("1001").total.amount
    ]

    # The cart became the order: the next visit starts an empty one.
    assert "Your cart is empty" in client.get("/cart").text
    assert client.get("/checkout").url.path == "/cart"


@pytest.mark.parametrize(
    ("accept_language", "total"),
    [
        ("en-US,en;q=0.9", "€1,103.40"),
        ("fr-FR", "1\u202f103,40\xa0€"),
        ("de-CH", "EUR\xa01'103.40"),
        ("xx-NOPE, *;q=0.5", "€1,103.40"),  # nothing babel knows: en_US
        ("", "€1,103.40"),
    ],
)
def test_the_receipt_follows_the_request_locale(
    client: TestClient, accept_language: str, total: str
) -> None:
    fill_cart(client)
    key = checkout_key(client.get("/checkout"))
    paid = client.post("/checkout", data={"checkout_key": key, "card": "ok"})
    assert paid.url.path == f"/receipt/{key}", paid.text
    receipt = client.get(f"/receipt/{key}", headers={"Accept-Language": accept_language})
    assert cell(receipt, "total") == total


def test_a_double_submit_places_one_order(client: TestClient) -> None:
    fill_cart(client)
    form = client.get("/checkout")
    data = {"checkout_key": checkout_key(form), "card": "ok"}
    cookies = dict(client.cookies)

    first = client.post("/checkout", data=data)
    # The second click of the same form: the cookie was replaced by the first answer, or not.
    again = client.post("/checkout", data=data)
    client.cookies.update(cookies)
    stale = client.post("/checkout", data=data)
    assert first.url == again.url == stale.url
    assert cell(first, "order-number") == cell(again, "order-number") == cell(stale, "order-number")
    assert len(shop_of(client).gateway.charges()) == 1
    assert available(client, "GRINDER") == PRODUCTS_BY_SKU["GRINDER"].opening_stock - 1

    # With the old cookie, the ordered cart is closed: it is never ordered twice.
    client.cookies.update(cookies)
    assert "Your cart is empty" in client.get("/cart").text


def test_two_submits_at_once_place_one_order(client: TestClient) -> None:
    fill_cart(client)
    data = {"checkout_key": checkout_key(client.get("/checkout")), "card": "ok"}
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: client.post("/checkout", data=data), range(2)))
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].url == answers[1].url
    assert len(shop_of(client).gateway.charges()) == 1


def test_a_declined_card_shows_why_and_keeps_the_cart(client: TestClient) -> None:
    fill_cart(client)
    form = client.get("/checkout")
    data = {"checkout_key": checkout_key(form), "card": "declined"}
    declined = client.post("/checkout", data=data)
    assert declined.status_code == 402
    assert declined.url.path == "/checkout"
    assert error_of(declined).startswith("Your card was declined. Nothing was charged;")
    assert available(client, "GRINDER") == PRODUCTS_BY_SKU["GRINDER"].opening_stock

    # Submitting the declined form again shows the same refusal, without asking the bank again.
    again = client.post("/checkout", data=data)
    assert again.status_code == 402
    assert len(shop_of(client).gateway.charges()) == 1

    cart = client.get("/cart")
    assert cell(cart, "total") == "1.103,40\xa0€"
    # The page came back with a new key: the customer tries another card.
    paid = client.post("/checkout", data={"checkout_key": checkout_key(declined), "card": "ok"})
    assert paid.status_code == 200
    assert cell(paid, "total") == "1.103,40\xa0€"


def test_insufficient_funds_is_a_decline_too(client: TestClient) -> None:
    fill_cart(client)
    key = checkout_key(client.get("/checkout"))
    refused = client.post("/checkout", data={"checkout_key": key, "card": "no-funds"})
    assert refused.status_code == 402
    assert error_of(refused).startswith("Your card has insufficient funds.")


def test_lines_and_coupons_can_be_removed(client: TestClient) -> None:
    fill_cart(client)
    cart = client.post("/cart/remove", data={"line_id": "GRINDER"})
    assert 'id="line-GRINDER"' not in cart.text
    assert cell(cart, "total") == "32,40\xa0€"  # 25.00 - 10% + 9.90
    cart = client.post("/cart/coupon/remove", data={"code": "WELCOME10"})
    assert cell(cart, "total") == "34,90\xa0€"
    cart = client.post("/cart/remove", data={"line_id": "MUG"})
    assert "Your cart is empty" in cart.text


def test_refusals_of_bad_requests(client: TestClient) -> None:
    assert client.post("/cart/add", data={"sku": "NOPE"}).status_code == 404
    assert client.post("/cart/add", data={"sku": "MUG", "quantity": "0"}).status_code == 422
    assert client.post("/cart/shipping", data={"method": "teleport"}).status_code == 422
    empty = client.post("/cart/coupon", data={"code": "WELCOME10"})
    assert error_of(empty) == "Add something to your cart first."
    assert client.get("/checkout").url.path == "/cart"
    assert client.get("/receipt/chk-unknown").status_code == 404
    fill_cart(client)
    key = checkout_key(client.get("/checkout"))
    assert client.post("/checkout", data={"checkout_key": key, "card": "stolen"}).status_code == 422


def test_the_cart_lives_in_the_store_not_in_the_cookie(store_url: str) -> None:
    with TestClient(create_app(store_url), follow_redirects=True) as first:
        first.post("/cart/add", data={"sku": "TEE"})
        cart_id = first.cookies["cart_id"]
    # Another process, another client: only the id travels.
    with TestClient(create_app(store_url), cookies={"cart_id": cart_id}) as second:
        assert 'id="line-TEE"' in second.get("/cart").text
        assert "Cart (1)" in second.get("/").text
    with TestClient(create_app(store_url), cookies={"cart_id": "../../etc"}) as forged:
        assert "Your cart is empty" in forged.get("/cart").text


def test_the_opening_stock_is_received_once(store_url: str) -> None:
    for _ in range(2):
        with TestClient(create_app(store_url)) as client:
            assert available(client, "TEE") == PRODUCTS_BY_SKU["TEE"].opening_stock


def test_preferred_languages_orders_by_quality() -> None:
    assert preferred_languages("en;q=0.5, de-DE, fr;q=0.8, *;q=0.1") == ["de-DE", "fr", "en"]
    assert preferred_languages("de;q=0, ja;q=bad, it") == ["it"]
    assert preferred_languages("") == []
