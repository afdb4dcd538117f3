"""TaxRuleTable: dated rates per zone and product tax category, a local TaxCalculator.

A table is validated when it is built (unknown zones, duplicate zone ids, a validity that
ends before it starts, two rules in force at once for one zone and category are each a
:class:`~commercekit.errors.TaxTableError`), so a bad table fails at configuration time,
never at checkout. Lookups are indexed: rules are grouped by (zone, category), sorted by the
instant they start, and found by bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo
from itertools import pairwise

import attrs

from commercekit.address import Address
from commercekit.clock import ensure_utc
from commercekit.errors import TaxAddressError, TaxError, TaxTableError
from commercekit.rules import check_identifier
from commercekit.tax._engine import ItemRates, compute_tax
from commercekit.tax._rates import TaxCategory, TaxRate, zero_rated
from commercekit.tax._request import TaxableItem, TaxRequest
from commercekit.tax._result import TaxNote, TaxResult
from commercekit.tax._zones import TaxZone

__all__ = ["TaxRule", "TaxRuleTable"]

_STANDARD = TaxCategory.STANDARD.value
_EXEMPT = TaxCategory.EXEMPT.value
_ZERO = TaxCategory.ZERO.value
_BEGINNING = datetime.min.replace(tzinfo=UTC)
_NO_RATES = ItemRates()


def _zone_id(value: object) -> str:
    return check_identifier(value, name="zone id")


def _category(value: object) -> str:
    return check_identifier(value, name="tax category")


def _rates(value: TaxRate | Iterable[TaxRate]) -> tuple[TaxRate, ...]:
    rates = (value,) if isinstance(value, TaxRate) else tuple(value)
    for rate in rates:
        if not isinstance(rate, TaxRate):
            raise TaxTableError(f"a rule's rates are TaxRate values, got {rate!r}")
    return rates


def _validity(value: object) -> date | datetime | None:
    if value is None or isinstance(value, date):
        return value
    raise TaxTableError(f"a rule's validity is a date, a datetime or None (open), got {value!r}")


def _aware(value: date | datetime) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _local(value: date | datetime) -> datetime:
    """A date or naive datetime as a naive datetime (a wall-clock time in the zone)."""
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _instant(value: date | datetime, timezone: tzinfo) -> datetime:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC)
    return _local(value).replace(tzinfo=timezone).astimezone(UTC)


def _text(value: date | datetime | None) -> str:
    return "open" if value is None else value.isoformat()


@attrs.frozen
class TaxRule:
    """The rates of one product tax category in one zone, for a span of time.

    ``rates`` are applied together: several rates are several tax lines on each item (state,
    county, city, special district); a compound rate (``TaxRate(..., compound=True)``) is
    levied on the amount plus the rule's other taxes. An empty ``rates`` says the category is
    untaxed in the zone (no tax lines); for a 0% line on the invoice, give a 0 rate.

    ``valid_from`` (inclusive) and ``valid_until`` (exclusive) are dates or naive datetimes
    read in the zone's time zone (a rule from ``date(2025, 7, 1)`` in Tallinn starts at
    2025-06-30T21:00Z, local midnight; a wall-clock time that occurs twice as summer time ends
    is its first occurrence), aware datetimes (instants), or ``None`` (open).
    A validity that does not end after it starts is a
    :class:`~commercekit.errors.TaxTableError`: here when both ends can be compared without
    the zone, otherwise when the table is built. A rule for ``"exempt"`` is refused: exempt
    goods are outside the tax and need none.

    >>> from datetime import date
    >>> rule = TaxRule("EE", "standard", TaxRate("VAT", "0.24"), valid_from=date(2025, 7, 1))
    >>> rule.category, rule.valid_until
    ('standard', None)
    """

    #: The id of the zone the rule applies in.
    zone: str = attrs.field(converter=_zone_id)
    #: The product tax category (a :class:`TaxCategory` value or a custom one).
    category: str = attrs.field(converter=_category)
    #: The rates applied, in order; compound ones after the ones they are levied on.
    rates: tuple[TaxRate, ...] = attrs.field(converter=_rates)
    #: When the rule starts applying (inclusive), or ``None``.
    valid_from: date | datetime | None = attrs.field(default=None, converter=_validity)
    #: When the rule stops applying (exclusive), or ``None``.
    valid_until: date | datetime | None = attrs.field(default=None, converter=_validity)

    def __attrs_post_init__(self) -> None:
        if self.category == _EXEMPT:
            raise TaxTableError(
                f"a rule for category 'exempt' in zone {self.zone!r}: exempt goods are outside"
                " the tax and need no rule"
            )
        start, end = self.valid_from, self.valid_until
        if start is None or end is None or _aware(start) != _aware(end):
            return  # unbounded, or an instant against a local time: judged with the zone
        # Both local (wall-clock times compare alike in any zone, UTC included) or both instants.
        if _instant(start, UTC) >= _instant(end, UTC):
            raise TaxTableError(
                f"rule for zone {self.zone!r}, category {self.category!r} is valid from"
                f" {_text(start)} until {_text(end)}: it must end after it starts"
            )

    def window(self, timezone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """The validity as UTC instants, dates and naive times read in ``timezone``."""
        start, end = self.valid_from, self.valid_until
        try:
            return (
                None if start is None else _instant(start, timezone),
                None if end is None else _instant(end, timezone),
            )
        except OverflowError as exc:
            raise TaxTableError(f"rule {self.describe()} has a date out of range") from exc

    def describe(self) -> str:
        """The rule in a few words, for error messages."""
        return (
            f"(zone {self.zone!r}, category {self.category!r},"
            f" {_text(self.valid_from)} until {_text(self.valid_until)})"
        )


def _zones(value: Iterable[TaxZone]) -> tuple[TaxZone, ...]:
    zones = tuple(value)
    for zone in zones:
        if not isinstance(zone, TaxZone):
            raise TaxTableError(f"expected TaxZone, got {zone!r}")
    return zones


def _rules(value: Iterable[TaxRule]) -> tuple[TaxRule, ...]:
    rules = tuple(value)
    for rule in rules:
        if not isinstance(rule, TaxRule):
            raise TaxTableError(f"expected TaxRule, got {rule!r}")
    return rules


def _source(value: object) -> str:
    return check_identifier(value, name="tax source")


@attrs.frozen
class _Timeline:
    """The rules of one (zone, category), sorted by start: parallel lists for bisection."""

    starts: list[datetime]
    ends: list[datetime | None]
    rules: list[TaxRule]
    rates: list[ItemRates]

    def at(self, moment: datetime) -> int | None:
        index = bisect_right(self.starts, moment) - 1
        if index < 0:
            return None
        end = self.ends[index]
        return None if end is not None and moment >= end else index


def _where(address: Address) -> str:
    parts = [address.country, address.subdivision, address.postal_code]
    return " ".join(part for part in parts if part)


@attrs.frozen
class TaxRuleTable:
    """Tax by zones and dated rules: a :class:`~commercekit.ports.TaxCalculator` from memory.

    For each request:

    - *The zone.* Of the zones that match the destination (the ship-to address, else the
      billing address), the most specific wins: one with postal codes over one with
      subdivisions over a whole country (:attr:`TaxZone.specificity`); between equally
      specific zones the higher ``priority`` wins, then the zone declared first. A request
      without any address is a :class:`~commercekit.errors.TaxAddressError`; an address in
      no zone is taxed nothing, with the note ``"outside_zones"`` (the table does not cover
      it: a configuration fact, not a failure).
    - *The category.* An item without a category is ``"standard"``; ``"exempt"`` has no tax
      lines. A category with no rule in force in the zone at that time falls back to the
      zone's ``"standard"`` rule (so a temporary reduced rate is one rule with an end date);
      when neither is in force the request fails with a
      :class:`~commercekit.errors.TaxError` naming the zone, the category and the time. It is
      never silently zero.
    - *The time.* The rule in force at ``request.at``, by its validity read in the zone's
      time zone: a rate change happens at local midnight.

    Shipping with a tax category is looked up the same way. Tax lines whose rate names no
    source carry ``source``. The amounts follow :func:`~commercekit.tax.compute_tax`.

    >>> from datetime import UTC, datetime
    >>> table = TaxRuleTable(
    ...     [TaxZone("DE", "DE", timezone="Europe/Berlin")],
    ...     [TaxRule("DE", "standard", TaxRate("VAT", "0.19"))],
    ... )
    >>> table.zone_for(Address("DE")).id
    'DE'
    >>> table.rule_at("DE", "standard", datetime(2026, 1, 1, tzinfo=UTC)).rates[0].rate
    Decimal('0.19')
    """

    #: The zones, in declaration order (the last tie-break).
    zones: tuple[TaxZone, ...] = attrs.field(converter=_zones)
    #: The rules.
    rules: tuple[TaxRule, ...] = attrs.field(converter=_rules)
    #: The source recorded on tax lines whose rate names none.
    source: str = attrs.field(default="rules", kw_only=True, converter=_source)
    _index: dict[tuple[str, str], _Timeline] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        by_id: dict[str, TaxZone] = {}
        for zone in self.zones:
            if zone.id in by_id:
                raise TaxTableError(f"two zones have the id {zone.id!r}")
            by_id[zone.id] = zone
        grouped: dict[tuple[str, str], list[tuple[datetime, datetime | None, int]]] = {}
        for number, rule in enumerate(self.rules):
            owner = by_id.get(rule.zone)
            if owner is None:
                raise TaxTableError(f"rules[{number}] {rule.describe()} names unknown zone")
            start, end = rule.window(owner.tzinfo)
            start = _BEGINNING if start is None else start
            if end is not None and start >= end:
                raise TaxTableError(
                    f"rules[{number}] {rule.describe()} must end after it starts"
                    f" (read in {owner.timezone})"
                )
            grouped.setdefault((rule.zone, rule.category), []).append((start, end, number))
        index: dict[tuple[str, str], _Timeline] = {}
        for key, spans in grouped.items():
            spans.sort(key=lambda span: (span[0], span[2]))
            for (_, end, first), (start, _, second) in pairwise(spans):
                if end is None or end > start:
                    raise TaxTableError(
                        f"rules[{first}] {self.rules[first].describe()} and rules[{second}]"
                        f" {self.rules[second].describe()} overlap: one zone and category"
                        " has one rule in force at a time"
                    )
            index[key] = _Timeline(
                [start for start, _, _ in spans],
                [end for _, end, _ in spans],
                [self.rules[number] for _, _, number in spans],
                [ItemRates(self.rules[number].rates) for _, _, number in spans],
            )
        object.__setattr__(self, "_index", index)

    def zone_for(self, address: Address) -> TaxZone | None:
        """The zone ``address`` is taxed in, by the precedence in the class docs, or ``None``."""
        best: TaxZone | None = None
        best_rank: tuple[int, int] | None = None
        for zone in self.zones:
            if not zone.matches(address):
                continue
            rank = (zone.specificity, zone.priority)
            if best_rank is None or rank > best_rank:  # strictly: a tie keeps the earlier zone
                best, best_rank = zone, rank
        return best

    def rule_at(self, zone: str, category: str, at: datetime) -> TaxRule | None:
        """The rule of ``category`` in force in zone ``zone`` at ``at`` (aware), or ``None``.

        No fallback to ``"standard"`` here: this is the table as written.
        """
        timeline = self._index.get((zone, category))
        if timeline is None:
            return None
        index = timeline.at(ensure_utc(at))
        return None if index is None else timeline.rules[index]

    def _rates_in(self, zone: TaxZone, category: str, at: datetime) -> ItemRates:
        if category == _EXEMPT:
            return _NO_RATES
        for wanted in (category, _STANDARD):
            timeline = self._index.get((zone.id, wanted))
            if timeline is not None:
                index = timeline.at(at)
                if index is not None:
                    found = timeline.rates[index]
                    if category == _ZERO and wanted == _STANDARD:
                        # Zero-rated without a rule of its own: the standard taxes at 0%.
                        return ItemRates(zero_rated(found.rates))
                    return found
        local = at.astimezone(zone.tzinfo).isoformat()
        raise TaxError(
            f"no tax rule in force in zone {zone.id!r} for category {category!r}, nor a"
            f" 'standard' one, at {at.isoformat()} ({local} {zone.timezone})"
        )

    def calculate(self, request: TaxRequest) -> TaxResult:
        """Tax every item by its zone, category and the time (see the class docs)."""
        destination = request.destination
        if destination is None:
            raise TaxAddressError(
                f"tax table {self.source!r} needs a destination: the cart has neither a"
                " shipping nor a billing address"
            )
        zone = self.zone_for(destination)
        if zone is None:
            outside = TaxNote(
                "outside_zones",
                f"{_where(destination)} is outside every zone of tax table {self.source!r}: no tax",
            )
            return compute_tax(request, lambda _: _NO_RATES, source=self.source, notes=[outside])
        at = ensure_utc(request.at)
        found: dict[str, ItemRates] = {}

        def rates_for(item: TaxableItem) -> ItemRates:
            category = _STANDARD if item.tax_category is None else item.tax_category
            rates = found.get(category)
            if rates is None:
                rates = found[category] = self._rates_in(zone, category, at)
            return rates

        return compute_tax(request, rates_for, source=self.source)
