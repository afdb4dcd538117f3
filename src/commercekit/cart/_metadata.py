"""Metadata: the host's free-form text on carts and lines, as a read-only, hashable mapping."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import final

from commercekit.errors import ValidationError

__all__ = ["Metadata", "to_metadata"]


@final
class Metadata(Mapping[str, str]):
    """A read-only mapping of text to text (gift messages, engraving, a source app).

    Compares equal to any mapping with the same items and hashes by its items, so carts that
    carry it stay hashable values; there is no way to change it in place: build a new one
    (``Metadata({**old, "key": "value"})``) or let :meth:`~commercekit.cart.Cart.add` merge.

    >>> note = Metadata({"gift": "yes"})
    >>> note["gift"], note == {"gift": "yes"}, dict(note)
    ('yes', True, {'gift': 'yes'})
    >>> note["gift"] = "no"
    Traceback (most recent call last):
    ...
    TypeError: 'Metadata' object does not support item assignment
    """

    __slots__ = ("_items",)

    _items: dict[str, str]

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        data: dict[str, str] = {}
        for key, value in pairs:
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValidationError(f"metadata must map text to text, got {key!r}: {value!r}")
            data[key] = value
        object.__setattr__(self, "_items", data)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Metadata is read-only; cannot set {name!r}")

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._items == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"Metadata({self._items!r})"

    def __reduce__(self) -> tuple[type[Metadata], tuple[dict[str, str]]]:
        return Metadata, (dict(self._items),)


def to_metadata(value: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> Metadata:
    """``value`` as :class:`Metadata` (``None`` is empty); the same object if it already is."""
    if isinstance(value, Metadata):
        return value
    return Metadata(() if value is None else value)
