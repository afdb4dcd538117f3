"""The Django example shop (examples/django_shop), end to end with Django's test client.

Runs on a real PostgreSQL server: the module creates a fresh database ``ck_django_<hex>``,
points the example's settings at it (Django's tables in ``public``, commercekit's in the
``commercekit`` schema), runs Django's ``migrate`` and the ``commercekit_migrate`` command,
seeds the demo products, and drops the database at the end. Django's test runner is not
used: ``django.setup()`` and ``django.test.Client`` under pytest.
"""

from __future__ import annotations

import io
import json
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg
import pytest
from django.core.management import call_command
from django.db import OperationalError, connections
from django.test import Client
from psycopg import sql

from commercekit import Money
from commercekit.errors import NotFoundError
from commercekit.ports import OUTBOX
from commercekit.records import OutboxEvent

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NBSP = "\xa0"


def run(command: str, *args: str) -> str:
    """Run a management command; return what it printed."""
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def shop_db(postgres_url: str) -> Iterator[str]:
    """A fresh database with the shop's tables and demo data; dropped afterwards."""
    name = f"ck_django_{uuid.uuid4().hex[:12]}"
    url = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with pytest.MonkeyPatch.context() as paths:
            if str(EXAMPLES) not in sys.path:
                paths.syspath_prepend(str(EXAMPLES))
            with pytest.MonkeyPatch.context() as env:  # read once, by django.setup()
                env.setenv("DJANGO_SETTINGS_MODULE", "django_shop.settings")
                env.setenv("DJANGO_SHOP_DATABASE_URL", url)
                env.setenv("DJANGO_SHOP_COMMERCEKIT_URL", url)
                env.setenv("DJANGO_SHOP_COMMERCEKIT_SCHEMA", "commercekit")
                django.setup()
            from django.conf import settings

            assert settings.DATABASES["default"]["NAME"] == name, "Django was set up elsewhere"
            run("migrate", "--verbosity", "0")
            yield url
    finally:
        from django_shop.shop.commerce import close_commerce

        close_commerce()
        connections.close_all()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def seeded(shop_db: str) -> str:
    """commercekit's schema migrated by the management command, and the demo data."""
    assert run("commercekit_migrate").startswith("commercekit: applied ")
    assert "nothing to do" in run("commercekit_migrate")
    assert run("shop_seed") == run("shop_seed")  # idempotent: stock is received once
    return shop_db


def text(response: object) -> str:
    content = getattr(response, "content", b"")
    assert isinstance(content, bytes)
    return content.decode()


def follow(client: Client, path: str, data: dict[str, str]) -> str:
    """POST a form, check it answers with a redirect, follow it; return the page."""
    response = client.post(path, data)
    assert response.status_code == 302, text(response)
    page = client.get(response["Location"])
    assert page.status_code == 200
    return text(page)


def available(sku: str) -> int:
    from django_shop.shop.commerce import get_commerce

    return get_commerce().available(sku)


def outbox_events(topic: str, order_id: str) -> list[OutboxEvent]:
    """The outbox events of ``topic`` about ``order_id``, delivered or not."""
    from django_shop.shop.commerce import get_commerce

    store = get_commerce().store
    found = []
    with store.transaction(readonly=True) as tx:
        outbox = tx.repository(OUTBOX)
        event_id = 1
        while True:
            try:
                event = outbox.get(event_id)
            except NotFoundError:
                break
            if event.topic == topic and json.loads(event.payload).get("order") == order_id:
                found.append(event)
            event_id += 1
    return found


def checkout_key(page: str) -> str:
    match = re.search(r'name="key" value="(chk-[0-9a-f]+)"', page)
    assert match, page
    return match.group(1)


def test_browse_lists_products_with_prices_and_stock_in_the_locale(seeded: str) -> None:
    page = text(Client().get("/"))
    assert "Enamel mug" in page and "Organic tee-shirt" in page
    mug = page[page.index('id="product-MUG"') :]
    assert '<td class="price">$8.00</td>' in mug
    assert '<td class="available">' in mug
    german = text(Client().get("/", HTTP_ACCEPT_LANGUAGE="de"))
    assert f'<td class="price">8,00{NBSP}$</td>' in german


