"""The Cart value: lines keyed by SKU and options, customer or guest, channel, currency."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import attrs

from commercekit.address import Address
from commercekit.cart._metadata import Metadata, to_metadata
from commercekit.cart._quantity import Quantity, add_quantities, check_quantity
from commercekit.errors import CurrencyMismatchError, UnknownLineError, ValidationError
from commercekit.money import Currency, Money, get_currency
from commercekit.pricing import normalize_code
from commercekit.rules import check_customer_id, check_identifier, check_sku

__all__ = ["Cart", "CartLine", "line_id", "merge_carts"]

Options = tuple[tuple[str, str], ...]


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{what} must be non-empty text, got {value!r}")
    return value


def _options(value: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> Options:
    if value is None:
        return ()
    pairs = value.items() if isinstance(value, Mapping) else value
    result: dict[str, str] = {}
    for key, option in pairs:
        _text(key, "an option name")
        if not isinstance(option, str):
            raise ValidationError(f"option {key!r} must be text, got {option!r}")
        if key in result:
            raise ValidationError(f"option {key!r} given twice")
        result[key] = option
    return tuple(sorted(result.items()))


def line_id(sku: str, options: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> str:
    """The id of the line holding ``sku`` with ``options``: unique per line key, readable.

    >>> line_id("TSHIRT"), line_id("TSHIRT", {"size": "M", "colour": "red"})
    ('TSHIRT', 'TSHIRT?colour=red&size=M')
    """
    pairs = _options(options)
    head = quote(check_sku(sku), safe="")
    if not pairs:
        return head
    return head + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _check_quantity(value: Any) -> Quantity:
    return check_quantity(value)


def _sku(value: str) -> str:
    return check_sku(value)


def _cart_id(value: str) -> str:
    return check_identifier(value, name="cart id")


def _customer_id(value: str | None) -> str | None:
    return None if value is None else check_customer_id(value)


def _lines(value: Iterable[CartLine]) -> tuple[CartLine, ...]:
    return tuple(value)


@attrs.frozen
class CartLine:
    """One line of a cart: a SKU with its options (together, the line's key) and a quantity.

    ``seen_unit_price`` is the unit price the customer was shown, kept to report changes
    (:func:`~commercekit.cart.price_changes`). ``metadata`` is the host's (gift messages,
    engraving text), a read-only :class:`~commercekit.cart.Metadata`; pricing ignores it.
    """

    #: The product.
    sku: str = attrs.field(converter=_sku)
    #: Whole units (``int``) or a measure (``Decimal``) for products sold by measure.
    quantity: Quantity = attrs.field(converter=_check_quantity)
    #: Options that make this line distinct from others of the same SKU, sorted by name.
    options: Options = attrs.field(default=(), converter=_options)
    #: The host's free-form data (read-only).
    metadata: Metadata = attrs.field(factory=Metadata, converter=to_metadata)
    #: The unit price the customer saw, or ``None``.
    seen_unit_price: Money | None = None

    @functools.cached_property
    def id(self) -> str:
        """The line's id, derived from SKU and options (see :func:`line_id`)."""
        return line_id(self.sku, self.options)


