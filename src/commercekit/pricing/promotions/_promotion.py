"""The Promotion value: lanes, stacking, refusal reasons, usage counts and coupon codes.

How promotions combine (the whole rule set) is in :mod:`commercekit.pricing.promotions`.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterable, Mapping

import attrs

from commercekit.errors import ValidationError
from commercekit.money import Money
from commercekit.pricing.promotions._actions import Action
from commercekit.pricing.promotions._conditions import Condition, CouponCode, normalize_code

__all__ = [
    "CODE_COUNTER_PREFIX",
    "CouponRefusal",
    "Lane",
    "Promotion",
    "Stacking",
    "UsageCounts",
    "code_counter_id",
    "generate_coupon_codes",
]

#: The prefix of the usage counter of a coupon code; promotion ids may not start with it.
CODE_COUNTER_PREFIX = "code:"


def code_counter_id(code: str) -> str:
    """The usage counter under which uses of coupon ``code`` are counted (normalized).

    >>> code_counter_id(" vip-7 ")
    'code:VIP-7'
    """
    return CODE_COUNTER_PREFIX + normalize_code(code)


class Lane(enum.StrEnum):
    """When a promotion runs, and which amounts it sees (see the module docs)."""

    #: First: base prices.
    ITEMS = "items"
    #: Second: amounts after every items-lane promotion.
    ORDER = "order"


class Stacking(enum.StrEnum):
    """How a promotion combines with others (see the module docs)."""

    #: Combines with every other applying promotion.
    STACK = "stack"
    #: Applies alone, or not at all.
    EXCLUSIVE = "exclusive"
    #: Applies, then no later promotion of its lane does.
    STOP = "stop"


class CouponRefusal(enum.StrEnum):
    """Why a coupon (or any promotion) was not applied; stable, machine-readable words."""

    #: No promotion has this code.
    UNKNOWN_CODE = "unknown_code"
    #: The promotion is switched off (``active=False``).
    INACTIVE = "inactive"
    #: Before the promotion's date window.
    NOT_STARTED = "not_started"
    #: At or after the end of the promotion's date window.
    EXPIRED = "expired"
    #: A subtotal or quantity threshold is not reached.
    MINIMUM_NOT_MET = "minimum_not_met"
    #: A usage limit (total, per customer or per code) is reached.
    USAGE_EXHAUSTED = "usage_exhausted"
    #: Another promotion that applies excludes it (exclusive, or stopping later ones).
    NOT_COMBINABLE = "not_combinable"
    #: Customer group, first-order or item-membership conditions do not hold.
    CONDITIONS_NOT_MET = "conditions_not_met"
    #: It qualifies but there is nothing for it to discount.
    NOTHING_TO_DISCOUNT = "nothing_to_discount"


def _conditions(value: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(value)


def _actions(value: Iterable[Action]) -> tuple[Action, ...]:
    actions = tuple(value)
    if not actions:
        raise ValidationError("a promotion needs at least one action")
    return actions


def _optional_limit(value: int | None) -> int | None:
    if value is None:
        return None
    if value.__class__ is not int or value < 0:
        raise ValidationError(f"a usage limit must be a non-negative int, got {value!r}")
    return value


@attrs.frozen
class Promotion:
    """A promotion: when all ``conditions`` hold, every one of ``actions`` applies.

    >>> from commercekit.pricing import PercentOffItems, CouponCode
    >>> promo = Promotion("spring", "Spring 10%", actions=[PercentOffItems(10)],
    ...                   conditions=[CouponCode({"spring"})])
    >>> promo.coupon_codes
    frozenset({'SPRING'})
    """

    #: A stable identifier; adjustments and usage counts refer to it.
    id: str
    #: What the customer sees on the adjustment (``"Spring sale -10%"``).
    label: str
    #: What the promotion does.
    actions: tuple[Action, ...] = attrs.field(converter=_actions)
    #: When it applies (all must hold).
    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    #: Which lane it runs in.
    lane: Lane = Lane.ITEMS
    #: Higher runs first within a lane.
    priority: int = 0
    #: How it combines with others.
    stacking: Stacking = Stacking.STACK
    #: The most it may take off in total, or ``None``.
    max_discount: Money | None = None
    #: Uses allowed over all customers, or ``None``.
    usage_limit: int | None = attrs.field(default=None, converter=_optional_limit)
    #: Uses allowed per customer (guests are not limited per customer), or ``None``.
    usage_limit_per_customer: int | None = attrs.field(default=None, converter=_optional_limit)
    #: Uses allowed per coupon code (1 for single-use codes), or ``None``.
    usage_limit_per_code: int | None = attrs.field(default=None, converter=_optional_limit)
    #: Switched on; an inactive promotion is refused as ``inactive``.
    active: bool = True

    def __attrs_post_init__(self) -> None:
        if not self.id:
            raise ValidationError("a promotion needs an id")
        if self.id.startswith(CODE_COUNTER_PREFIX):
            raise ValidationError(
                f"a promotion id may not start with {CODE_COUNTER_PREFIX!r}: {self.id!r}"
            )
        if self.max_discount is not None and self.max_discount.amount < 0:
            raise ValidationError(f"max_discount must not be negative, got {self.max_discount}")

    @property
    def coupon_codes(self) -> frozenset[str]:
        """Every code any of its :class:`~commercekit.pricing.CouponCode` conditions accepts."""
        codes: set[str] = set()
        for condition in self.conditions:
            if isinstance(condition, CouponCode):
                codes |= condition.codes
        return frozenset(codes)


def _counts(value: Mapping[str, int]) -> dict[str, int]:
    result: dict[str, int] = {}
    for key, count in value.items():
        if count.__class__ is not int or count < 0:
            raise ValidationError(f"a usage count must be a non-negative int, got {count!r}")
        result[key] = count
    return result


def _code_counts(value: Mapping[str, int]) -> dict[str, int]:
    return {normalize_code(code): count for code, count in _counts(value).items()}


@attrs.frozen
class UsageCounts:
    """How often promotions and codes have been used, as read from the store before pricing.

    Missing keys count as zero.

    >>> usage = UsageCounts(promotions={"spring": 99}, customer={"spring": 1}, codes={"x1": 1})
    >>> usage.codes
    {'X1': 1}
    """

    #: Uses per promotion id, all customers together.
    promotions: Mapping[str, int] = attrs.field(factory=dict, converter=_counts, hash=False)
    #: Uses per promotion id by the cart's customer (empty for a guest).
    customer: Mapping[str, int] = attrs.field(factory=dict, converter=_counts, hash=False)
    #: Uses per coupon code (normalized).
    codes: Mapping[str, int] = attrs.field(factory=dict, converter=_code_counts, hash=False)


#: Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def generate_coupon_codes(
    count: int,
    *,
    length: int = 10,
    prefix: str = "",
    alphabet: str = CODE_ALPHABET,
    existing: Iterable[str] = (),
) -> list[str]:
    """``count`` distinct random codes from :mod:`secrets`, none of them in ``existing``.

    Codes are ``prefix`` plus ``length`` characters of ``alphabet`` (by default one without
    look-alike characters), already normalized. There must be room for the codes: the
    alphabet must allow at least a thousand times ``count`` codes, so guessing one is hard.

    >>> codes = generate_coupon_codes(3, prefix="VIP-", length=8)
    >>> len(set(codes)), all(code.startswith("VIP-") and len(code) == 12 for code in codes)
    (3, True)
    """
    if count.__class__ is not int or count < 0:
        raise ValidationError(f"count must be a non-negative int, got {count!r}")
    if length.__class__ is not int or length <= 0:
        raise ValidationError(f"length must be a positive int, got {length!r}")
    symbols = "".join(sorted(set(alphabet.upper())))
    if len(symbols) < 2 or not symbols.isalnum() or not symbols.isascii():
        raise ValidationError("the alphabet needs at least two ASCII letters or digits")
    if len(symbols) ** length < count * 1000:
        raise ValidationError(
            f"{count} codes of {length} characters would be too easy to guess; use longer codes"
        )
    head = normalize_code(prefix) if prefix.strip() else ""
    taken = {normalize_code(code) for code in existing}
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = head + "".join(secrets.choice(symbols) for _ in range(length))
        if code not in seen and code not in taken:
            seen.add(code)
            codes.append(code)
    return codes
