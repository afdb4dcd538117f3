"""Tax with real rule tables: the pipeline against plain Decimal doing the same lookups.

Target (issue 13): pricing a 100-line cart with real rule tables takes at most 3x the time of
a plain-Decimal implementation that does the same zone lookups and rate arithmetic, in the
same process: once with EU destination rates (a German seller over the distance-selling
threshold shipping to France: the dated TEDB table, three product categories) and once to a
four-jurisdiction US address (state, county, city and special district rates from a ZIP
table). Loading a 40,000-row ZIP rate file is measured against a plain ``csv`` read of the
same file into a dict, and reported in absolute time too ("well under a second").

The baselines are written plainly: Decimal prices quantized per line, a dict lookup of the
rates by (country, category) with the validity dates checked, or by ZIP code; the tax
rounded half-up once per line at the combined rate and split across jurisdictions by largest
remainder; and, like the pipeline's breakdown, each line explained (subtotal, tax lines with
name, rate and amount, total) and the cart totals. A check before timing asserts that both
give the same lines and totals.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tests.fixtures.make_us_zip_rates import write_zip_rates

from benchmarks._harness import Ratio, compare, report
from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Cart, price_cart
from commercekit.pricing import CatalogEntry
from commercekit.tax import EU_TIME_ZONES, EU_VAT_RATES, EuVat, Seller, UsSalesTax, UsZipRates

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)
CENT = Decimal("0.01")
CATEGORIES = ["standard", "books", "foodstuffs"]
PARIS = Address("FR", postal_code="75001", city="Paris")
EU_SELLER = Seller("DE", Address("DE", postal_code="10115"), eu_over_threshold=True)
LA = Address("US", region="CA", postal_code="90001")
US_SELLER = Seller("US", Address("US", region="TX", postal_code="78701"), {"US-CA"})
LA_ROW = "CA,90001,SYNTHETIC CITY,0.095000,0.060000,0.002500,0.007500,0.025000,1\n"

Line = tuple[str, Decimal, int, str]


def build(currency: str, address: Address) -> tuple[Cart, dict[str, CatalogEntry], list[Line]]:
    """A 100-line cart to ``address``, its catalog, and the same lines as plain tuples."""
    catalog = {}
    cart = Cart(id="bench", currency=currency, shipping_address=address)
    plain = []
    for index in range(100):
        sku = f"SKU{index:05d}"
        price = Decimal(199 + index * 37 % 5000).scaleb(-2)
        category = CATEGORIES[index % 3]
        catalog[sku] = CatalogEntry(sku, price=Money(price, currency), tax_category=category)
        cart = cart.add(sku, 1 + index % 4)
        plain.append((cart.lines[-1].id, price, 1 + index % 4, category))
    return cart, catalog, plain


def _split(tax: Decimal, rates: list[Decimal]) -> list[Decimal]:
    """``tax`` in cents split across ``rates`` by largest remainder (ties: the first)."""
    units = int(tax / CENT)
    total = sum(rates)
    shares = [units * rate / total for rate in rates]
    parts = [int(share) for share in shares]
    order = sorted(range(len(rates)), key=lambda i: -(shares[i] - parts[i]))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return [Decimal(p) * CENT for p in parts]


def eu_table() -> dict[tuple[str, str], list[tuple[datetime, datetime, Decimal]]]:
    """The same EU table as (country, category) -> [(start UTC, end UTC, rate)]."""
    from zoneinfo import ZoneInfo

    table: dict[tuple[str, str], list[tuple[datetime, datetime, Decimal]]] = {}
    end_of_time = datetime.max.replace(tzinfo=UTC)
    for row in EU_VAT_RATES:
        zone = ZoneInfo(EU_TIME_ZONES[row.country])
        start = datetime(row.valid_from.year, row.valid_from.month, row.valid_from.day, tzinfo=zone)
        end = end_of_time
        if row.valid_until is not None:
            until = row.valid_until
            end = datetime(until.year, until.month, until.day, tzinfo=zone)
        table.setdefault((row.country, row.category), []).append((start, end, row.rate))
    return table


def baseline_eu(lines: list[Line], table: dict, country: str) -> dict[str, Any]:  # type: ignore[type-arg]
    """Per line its subtotal, tax line (name, jurisdiction, rate, amount) and total; totals."""
    rows = []
    tax_total = grand = Decimal(0)
    for line_id, price, quantity, category in lines:
        subtotal = (price * quantity).quantize(CENT, ROUND_HALF_UP)
        periods = table.get((country, category)) or table[(country, "standard")]
        rate = next(r for start, end, r in periods if start <= AT < end)
        tax = (subtotal * rate).quantize(CENT, ROUND_HALF_UP)
        rows.append(
            {
                "id": line_id,
                "subtotal": subtotal,
                "taxes": [("VAT", country, rate, tax)],
                "total": subtotal + tax,
            }
        )
        tax_total += tax
        grand += subtotal + tax
    return {"lines": rows, "tax_total": tax_total, "grand_total": grand}


US_NAMES = ["State tax", "County tax", "City tax", "Special district tax"]


def baseline_us(lines: list[Line], zips: dict[str, list[Decimal]], code: str) -> dict[str, Any]:
    """Per line its subtotal, four tax lines and total; totals."""
    rows = []
    tax_total = grand = Decimal(0)
    for line_id, price, quantity, _category in lines:
        subtotal = (price * quantity).quantize(CENT, ROUND_HALF_UP)
        found = [(name, rate) for name, rate in zip(US_NAMES, zips[code], strict=True) if rate]
        rates = [rate for _, rate in found]
        tax = (subtotal * sum(rates)).quantize(CENT, ROUND_HALF_UP)
        parts = _split(tax, rates)
        rows.append(
            {
                "id": line_id,
                "subtotal": subtotal,
                "taxes": [
                    (name, rate, part) for (name, rate), part in zip(found, parts, strict=True)
                ],
                "total": subtotal + tax,
            }
        )
        tax_total += tax
        grand += subtotal + tax
    return {"lines": rows, "tax_total": tax_total, "grand_total": grand}


def _same(breakdown: Any, expected: dict[str, Any], with_jurisdiction: bool) -> None:
    """The baseline really applies the same rules: same lines, taxes and totals."""
    assert breakdown.grand_total.amount == expected["grand_total"]
    assert breakdown.tax_total.amount == expected["tax_total"]
    for line, row in zip(breakdown.lines, expected["lines"], strict=True):
        assert (line.line_id, line.subtotal.amount, line.total.amount) == (
            row["id"],
            row["subtotal"],
            row["total"],
        )
        taxes = [
            (t.name, t.jurisdiction, t.rate, t.amount.amount)
            if with_jurisdiction
            else (t.name, t.rate, t.amount.amount)
            for t in line.tax_lines
        ]
        assert taxes == row["taxes"], (taxes, row["taxes"])


def plain_zip_load(path: Path) -> dict[str, list[Decimal]]:
    """The ZIP file read with csv into {zip: [state, county, city, special]}."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["ZipCode"].zfill(5): [
                Decimal(row["StateRate"]),
                Decimal(row["EstimatedCountyRate"]),
                Decimal(row["EstimatedCityRate"]),
                Decimal(row["EstimatedSpecialRate"]),
            ]
            for row in csv.DictReader(handle)
        }