def test_cart_coupons_shipping_checkout_receipt_and_order_summary(seeded: str) -> None:
    from django.contrib.auth.models import User
    from django_shop.shop.commerce import get_commerce
    from django_shop.shop.models import OrderSummary
    from django_shop.shop.outbox import OrderSummarySync

    commerce = get_commerce()
    ada = User.objects.create_user("ada", password="example-only")
    client = Client()
    client.force_login(ada)
    mugs, tees = available("MUG"), available("TEE")

    # Cart: two mugs and a tee-shirt, priced with standard shipping by default.
    follow(client, "/cart/add/", {"sku": "MUG", "quantity": "2"})
    page = follow(client, "/cart/add/", {"sku": "TEE", "quantity": "1"})
    assert '<dd id="subtotal">$36.00</dd>' in page
    assert '<dd id="total">$40.90</dd>' in page

    # A bad coupon and one whose minimum is not met are refused, saying why.
    page = follow(client, "/cart/coupon/", {"code": "BOGUS"})
    assert "Coupon BOGUS was refused: unknown code." in page
    page = follow(client, "/cart/coupon/", {"code": "big20"})
    assert "Coupon BIG20 was refused: minimum not met." in page
    assert '<span id="coupons">none</span>' in page and '<dd id="total">$40.90</dd>' in page

    # A good one takes 10% off the items.
    page = follow(client, "/cart/coupon/", {"code": "WELCOME"})
    assert "Coupon WELCOME applied." in page
    assert '<span id="coupons">WELCOME</span>' in page
    assert '<dd id="discounts">$3.60</dd>' in page and '<dd id="total">$37.30</dd>' in page

    # Shipping: express instead of standard.
    page = follow(client, "/cart/shipping/", {"method": "express"})
    assert '<dd id="shipping">$12.00</dd>' in page and '<dd id="total">$44.40</dd>' in page

    # Checkout with the fake gateway's card that works.
    page = text(client.get("/checkout/"))
    assert "Pay $44.40" in page
    key = checkout_key(page)
    response = client.post("/checkout/", {"key": key, "card": "ok"})
    assert response.status_code == 302
    receipt_url = response["Location"]
    order_id = receipt_url.rstrip("/").rsplit("/", 1)[-1]
    order = commerce.orders.get(order_id)
    assert (order.status.value, order.total, order.customer_id) == (
        "paid",
        Money("44.40", "USD"),
        f"user-{ada.pk}",
    )
    assert (available("MUG"), available("TEE")) == (mugs - 2, tees - 1)

    # The receipt, in the request's locale; Django does not know of the order yet.
    page = text(client.get(receipt_url))
    assert f'<span id="number">{order.number}</span>' in page
    assert '<dd id="total">$44.40</dd>' in page and '<span id="status">paid</span>' in page
    assert "will appear in your order history" in page
    german = text(client.get(receipt_url, HTTP_ACCEPT_LANGUAGE="de"))
    assert f'<dd id="total">44,40{NBSP}$</dd>' in german

    # The same form submitted again returns the same order: nothing is charged twice.
    again = client.post("/checkout/", {"key": key, "card": "ok"})
    assert again["Location"] == receipt_url
    charges = [c for c in commerce.gateway.charges() if c.amount == Money("44.40", "USD")]
    assert len(charges) == 1
    assert text(client.get("/cart/")).count("Your cart is empty.") == 1

    # The outbox handler, run by the management command, creates Django's summary.
    assert not OrderSummary.objects.filter(order_id=order_id).exists()
    assert "0 failed, 0 dead" in run("commercekit_dispatch")
    summary = OrderSummary.objects.get(order_id=order_id)
    assert (summary.number, summary.status, summary.items, summary.user) == (
        order.number,
        "paid",
        3,
        ada,
    )
    assert Money.from_moneyed(summary.total) == Money("44.40", "USD")
    assert summary.placed_at == order.placed_at
    assert "Recorded in your order history." in text(client.get(receipt_url))

    # Running it again, or delivering the same event twice, changes nothing.
    synced_at = summary.synced_at
    assert run("commercekit_dispatch").startswith("outbox: 0 delivered")
    sync = OrderSummarySync(commerce.orders)
    (placed,) = outbox_events("order.placed", order_id)
    assert placed.delivered_at is not None
    sync(placed)
    sync(placed)
    assert OrderSummary.objects.filter(order_id=order_id).count() == 1
    assert OrderSummary.objects.get(order_id=order_id).synced_at == synced_at

    # Another session cannot see the receipt.
    assert Client().get(receipt_url).status_code == 404


