"""What a checkout remembers between its steps, so that a crash loses nothing.

A :class:`Checkout` is stored under its key before anything is held, and saved again before
each gateway call. Its ``state`` says how far it got; a recovery pass reads it to finish or
undo what a crashed process left, and a second call with the same key reads it to return the
same order.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

import attrs

from commercekit.address import Address
from commercekit.cart import Breakdown, Cart, ShippingRate
from commercekit.clock import ensure_utc
from commercekit.errors import ValidationError
from commercekit.money import Money
from commercekit.orders import Order
from commercekit.payments import NextAction, Tender
from commercekit.ports import AggregateKind
from commercekit.rules import check_identifier
from commercekit.shipping import RequoteCheck, ShippingQuote, ShippingRequest

__all__ = [
    "CHECKOUT_KIND",
    "Checkout",
    "CheckoutResult",
    "CheckoutState",
    "CheckoutTender",
    "PayWith",
    "ShippingChoice",
    "request_hash",
]


class CheckoutState(enum.StrEnum):
    """How far a checkout got."""

    #: Recorded; nothing held yet (a reservation may be on its way).
    STARTED = "started"
    #: Stock is reserved.
    RESERVED = "reserved"
    #: The gateways are being asked to authorize (payment ids fixed).
    AUTHORIZING = "authorizing"
    #: A payment waits for the customer (3-D Secure); the reservation is extended.
    AWAITING_ACTION = "awaiting_action"
    #: Every tender is authorized; the order is about to be stored.
    AUTHORIZED = "authorized"
    #: The order is stored; its capture may still be due.
    PLACED = "placed"
    #: Done: the order is placed (and captured, when capture is immediate).
    COMPLETED = "completed"
    #: Stopped; everything held was given back.
    FAILED = "failed"


#: States in which nobody works on the checkout any more.
FINAL = frozenset({CheckoutState.COMPLETED, CheckoutState.FAILED})


def _method(value: object) -> str:
    return check_identifier(value, name="payment method")


def _token(value: object) -> str:
    return check_identifier(value, name="payment token")


def _optional_name(value: object) -> str | None:
    return None if value is None else check_identifier(value, name="tender name")


@attrs.frozen
class PayWith:
    """One way the customer pays: a gateway, its token, and the most it may take.

    ``method`` is a gateway name of the :class:`~commercekit.payments.PaymentService`;
    ``token`` what that gateway charges (a Stripe PaymentMethod id, a fake token, a gift
    card's :meth:`~commercekit.payments.StoreCreditGateway.card_token`). ``limit`` caps what
    it pays (a gift card's available balance); ``None`` lets it pay the rest. ``credit`` marks
    store credit and gift cards, which are refunded last (see
    :class:`~commercekit.payments.RefundOrder`). ``name`` tells two sources of one method
    apart (two gift cards); it defaults to the method. The split follows
    :func:`~commercekit.payments.plan_split_tender`, in the order given.
    """

    method: str = attrs.field(converter=_method)
    token: str = attrs.field(converter=_token)
    limit: Money | None = None
    credit: bool = False
    name: str | None = attrs.field(default=None, converter=_optional_name)

    @property
    def tender(self) -> Tender:
        """The source as a :class:`~commercekit.payments.Tender` of a split-tender plan."""
        return Tender(self.name or self.method, self.limit, self.credit)


@attrs.frozen
class CheckoutTender:
    """A tender as the checkout fixed it: its payment id and amount in minor units."""

    payment_id: str
    method: str
    token: str
    amount_minor: int
    credit: bool = False


@attrs.frozen
class Checkout:
    """One checkout, stored under its key (see the module docs)."""

    #: The checkout key the host chose (one per attempt to order).
    id: str
    #: The digest of what was asked: the same key with another request is refused.
    request_hash: str
    #: The cart checked out, as it was.
    cart: Cart
    #: The cart's customer, or ``None`` for a guest.
    customer_id: str | None
    #: How far it got.
    state: CheckoutState
    #: The priced cart the order is made of.
    breakdown: Breakdown
    #: Where the goods go.
    ship_to: Address | None
    #: The tenders, in the order they are charged.
    tenders: tuple[CheckoutTender, ...]
    #: The reservation key (the stock held for it).
    reservation_key: str
    #: Stock units per stocked SKU, for each cart line (variants and packs resolved).
    line_stock: dict[str, dict[str, int]]
    #: Until when the caller working on it holds it; a recovery pass waits until then.
    owner_until: datetime = attrs.field(converter=ensure_utc)
    #: The order, once placed.
    order_id: str | None = None
    #: What stopped it, if it failed.
    error: str | None = None
    #: The type of the error that stopped it.
    error_type: str | None = None
    #: The step that failed.
    failed_step: str | None = None
    #: What was given back when it failed.
    undone: tuple[str, ...] = ()
    #: What the customer may be told of the failure (a decline's own message), if anything.
    customer_message: str | None = None
    #: The shipping chosen, as quoted (``None`` without a quote).
    shipping_quote: ShippingQuote | None = None
    #: The request the quote answered (what the reservation's split is compared with).
    shipping_request: ShippingRequest | None = None
    #: How the reservation's shipments differed from the quoted ones, if they did.
    requote: RequoteCheck | None = None
    #: The store's optimistic version.
    version: int = 0


def _status(checkout: Checkout) -> str:
    if checkout.state in FINAL:
        return "done"
    return "awaiting" if checkout.state is CheckoutState.AWAITING_ACTION else "open"


def _customer(checkout: Checkout) -> str | None:
    return checkout.customer_id


#: How checkouts are stored: aggregates whose status is ``open``, ``awaiting`` or ``done``.
CHECKOUT_KIND: AggregateKind[Checkout] = AggregateKind(
    "checkout", Checkout, customer_id=_customer, status=_status
)


@attrs.frozen
class ShippingChoice:
    """The shipping the customer chose: a quote and the request it answered.

    ``request`` is the :class:`~commercekit.shipping.ShippingRequest` the quote was made for
    (from :meth:`~commercekit.inventory.InventoryService.preview_allocation`); the checkout
    compares it with the split its reservation made and quotes again when they differ
    (:func:`~commercekit.shipping.requote_needed`). ``tax_category`` is shipping's tax
    category, as for :class:`~commercekit.cart.ShippingRate`.
    """

    quote: ShippingQuote
    request: ShippingRequest
    tax_category: str | None = None

    @property
    def rate(self) -> ShippingRate:
        """The quote as the cart's shipping rate."""
        return ShippingRate(self.quote.method, self.quote.amount, self.tax_category)


@attrs.frozen
class CheckoutResult:
    """What :meth:`~commercekit.checkout.CheckoutService.place_order` returns."""

    #: How far the checkout got: ``completed`` (or ``placed``) with an order, or
    #: ``awaiting_action``.
    state: CheckoutState
    #: The order, once placed.
    order: Order | None
    #: What the customer must do (3-D Secure), when ``awaiting_action`` and this call
    #: received it from the gateway (a client secret is never stored).
    next_action: NextAction | None = None
    #: The payment waiting for the customer.
    action_payment_id: str | None = None
    #: How the reservation's shipments differed from the quote (shipping was quoted again
    #: at the same price), or ``None`` when they did not.
    requote: RequoteCheck | None = None


def request_hash(
    cart: Cart,
    tenders: Sequence[PayWith],
    shipping: object,
    customer: object,
) -> str:
    """A digest of what a checkout was asked: cart contents, tenders, shipping and customer."""
    if not cart.lines:
        raise ValidationError("an empty cart has nothing to hash")
    document = {
        "cart": cart.id,
        "currency": cart.currency.code,
        "lines": sorted((ln.id, ln.sku, str(ln.quantity)) for ln in cart.lines),
        "coupons": sorted(cart.coupons),
        "customer": cart.customer_id,
        "tenders": [
            (t.method, t.token, None if t.limit is None else str(t.limit), t.credit, t.name)
            for t in tenders
        ],
        "shipping": repr(shipping),
        "buyer": repr(customer),
        "ship_to": repr(cart.shipping_address),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
