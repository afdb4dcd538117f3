"""Worker for the multi-process checkout test (importable by ``spawn`` children).

Every worker opens its own store, builds the services as a host would (the fake gateway's
state in the store, shared by all processes), saves its carts, waits at the barrier and places
its checkouts one after another, each under its own key. Workers 0 and 1 first place the same
cart under the same key, at once. Each checkout ends as ``placed`` (with its order), or
``refused`` with the type of the refusal, which must be one of :data:`REFUSALS`; anything else
is reported as unexpected.

The carts (see :func:`plan`): *plain* carts take 1 to 3 units of one or two of MUG and TEE
(10 units each: most are refused for stock), a few pay with a card that is declined; *coupon*
carts take one CAP (10 units) with the code of a promotion limited to :data:`COUPON_LIMIT`
uses. Only coupon carts take CAPs, and each at most one, so stock never stops the coupon's
uses short of its limit: exactly :data:`COUPON_LIMIT` coupon carts are placed.
"""

from __future__ import annotations

import os
import random
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from commercekit import Money
from commercekit.cart import Cart
from commercekit.checkout import PayWith
from commercekit.errors import CheckoutFailedError, CouponError
from commercekit.pricing import CouponCode, PercentOffItems, Promotion
from commercekit.testing import FAKE_TOKEN_DECLINE, FAKE_TOKEN_OK
from tests.contract._checkout_crash_workers import build_shop
from tests.contract._storage_workers import BARRIER_TIMEOUT, _describe, _fatal, open_worker_store

__all__ = [
    "COUPON",
    "COUPON_LIMIT",
    "CURRENCY",
    "LOCATION",
    "PAIR_CART",
    "PAIR_KEY",
    "PER_WORKER",
    "PRICES",
    "PROMOTIONS",
    "REFUSALS",
    "STOCK",
    "Checkout",
    "place_worker",
    "plan",
]

CURRENCY = "EUR"
LOCATION = "main"
PRICES = {
    "MUG": Money("8.00", CURRENCY),
    "TEE": Money("20.00", CURRENCY),
    "CAP": Money("15.00", CURRENCY),
    "PAIR": Money("99.00", CURRENCY),
}
#: Units on hand at the start.
STOCK = {"MUG": 10, "TEE": 10, "CAP": 10, "PAIR": 1}
COUPON = "RACE10"
COUPON_LIMIT = 6
PROMOTIONS = (
    Promotion(
        "race-coupon",
        "10% with a limited code",
        [PercentOffItems(10)],
        [CouponCode({COUPON})],
        usage_limit=COUPON_LIMIT,
    ),
)
#: Checkouts per worker, besides the shared one of workers 0 and 1.
PER_WORKER = 5
#: The cart and key workers 0 and 1 submit together (the only cart with the one PAIR).
PAIR_CART = "pair-cart"
PAIR_KEY = "pair-checkout"
#: ``(step, cause)`` of the refusals a checkout may end with.
REFUSALS = frozenset(
    {
        ("reserve", "InsufficientStockError"),
        ("authorize", "PaymentDeclinedError"),
        ("place", "CouponError"),
        ("price", "CouponError"),  # refused before anything was held
    }
)

#: One checkout: its key, its cart's lines, whether it carries the coupon, its card token.
Checkout = tuple[str, tuple[tuple[str, int], ...], bool, str]


def plan(worker: int) -> list[Checkout]:
    """The checkouts of ``worker``: coupon carts 1st and 3rd, a declined card now and then."""
    chance = random.Random(worker)
    checkouts: list[Checkout] = []
    for turn in range(PER_WORKER):
        key = f"w{worker}-c{turn}"
        if turn in (0, 2):
            checkouts.append((key, (("CAP", 1),), True, FAKE_TOKEN_OK))
            continue
        skus = chance.sample(["MUG", "TEE"], chance.randint(1, 2))
        lines = tuple((sku, chance.randint(1, 3)) for sku in skus)
        declined = turn == PER_WORKER - 1 and worker % 3 == 0
        checkouts.append((key, lines, False, FAKE_TOKEN_DECLINE if declined else FAKE_TOKEN_OK))
    return checkouts


def cart_of(checkout: Checkout) -> Cart:
    key, lines, coupon, _token = checkout
    cart = Cart(id=f"cart-{key}", currency=CURRENCY)
    for sku, units in lines:
        cart = cart.add(sku, units)
    return cart.apply_coupon(COUPON) if coupon else cart


def place_worker(
    url: str,
    schema: str | None,
    worker: int,
    pair: bool,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Place this worker's checkouts (the shared one first, with ``pair``); report each."""
    try:
        placed: list[tuple[str, str]] = []
        refused: list[tuple[str, str, str]] = []
        unexpected: list[str] = []
        with open_worker_store(url, schema) as store:
            shop = build_shop(store, promotions=PROMOTIONS, prices=PRICES)
            checkouts = plan(worker)
            for checkout in checkouts:
                shop.carts.save(cart_of(checkout))
            todo = [(PAIR_KEY, PAIR_CART, FAKE_TOKEN_OK)] if pair else []
            todo += [(c[0], cart_of(c).id, c[3]) for c in checkouts]
            barrier.wait(BARRIER_TIMEOUT)
            for key, cart_id, token in todo:
                try:
                    result = shop.checkout.place_order(
                        cart_id, key=key, tenders=[PayWith("fake", token)]
                    )
                except CheckoutFailedError as failed:
                    refusal = (failed.step, failed.cause)
                    if refusal in REFUSALS:
                        refused.append((key, *refusal))
                    else:
                        unexpected.append(f"{key}: {_describe(failed)}")
                except CouponError as exc:
                    if exc.reason == "usage_exhausted":
                        refused.append((key, "price", "CouponError"))
                    else:
                        unexpected.append(f"{key}: {_describe(exc)}")
                except Exception as exc:
                    unexpected.append(f"{key}: {_describe(exc)}")
                else:
                    if result.order is None:
                        unexpected.append(f"{key}: ended {result.state} without an order")
                    else:
                        placed.append((key, result.order.id))
        results.put(
            {
                "pid": os.getpid(),
                "worker": worker,
                "placed": placed,
                "refused": refused,
                "unexpected": unexpected,
            }
        )
    except BaseException as exc:
        _fatal(results, exc)
