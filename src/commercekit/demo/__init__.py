"""The guided tour behind ``commercekit demo`` (and ``make demo``)."""

from __future__ import annotations

import uuid
from typing import TextIO

from commercekit.demo._inventory import inventory_tour
from commercekit.demo._money import money_tour
from commercekit.demo._pricing import pricing_tour
from commercekit.demo._storage import storage_tour
from commercekit.storage import open_store

__all__ = ["run_demo"]


def run_demo(out: TextIO, *, url: str | None = None) -> None:
    """Print the tour of what commercekit does today to ``out``.

    ``url`` is the store to use (default: ``$COMMERCEKIT_DATABASE_URL``, else the embedded
    ``sqlite:///commercekit.db`` in the current directory).
    """
    print("commercekit demo", file=out)
    money_tour(out)
    pricing_tour(out)
    run = uuid.uuid4().hex[:6]  # fresh keys, so the demo can run again on the same file
    with open_store(url) as store:
        storage_tour(out, store, run)
        inventory_tour(out, store, run)
