"""The shop's pages: plain templates and forms, each POST answered with a redirect.

Views are ordinary sync Django views: commercekit's services are sync and thread-safe, and a
store pools its connections, so each request thread simply calls them. Every amount is
formatted for the request's locale (Accept-Language, through Django's ``LocaleMiddleware``)
with babel, in the view; commercekit never formats inside a calculation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import get_language, to_locale
from django.views.decorators.http import require_GET, require_POST

from commercekit import Money
from commercekit.cart import Breakdown, Cart, ShippingRate
from commercekit.checkout import CheckoutState, PayWith
from commercekit.errors import (
    CheckoutFailedError,
    CommerceError,
    ConflictError,
    CouponError,
    NotFoundError,
    PriceChangedError,
    ValidationError,
)
from commercekit.gateways.payments import FAKE_TOKEN_DECLINE, FAKE_TOKEN_OK
from commercekit.money import format_money
from django_shop.shop.commerce import (
    CARD,
    CURRENCY,
    DEFAULT_SHIPPING,
    SHIPPING,
    Commerce,
    get_commerce,
)
from django_shop.shop.models import OrderSummary, Product
from django_shop.shop.outbox import customer_id_for

#: The fake gateway's test cards the checkout page offers (a real shop takes a token from its
#: payment provider's form).
TEST_CARDS = {"ok": FAKE_TOKEN_OK, "decline": FAKE_TOKEN_DECLINE}


def request_locale() -> str:
    """The babel locale of the current request (``"de"``, ``"en_US"``)."""
    return to_locale(get_language() or "en-us")


def money_text(money: Money) -> str:
    """``money`` formatted for the current request's locale."""
    return format_money(money, request_locale())


def _names(skus: Iterable[str]) -> dict[str, str]:
    return dict(Product.objects.filter(sku__in=set(skus)).values_list("sku", "name"))


def _customer_id(request: HttpRequest) -> str | None:
    user = request.user
    return customer_id_for(user.pk) if user.is_authenticated else None


def _cart(request: HttpRequest, commerce: Commerce) -> Cart | None:
    """The session's cart, or ``None`` (none yet, or it was pruned)."""
    cart_id = request.session.get("cart_id")
    if cart_id is None:
        return None
    try:
        return commerce.carts.load(str(cart_id))
    except NotFoundError:
        del request.session["cart_id"]
        return None


def _shipping(request: HttpRequest) -> ShippingRate:
    return SHIPPING[str(request.session.get("shipping", DEFAULT_SHIPPING))]


def _breakdown_context(breakdown: Breakdown) -> dict[str, Any]:
    """What a page shows of a priced cart, formatted for the request's locale."""
    names = _names(line.sku for line in breakdown.lines)
    return {
        "lines": [
            {
                "id": line.line_id,
                "sku": line.sku,
                "name": names.get(line.sku, line.sku),
                "quantity": line.quantity,
                "unit_price": money_text(line.unit_price),
                "discounts": [adjustment.label for adjustment in line.adjustments],
                "total": money_text(line.total),
            }
            for line in breakdown.lines
        ],
        "coupons": [coupon.code for coupon in breakdown.coupons if coupon.accepted],
        "subtotal": money_text(breakdown.subtotal),
        "discount_total": money_text(breakdown.discount_total),
        "shipping_method": breakdown.shipping.method if breakdown.shipping else None,
        "shipping_total": money_text(breakdown.shipping_total),
        "tax_total": money_text(breakdown.tax_total),
        "grand_total": money_text(breakdown.grand_total),
    }


@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    """The products, with their prices (from django-money) and the stock commercekit holds."""
    commerce = get_commerce()
    products = [
        {
            "sku": product.sku,
            "name": product.name,
            "price": money_text(Money.from_moneyed(product.price)),
            "available": commerce.available(product.sku),
        }
        for product in Product.objects.filter(active=True)
    ]
    return render(request, "shop/products.html", {"products": products})


@require_POST
def cart_add(request: HttpRequest) -> HttpResponseRedirect:
    """Add ``quantity`` of ``sku`` to the session's cart (made on first use)."""
    commerce = get_commerce()
    sku = request.POST.get("sku", "")
    try:
        quantity = int(request.POST.get("quantity", "1"))
    except ValueError:
        quantity = 0
    if quantity < 1 or not Product.objects.filter(sku=sku, active=True).exists():
        messages.error(request, "Choose a product and a quantity of at least 1.")
        return redirect("products")
    cart = _cart(request, commerce) or Cart(
        id=f"dj-{uuid.uuid4().hex}", currency=CURRENCY, customer_id=_customer_id(request)
    )
    try:
        cart = commerce.carts.save(cart.add(sku, quantity))
    except ConflictError:
        messages.error(request, "Your cart changed in another window; please try again.")
        return redirect("cart")
    request.session["cart_id"] = cart.id
    return redirect("cart")


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponseRedirect:
    """Remove a line from the cart."""
    commerce = get_commerce()
    cart = _cart(request, commerce)
    line_id = request.POST.get("line", "")
    if cart is not None and any(line.id == line_id for line in cart.lines):
        try:
            commerce.carts.save(cart.remove(line_id))
        except ConflictError:
            messages.error(request, "Your cart changed in another window; please try again.")
    return redirect("cart")