def _eu_runner() -> tuple[Callable[[], object], Callable[[], object]]:
    cart, catalog, plain = build("EUR", PARIS)
    calculator = EuVat(EU_SELLER)
    table = eu_table()

    def candidate() -> Any:
        return price_cart(cart, catalog, at=AT, tax=calculator, seller=EU_SELLER)

    _same(candidate(), baseline_eu(plain, table, "FR"), with_jurisdiction=True)
    return candidate, lambda: baseline_eu(plain, table, "FR")


def _us_runner(path: Path) -> tuple[Callable[[], object], Callable[[], object]]:
    cart, catalog, plain = build("USD", LA)
    calculator = UsSalesTax(UsZipRates.from_csv(path, name="bench"), seller=US_SELLER)
    zips = plain_zip_load(path)
    assert len([r for r in zips["90001"] if r]) == 4  # four jurisdictions

    def candidate() -> Any:
        return price_cart(cart, catalog, at=AT, tax=calculator, seller=US_SELLER)

    _same(candidate(), baseline_us(plain, zips, "90001"), with_jurisdiction=False)
    return candidate, lambda: baseline_us(plain, zips, "90001")


def _zip_file(directory: Path) -> Path:
    path = directory / "zip_rates.csv"
    write_zip_rates(path, 40_000)
    lines = path.read_text().splitlines(keepends=True)
    # The synthetic rows stop short of 90001: add the four-jurisdiction Los Angeles row.
    assert not any(line.startswith("CA,90001,") for line in lines)
    path.write_text("".join([*lines, LA_ROW]))
    return path


def run(rounds: int = 9, number: int = 20) -> list[tuple[Ratio, str]]:
    """Measure and return (ratio, target) pairs."""
    with tempfile.TemporaryDirectory() as directory:
        path = _zip_file(Path(directory))
        eu_candidate, eu_baseline = _eu_runner()
        us_candidate, us_baseline = _us_runner(path)
        return [
            (
                compare(
                    "100 lines, EU destination VAT vs Decimal",
                    eu_candidate,
                    eu_baseline,
                    rounds=rounds,
                    number=number,
                ),
                "<= 3x",
            ),
            (
                compare(
                    "100 lines, 4 US jurisdictions vs Decimal",
                    us_candidate,
                    us_baseline,
                    rounds=rounds,
                    number=number,
                ),
                "<= 3x",
            ),
            (
                compare(
                    "load 40,000 ZIP rows vs csv into a dict",
                    lambda: UsZipRates.from_csv(path),
                    lambda: plain_zip_load(path),
                    rounds=max(3, rounds // 3),
                    number=1,
                ),
                "well under 1 s",
            ),
        ]


def main() -> None:
    """Print the tax benchmark."""
    print("tax with real rule tables (median ratio, candidate / baseline)")
    results = run()
    print(report(results))
    load = results[-1][0]
    print(f"loading 40,000 ZIP rows takes {load.candidate_seconds:.3f} s")


if __name__ == "__main__":
    main()
