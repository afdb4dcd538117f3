"""The web side of the shop: FastAPI routes rendering plain Jinja2 templates.

Run it with ``uvicorn --app-dir examples --factory fastapi_shop.app:create_app`` (the store
from ``FASTAPI_SHOP_STORE_URL``, else a SQLite file in the temporary directory).

Every endpoint is a plain ``def``, not ``async def``: commercekit's services block (a SQLite
or PostgreSQL transaction, a payment gateway call over HTTP), and FastAPI runs a ``def``
endpoint in its thread pool, so a slow checkout never stalls the event loop that serves
everyone else. The store is safe to share between those threads. See README.md.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from fastapi import Cookie, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from commercekit import Money, format_money
from commercekit.cart import Cart
from commercekit.errors import (
    CheckoutFailedError,
    CheckoutInProgressError,
    ConflictError,
    CouponError,
    EmptyCartError,
    PriceChangedError,
    ValidationError,
)

from .shop import (
    CARDS,
    COUPON_REASONS,
    PRODUCTS,
    PRODUCTS_BY_SKU,
    SHIPPING,
    SHIPPING_KEY,
    Shop,
    default_store_url,
    open_shop,
)

LOG = logging.getLogger(__name__)

#: The cookie that names the customer's cart (the cart itself is in the store).
CART_COOKIE = "cart_id"
CART_COOKIE_AGE = 30 * 24 * 3600
DEFAULT_LOCALE = "en_US"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


# -- the request's locale ------------------------------------------------------------------


def preferred_languages(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most preferred first.

    >>> preferred_languages("de-DE,de;q=0.9,en;q=0.8,*;q=0.1")
    ['de-DE', 'de', 'en']
    """
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def request_locale(request: Request) -> str:
    """The first locale of the request's ``Accept-Language`` that babel knows (else en_US)."""
    for tag in preferred_languages(request.headers.get("accept-language", "")):
        try:
            return str(Locale.parse(tag, sep="-"))
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return DEFAULT_LOCALE


# -- wiring ----------------------------------------------------------------------------------


