"""The FastAPI example shop served by uvicorn on 127.0.0.1, bought from in a real Chromium.

A customer's whole visit, by clicks and typing: browse, add two products, see a coupon
refused and why, apply a good one, choose shipping, pay, read the receipt with the right
total in their language (the browser asks for German).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi_shop.app import create_app
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait


@pytest.fixture
def shop_url(tmp_path: Path) -> Iterator[str]:
    """The shop on a fresh SQLite file, served by uvicorn in a thread on a free local port."""
    app = create_app(f"sqlite:///{tmp_path / 'shop.db'}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # The kernel picks a free port, and the bound socket is handed to uvicorn: no race.
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", ws="none", log_config=None, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def wait_for(browser: WebDriver, css: str) -> str:
    """The text of the element ``css`` once it is on the page."""
    element = WebDriverWait(browser, 20).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )
    return element.text


def click(browser: WebDriver, css: str) -> None:
    """Click ``css`` and wait for the page it submits to replace this one."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(old))


def test_a_customer_buys_two_products_with_a_coupon(browser: WebDriver, shop_url: str) -> None:
    browser.delete_all_cookies()
    browser.get(shop_url + "/")
    assert "Hand coffee grinder" in wait_for(browser, "#product-GRINDER")
    assert "1.190,00 €" in browser.find_element(By.ID, "product-GRINDER").text

    click(browser, "#add-GRINDER")
    assert browser.current_url == shop_url + "/cart"
    browser.get(shop_url + "/")
    quantity = browser.find_element(By.CSS_SELECTOR, "#product-MUG input[name=quantity]")
    quantity.clear()
    quantity.send_keys("2")
    click(browser, "#add-MUG")
    assert wait_for(browser, "#cart-link") == "Cart (3)"
    assert wait_for(browser, "#subtotal") == "1.215,00 €"

    browser.find_element(By.ID, "coupon-code").send_keys("BIG20")
    click(browser, "#apply-coupon")
    refusal = wait_for(browser, "#error")
    assert "Coupon BIG20 was refused" in refusal
    assert "minimum_not_met" in refusal

    browser.find_element(By.ID, "coupon-code").send_keys("WELCOME10")
    click(browser, "#apply-coupon")
    assert wait_for(browser, ".coupon-code") == "WELCOME10"
    assert browser.find_elements(By.ID, "error") == []
    assert wait_for(browser, "#discounts") == "\N{MINUS SIGN}121,50 €"

    browser.find_element(By.ID, "shipping-express").click()
    click(browser, "#choose-shipping")
    assert wait_for(browser, "#shipping-total") == "9,90 €"
    assert wait_for(browser, "#total") == "1.103,40 €"

    click(browser, "#go-checkout")
    Select(browser.find_element(By.ID, "card")).select_by_value("ok")
    click(browser, "#pay")
    assert "/receipt/chk-" in browser.current_url
    assert wait_for(browser, "#order-number") == "1001"
    assert wait_for(browser, "#total") == "1.103,40 €"
    assert "Paid: 1.103,40 €." in wait_for(browser, "#status")


def test_a_declined_card_keeps_the_cart(browser: WebDriver, shop_url: str) -> None:
    browser.delete_all_cookies()
    browser.get(shop_url + "/")
    click(browser, "#add-TEE")
    click(browser, "#go-checkout")
    Select(browser.find_element(By.ID, "card")).select_by_value("declined")
    click(browser, "#pay")
    assert wait_for(browser, "#error").startswith("Your card was declined.")
    # The same page, a new checkout key: another card goes through.
    Select(browser.find_element(By.ID, "card")).select_by_value("ok")
    click(browser, "#pay")
    assert wait_for(browser, "#total") == "28,90 €"  # 24.00 + 4.90 standard shipping
