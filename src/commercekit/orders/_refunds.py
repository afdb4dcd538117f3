"""Refunds that give back exactly what was paid: pure proration to the minor unit.

A line's money is given back unit by unit along one fixed schedule: after ``n`` of its ``q``
units, ``floor(total * n / q)`` has been refunded. Each refund takes the difference between
two points of that schedule, so every refund is a whole number of minor units, no unit is
refunded twice, and refunding the last unit gives back the line's total exactly, whatever
the order of the refunds. The tax part follows the same schedule over the line's tax.

Shipping and cash rounding follow the goods: after refunds worth ``v`` of the lines' ``V``,
``floor(shipping * v / V)`` of the shipping has been given back (by units when the lines
cost nothing). So refunding every line gives back exactly what was captured.

The money goes back over the tenders by :func:`~commercekit.payments.plan_split_refund`:
by default cards first and store credit and gift cards last.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction

from commercekit.errors import InvalidQuantityError, StateTransitionError
from commercekit.money import from_minor_units, to_minor_units
from commercekit.orders._order import Order, Quantity, Refund, RefundLine
from commercekit.payments import RefundOrder, TenderShare, plan_split_refund

__all__ = ["plan_refund", "refund_schedule", "split_across_tenders"]


def refund_schedule(total_minor: int, done: Fraction) -> int:
    """How much of ``total_minor`` is given back once the fraction ``done`` is refunded."""
    return math.floor(total_minor * done)


def _fraction(part: Quantity, whole: Quantity) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(1)


def _goods_done(order: Order, refunded: Mapping[str, Quantity]) -> Fraction:
    """How far the lines are refunded, by value (by units when the lines cost nothing)."""
    value = sum(order.priced_line(ln.line_id).total_minor for ln in order.lines)
    if value > 0:
        done = sum(
            refund_schedule(
                order.priced_line(ln.line_id).total_minor,
                _fraction(refunded[ln.line_id], ln.quantity),
            )
            for ln in order.lines
        )
        return Fraction(done, value)
    units = sum((Fraction(ln.quantity) for ln in order.lines), Fraction(0))
    done_units = sum((Fraction(refunded[ln.line_id]) for ln in order.lines), Fraction(0))
    return done_units / units if units else Fraction(1)


def plan_refund(
    order: Order,
    quantities: Mapping[str, Quantity],
    *,
    id: str,
    at: datetime,
    reason: str | None = None,
    refund_order: RefundOrder = RefundOrder.CREDIT_LAST,
) -> Refund:
    """The refund of ``quantities`` (units by line id) of ``order``, split across its tenders.

    Refused: an unknown line, a quantity that is not positive, more units than are left to
    refund (:class:`~commercekit.errors.InvalidQuantityError`), and money the tenders have
    not captured (:class:`~commercekit.errors.StateTransitionError`: capture first, or cancel).
    """
    units = order._counted(quantities, "a refund")
    before = {ln.line_id: ln.refunded for ln in order.lines}
    after = dict(before)
    lines = []
    for line in order.lines:
        wanted = units.get(line.line_id)
        if wanted is None:
            continue
        if line.refunded + wanted > line.quantity:
            raise InvalidQuantityError(
                f"line {line.line_id!r} has {line.quantity - line.refunded} left to refund, "
                f"not {wanted}"
            )
        after[line.line_id] = line.refunded + wanted
        priced = order.priced_line(line.line_id)
        start = _fraction(line.refunded, line.quantity)
        end = _fraction(after[line.line_id], line.quantity)
        lines.append(
            RefundLine(
                line.line_id,
                wanted,
                refund_schedule(priced.total_minor, end)
                - refund_schedule(priced.total_minor, start),
                refund_schedule(priced.tax_total_minor, end)
                - refund_schedule(priced.tax_total_minor, start),
            )
        )
    start, end = _goods_done(order, before), _goods_done(order, after)
    shipping = order.breakdown.shipping
    ship_total = 0 if shipping is None else shipping.total_minor
    ship_tax = 0 if shipping is None else shipping.tax_total_minor
    rounding = order.breakdown.rounding_minor

    def part(total: int) -> int:
        return refund_schedule(total, end) - refund_schedule(total, start)

    amount = sum(ln.amount_minor for ln in lines) + part(ship_total) + part(rounding)
    return Refund(
        id=id,
        lines=tuple(lines),
        shipping_minor=part(ship_total),
        shipping_tax_minor=part(ship_tax),
        rounding_minor=part(rounding),
        amount_minor=amount,
        tenders=split_across_tenders(order, amount, refund_order),
        at=at,
        reason=reason,
    )


def split_across_tenders(
    order: Order, amount_minor: int, refund_order: RefundOrder = RefundOrder.CREDIT_LAST
) -> tuple[tuple[str, int], ...]:
    """``amount_minor`` over the tenders' captured money, by payment id.

    The split is :func:`~commercekit.payments.plan_split_refund`'s, in ``refund_order``
    (cards first and store credit last, by default).
    """
    if amount_minor <= 0:
        return ()
    paid = [
        TenderShare(
            tender.payment_id,
            from_minor_units(tender.captured_minor - tender.refunded_minor, order.currency),
            tender.credit,
        )
        for tender in order.payments
        if tender.captured_minor > tender.refunded_minor
    ]
    wanted = from_minor_units(amount_minor, order.currency)
    if sum(to_minor_units(share.amount) for share in paid) < amount_minor:
        raise StateTransitionError(
            f"order {order.number} has less than {wanted} captured and not refunded: "
            "capture first, or cancel the order"
        )
    plan = plan_split_refund(wanted, paid, order=refund_order)
    return tuple((share.name, to_minor_units(share.amount)) for share in plan)
