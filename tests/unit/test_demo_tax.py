from __future__ import annotations

import io

from commercekit.demo._tax import tax_tour


def test_demo_quotes_an_eu_and_a_us_cart() -> None:
    out = io.StringIO()
    tax_tour(out)
    text = out.getvalue()
    # France, over the threshold: the book at 5.5% (20.00 -> 1.10), two mugs at 20% (24.00 ->
    # 4.80): 5.90 tax, 49.90 in all.
    assert "BOOK  20.00 EUR VAT 5.5% FR: 1.10 EUR" in text
    assert "MUG   24.00 EUR VAT 20% FR: 4.80 EUR" in text
    assert "tax 5.90 EUR, total 49.90 EUR" in text
    # The business with a valid VAT id: reverse charge, no VAT, the note for the invoice.
    assert "note (reverse_charge)" in text
    assert "tax 0.00 EUR, total 44.00 EUR" in text
    # 49.99 at 9.5% = 4.74905 -> 4.75, split 6 : 0.25 : 0.75 : 2.5 -> 3.00, 0.125, 0.375, 1.25;
    # the cent left by the floors goes to the first of the tied remainders (county).
    assert "State tax 6% US-CA: 3.00 USD" in text
    assert "County tax 0.25% US-CA:SYNTHETIC CITY:county: 0.13 USD" in text
    assert "City tax 0.75% US-CA:SYNTHETIC CITY:city: 0.37 USD" in text
    assert "tax 4.75 USD, total 54.74 USD" in text
