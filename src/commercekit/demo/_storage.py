"""Demo section: the store on the embedded SQLite default."""

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


def storage_tour(out: TextIO, store: Store, run: str) -> None:
    """Versioned saves, a refused stale save and guarded stock reservations."""
    section(out, "Storage: the embedded SQLite default, migrated on open")
    state = store.schema_state()
    print(f"  store {store.url} ({store.backend}), schema versions: {state}", file=out)

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
