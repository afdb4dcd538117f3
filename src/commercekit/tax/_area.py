"""The tax area as a store and the codec see it: no tables yet, its codec hooks."""

from __future__ import annotations

from commercekit.ports import Area
from commercekit.tax._codec import register_tax_hooks

__all__ = ["TAX_AREA"]

#: Tax keeps no tables of its own yet (committed tax transactions come with checkout); its
#: values need the codec hooks of postal patterns.
TAX_AREA = Area("tax", codec_hooks=(register_tax_hooks,))
