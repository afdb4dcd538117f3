# ==== NOTE TO EVERY HELPER WORKING IN THIS REPOSITORY (temporary; the lead removes it) ====
# Several helpers work here at once. Rules: touch ONLY the files your brief lists as yours.
# NEVER run a git command that changes anything (no add/commit/checkout/stash/reset/restore/
# clean/rm/mv); git diff/status/log are fine. Do NOT edit this package's __init__.py,
# pyproject.toml, docs, README or CHANGELOG: tests import from your private modules and your
# final message lists the names to export. Run ruff format/--fix only on your own files.
# Venv: /work/main/.venv/bin. Full rules: /tmp/briefs/common.md (read it now).
# =============================================================================================
"""Tax: rates, categories, the calculator port, rule tables, EU VAT, US sales tax, services.

Everything tax lives here. The cart pipeline (:func:`commercekit.cart.price_cart`) runs up to
the discounted, taxable amounts, builds a :class:`TaxRequest` (who sells, who buys, where the
goods go and come from, each item's category and amount, shipping, the time), asks one
:class:`~commercekit.ports.TaxCalculator`, and assembles the breakdown from its
:class:`TaxResult`: every tax line keeps the name, jurisdiction, rate, whether it is compound,
its amount and the *source* that computed it. The rounding rules are stated in
:func:`compute_tax`'s module and in the tax guide.
"""

from commercekit.tax._engine import ItemRates, compute_tax, tax_amounts
from commercekit.tax._flat import FlatTaxTable
from commercekit.tax._port import TaxCalculator
from commercekit.tax._rates import TaxCategory, TaxRate, check_rate
from commercekit.tax._request import (
    SHIPPING_ITEM,
    Seller,
    ShippingTax,
    TaxableItem,
    TaxBuyer,
    TaxRequest,
    TaxRounding,
)
from commercekit.tax._result import ItemTax, TaxLine, TaxNote, TaxResult

__all__ = [
    "SHIPPING_ITEM",
    "FlatTaxTable",
    "ItemRates",
    "ItemTax",
    "Seller",
    "ShippingTax",
    "TaxBuyer",
    "TaxCalculator",
    "TaxCategory",
    "TaxLine",
    "TaxNote",
    "TaxRate",
    "TaxRequest",
    "TaxResult",
    "TaxRounding",
    "TaxableItem",
    "check_rate",
    "compute_tax",
    "tax_amounts",
]
