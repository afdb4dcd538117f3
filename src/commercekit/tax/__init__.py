"""Tax: rates, categories, the calculator port, rule tables, EU VAT, US sales tax, services.

Everything tax lives here. The cart pipeline (:func:`commercekit.cart.price_cart`) runs up to
the discounted, taxable amounts, builds a :class:`TaxRequest` (who sells, who buys, where the
goods go and come from, each item's category and amount, shipping, the time), asks one
:class:`~commercekit.ports.TaxCalculator`, and assembles the breakdown from its
:class:`TaxResult`: every tax line keeps the name, jurisdiction, rate, whether it is compound,
its amount and the *source* that computed it. The rounding rules are stated in
:func:`compute_tax`'s module and in the tax guide.
"""

from commercekit.tax._codec import register_tax_hooks
from commercekit.tax._engine import ItemRates, compute_tax, tax_amounts
from commercekit.tax._eu import OVERRIDE_SOURCE, EuVat, Keep
from commercekit.tax._eu_data import (
    EU_MEMBER_STATES,
    EU_TIME_ZONES,
    EU_VAT_RATES,
    EU_VAT_SOURCE,
    EU_VAT_TABLE_SOURCE,
    EU_VAT_TABLE_START,
    EU_VAT_TABLE_TAKEN,
    EU_VAT_TABLE_URL,
    PARKING,
    VAT_ID_PREFIXES,
    EuCategory,
    EuVatRate,
)
from commercekit.tax._fallback import FallbackTaxCalculator
from commercekit.tax._flat import FlatTaxTable
from commercekit.tax._port import TaxCalculator
from commercekit.tax._rates import TaxCategory, TaxRate, check_rate, zero_rated
from commercekit.tax._reporting import (
    InMemoryTaxReporter,
    TaxReporter,
    TaxTransaction,
    TaxTransactionLine,
    TransactionKind,
    per_unit,
)
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
from commercekit.tax._router import TaxByCountry
from commercekit.tax._table import TaxRule, TaxRuleTable
from commercekit.tax._taxjar import TaxJar
from commercekit.tax._taxjar_reporter import TaxJarReporter
from commercekit.tax._us import UsSalesTax
from commercekit.tax._us_csv import CSV_COLUMNS
from commercekit.tax._us_rates import UsZipRates
from commercekit.tax._us_rules import (
    DEFAULT_STATE_RULES,
    ExemptionCertificate,
    UsSourcing,
    UsStateRule,
)
from commercekit.tax._us_zip_rate import US_STATES, ZipRate
from commercekit.tax._vat_ids import (
    FakeVatIdValidator,
    FormatVatIdValidator,
    VatIdCheck,
    VatIdValidator,
    check_vat_id,
)
from commercekit.tax._zones import PostalPattern, PostalRange, TaxZone, normalize_postal_code

# isort: split
# Last: the area wires this package to the ports, which re-export names bound above.
from commercekit.tax._area import TAX_AREA

__all__ = [
    "FallbackTaxCalculator",
    "InMemoryTaxReporter",
    "TaxReporter",
    "TaxTransaction",
    "TaxTransactionLine",
    "TransactionKind",
    "per_unit",
    "TaxJar",
    "TaxJarReporter",
    "EU_MEMBER_STATES",
    "EU_TIME_ZONES",
    "EU_VAT_RATES",
    "EU_VAT_SOURCE",
    "EU_VAT_TABLE_SOURCE",
    "EU_VAT_TABLE_START",
    "EU_VAT_TABLE_TAKEN",
    "EU_VAT_TABLE_URL",
    "PARKING",
    "VAT_ID_PREFIXES",
    "OVERRIDE_SOURCE",
    "EuCategory",
    "EuVatRate",
    "EuVat",
    "Keep",
    "FakeVatIdValidator",
    "FormatVatIdValidator",
    "VatIdCheck",
    "VatIdValidator",
    "check_vat_id",
    "CSV_COLUMNS",
    "DEFAULT_STATE_RULES",
    "US_STATES",
    "ExemptionCertificate",
    "UsSalesTax",
    "UsSourcing",
    "UsStateRule",
    "UsZipRates",
    "ZipRate",
    "SHIPPING_ITEM",
    "TAX_AREA",
    "PostalPattern",
    "PostalRange",
    "TaxByCountry",
    "TaxRule",
    "TaxRuleTable",
    "TaxZone",
    "normalize_postal_code",
    "register_tax_hooks",
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
    "zero_rated",
]
