"""Reporting collected tax: the transactions a tax service files, and the port that sends them.

After an order commits (or a refund is made) the checkout hands a :class:`TaxTransaction` to a
:class:`TaxReporter`. The values follow TaxJar's transaction model, the common denominator of
the tax services: ``amount`` is the total *with* shipping and *without* tax, and when lines
are given it must equal the sum of ``quantity x unit_price - discount`` over the lines plus
shipping (TaxJar refuses anything else with ``400 "amount must be equal to the sum of line
items and shipping, excluding sales tax"`` since API version 2020-08-07). All amounts are
non-negative minor units; a refund states what is given back, and the adapter signs it.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from commercekit.address import Address
from commercekit.errors import IdempotencyConflictError, ValidationError
from commercekit.money import Currency, get_currency
from commercekit.rules import check_count, check_identifier, check_text
from commercekit.tax._request import SHIPPING_ITEM, TaxRequest
from commercekit.tax._result import TaxResult

__all__ = [
    "InMemoryTaxReporter",
    "TaxReporter",
    "TaxTransaction",
    "TaxTransactionLine",
    "TransactionKind",
    "per_unit",
]


class TransactionKind(enum.StrEnum):
    """Whether a transaction records a sale or gives (part of) one back."""

    ORDER = "order"
    REFUND = "refund"


def per_unit(subtotal_minor: int, quantity: int | Decimal) -> tuple[int, int]:
    """``(quantity, unit_price_minor)`` stating ``subtotal_minor`` in whole units exactly.

    Tax services take whole quantities and a unit price, and check that quantity x unit price
    gives the line back. A line whose subtotal splits evenly keeps its quantity; any other
    line (sold by measure, or priced finer than the minor unit) is stated as one unit at its
    subtotal, so the arithmetic still holds. Per-unit thresholds (New York's clothing under
    USD 110 an item) then apply to that line as a whole.

    >>> per_unit(3000, 3), per_unit(1000, 3), per_unit(313, Decimal("250.2"))
    ((3, 1000), (1, 1000), (1, 313))
    """
    if isinstance(quantity, int) and quantity > 0 and subtotal_minor % quantity == 0:
        return quantity, subtotal_minor // quantity
    return 1, subtotal_minor


def _minor(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{attribute.name} is a whole number of minor units, got {value!r}")
    if value < 0:
        raise ValidationError(
            f"{attribute.name} must not be negative, got {value}: a refund states what it gives"
            " back as positive amounts, and the reporter signs them"
        )


# Named converters: mypy's attrs plugin types no other kind.
def _optional_id(value: str | None, name: str) -> str | None:
    return None if value is None else check_identifier(value, name=name)


def _line_id(value: str) -> str:
    return check_identifier(value, name="line id")


def _transaction_id(value: str) -> str:
    return check_identifier(value, name="transaction id")


def _product_tax_code(value: str | None) -> str | None:
    return _optional_id(value, "product tax code")


def _sku(value: str | None) -> str | None:
    return _optional_id(value, "sku")


def _customer_id(value: str | None) -> str | None:
    return _optional_id(value, "customer id")


def _reference_id(value: str | None) -> str | None:
    return _optional_id(value, "reference id")


def _description(value: str | None) -> str | None:
    return None if value is None else check_text(value, name="description", required=True)


def _quantity(value: int) -> int:
    return check_count(value, name="transaction line quantity")


@attrs.frozen
class TaxTransactionLine:
    """One line of a reported transaction: what was sold (or given back) and its tax.

    The line's amount is ``quantity x unit_price_minor - discount_minor``; ``sales_tax_minor``
    is the tax collected on it (the total for the line, not per unit).
    """

    #: The line's id (the cart line id).
    id: str = attrs.field(converter=_line_id)
    #: Whole units (see :func:`per_unit` for lines sold by measure).
    quantity: int = attrs.field(converter=_quantity)
    #: The service's product tax code (TaxJar's ``"20010"`` for clothing), or ``None``.
    product_tax_code: str | None = attrs.field(converter=_product_tax_code)
    #: The price of one unit, in minor units.
    unit_price_minor: int = attrs.field(validator=_minor)
    #: The discount on the whole line, in minor units.
    discount_minor: int = attrs.field(default=0, validator=_minor)
    #: The tax collected on the whole line, in minor units.
    sales_tax_minor: int = attrs.field(default=0, validator=_minor)
    #: The product's SKU (TaxJar's ``product_identifier``), or ``None``.
    sku: str | None = attrs.field(default=None, converter=_sku)
    #: A description for the filing (TaxJar keeps up to 255 characters), or ``None``.
    description: str | None = attrs.field(default=None, converter=_description)

    def __attrs_post_init__(self) -> None:
        if self.discount_minor > self.quantity * self.unit_price_minor:
            raise ValidationError(
                f"line {self.id!r}: a discount of {self.discount_minor} exceeds the line's"
                f" {self.quantity} x {self.unit_price_minor}"
            )
        if self.description is not None and len(self.description) > 255:
            raise ValidationError(f"line {self.id!r}: a description holds at most 255 characters")

    @property
    def amount_minor(self) -> int:
        """What the line comes to before tax: quantity x unit price - discount."""
        return self.quantity * self.unit_price_minor - self.discount_minor


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError(f"a transaction's time is a timezone-aware datetime, got {value!r}")
    return value


def _address(value: Address) -> Address:
    if not isinstance(value, Address):
        raise ValidationError(f"expected an Address, got {value!r}")
    return value


def _optional_address(value: Address | None) -> Address | None:
    return None if value is None else _address(value)


def _lines(value: Iterable[TaxTransactionLine]) -> tuple[TaxTransactionLine, ...]:
    lines = tuple(value)
    seen: set[str] = set()
    for line in lines:
        if not isinstance(line, TaxTransactionLine):
            raise ValidationError(f"expected TaxTransactionLine, got {line!r}")
        if line.id in seen:
            raise ValidationError(f"a transaction holds line {line.id!r} twice")
        seen.add(line.id)
    return lines


@attrs.frozen
class TaxTransaction:
    """An order or a refund as a tax service records it for filing.

    ``amount_minor`` is the total with shipping and without tax (TaxJar's ``amount``);
    ``sales_tax_minor`` the tax collected, shipping's tax included, so the lines' taxes may
    add up to less. A refund names the order it gives back in ``reference_id`` and has an id
    of its own. Refund amounts are positive here; the reporter signs them as its service wants.
    """

    #: The transaction's own id (the order id; for a refund, the refund's id).
    transaction_id: str = attrs.field(converter=_transaction_id)
    #: Whether it is an order or a refund.
    kind: TransactionKind = attrs.field(converter=TransactionKind)
    #: When it happened (timezone-aware).
    at: datetime = attrs.field(converter=_aware)
    #: The currency of every amount.
    currency: Currency = attrs.field(converter=get_currency)
    #: Where the goods left from, or ``None`` (the service uses the address on file).
    ship_from: Address | None = attrs.field(converter=_optional_address)
    #: Where the goods went.
    ship_to: Address = attrs.field(converter=_address)
    #: The total with shipping, without tax, in minor units.
    amount_minor: int = attrs.field(validator=_minor)
    #: The shipping charged, in minor units.
    shipping_minor: int = attrs.field(validator=_minor)
    #: The tax collected, in minor units.
    sales_tax_minor: int = attrs.field(validator=_minor)
    #: The lines (optional for the services, but what makes product exemptions reportable).
    lines: tuple[TaxTransactionLine, ...] = attrs.field(default=(), converter=_lines)
    #: The customer's id (for exemptions kept at the service), or ``None``.
    customer_id: str | None = attrs.field(default=None, converter=_customer_id)
    #: For a refund: the transaction id of the order it gives back.
    reference_id: str | None = attrs.field(default=None, converter=_reference_id)

    def __attrs_post_init__(self) -> None:
        tid = self.transaction_id
        if self.kind is TransactionKind.REFUND:
            if self.reference_id is None:
                raise ValidationError(f"refund {tid!r} needs reference_id: the order it refunds")
            if self.reference_id == tid:
                raise ValidationError(f"refund {tid!r} needs an id of its own, not its order's")
        elif self.reference_id is not None:
            raise ValidationError(f"order {tid!r} has a reference_id: only a refund has one")
        if self.shipping_minor > self.amount_minor:
            raise ValidationError(f"{tid!r}: shipping exceeds the amount, which includes it")
        if self.lines:
            lines_total = sum(line.amount_minor for line in self.lines)
            if lines_total + self.shipping_minor != self.amount_minor:
                raise ValidationError(
                    f"{tid!r}: amount_minor {self.amount_minor} must equal the lines"
                    f" ({lines_total}) plus shipping ({self.shipping_minor})"
                )
            line_tax = sum(line.sales_tax_minor for line in self.lines)
            if line_tax > self.sales_tax_minor:
                raise ValidationError(
                    f"{tid!r}: the lines' tax ({line_tax}) exceeds sales_tax_minor"
                    f" ({self.sales_tax_minor})"
                )

    @classmethod
    def from_tax(
        cls,
        transaction_id: str,
        request: TaxRequest,
        result: TaxResult,
        *,
        kind: TransactionKind = TransactionKind.ORDER,
        at: datetime | None = None,
        reference_id: str | None = None,
        product_tax_codes: Mapping[str, str] | None = None,
    ) -> TaxTransaction:
        """The transaction that reports exactly what ``result`` charged on ``request``.

        Lines come from the request's items (quantities by :func:`per_unit`), their tax from
        the result; shipping's tax is in the total only. ``product_tax_codes`` maps tax
        categories to the service's codes (as :class:`~commercekit.tax.TaxJar` was given).
        """
        destination = request.destination
        if destination is None:
            raise ValidationError("a reported transaction needs the address the goods went to")
        codes = product_tax_codes or {}
        lines = []
        for item in request.items:
            quantity, unit = per_unit(item.subtotal_minor, item.quantity)
            taxed = result.for_item(item.key)
            code = None if item.tax_category is None else codes.get(item.tax_category)
            lines.append(
                TaxTransactionLine(
                    item.key,
                    quantity,
                    code,
                    unit,
                    item.discount_minor,
                    0 if taxed is None else taxed.total_minor,
                    sku=item.sku,
                )
            )
        shipping = 0 if request.shipping is None else request.shipping.amount_minor
        shipping_tax = result.for_item(SHIPPING_ITEM)
        tax = sum(line.sales_tax_minor for line in lines)
        tax += 0 if shipping_tax is None else shipping_tax.total_minor
        return cls(
            transaction_id,
            kind,
            request.at if at is None else at,
            request.currency,
            request.ship_from,
            destination,
            sum(line.amount_minor for line in lines) + shipping,
            shipping,
            tax,
            tuple(lines),
            customer_id=request.buyer.customer_id,
            reference_id=reference_id,
        )


@runtime_checkable
class TaxReporter(Protocol):
    """Records collected tax with a tax service for filing (a port).

    The checkout calls :meth:`report_order` after an order commits and :meth:`report_refund`
    after a refund is made. Both are idempotent on ``transaction_id``: reporting the same
    transaction again is done, not an error, so a retry after a crash or a timeout is safe.
    A failure raises a :class:`~commercekit.errors.GatewayError`, or
    :class:`~commercekit.errors.OutcomeUnknownError` when a request went out and no answer
    came (report again: the service recognizes the duplicate).
    """

    def report_order(self, transaction: TaxTransaction) -> None:
        """Record an order transaction."""
        ...

    def report_refund(self, transaction: TaxTransaction) -> None:
        """Record a refund transaction."""
        ...


def check_kind(transaction: object, kind: TransactionKind) -> TaxTransaction:
    """``transaction`` if it is a :class:`TaxTransaction` of ``kind``; else a ValidationError."""
    if not isinstance(transaction, TaxTransaction):
        raise ValidationError(f"expected a TaxTransaction, got {transaction!r}")
    if transaction.kind is not kind:
        raise ValidationError(
            f"{transaction.transaction_id!r} is a {transaction.kind} transaction, reported as"
            f" a {kind}: use report_{transaction.kind}"
        )
    return transaction


class InMemoryTaxReporter:
    """The reference :class:`TaxReporter`: keeps what it is given, in order (for tests).

    Idempotent on ``transaction_id``: the same transaction again changes nothing; a different
    one under a used id is an :class:`~commercekit.errors.IdempotencyConflictError`. A refund
    must reference an order reported before, in the same currency, which catches a checkout
    that reports a refund first. Thread-safe.

    >>> InMemoryTaxReporter().transactions
    ()
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, TaxTransaction] = {}

    @property
    def transactions(self) -> tuple[TaxTransaction, ...]:
        """Every transaction recorded, in the order it was first reported."""
        with self._lock:
            return tuple(self._by_id.values())

    @property
    def orders(self) -> tuple[TaxTransaction, ...]:
        """The order transactions recorded."""
        return tuple(t for t in self.transactions if t.kind is TransactionKind.ORDER)

    @property
    def refunds(self) -> tuple[TaxTransaction, ...]:
        """The refund transactions recorded."""
        return tuple(t for t in self.transactions if t.kind is TransactionKind.REFUND)

    def report_order(self, transaction: TaxTransaction) -> None:
        """Record an order (again: nothing changes)."""
        self._record(check_kind(transaction, TransactionKind.ORDER))

    def report_refund(self, transaction: TaxTransaction) -> None:
        """Record a refund of an order reported before (again: nothing changes)."""
        self._record(check_kind(transaction, TransactionKind.REFUND))

    def _record(self, transaction: TaxTransaction) -> None:
        tid = transaction.transaction_id
        with self._lock:
            known = self._by_id.get(tid)
            if known is not None:
                if known != transaction:
                    raise IdempotencyConflictError(
                        f"transaction {tid!r} was reported before with different contents"
                    )
                return
            if transaction.kind is TransactionKind.REFUND:
                order = self._by_id.get(transaction.reference_id or "")
                if order is None or order.kind is not TransactionKind.ORDER:
                    raise ValidationError(
                        f"refund {tid!r} references {transaction.reference_id!r}, which is no"
                        " reported order: report the order first"
                    )
                if order.currency != transaction.currency:
                    raise ValidationError(
                        f"refund {tid!r} is in {transaction.currency}, its order in"
                        f" {order.currency}"
                    )
            self._by_id[tid] = transaction
