"""The guided tour behind ``commercekit demo`` (and ``make demo``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

import attrs

from commercekit.cart import Cart, ShippingRate, price_cart
from commercekit.money import (
    Money,
    Rounding,
    allocate,
    cash_round,
    format_money,
    quantize,
    to_minor_units,
)
from commercekit.pricing import (
    AmountOffOrder,
    BuyXGetY,
    CatalogEntry,
    CouponCode,
    FlatTaxTable,
    Lane,
    Promotion,
    SubtotalAtLeast,
    TaxRate,
)

__all__ = ["run_demo"]


@attrs.frozen
class _Note:
    """The smallest versioned aggregate: enough to show optimistic concurrency."""

    id: str
    version: int = 0
    text: str = ""


_BILLS = (
    # (total, locale, diners): three currencies with 2, 0 and 3 decimal places.
    (Money("100.00", "USD"), "en_US", ("Ada", "Grace", "Linus")),
    (Money("10000", "JPY"), "ja_JP", ("Ada", "Grace", "Linus")),
    (Money("25.000", "KWD"), "ar_KW", ("Ada", "Grace", "Linus")),
)


def _section(out: TextIO, title: str) -> None:
    print(f"\n== {title} ==", file=out)


def _money_tour(out: TextIO) -> None:
    _section(out, "Money: a bill split three ways, exact to the minor unit")
    for total, locale, diners in _BILLS:
        parts = allocate(total, [1] * len(diners), keys=diners)
        shown = ", ".join(
            f"{name} {format_money(part, locale)}" for name, part in zip(diners, parts, strict=True)
        )
        check = sum(parts, Money.zero(total.currency))
        print(f"{format_money(total, locale):>14} ({locale}): {shown}", file=out)
        print(f"{'':>14}  parts add up: {check == total} ({check})", file=out)

    _section(out, "Rounding happens at named points, with a named mode")
    price = Money("2.345", "USD")
    for mode in (Rounding.HALF_UP, Rounding.HALF_EVEN, Rounding.DOWN):
        print(f"  {price} -> {quantize(price, mode)} ({mode.name})", file=out)
    print(
        f"  minor units: USD 10.00 -> {to_minor_units(Money('10.00', 'USD'))}, "
        f"JPY 1000 -> {to_minor_units(Money('1000', 'JPY'))}, "
        f"KWD 1.000 -> {to_minor_units(Money('1.000', 'KWD'))}",
        file=out,
    )
    cash = cash_round(Money("10.03", "CHF"), "0.05")
    print(
        f"  cash rounding CHF 10.03 to 0.05 -> {cash.rounded} "
        f"(difference {cash.difference}, shown as its own line)",
        file=out,
    )


def _pricing_tour(out: TextIO) -> None:
    _section(out, "A cart with promotions: every adjustment explained, parts add up")
    eur = "EUR"
    catalog = {
        "MUG": CatalogEntry("MUG", price=Money("12.00", eur), tax_category="std"),
        "TEA": CatalogEntry("TEA", price=Money("30.00", eur), sold_by_measure=True),
    }
    promotions = [
        Promotion("3for2", "Mugs 3 for 2", [BuyXGetY(2, 1)]),
        Promotion(
            "save5",
            "SAVE5: 5 off over 30",
            [AmountOffOrder(Money("5", eur))],
            [CouponCode({"SAVE5"}), SubtotalAtLeast(Money("30", eur))],
            lane=Lane.ORDER,
        ),
    ]
    cart = Cart(currency=eur).add("MUG", 3).add("TEA", Decimal("0.5")).apply_coupon("save5")
    quote = price_cart(
        cart,
        catalog,
        at=datetime(2026, 5, 1, tzinfo=UTC),
        promotions=promotions,
        tax=FlatTaxTable({"std": TaxRate("VAT", "0.19")}),
        shipping=ShippingRate("post", Money("4.90", eur)),
    )
    for line in quote.lines:
        taken = ", ".join(f"-{a.amount.amount} {a.label}" for a in line.adjustments)
        print(
            f"  {line.line_id:<4} {line.quantity!s:>4} x {line.unit_price}: {line.subtotal} "
            f"[{taken}] tax {line.tax_total} -> {line.total}",
            file=out,
        )
    print(
        f"  subtotal {quote.subtotal} - discounts {quote.discount_total} + shipping "
        f"{quote.shipping_total} + tax {quote.tax_total} = {quote.grand_total}",
        file=out,
    )


def _storage_tour(out: TextIO, url: str | None) -> None:
    from commercekit.errors import ConflictError
    from commercekit.storage import AggregateKind, MovementKind, open_store

    _section(out, "Storage: the embedded SQLite default, migrated on open")
    run = uuid.uuid4().hex[:6]  # fresh keys, so the demo can run again on the same file
    notes = AggregateKind("demo-note", _Note)
    with open_store(url) as store:
        state = store.schema_state()
        print(f"  store {store.url} ({store.backend}), schema version {state.version}", file=out)

        with store.transaction() as tx:
            first = tx.aggregates(notes).add(_Note(f"note-{run}", text="hello"))
        with store.transaction() as tx:
            second = tx.aggregates(notes).save(attrs.evolve(first, text="hello, world"))
        print(f"  saved a note: version {first.version} -> {second.version}", file=out)
        try:
            with store.transaction() as tx:
                tx.aggregates(notes).save(attrs.evolve(first, text="a lost update"))
        except ConflictError as exc:
            print(f"  a stale save is refused: {type(exc).__name__}", file=out)

        sku = f"TEE-{run}"
        with store.transaction() as tx:
            tx.stock.move(sku, "main", 3, MovementKind.RECEIVE, reason="demo delivery")
            wanted = [2, 2, 1]
            granted = [tx.stock.reserve(sku, "main", n) for n in wanted]
            level = tx.stock.level(sku, "main")
        print(
            f"  stock {sku}: 3 received; reserve {wanted} -> {granted}; "
            f"on hand {level.on_hand if level else 0}, available {level.available if level else 0}",
            file=out,
        )


def run_demo(out: TextIO, *, url: str | None = None) -> None:
    """Print the tour of what commercekit does today to ``out``.

    ``url`` is the store to use (default: ``$COMMERCEKIT_DATABASE_URL``, else the embedded
    ``sqlite:///commercekit.db`` in the current directory).
    """
    print("commercekit demo", file=out)
    _money_tour(out)
    _pricing_tour(out)
    _storage_tour(out, url)
