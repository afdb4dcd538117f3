"""The guided tour behind ``commercekit demo`` (and ``make demo``)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import TextIO

from commercekit.demo._checkout import checkout_tour
from commercekit.demo._inventory import inventory_tour
from commercekit.demo._money import money_tour
from commercekit.demo._payments import payments_tour
from commercekit.demo._pricing import pricing_tour
from commercekit.demo._shipping import shipping_tour
from commercekit.demo._storage import storage_tour
from commercekit.demo._tax import tax_tour
from commercekit.storage import open_store

__all__ = ["run_demo"]


def run_demo(out: TextIO, *, url: str | None = None, schema: str | None = None) -> None:
    """Print the tour of what commercekit does today to ``out``.

    ``url`` is the store to run the tour on; it gets a few demo rows under fresh keys. Without
    one the tour makes a SQLite database of its own in a new temporary directory and removes
    both when it ends: it never opens ``$COMMERCEKIT_DATABASE_URL`` or writes in the current
    directory. ``schema`` is the PostgreSQL schema for commercekit's tables.
    """
    print("commercekit demo", file=out)
    money_tour(out)
    pricing_tour(out)
    tax_tour(out)
    shipping_tour(out)
    run = uuid.uuid4().hex[:6]  # fresh keys, so the demo can run again on the same store
    if url is not None:
        _store_tours(out, url, run, fresh=False, schema=schema)
        return
    with tempfile.TemporaryDirectory(prefix="commercekit-demo-") as directory:
        _store_tours(out, f"sqlite:///{Path(directory) / 'demo.db'}", run, fresh=True)


def _store_tours(
    out: TextIO, url: str, run: str, *, fresh: bool, schema: str | None = None
) -> None:
    with open_store(url, schema=schema, migrate=True) as store:
        storage_tour(out, store, run, fresh=fresh)
        inventory_tour(out, store, run)
        payments_tour(out, store, run)
        checkout_tour(out, store, run)
