from __future__ import annotations

import io

from commercekit.demo._shipping import shipping_tour


def test_demo_quotes_shipping_for_a_split_cart() -> None:
    out = io.StringIO()
    shipping_tour(out)
    text = out.getvalue()
    # Paris: 3 x 350 g = 1,050 g, in the 1-5 kg band (7.90); Lyon: 2 x 0.2 kg = 0.4 kg, up to
    # 1 kg (4.90): 12.80 for both parcels (the 42.90 subtotal is under the free threshold).
    assert "standard  12.80 EUR  (paris 1050.000 g, lyon 0.400 kg)" in text
    assert "express   24.00 EUR" in text  # 12.00 per parcel, two parcels
    assert "letter does not apply: too_heavy" in text
