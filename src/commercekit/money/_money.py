"""The Money value: a Decimal amount in one ISO 4217 currency."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NoReturn, cast

from commercekit.errors import CurrencyMismatchError, InvalidAmountError, MalformedAmountError
from commercekit.money._context import CTX, MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS
from commercekit.money._currency import Currency, get_currency

if TYPE_CHECKING:
    import moneyed

__all__ = ["Money", "sum_money", "to_decimal"]

_ctx_add = CTX.add
_ctx_subtract = CTX.subtract
_ctx_multiply = CTX.multiply
_new = object.__new__


def to_decimal(value: object) -> Decimal:
    """Convert an amount given as ``Decimal``, ``int`` or numeric text to a finite Decimal.

    This is the one gate for amounts and quantities entering commercekit:

    - a ``float`` or ``bool`` is an :class:`~commercekit.errors.InvalidAmountError` (a
      ``TypeError``): floats cannot hold most decimal amounts exactly;
    - NaN, infinities, unparsable text and values beyond 30 integer or 30 fractional digits
      are a :class:`~commercekit.errors.MalformedAmountError` (a ``ValueError``).

    >>> to_decimal("19.99")
    Decimal('19.99')
    """
    cls = value.__class__
    if cls is Decimal:
        result: Decimal = value  # type: ignore[assignment]
    elif cls is int:
        result = Decimal(value)  # type: ignore[arg-type]
    elif cls is str:
        text: str = value  # type: ignore[assignment]
        try:
            # Decimal also takes "1_000" and non-ASCII digits ("١٢"); amounts in text are
            # plain ASCII so that what a person reads is what is charged.
            if "_" in text or not text.isascii():
                raise InvalidOperation
            result = CTX.create_decimal(text.strip())
        except InvalidOperation:
            raise MalformedAmountError(f"not a decimal number: {text!r}") from None
    elif isinstance(value, bool):
        raise InvalidAmountError(f"a bool is not an amount: {value!r}")
    elif isinstance(value, float):
        raise InvalidAmountError(
            f"floats are refused for money ({value!r} cannot be represented exactly); "
            'pass a Decimal, an int or a string such as "0.10"'
        )
    elif isinstance(value, Decimal | int):
        result = Decimal(value)
    else:
        raise InvalidAmountError(f"not an amount: {value!r} ({cls.__name__})")
    if not result.is_finite():
        raise MalformedAmountError(f"amount must be finite, got {result}")
    if result:
        if result.adjusted() >= MAX_INTEGER_DIGITS:
            raise MalformedAmountError(
                f"amount {result} is out of range (at most {MAX_INTEGER_DIGITS} integer digits)"
            )
        exponent = result.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
            raise MalformedAmountError(
                f"amount {result} has more than {MAX_FRACTION_DIGITS} fractional digits"
            )
    return result


def _mismatch(left: Money, right: Money, operation: str) -> NoReturn:
    raise CurrencyMismatchError(left.currency.code, right.currency.code, operation)


def _from_moneyed_or_fail(value: object) -> Money:
    # py-moneyed values are converted on the slow path; anything else is a type error.
    if _is_moneyed(value):
        return Money.from_moneyed(cast("moneyed.Money", value))
    raise InvalidAmountError(
        f"expected Money, got {value!r} ({type(value).__name__}); "
        "use Money(amount, currency) or compare .amount"
    )


def _is_moneyed(value: object) -> bool:
    cls = type(value)
    return cls.__module__.startswith("moneyed") and hasattr(value, "currency")


class Money:
    """An exact amount in one ISO 4217 currency.

    The amount is a :class:`~decimal.Decimal`; it may be finer than the currency's minor unit
    (a price per gram), and is rounded only where a caller asks for it
    (:func:`~commercekit.money.quantize`). Arithmetic runs in commercekit's own decimal context,
    so the host's ambient context never changes a result.

    >>> Money("19.99", "USD") * 3
    Money('59.97', 'USD')
    >>> Money("1000", "JPY").currency.minor_units
    0
    >>> Money(0.1, "USD")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    commercekit.errors.InvalidAmountError: floats are refused for money (0.1 cannot ...

    Money interoperates with py-moneyed: the constructor takes a ``moneyed.Currency``,
    :meth:`from_moneyed` and :meth:`to_moneyed` convert losslessly, and arithmetic and
    comparison accept a ``moneyed.Money`` of the same currency.
    """

    # Private slots behind read-only properties: direct slot stores keep the arithmetic fast
    # (see benchmarks/bench_money.py) while ``money.amount = x`` is refused.
    __slots__ = ("_amount", "_currency")

    _amount: Decimal
    _currency: Currency

    def __init__(self, amount: Decimal | int | str, currency: str | Currency | Any) -> None:
        self._currency = get_currency(currency)
        self._amount = to_decimal(amount)

    if TYPE_CHECKING:

        @property
        def amount(self) -> Decimal:
            """The exact amount."""

        @property
        def currency(self) -> Currency:
            """The currency, interned: compare with ``is`` or ``==``."""

    else:
        amount = property(attrgetter("_amount"), doc="The exact amount.")
        currency = property(
            attrgetter("_currency"), doc="The currency, interned: compare with ``is`` or ``==``."
        )

    @classmethod
    def zero(cls, currency: str | Currency | Any) -> Money:
        """Zero in ``currency``, written with the currency's minor unit (``0.00`` for USD)."""
        cur = get_currency(currency)
        return _make(cur.quantum * 0, cur)

    @staticmethod
    def from_trusted(amount: Decimal, currency: Currency) -> Money:
        """Money from an amount that is already valid, skipping every check (the fast path).

        Unlike ``Money(amount, currency)`` this neither converts nor validates: ``amount`` must
        already be a finite :class:`~decimal.Decimal` within range (typically the result of
        arithmetic on validated amounts, or integer minor units scaled in :data:`CTX`) and
        ``currency`` a :class:`Currency` instance, not a code. Use it only for amounts your own
        code computed; anything from outside goes through the constructor.

        >>> Money.from_trusted(Decimal("19.99"), get_currency("USD"))
        Money('19.99', 'USD')
        """
        result = _new(Money)
        result._amount = amount
        result._currency = currency
        return result

    @classmethod
    def from_moneyed(cls, value: moneyed.Money) -> Money:
        """Convert a py-moneyed ``Money`` exactly (its amount is kept digit for digit)."""
        return cls(value.amount, value.currency.code)

    def to_moneyed(self) -> moneyed.Money:
        """Convert to a py-moneyed ``Money`` with the same amount and currency, losslessly.

        Currencies py-moneyed does not know (new ISO codes such as XCG) are passed as a
        ``moneyed.Currency`` built from commercekit's ISO data, without registering them
        globally in py-moneyed.
        """
        import moneyed as _moneyed

        code = self.currency.code
        try:
            cur = _moneyed.get_currency(code)
        except _moneyed.CurrencyDoesNotExist:
            cur = _moneyed.Currency(
                code=code,
                numeric=self.currency.numeric,
                sub_unit=10**self.currency.minor_units,
                name=self.currency.name,
            )
        return _moneyed.Money(self.amount, cur)

    # -- arithmetic ---------------------------------------------------------------------------

    def __add__(self, other: Money) -> Money:
        cur = self._currency
        try:  # zero-cost in CPython 3.11+: the common case pays no type check
            if other._currency is not cur:
                _mismatch(self, other, "add")
            amount = _ctx_add(self._amount, other._amount)
        except AttributeError:
            return self._add_other(other)
        result = _new(Money)
        result._amount = amount
        result._currency = cur
        return result

    def _add_other(self, other: object) -> Money:
        if other.__class__ is int and other == 0:
            return self
        return self.__add__(_from_moneyed_or_fail(other))

    def __radd__(self, other: object) -> Money:
        # Only ``0 + money`` (what builtin ``sum`` starts with) and py-moneyed values.
        if other.__class__ is int and other == 0:
            return self
        return _from_moneyed_or_fail(other).__add__(self)

    def __sub__(self, other: Money) -> Money:
        cur = self._currency
        try:
            if other._currency is not cur:
                _mismatch(self, other, "subtract")
            amount = _ctx_subtract(self._amount, other._amount)
        except AttributeError:
            return self.__sub__(_from_moneyed_or_fail(other))
        result = _new(Money)
        result._amount = amount
        result._currency = cur
        return result

    def __rsub__(self, other: object) -> Money:
        return _from_moneyed_or_fail(other).__sub__(self)

    def __mul__(self, factor: Decimal | int) -> Money:
        cls = factor.__class__
        if cls is not int and cls is not Decimal:
            if isinstance(factor, Money) or _is_moneyed(factor):
                raise InvalidAmountError("cannot multiply money by money")
            factor = to_decimal(factor)
        amount = _ctx_multiply(self._amount, factor)
        if amount and amount.adjusted() >= MAX_INTEGER_DIGITS:
            raise MalformedAmountError(f"{self} * {factor} is out of range")
        result = _new(Money)
        result._amount = amount
        result._currency = self._currency
        return result

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int | Money) -> Any:
        """Divide by a number (a Money, possibly finer than the minor unit) or by Money.

        Dividing by Money of the same currency gives the ratio as a Decimal. To split an
        amount into parts that add up, use :func:`~commercekit.money.allocate` instead.
        """
        if isinstance(divisor, Money) or _is_moneyed(divisor):
            other = (
                divisor
                if isinstance(divisor, Money)
                else Money.from_moneyed(cast("moneyed.Money", divisor))
            )
            if other.currency is not self.currency:
                _mismatch(self, other, "divide")
            if not other.amount:
                raise MalformedAmountError("division by zero money")
            return CTX.divide(self.amount, other.amount)
        number = to_decimal(divisor)
        if not number:
            raise MalformedAmountError("division by zero")
        return _make(CTX.divide(self.amount, number), self.currency)

    def __neg__(self) -> Money:
        return _make(CTX.minus(self.amount), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return _make(CTX.abs(self.amount), self.currency)

    def __bool__(self) -> bool:
        return bool(self.amount)

    # -- comparison ---------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if other.__class__ is Money:
            same: Money = other
            return self._currency is same._currency and self._amount == same._amount
        if _is_moneyed(other):
            return self == Money.from_moneyed(cast("moneyed.Money", other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.amount, self.currency.code))

    def _coerce_compare(self, other: object, op: str) -> Money:
        money = other if isinstance(other, Money) else _from_moneyed_or_fail(other)
        if money.currency is not self.currency:
            _mismatch(self, money, op)
        return money

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._coerce_compare(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._coerce_compare(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._coerce_compare(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._coerce_compare(other, "compare").amount

    # -- immutability, representation --------------------------------------------------------

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (Money, (str(self.amount), self.currency.code))

    def __copy__(self) -> Money:
        return self

    def __deepcopy__(self, memo: object) -> Money:
        return self

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency.code!r})"

    def __str__(self) -> str:
        """Plain text for logs, ``"19.99 USD"``; use :func:`format_money` for people."""
        return f"{self.amount} {self.currency.code}"


#: :meth:`Money.from_trusted` as a plain function (the module's short name for it).
_make = Money.from_trusted


def sum_money(values: Iterable[Money], currency: str | Currency | Any) -> Money:
    """Sum ``values``, all in ``currency``; an empty sequence gives zero in that currency.

    >>> sum_money([], "EUR")
    Money('0.00', 'EUR')
    >>> sum_money([Money("1.10", "EUR"), Money("2.20", "EUR")], "EUR")
    Money('3.30', 'EUR')
    """
    total = Money.zero(currency)
    for value in values:
        total = total + value
    return total
