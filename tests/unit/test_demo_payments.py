from __future__ import annotations

import io

from commercekit.demo._payments import payments_tour
from commercekit.storage import open_store


def test_demo_pays_with_the_fake_gateway() -> None:
    out = io.StringIO()
    with open_store("memory://") as store:
        payments_tour(out, store, "t1")
    text = out.getvalue()
    # 42.87 captured as 30.00 then the remaining 12.87, then 5.00 refunded.
    assert "pay-t1: authorized; authorized 42.87 EUR, captured 0.00 EUR" in text
    assert "pay-t1: partially_refunded; authorized 42.87 EUR, captured 42.87 EUR, refunded" in text
    assert "pay-t1:authorize:1, pay-t1:capture:1, pay-t1:capture:2, pay-t1:refund:1" in text
    assert "declined (card_declined)" in text
    assert "3-D Secure: requires_action" in text
    assert "the webhook says: authorized (a second delivery changes nothing: authorized" in text