@require_POST
def cart_coupon(request: HttpRequest) -> HttpResponseRedirect:
    """Apply a coupon code; a refused one is shown with the reason commercekit gives."""
    commerce = get_commerce()
    cart = _cart(request, commerce)
    code = request.POST.get("code", "").strip()
    if cart is None or not code:
        return redirect("cart")
    try:
        with_code, _ = commerce.carts.apply_coupon(cart, code, shipping=_shipping(request))
        commerce.carts.save(with_code)
    except CouponError as refused:
        reason = str(refused.reason).replace("_", " ")
        messages.error(request, f"Coupon {refused.code} was refused: {reason}.")
    except ValidationError as invalid:  # not a code at all (spaces, symbols)
        messages.error(request, f"Coupon {code!r} was refused: {invalid}.")
    except ConflictError:
        messages.error(request, "Your cart changed in another window; please try again.")
    else:
        messages.success(request, f"Coupon {code.upper()} applied.")
    return redirect("cart")


@require_POST
def cart_shipping(request: HttpRequest) -> HttpResponseRedirect:
    """Choose a shipping method (kept in the session until the checkout)."""
    method = request.POST.get("method", "")
    if method in SHIPPING:
        request.session["shipping"] = method
    else:
        messages.error(request, "Choose one of the shipping methods offered.")
    return redirect("cart")


@require_GET
def cart_page(request: HttpRequest) -> HttpResponse:
    """The cart, priced now with the chosen shipping."""
    commerce = get_commerce()
    cart = _cart(request, commerce)
    context: dict[str, Any] = {"empty": cart is None or not cart.lines}
    if cart is not None and cart.lines:
        context.update(_breakdown_context(commerce.carts.quote(cart, shipping=_shipping(request))))
    context["shipping_options"] = [
        {"method": name, "amount": money_text(rate.amount), "chosen": rate == _shipping(request)}
        for name, rate in SHIPPING.items()
    ]
    return render(request, "shop/cart.html", context)


def checkout_page(request: HttpRequest) -> HttpResponse:
    """GET: the order to pay for and the pay form; POST: place the order.

    Each visit of the page is an attempt to order with its own checkout key, kept in the
    session: a double click or a resubmitted form carries the same key and gets the same order
    back (commercekit's ``place_order`` is idempotent on it), never a second charge.
    """
    commerce = get_commerce()
    placed: dict[str, str] = request.session.get("placed", {})
    if request.method == "POST":
        key = request.POST.get("key", "")
        if key in placed:  # submitted twice: the first submission placed the order
            return redirect("receipt", order_id=placed[key])
        return _place_order(request, commerce, key)
    if request.method != "GET":
        return HttpResponse(status=405)
    cart = _cart(request, commerce)
    if cart is None or not cart.lines:
        return redirect("cart")
    key = request.session.get("checkout_key") or f"chk-{uuid.uuid4().hex}"
    request.session["checkout_key"] = key
    breakdown = commerce.carts.quote(cart, shipping=_shipping(request))
    context = {"key": key, "cards": list(TEST_CARDS), **_breakdown_context(breakdown)}
    return render(request, "shop/checkout.html", context)


def _place_order(request: HttpRequest, commerce: Commerce, key: str) -> HttpResponseRedirect:
    cart = _cart(request, commerce)
    token = TEST_CARDS.get(request.POST.get("card", ""))
    if cart is None or key != request.session.get("checkout_key") or token is None:
        messages.error(request, "This checkout page is out of date; please check out again.")
        return redirect("cart")
    try:
        result = commerce.checkout.place_order(
            cart.id, key=key, tenders=[PayWith(CARD, token)], shipping=_shipping(request)
        )
    except CheckoutFailedError as failed:
        # Everything held was given back. This key would fail the same way: start afresh.
        del request.session["checkout_key"]
        messages.error(request, f"Your order was not placed: {failed} ({failed.cause}).")
        return redirect("checkout")
    except (CouponError, PriceChangedError) as changed:
        del request.session["checkout_key"]
        messages.error(request, f"Your cart changed: {changed}. Please check it again.")
        return redirect("cart")
    except CommerceError as error:
        messages.error(request, f"Your order was not placed: {error}.")
        return redirect("checkout")
    if result.state is not CheckoutState.COMPLETED or result.order is None:
        messages.error(request, "The payment needs another step this shop does not offer.")
        return redirect("checkout")
    order = result.order
    request.session["placed"] = {**request.session.get("placed", {}), key: order.id}
    request.session["orders"] = [*request.session.get("orders", []), order.id]
    for name in ("cart_id", "checkout_key", "shipping"):
        request.session.pop(name, None)
    return redirect("receipt", order_id=order.id)


@require_GET
def receipt(request: HttpRequest, order_id: str) -> HttpResponse:
    """The receipt of an order this session placed (or the signed-in customer's)."""
    commerce = get_commerce()
    mine = order_id in request.session.get("orders", [])
    try:
        order = commerce.orders.get(order_id)
    except (NotFoundError, ValidationError):
        raise Http404("no such order") from None
    if not mine and (order.customer_id is None or order.customer_id != _customer_id(request)):
        raise Http404("no such order")
    summary = OrderSummary.objects.filter(order_id=order.id).first()
    context = {
        "number": order.number,
        "status": order.status.value,
        "placed_at": order.placed_at,
        "synced": summary is not None,
        **_breakdown_context(order.breakdown),
    }
    return render(request, "shop/receipt.html", context)