def _coupons(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationError("coupons must be a sequence of codes, not one string")
    result: list[str] = []
    for code in value:
        normalized = normalize_code(code)
        if normalized not in result:
            result.append(normalized)
    return tuple(result)


def _new_id() -> str:
    return uuid.uuid4().hex


@attrs.frozen(kw_only=True)
class Cart:
    """A shopping cart, as an immutable value: every change returns a new cart.

    ``id`` and ``version`` are what a store persists the cart under; ``version`` is 0 until
    the cart is first stored and is advanced by the store on each save (optimistic
    concurrency), never by the methods here.

    >>> from decimal import Decimal
    >>> cart = Cart(currency="USD", id="c1").add("MUG", 2).add("MUG", 1)
    >>> cart = cart.add("TEA", Decimal("0.5"))
    >>> [(line.id, line.quantity) for line in cart.lines]
    [('MUG', 3), ('TEA', Decimal('0.5'))]
    >>> cart.remove("TEA").set_quantity("MUG", 1).lines[0].quantity
    1
    """

    #: The cart's identity in the store.
    id: str = attrs.field(factory=_new_id, converter=_cart_id)
    #: The one currency every price and total of the cart is in.
    currency: Currency = attrs.field(converter=get_currency)
    #: The lines, in the order they were first added (order never changes totals).
    lines: tuple[CartLine, ...] = attrs.field(default=(), converter=_lines)
    #: The sales channel (selects price lists).
    channel: str = "default"
    #: The customer's id, or ``None`` for a guest cart.
    customer_id: str | None = attrs.field(default=None, converter=_customer_id)
    #: Coupon codes applied, normalized, in the order they were applied.
    coupons: tuple[str, ...] = attrs.field(default=(), converter=_coupons)
    #: Where the order ships to, or ``None``.
    shipping_address: Address | None = None
    #: Where the invoice goes, or ``None``.
    billing_address: Address | None = None
    #: The host's free-form data (read-only).
    metadata: Metadata = attrs.field(factory=Metadata, converter=to_metadata)
    #: The stored version (0: never stored).
    version: int = 0

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for line in self.lines:
            if not isinstance(line, CartLine):
                raise ValidationError(f"expected CartLine, got {line!r}")
            if line.id in seen:
                raise ValidationError(f"two lines with the same key {line.id!r}")
            seen.add(line.id)
            self._check_money(line.seen_unit_price)
        if self.version.__class__ is not int or self.version < 0:
            raise ValidationError(f"version must be a non-negative int, got {self.version!r}")

    def _check_money(self, money: Money | None) -> None:
        if money is not None and money.currency is not self.currency:
            raise CurrencyMismatchError(
                self.currency.code,
                money.currency.code,
                message=f"a line priced in {money.currency.code} cannot go in a cart in "
                f"{self.currency.code}: currencies differ",
            )

    @property
    def is_guest(self) -> bool:
        """Whether the cart belongs to no customer yet."""
        return self.customer_id is None

    def line(self, line_id_: str) -> CartLine:
        """The line with id ``line_id_``; an unknown id is an UnknownLineError."""
        for line in self.lines:
            if line.id == line_id_:
                return line
        raise UnknownLineError(line_id_)

    def add(
        self,
        sku: str,
        quantity: Quantity = 1,
        *,
        options: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        seen_unit_price: Money | None = None,
    ) -> Cart:
        """Add ``quantity`` of ``sku`` with ``options``; an existing line of that key grows.

        On an existing line, ``metadata`` keys are updated and ``seen_unit_price`` replaces
        the old one when given.
        """
        new = CartLine(sku, quantity, options or (), to_metadata(metadata), seen_unit_price)
        self._check_money(seen_unit_price)
        lines = list(self.lines)
        for index, line in enumerate(lines):
            if line.id == new.id:
                lines[index] = _combine(line, new)
                return attrs.evolve(self, lines=lines)
        lines.append(new)
        return attrs.evolve(self, lines=lines)

    def set_quantity(self, line_id_: str, quantity: Quantity) -> Cart:
        """Set the quantity of line ``line_id_`` (use :meth:`remove` to drop it)."""
        checked = check_quantity(quantity)
        old = self.line(line_id_)
        return self._replace(old, attrs.evolve(old, quantity=checked))

    def remove(self, line_id_: str) -> Cart:
        """Drop line ``line_id_``."""
        old = self.line(line_id_)
        return attrs.evolve(self, lines=[line for line in self.lines if line is not old])

    def apply_coupon(self, code: str) -> Cart:
        """Add a coupon code (normalized; applying one twice keeps one).

        Whether it is accepted is decided when the cart is priced (see
        :attr:`~commercekit.cart.Breakdown.coupons`).
        """
        return attrs.evolve(self, coupons=(*self.coupons, code))

    def remove_coupon(self, code: str) -> Cart:
        """Drop a coupon code (absent codes are ignored)."""
        normalized = normalize_code(code)
        return attrs.evolve(self, coupons=[c for c in self.coupons if c != normalized])

    def with_seen_prices(self, prices: Mapping[str, Money]) -> Cart:
        """Record the unit prices the customer was shown, by line id.

        Typically from a breakdown: ``cart.with_seen_prices(breakdown.unit_prices())``.
        """
        lines = []
        for line in self.lines:
            price = prices.get(line.id)
            if price is not None:
                self._check_money(price)
                line = attrs.evolve(line, seen_unit_price=price)
            lines.append(line)
        return attrs.evolve(self, lines=lines)

    def _replace(self, old: CartLine, new: CartLine) -> Cart:
        return attrs.evolve(self, lines=[new if line is old else line for line in self.lines])


def _combine(line: CartLine, other: CartLine) -> CartLine:
    return attrs.evolve(
        line,
        quantity=add_quantities(line.quantity, other.quantity),
        metadata=Metadata({**line.metadata, **other.metadata}),
        seen_unit_price=other.seen_unit_price or line.seen_unit_price,
    )


def merge_carts(guest: Cart, customer: Cart) -> Cart:
    """Merge a guest cart into a customer's cart, as when a shopper signs in.

    The result is the customer's cart (its ``id``, ``version``, ``customer_id`` and
    ``channel``) holding:

    - its own lines first, in their order, then the guest's lines it did not have;
    - for a line key in both, the quantities summed, the metadata merged (the guest's values
      win), and the guest's seen price when it has one (it is the more recent);
    - the coupons of both, the customer's first;
    - the customer's addresses, or the guest's where the customer has none.

    Carts in different currencies are a CurrencyMismatchError; a summed quantity over the
    maximum is an InvalidQuantityError. Whether the coupons still apply is decided when the
    merged cart is priced.

    >>> guest = Cart(id="g", currency="EUR").add("MUG", 1).add("TEA").apply_coupon("hello")
    >>> mine = Cart(id="c", currency="EUR", customer_id="ada").add("MUG", 2)
    >>> merged = merge_carts(guest, mine)
    >>> merged.id, [(l.sku, l.quantity) for l in merged.lines], merged.coupons
    ('c', [('MUG', 3), ('TEA', 1)], ('HELLO',))
    """
    if guest.currency is not customer.currency:
        raise CurrencyMismatchError(customer.currency.code, guest.currency.code, "merge carts")
    lines = list(customer.lines)
    index = {line.id: position for position, line in enumerate(lines)}
    for line in guest.lines:
        position = index.get(line.id)
        if position is None:
            index[line.id] = len(lines)
            lines.append(line)
        else:
            lines[position] = _combine(lines[position], line)
    return attrs.evolve(
        customer,
        lines=lines,
        coupons=(*customer.coupons, *guest.coupons),
        shipping_address=customer.shipping_address or guest.shipping_address,
        billing_address=customer.billing_address or guest.billing_address,
    )
