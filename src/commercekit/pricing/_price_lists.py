"""Price lists: prices per SKU by currency, channel, customer group, date window and quantity.

How a unit price is chosen (:func:`resolve_price`), for one SKU at one quantity:

1. The *base* price is the catalog entry's price when it is in the cart's currency.
2. *Override* lists replace the base: of the applicable override lists that price the SKU, the
   one with the highest ``priority`` wins (ties: the smallest ``id``).
3. *Sale* lists discount it: of the applicable sale lists that price the SKU, the one with the
   highest ``priority`` wins (ties: the smallest ``id``), and its price is used only when it is
   lower than the price from steps 1-2, which is then kept as the ``compare_at`` price.
4. A list is applicable when its currency is the cart's, the channel and the customer group are
   among its own (an empty set means any), and the pricing time is inside its window
   (``starts_at`` inclusive, ``ends_at`` exclusive).
5. Within a list, the tier with the largest ``min_quantity`` not above the quantity applies
   (volume pricing); quantities are summed per SKU across the cart's lines.
6. With no price in the cart's currency, the same steps run in the catalog price's currency and
   the result is converted with :class:`~commercekit.ports.ExchangeRates`, rounded half-up to
   the target currency's minor unit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from commercekit.clock import ensure_utc
from commercekit.errors import (
    CurrencyMismatchError,
    InvalidQuantityError,
    PriceNotFoundError,
    ValidationError,
)
from commercekit.money import Currency, Money, get_currency, to_decimal
from commercekit.pricing._catalog import _names
from commercekit.pricing._exchange import ExchangeRates, convert

__all__ = [
    "PriceList",
    "PriceListKind",
    "PriceTier",
    "ResolvedPrice",
    "applicable_price_lists",
    "resolve_price",
    "resolve_price_in_lists",
]


class PriceListKind(enum.StrEnum):
    """How a price list's prices combine with the base price (see the module docs)."""

    #: Replaces the base price, whether higher or lower.
    OVERRIDE = "override"
    #: Applies only when lower than the price otherwise in force; that price is kept as the
    #: ``compare_at`` ("was") price.
    SALE = "sale"


def _min_quantity(value: Decimal | int | str) -> Decimal:
    quantity = to_decimal(value)
    if quantity <= 0:
        raise InvalidQuantityError(f"a tier's min_quantity must be positive, got {quantity}")
    return quantity


@attrs.frozen
class PriceTier:
    """A unit price that applies from ``min_quantity`` units (summed per SKU) upwards."""

    #: The unit price (may be finer than the minor unit).
    price: Money
    #: The smallest quantity this price applies to.
    min_quantity: Decimal = attrs.field(default=Decimal(1), converter=_min_quantity)

    def __attrs_post_init__(self) -> None:
        if self.price.amount < 0:
            raise ValidationError(f"a price must not be negative, got {self.price}")


def _tiers(value: Money | PriceTier | Iterable[PriceTier]) -> tuple[PriceTier, ...]:
    if isinstance(value, Money):
        return (PriceTier(value),)
    if isinstance(value, PriceTier):
        return (value,)
    tiers = tuple(value)
    if not tiers:
        raise ValidationError("a price list entry needs at least one tier")
    for tier in tiers:
        if not isinstance(tier, PriceTier):
            raise ValidationError(f"expected PriceTier, got {tier!r}")
    quantities = [tier.min_quantity for tier in tiers]
    if len(set(quantities)) != len(quantities):
        raise ValidationError(f"duplicate tier quantities: {quantities}")
    return tuple(sorted(tiers, key=lambda tier: tier.min_quantity))


def _prices(
    value: Mapping[str, Money | PriceTier | Iterable[PriceTier]],
) -> dict[str, tuple[PriceTier, ...]]:
    return {key: _tiers(tiers) for key, tiers in value.items()}


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else ensure_utc(value)


@attrs.frozen
class PriceList:
    """Unit prices in one currency, for some channels, customer groups and a date window.

    ``prices`` maps a SKU (or a catalog entry's ``price_list_key``) to its tiers; a single
    :class:`~commercekit.money.Money` is a one-tier entry.

    >>> wholesale = PriceList(
    ...     "wholesale", "USD",
    ...     {"MUG": [PriceTier(Money("6.00", "USD")), PriceTier(Money("5.00", "USD"), 50)]},
    ...     customer_groups={"wholesale"},
    ... )
    >>> wholesale.price_for("MUG", Decimal(60))
    Money('5.00', 'USD')
    """

    #: A stable identifier (ties between equal priorities go to the smallest id).
    id: str
    #: The currency every price in the list is in.
    currency: Currency = attrs.field(converter=get_currency)
    #: Tiers per SKU or price-list key, sorted by ``min_quantity``.
    prices: Mapping[str, tuple[PriceTier, ...]] = attrs.field(converter=_prices, hash=False)
    #: Override or sale semantics.
    kind: PriceListKind = PriceListKind.OVERRIDE
    #: Higher wins among applicable lists of the same kind.
    priority: int = 0
    #: Channels the list applies to; empty means every channel.
    channels: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: Customer groups the list applies to; empty means everyone, guests included.
    customer_groups: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    #: Start of the window (inclusive), or ``None``.
    starts_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    #: End of the window (exclusive), or ``None``.
    ends_at: datetime | None = attrs.field(default=None, converter=_optional_utc)

    def __attrs_post_init__(self) -> None:
        for key, tiers in self.prices.items():
            for tier in tiers:
                if tier.price.currency is not self.currency:
                    raise CurrencyMismatchError(
                        self.currency.code,
                        tier.price.currency.code,
                        message=f"price list {self.id!r} is in {self.currency.code}, but its "
                        f"price of {key!r} is in {tier.price.currency.code}",
                    )
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(f"price list {self.id!r} ends before it starts")

    def applies(self, currency: Currency, channel: str, group: str | None, at: datetime) -> bool:
        """Whether the list is in force for this currency, channel, group and time."""
        return (
            self.currency is currency
            and (not self.channels or channel in self.channels)
            and (not self.customer_groups or group in self.customer_groups)
            and (self.starts_at is None or self.starts_at <= at)
            and (self.ends_at is None or at < self.ends_at)
        )

    def price_for(self, key: str, quantity: Decimal | int) -> Money | None:
        """The unit price for ``key`` at ``quantity`` units, or ``None`` if the list has none."""
        tiers = self.prices.get(key)
        if tiers is None:
            return None
        chosen: Money | None = None
        for tier in tiers:
            if tier.min_quantity > quantity:
                break
            chosen = tier.price
        return chosen


