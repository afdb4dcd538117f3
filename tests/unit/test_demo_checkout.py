from __future__ import annotations

import io

from commercekit.demo._checkout import checkout_tour
from commercekit.storage import open_store


def test_demo_checks_out_ships_and_refunds_a_return() -> None:
    out = io.StringIO()
    with open_store("memory://") as store:
        checkout_tour(out, store, "t1")
        with store.transaction(readonly=True) as tx:
            pending = [e.topic for e in tx.outbox.pending(limit=1000)]
    text = out.getvalue()  # babel writes a no-break space before the euro sign
    # 2 x 12.90 + 24.90 = 50.70, 10% off from 50.00: 45.63, plus 4.90 shipping: 50.53.
    assert "place_order: completed; captured 50.53 EUR" in text
    assert "Bestellung Dt1-1001 (paid)" in text
    assert "Summe                    50,53\xa0€" in text
    assert "the same key again: order Dt1-1001, no second charge" in text
    # One mug of two: 23.22 / 2 = 11.61; shipping 4.90 x 11.61 / 45.63 = 1.2467 -> 1.24.
    assert "refunded 12,85\xa0€ = the Tasse 11,61\xa0€" in text
    assert "its share of shipping 1,24\xa0€; partially_returned" in text
    assert pending.count("order.placed") == 1 and "order.refunded" in pending


def test_the_whole_demo_runs_on_postgresql(postgres_url: str, postgres_schema: str) -> None:
    from commercekit.cli import main

    out = io.StringIO()
    assert main(["demo", "--url", postgres_url, "--schema", postgres_schema], out=out) == 0
    text = out.getvalue()
    assert "place_order: completed; captured 50.53 EUR" in text
    assert "no second charge" in text
