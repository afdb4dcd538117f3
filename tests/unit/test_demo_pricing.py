from __future__ import annotations

import io

from commercekit.demo import run_demo


def test_demo_shows_a_cart_with_promotions_whose_parts_add_up() -> None:
    out = io.StringIO()
    run_demo(out)
    text = out.getvalue()
    assert "-12.00 Mugs 3 for 2" in text
    assert "= 42.87 EUR" in text
