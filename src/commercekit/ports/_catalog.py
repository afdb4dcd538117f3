"""The Catalog port: what the host knows about its products, as pricing needs it.

The pure core accepts it, so it is defined beside that core, in :mod:`commercekit.pricing`;
it is re-exported here so that :mod:`commercekit.ports` stays the one place to import every
port from.
"""

from commercekit.pricing import Catalog

__all__ = ["Catalog"]
