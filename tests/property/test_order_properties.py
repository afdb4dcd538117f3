"""Refunds give back exactly what was paid, whatever the cart and however it comes back.

Carts come from the pricing properties' scenarios (every currency, promotions of every kind,
tax inclusive or not, compound rates, cash rounding, shipping), are placed as orders paid in
full by one or two tenders, and are then refunded in random pieces in a random order.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from commercekit.codec import make_json_converter
from commercekit.orders import Order, OrderPayment, plan_refund, refund_schedule
from tests.property.test_pricing_properties import price, scenarios

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
converter = make_json_converter()


def placed(scenario: dict[str, Any], split: int) -> Order:
    breakdown = price(scenario)
    total = breakdown.grand_total_minor
    payments: tuple[OrderPayment, ...] = ()
    if total > 0:
        first = min(split, total)
        parts = [first, total - first] if 0 < first < total else [total]
        payments = tuple(
            OrderPayment(f"p{i}", "gift" if i == 0 else "card", part, part, credit=i == 0)
            for i, part in enumerate(parts)
        )
    return Order.place(
        id="1001",
        number="1001",
        checkout_key="k",
        customer_id=None,
        breakdown=breakdown,
        payments=payments,
        at=AT,
    )


def pieces(data: st.DataObject, quantity: int | Decimal) -> list[int | Decimal]:
    """``quantity`` cut into 1 to 3 positive pieces."""
    units = int(quantity.scaleb(3)) if isinstance(quantity, Decimal) else quantity
    cuts = data.draw(st.sets(st.integers(1, units - 1), max_size=2)) if units > 1 else set()
    bounds = [0, *sorted(cuts), units]
    if isinstance(quantity, Decimal):
        return [Decimal(b - a).scaleb(-3) for a, b in itertools.pairwise(bounds)]
    return [b - a for a, b in itertools.pairwise(bounds)]


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(0, 5000), st.data())
def test_refunding_every_unit_gives_back_exactly_what_was_captured(
    scenario: dict[str, Any], split: int, data: st.DataObject
) -> None:
    order = placed(scenario, split)
    if not order.lines:
        return
    captured = sum(p.captured_minor for p in order.payments)
    steps: list[tuple[str, int | Decimal]] = [
        (line.line_id, piece) for line in order.lines for piece in pieces(data, line.quantity)
    ]
    steps = data.draw(st.permutations(steps))
    given_back = 0
    per_line: dict[str, int] = {}
    per_line_tax: dict[str, int] = {}
    for index, (line_id, quantity) in enumerate(steps):
        refund = plan_refund(order, {line_id: quantity}, id=f"r{index}", at=AT)
        assert refund.amount_minor >= 0 or order.breakdown.rounding_minor < 0
        assert refund.amount_minor == (
            sum(ln.amount_minor for ln in refund.lines)
            + refund.shipping_minor
            + refund.rounding_minor
        )
        assert sum(part for _, part in refund.tenders) == max(refund.amount_minor, 0)
        order = order.begin_refund(refund).finish_refund(refund.id, AT)
        # What an order stores reads back as it was (the codec round trip, mid-refund).
        assert converter.structure(converter.unstructure(order), Order) == order
        given_back += refund.amount_minor
        for line in refund.lines:
            per_line[line.line_id] = per_line.get(line.line_id, 0) + line.amount_minor
            per_line_tax[line.line_id] = per_line_tax.get(line.line_id, 0) + line.tax_minor
    assert given_back == order.breakdown.grand_total_minor == captured
    assert sum(p.refunded_minor for p in order.payments) == captured
    for priced in order.breakdown.lines:
        assert per_line[priced.line_id] == priced.total_minor
        assert per_line_tax[priced.line_id] == priced.tax_total_minor
    assert all(line.refunded == line.quantity for line in order.lines)


@given(st.integers(-(10**9), 10**9), st.integers(1, 50), st.data())
def test_the_refund_schedule_never_gives_a_unit_twice(
    total: int, quantity: int, data: st.DataObject
) -> None:
    from fractions import Fraction

    points = [refund_schedule(total, Fraction(n, quantity)) for n in range(quantity + 1)]
    assert points[0] == 0 and points[-1] == total
    steps = [b - a for a, b in itertools.pairwise(points)]
    assert sum(steps) == total
    # Every unit gets the floor or the ceiling of an equal share: no unit is favoured.
    assert max(steps) - min(steps) <= 1