def get_shop(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


ShopDep = Annotated[Shop, Depends(get_shop)]
CartCookie = Annotated[str | None, Cookie(alias=CART_COOKIE)]


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with money formatted for the request's locale."""
    locale = request_locale(request)

    def money(value: Money) -> str:
        return format_money(value, locale)

    full = {"money": money, "lang": locale.replace("_", "-"), "cart_size": 0, **context}
    return TEMPLATES.TemplateResponse(request, template, full, status_code=status_code)


def redirect(url: str, *, cart: Cart | None = None) -> RedirectResponse:
    """A 303 (a POST answered with a GET), setting the cart cookie when ``cart`` is given."""
    response = RedirectResponse(url, status_code=303)
    if cart is not None:
        response.set_cookie(
            CART_COOKIE, cart.id, max_age=CART_COOKIE_AGE, httponly=True, samesite="lax"
        )
    return response


def cart_size(cart: Cart | None) -> int:
    return 0 if cart is None else sum(int(line.quantity) for line in cart.lines)


def cart_page(
    request: Request, shop: Shop, cart: Cart | None, *, error: str | None = None
) -> HTMLResponse:
    quote = shop.quote(cart) if cart is not None and cart.lines else None
    return render(
        request,
        "cart.html",
        {
            "cart": cart,
            "quote": quote,
            "names": {sku: product.name for sku, product in PRODUCTS_BY_SKU.items()},
            "shipping": SHIPPING,
            "chosen": shop.shipping_of(cart) if cart is not None else None,
            "error": error,
            "cart_size": cart_size(cart),
        },
        status_code=200 if error is None else 422,
    )


def checkout_page(
    request: Request, shop: Shop, cart: Cart, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """The checkout form, with a fresh checkout key: one per rendering of the page."""
    method = shop.shipping_of(cart)
    return render(
        request,
        "checkout.html",
        {
            "cart": cart,
            "quote": shop.quote(cart),
            "names": {sku: product.name for sku, product in PRODUCTS_BY_SKU.items()},
            "shipping": SHIPPING[method],
            "cards": CARDS,
            "checkout_key": f"chk-{uuid.uuid4().hex}",
            "error": error,
            "cart_size": cart_size(cart),
        },
        status_code=status_code,
    )


def failure_message(shop: Shop, failed: CheckoutFailedError) -> str:
    """What to tell the customer about a checkout that failed (what was held is given back)."""
    if failed.cause == "PaymentDeclinedError":
        # The checkout record keeps the gateway's customer-safe message ("Your card was declined.").
        reason = shop.checkout.get(failed.key).error or "Your payment was declined."
        return f"{reason} Nothing was charged; your cart is unchanged."
    if failed.cause == "InsufficientStockError":
        return "Some items in your cart are no longer in stock. Nothing was charged."
    LOG.warning("checkout %s failed at %s: %s (%s)", failed.key, failed.step, failed.cause, failed)
    return "We could not take your order. Nothing was charged; please try again."


# -- the application -----------------------------------------------------------------------


def create_app(url: str | None = None) -> FastAPI:
    """The shop as a FastAPI application on the store at ``url``.

    ``url`` defaults to ``FASTAPI_SHOP_STORE_URL``, else a SQLite file in the temporary
    directory. The store is opened, and the stock seeded, when the application starts, and
    closed when it stops (run the application's lifespan: ``with TestClient(app)``).
    """
    store_url = url or default_store_url()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Opening migrates and seeds: blocking work, kept off the event loop like the rest.
        shop = await run_in_threadpool(open_shop, store_url)
        app.state.shop = shop
        try:
            yield
        finally:
            await run_in_threadpool(shop.store.close)

    app = FastAPI(title="commercekit FastAPI shop", lifespan=lifespan)
    add_routes(app)
    return app


def add_routes(app: FastAPI) -> None:
    """Every page of the shop."""

    @app.get("/", response_class=HTMLResponse)
    def products(request: Request, shop: ShopDep, cart_id: CartCookie = None) -> HTMLResponse:
        cart = shop.find_cart(cart_id)
        context = {"products": PRODUCTS, "cart_size": cart_size(cart)}
        return render(request, "products.html", context)

    @app.post("/cart/add")
    def add_to_cart(
        shop: ShopDep,
        sku: Annotated[str, Form()],
        quantity: Annotated[int, Form(ge=1, le=99)] = 1,
        cart_id: CartCookie = None,
    ) -> Response:
        if sku not in PRODUCTS_BY_SKU:
            raise HTTPException(404, f"no product {sku!r}")
        cart = shop.update_cart(cart_id, lambda cart: cart.add(sku, quantity))
        return redirect("/cart", cart=cart)

    @app.get("/cart", response_class=HTMLResponse)
    def show_cart(request: Request, shop: ShopDep, cart_id: CartCookie = None) -> HTMLResponse:
        return cart_page(request, shop, shop.find_cart(cart_id))

    @app.post("/cart/remove")
    def remove_line(
        shop: ShopDep, line_id: Annotated[str, Form()], cart_id: CartCookie = None
    ) -> Response:
        def change(cart: Cart) -> Cart:
            known = any(line.id == line_id for line in cart.lines)
            return cart.remove(line_id) if known else cart

        return redirect("/cart", cart=shop.update_cart(cart_id, change))

    @app.post("/cart/coupon")
    def apply_coupon(
        request: Request,
        shop: ShopDep,
        code: Annotated[str, Form()],
        cart_id: CartCookie = None,
    ) -> Response:
        cart = shop.find_cart(cart_id)
        if cart is None or not cart.lines:
            return cart_page(request, shop, cart, error="Add something to your cart first.")
        try:
            cart = shop.apply_coupon(cart_id, code.strip())
        except CouponError as refused:
            why = COUPON_REASONS.get(str(refused.reason), str(refused.reason))
            message = f"Coupon {refused.code or code} was refused: {why} ({refused.reason})."
            return cart_page(request, shop, cart, error=message)
        except ValidationError:
            return cart_page(request, shop, cart, error=f"{code!r} is not a valid coupon code.")
        return redirect("/cart", cart=cart)

    @app.post("/cart/coupon/remove")
    def remove_coupon(
        shop: ShopDep, code: Annotated[str, Form()], cart_id: CartCookie = None
    ) -> Response:
        return redirect("/cart", cart=shop.update_cart(cart_id, lambda c: c.remove_coupon(code)))

    @app.post("/cart/shipping")
    def choose_shipping(
        shop: ShopDep, method: Annotated[str, Form()], cart_id: CartCookie = None
    ) -> Response:
        if method not in SHIPPING:
            raise HTTPException(422, f"no shipping method {method!r}")
        cart = shop.update_cart(cart_id, lambda c: shop.with_metadata(c, SHIPPING_KEY, method))
        return redirect("/cart", cart=cart)

    @app.get("/checkout", response_model=None)
    def checkout_form(
        request: Request, shop: ShopDep, cart_id: CartCookie = None
    ) -> HTMLResponse | RedirectResponse:
        cart = shop.find_cart(cart_id)
        if cart is None or not cart.lines:
            return redirect("/cart")
        return checkout_page(request, shop, cart)

    @app.post("/checkout", response_model=None)
    def place_order(
        request: Request,
        shop: ShopDep,
        checkout_key: Annotated[str, Form()],
        card: Annotated[str, Form()],
        cart_id: CartCookie = None,
    ) -> HTMLResponse | RedirectResponse:
        if card not in CARDS:
            raise HTTPException(422, f"no test card {card!r}")
        error: str
        status = 422
        try:
            result = shop.place_order(cart_id, key=checkout_key, card=card)
        except EmptyCartError:
            return redirect("/cart")
        except CheckoutFailedError as failed:
            error, status = failure_message(shop, failed), 402
        except CouponError as refused:
            why = COUPON_REASONS.get(str(refused.reason), str(refused.reason))
            error = f"Coupon {refused.code} can no longer be used: {why}. Remove it to go on."
        except PriceChangedError:
            error = "Prices changed since you saw them; please check the new total."
        except CheckoutInProgressError:
            error, status = "Your order is still being processed; submit again in a moment.", 409
        except (ConflictError, ValidationError):
            error = "Your cart changed while you were paying; please check it and pay again."
        else:
            if result.order is None:  # awaiting 3-D Secure: the offered test cards never need it
                error = "Your bank asks for a confirmation this demo cannot show."
            else:
                response = redirect(f"/receipt/{checkout_key}")
                response.delete_cookie(CART_COOKIE)  # the next purchase starts a new cart
                return response
        cart = shop.find_cart(cart_id)
        if cart is None or not cart.lines:
            return redirect("/cart")
        return checkout_page(request, shop, cart, error=error, status_code=status)

    @app.get("/receipt/{checkout_key}", response_class=HTMLResponse)
    def receipt(request: Request, shop: ShopDep, checkout_key: str) -> HTMLResponse:
        # The URL holds the checkout key, a random value only this customer was given; order
        # numbers are sequential, so they would let anyone read anyone's receipt.
        order = shop.order_for_checkout(checkout_key)
        if order is None:
            raise HTTPException(404, "no such order")
        names = {sku: product.name for sku, product in PRODUCTS_BY_SKU.items()}
        chosen = order.breakdown.shipping
        shipping = None if chosen is None else SHIPPING.get(chosen.method)
        context = {"order": order, "names": names, "shipping": shipping}
        return render(request, "receipt.html", context)


__all__ = ["create_app", "preferred_languages", "request_locale"]