def test_a_declined_card_leaves_no_order_no_event_and_the_stock(seeded: str) -> None:
    from django_shop.shop.commerce import get_commerce
    from django_shop.shop.models import OrderSummary

    commerce = get_commerce()
    client = Client()
    posters, orders, summaries = available("POSTER"), commerce.orders.list(), OrderSummary.objects
    count = summaries.count()
    follow(client, "/cart/add/", {"sku": "POSTER", "quantity": "2"})
    key = checkout_key(text(client.get("/checkout/")))
    page = follow(client, "/checkout/", {"key": key, "card": "decline"})
    assert "Your order was not placed" in page and "(PaymentDeclinedError)" in page
    assert available("POSTER") == posters
    assert commerce.orders.list() == orders
    run("commercekit_dispatch")
    assert summaries.count() == count

    # The customer tries again with another card, under a new key.
    retry = checkout_key(page)
    assert retry != key
    response = client.post("/checkout/", {"key": retry, "card": "ok"})
    assert response.status_code == 302 and "/orders/" in response["Location"]
    assert available("POSTER") == posters - 2


def test_a_django_failure_leaves_the_event_to_be_delivered_again(
    seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django_shop.shop.commerce import get_commerce
    from django_shop.shop.models import OrderSummary
    from django_shop.shop.outbox import build_dispatcher

    commerce = get_commerce()
    client = Client()
    follow(client, "/cart/add/", {"sku": "MUG", "quantity": "1"})
    key = checkout_key(text(client.get("/checkout/")))
    order_id = client.post("/checkout/", {"key": key, "card": "ok"})["Location"].split("/")[-2]

    def database_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Django's database is down")

    monkeypatch.setattr(OrderSummary, "save", database_down)
    # No wait before a retry (random() == 0), so that the test need not sleep.
    dispatcher = build_dispatcher(
        commerce.store,
        commerce.orders,
        consumer="test-retry",
        random=lambda: 0.0,
        backoff=timedelta(milliseconds=1),
    )
    report = dispatcher.run_once()
    assert report.failed >= 1 and report.dead == 0
    (placed,) = outbox_events("order.placed", order_id)
    assert placed.delivered_at is None and placed.attempts == 1
    assert placed.last_error == "OperationalError: Django's database is down"
    assert not OrderSummary.objects.filter(order_id=order_id).exists()

    monkeypatch.undo()  # Django is back: the next pass delivers it
    assert dispatcher.drain().delivered >= 1
    (placed,) = outbox_events("order.placed", order_id)
    assert placed.delivered_at is not None and placed.attempts == 2
    assert OrderSummary.objects.get(order_id=order_id).status == "paid"


def test_settings_keep_django_and_commercekit_in_their_own_schemas(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('public', 'commercekit')"
        ).fetchall()
    schemas = {table: schema for schema, table in rows}
    assert schemas["shop_product"] == "public" and schemas["shop_ordersummary"] == "public"
    assert schemas["django_session"] == "public"
    assert {schema for table, schema in schemas.items() if table.startswith("ck_")} == {
        "commercekit"
    }