@attrs.frozen
class ResolvedPrice:
    """The outcome of :func:`resolve_price`."""

    #: The unit price in force.
    unit_price: Money
    #: The price a sale list undercut, or ``None``.
    compare_at: Money | None
    #: Where the price came from: ``"catalog"`` or ``"price-list:<id>"``; ``"+fx"`` is
    #: appended when it was converted from another currency.
    source: str


def applicable_price_lists(
    price_lists: Iterable[PriceList],
    currency: Currency,
    channel: str,
    customer_group: str | None,
    at: datetime,
) -> list[PriceList]:
    """The lists in force for ``currency``, ``channel``, ``customer_group`` at ``at``, in order.

    The order is the one resolution consults them in: highest ``priority`` first, ties by
    the smallest ``id``. With :func:`resolve_price_in_lists` this is :func:`resolve_price`
    in two halves, for a caller that prices many keys against the same lists (the cart
    pipeline selects the lists once per cart). ``at`` must be timezone-aware.
    """
    moment = ensure_utc(at)
    ordered = sorted(
        (pl for pl in price_lists if pl.applies(currency, channel, customer_group, moment)),
        key=lambda pl: pl.id,
    )
    ordered.sort(key=lambda pl: pl.priority, reverse=True)
    return ordered


def resolve_price_in_lists(
    key: str,
    quantity: Decimal | int,
    base_price: Money | None,
    price_lists: Sequence[PriceList],
) -> ResolvedPrice | None:
    """The unit price of ``key`` at ``quantity`` from ``base_price`` and ``price_lists``, or None.

    Steps 1-3 and 5 of the module docs in one currency, without converting: ``price_lists``
    are what :func:`applicable_price_lists` returned, and ``base_price`` is the catalog price
    if it is in their currency, else ``None``. ``None`` means nothing prices ``key`` there;
    :func:`resolve_price` then tries exchange rates.
    """
    price, source = base_price, "catalog"
    for price_list in price_lists:
        if price_list.kind is PriceListKind.OVERRIDE:
            found = price_list.price_for(key, quantity)
            if found is not None:
                price, source = found, f"price-list:{price_list.id}"
                break
    for price_list in price_lists:
        if price_list.kind is PriceListKind.SALE:
            found = price_list.price_for(key, quantity)
            if found is not None:
                if price is None:
                    return ResolvedPrice(found, None, f"price-list:{price_list.id}")
                if found.amount < price.amount:
                    return ResolvedPrice(found, price, f"price-list:{price_list.id}")
                break
    if price is None:
        return None
    return ResolvedPrice(price, None, source)


def resolve_price(
    key: str,
    quantity: Decimal | int,
    *,
    currency: Currency | str,
    base_price: Money | None,
    price_lists: Iterable[PriceList] = (),
    channel: str = "default",
    customer_group: str | None = None,
    at: datetime,
    exchange_rates: ExchangeRates | None = None,
) -> ResolvedPrice:
    """The unit price of ``key`` at ``quantity`` units, by the rules in the module docs.

    A :class:`~commercekit.errors.PriceNotFoundError` says that neither the catalog nor an
    applicable list prices ``key`` in ``currency`` (or, with ``exchange_rates``, in the
    catalog price's currency).

    >>> from datetime import UTC
    >>> at = datetime(2026, 3, 1, tzinfo=UTC)
    >>> sale = PriceList("spring", "USD", {"MUG": Money("6.50", "USD")}, kind=PriceListKind.SALE)
    >>> found = resolve_price("MUG", 1, currency="USD", base_price=Money("8.00", "USD"),
    ...                       price_lists=[sale], at=at)
    >>> found.unit_price, found.compare_at, found.source
    (Money('6.50', 'USD'), Money('8.00', 'USD'), 'price-list:spring')
    """
    target = get_currency(currency)
    moment = ensure_utc(at)
    lists = list(price_lists)
    in_target = applicable_price_lists(lists, target, channel, customer_group, moment)
    base = base_price if base_price is not None and base_price.currency is target else None
    resolved = resolve_price_in_lists(key, quantity, base, in_target)
    if resolved is not None:
        return resolved
    if base_price is not None and exchange_rates is not None:
        source_currency = base_price.currency
        in_source = applicable_price_lists(lists, source_currency, channel, customer_group, moment)
        found = resolve_price_in_lists(key, quantity, base_price, in_source)
        if found is not None:
            rate = exchange_rates.get_rate(source_currency.code, target.code)
            return ResolvedPrice(
                convert(found.unit_price, target, rate),
                None if found.compare_at is None else convert(found.compare_at, target, rate),
                found.source + "+fx",
            )
    raise PriceNotFoundError(f"no price for {key!r} in {target.code}")
