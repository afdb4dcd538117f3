"""The guided tour behind ``commercekit demo`` (and ``make demo``)."""

from __future__ import annotations

import uuid
from typing import TextIO

import attrs

from commercekit.money import (
    Money,
    Rounding,
    allocate,
    cash_round,
    format_money,
    quantize,
    to_minor_units,
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
    _storage_tour(out, url)
