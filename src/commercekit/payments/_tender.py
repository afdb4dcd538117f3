"""Split tender: an order paid, or refunded, over several methods (gift cards, then a card).

:func:`plan_split_tender` splits an order's total over the methods offered, in the shop's order
(gift cards first, then a card, say); :func:`plan_split_refund` splits a refund over what each
method paid, outside methods first and store credit last by default (:class:`RefundOrder` says
why and what else). Both are pure: each share is then one payment.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

from commercekit.errors import (
    CurrencyMismatchError,
    InvalidAmountError,
    PaymentAmountError,
    ValidationError,
)
from commercekit.money import Money, from_minor_units, is_minor_unit_exact, to_minor_units
from commercekit.rules import check_identifier

__all__ = [
    "RefundOrder",
    "Tender",
    "TenderShare",
    "plan_split_refund",
    "plan_split_tender",
]


# The amount check of split tender, of issuing and of the gateway: whole positive minor units.
def _minor(amount: object, what: str) -> int:
    if not isinstance(amount, Money):
        raise InvalidAmountError(f"{what} must be Money, got {type(amount).__name__}")
    if amount.amount <= 0 or not is_minor_unit_exact(amount):
        raise PaymentAmountError(f"cannot {what} {amount}: positive whole minor units only")
    return to_minor_units(amount)


class RefundOrder(enum.StrEnum):
    """Which methods of a split tender get money back first (see :func:`plan_split_refund`)."""

    #: Cards and other outside methods first, store credit and gift cards last (the default).
    CREDIT_LAST = "credit_last"
    #: Store credit and gift cards first: the shop keeps the money, as credit.
    CREDIT_FIRST = "credit_first"
    #: The method paid last gets money back first.
    REVERSE = "reverse"


def _limit(_instance: object, attribute: attrs.Attribute[Money], value: Money | None) -> None:
    if value is None and attribute.name == "limit":
        return
    if not isinstance(value, Money) or value.amount < 0 or not is_minor_unit_exact(value):
        raise PaymentAmountError(
            f"a tender's {attribute.name} is Money of 0 or more in whole minor units, got {value!r}"
        )


def _tender_name(value: object) -> str:
    return check_identifier(value, name="tender name")


@attrs.frozen
class Tender:
    """One method offered to pay an order, with the most it can take (``None``: any amount)."""

    #: A label naming the method in the plan (``"gift:B2WC"``, ``"card"``); unique in a plan.
    name: str = attrs.field(converter=_tender_name)
    #: The most it can take (a gift card's available balance), or ``None`` for no limit.
    limit: Money | None = attrs.field(default=None, validator=_limit)
    #: Whether it is store credit or a gift card (refunds order methods by it).
    credit: bool = False


@attrs.frozen
class TenderShare:
    """The amount one method pays (or gets back) in a split tender."""

    #: The tender's name.
    name: str = attrs.field(converter=_tender_name)
    #: Its part, in the order's currency.
    amount: Money = attrs.field(validator=_limit)
    #: Whether it is store credit or a gift card.
    credit: bool = False


def plan_split_tender(total: Money, tenders: Sequence[Tender]) -> tuple[TenderShare, ...]:
    """How much each method pays of ``total``, taking them in the shop's order.

    Each tender takes what it can of what is left (its limit, or all of it); tenders left
    with nothing to pay are not in the plan. Methods that together cannot cover ``total`` are
    a :class:`~commercekit.errors.PaymentAmountError` naming the shortfall.

    >>> from commercekit.money import Money
    >>> plan = plan_split_tender(
    ...     Money("50.00", "EUR"),
    ...     [Tender("gift", Money("20.00", "EUR"), credit=True), Tender("card")],
    ... )
    >>> [(share.name, str(share.amount)) for share in plan]
    [('gift', '20.00 EUR'), ('card', '30.00 EUR')]
    """
    wanted = left = _minor(total, "pay")
    names = [tender.name for tender in tenders]
    if len(set(names)) != len(names):
        raise ValidationError(f"tender names must be unique in a plan, got {names}")
    shares: list[TenderShare] = []
    for tender in tenders:
        if tender.limit is not None and tender.limit.currency is not total.currency:
            raise CurrencyMismatchError(tender.limit.currency.code, total.currency.code)
        cap = left if tender.limit is None else min(left, to_minor_units(tender.limit))
        if cap > 0:
            shares.append(
                TenderShare(tender.name, from_minor_units(cap, total.currency), tender.credit)
            )
            left -= cap
    if left:
        raise PaymentAmountError(
            f"the methods offered cover {from_minor_units(wanted - left, total.currency)} of"
            f" {total}: {from_minor_units(left, total.currency)} is missing"
        )
    return tuple(shares)


def plan_split_refund(
    amount: Money, paid: Sequence[TenderShare], *, order: RefundOrder = RefundOrder.CREDIT_LAST
) -> tuple[TenderShare, ...]:
    """How ``amount`` goes back over the methods of a split tender.

    ``paid`` lists what each method can still give back, in the order they paid. By default
    (:attr:`RefundOrder.CREDIT_LAST`) cards and other outside methods are refunded first and
    store credit last: the customer's own money goes back where it came from before anything
    becomes credit only this shop accepts, as customers expect and as rules on refunding by
    the original means of payment ask. More than ``paid`` holds is a
    :class:`~commercekit.errors.PaymentAmountError`.

    >>> from commercekit.money import Money
    >>> paid = [
    ...     TenderShare("gift", Money("20.00", "EUR"), credit=True),
    ...     TenderShare("card", Money("30.00", "EUR")),
    ... ]
    >>> [(s.name, str(s.amount)) for s in plan_split_refund(Money("35.00", "EUR"), paid)]
    [('card', '30.00 EUR'), ('gift', '5.00 EUR')]
    """
    wanted = left = _minor(amount, "refund")
    if order not in tuple(RefundOrder):
        raise ValidationError(f"order is a RefundOrder ({', '.join(RefundOrder)}), got {order!r}")
    order = RefundOrder(order)
    ranked = list(reversed(paid)) if order is RefundOrder.REVERSE else list(paid)
    if order is not RefundOrder.REVERSE:
        # Stable: within each group, the order paid.
        credit_last = order is RefundOrder.CREDIT_LAST
        ranked.sort(key=lambda share: share.credit == credit_last)
    shares: list[TenderShare] = []
    for share in ranked:
        if share.amount.currency is not amount.currency:
            raise CurrencyMismatchError(share.amount.currency.code, amount.currency.code)
        back = min(left, to_minor_units(share.amount))
        if back > 0:
            money = from_minor_units(back, amount.currency)
            shares.append(TenderShare(share.name, money, share.credit))
            left -= back
    if left:
        raise PaymentAmountError(
            f"cannot refund {amount}: the methods paid can give back only"
            f" {from_minor_units(wanted - left, amount.currency)}"
        )
    return tuple(shares)
