"""Demo section: the store, on a SQLite file of the demo's own."""

from __future__ import annotations

from typing import TextIO

import attrs

from commercekit.demo._common import section
from commercekit.errors import ConflictError
from commercekit.storage import AggregateKind, MovementKind, Store

__all__ = ["storage_tour"]


@attrs.frozen
class _Note:
    """The smallest versioned aggregate: enough to show optimistic concurrency."""

    id: str
    version: int = 0
    text: str = ""


_NOTES = AggregateKind("demo-note", _Note)


def storage_tour(out: TextIO, store: Store, run: str, *, fresh: bool = False) -> None:
    """Versioned saves, a refused stale save and guarded stock reservations.

    ``fresh``: the store is a new database made for the tour (and removed after it).
    """
    section(out, "Storage: embedded SQLite, migrated on open")
    state = store.schema_state()
    print(f"  store {store.url} ({store.backend}), schema versions: {state}", file=out)
    if fresh:
        print("  (a new database in a temporary directory, removed when the demo ends)", file=out)

    with store.transaction() as tx:
        first = tx.aggregates(_NOTES).add(_Note(f"note-{run}", text="hello"))
    with store.transaction() as tx:
        second = tx.aggregates(_NOTES).save(attrs.evolve(first, text="hello, world"))
    print(f"  saved a note: version {first.version} -> {second.version}", file=out)
    try:
        with store.transaction() as tx:
            tx.aggregates(_NOTES).save(attrs.evolve(first, text="a lost update"))
    except ConflictError as exc:
        print(f"  a stale save is refused: {type(exc).__name__}", file=out)

    sku = f"CAP-{run}"
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
    with store.transaction() as tx:  # give the holds back: every reserved unit has an owner
        for n, held in zip(wanted, granted, strict=True):
            if held:
                tx.stock.unreserve(sku, "main", n)
        level = tx.stock.level(sku, "main")
    print(f"  holds given back: available {level.available if level else 0}", file=out)
