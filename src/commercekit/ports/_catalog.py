"""The Catalog port: what the host knows about its products, as pricing needs it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from commercekit.pricing._catalog import CatalogEntry

__all__ = ["Catalog"]


@runtime_checkable
class Catalog(Protocol):
    """What the host knows about its products, as pricing needs it.

    The reference adapter is :class:`commercekit.pricing.InMemoryCatalog`.
    """

    def get_entries(self, skus: Iterable[str]) -> Mapping[str, CatalogEntry]:
        """The entries for ``skus``, keyed by SKU.

        An unknown SKU is a :class:`~commercekit.errors.PriceNotFoundError`.
        """
        ...
