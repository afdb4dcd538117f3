"""What a tax calculator answers: tax lines with amounts, per item, and notes for the invoice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from commercekit.errors import ValidationError
from commercekit.money import CTX, Currency, Money

__all__ = ["ItemTax", "TaxLine", "TaxNote", "TaxResult"]


@attrs.frozen
class TaxLine:
    """One tax on one item (a cart line or shipping), with the source that computed it.

    The same value appears in a calculator's :class:`TaxResult` and in the cart's breakdown.
    """

    #: The tax's name (``"VAT"``, ``"County tax"``).
    name: str
    #: Where it is levied (``"FR"``, ``"US-CA"``), or empty.
    jurisdiction: str
    #: The rate as a fraction (as the source reported it).
    rate: Decimal
    #: The tax amount, in minor units, never negative.
    amount_minor: int
    #: The currency.
    currency: Currency
    #: Whether it was levied on the amount plus the item's other taxes.
    compound: bool = False
    #: Who computed it (``"flat"``, ``"eu-vat:TEDB:2026-01-01"``, ``"taxjar"``).
    source: str = ""

    @property
    def amount(self) -> Money:
        """The tax amount."""
        return Money.from_trusted(
            Decimal(self.amount_minor).scaleb(-self.currency.minor_units, CTX), self.currency
        )


@attrs.frozen
class ItemTax:
    """The taxes on one item, and what the buyer's tax situation changed in its price.

    ``adjustment_minor`` is zero except with tax-inclusive prices when the price is restated:
    for an exempt or zero-rated buyer it is minus the tax the shelf price includes (the buyer
    pays the net price); when a shop keeps net prices constant across destination rates it is
    the difference the destination's rate makes.
    """

    #: The item's key (a line id or ``"shipping"``).
    key: str
    #: The taxes, in the order they apply.
    lines: tuple[TaxLine, ...] = ()
    #: The change to the item's tax-inclusive price, in minor units (see above).
    adjustment_minor: int = 0

    @property
    def total_minor(self) -> int:
        """The sum of the tax lines."""
        return sum(line.amount_minor for line in self.lines)


@attrs.frozen
class TaxNote:
    """A fact about the tax treatment that belongs on the invoice or in the audit trail.

    ``code`` is stable and machine-readable (``"reverse_charge"``, ``"export"``,
    ``"vat_id_invalid"``, ``"no_registration"``, ``"fallback"``); ``text`` is for people.
    """

    #: A stable, machine-readable word.
    code: str
    #: The note as shown on an invoice or in a log.
    text: str


def _items(value: Iterable[ItemTax] | Mapping[str, ItemTax]) -> tuple[ItemTax, ...]:
    items = tuple(value.values()) if isinstance(value, Mapping) else tuple(value)
    if not all(type(item) is ItemTax for item in items):
        wrong = next(item for item in items if not isinstance(item, ItemTax))
        raise ValidationError(f"expected ItemTax, got {wrong!r}")
    if len({item.key for item in items}) != len(items):
        seen: set[str] = set()
        for item in items:
            if item.key in seen:
                raise ValidationError(f"a tax result answers item {item.key!r} twice")
            seen.add(item.key)
    return items


def _notes(value: Iterable[TaxNote]) -> tuple[TaxNote, ...]:
    notes = tuple(value)
    for note in notes:
        if not isinstance(note, TaxNote):
            raise ValidationError(f"expected TaxNote, got {note!r}")
    return notes


@attrs.frozen
class TaxResult:
    """A calculator's answer for one :class:`~commercekit.tax.TaxRequest`.

    Items without tax may be left out. ``notes`` explain the treatment (a reverse charge, an
    export, a VAT id treated as invalid and why).
    """

    #: The taxes per item.
    items: tuple[ItemTax, ...] = attrs.field(default=(), converter=_items)
    #: Notes for the invoice and the audit trail.
    notes: tuple[TaxNote, ...] = attrs.field(default=(), converter=_notes)

    def for_item(self, key: str) -> ItemTax | None:
        """The taxes on item ``key``, or ``None``."""
        for item in self.items:
            if item.key == key:
                return item
        return None
