r"""The one set of input rules for identifiers, free text and counted quantities.

Carts, the catalog, inventory and storage all take SKUs, codes, ids and quantities from the host.
They check them here, with the same rules, so that a SKU a cart accepts is also accepted by the
catalog, by inventory and by either database, and is refused early, with a clear message, when
it is not. The rules are the stricter common subset of what SQLite and PostgreSQL store:

* PostgreSQL refuses NUL in text (SQLite keeps it), so NUL and every other control character
  (Unicode category Cc: C0, DEL and C1, which includes tab and newline) are refused, and so
  are the noncharacters U+FFFE and U+FFFF (U+FFFE is a byte-swapped byte order mark).
* Every value must encode to UTF-8. A lone surrogate such as ``"\ud800"`` (category Cs) does not,
  and would otherwise fail deep in the driver as a raw :exc:`UnicodeEncodeError`.
* PostgreSQL refuses B-tree index rows over about 2700 bytes. An identifier holds at most
  :data:`MAX_IDENTIFIER_LENGTH` characters, which is at most 800 bytes of UTF-8.
* Identifiers are normalized to Unicode NFC, so that ``"Cafe\u0301"`` (``e`` followed by a
  combining acute accent, as some keyboards and macOS file names produce) and ``"Caf\u00e9"``
  are the same key everywhere: in a cart, in the catalog and in a database's UNIQUE index,
  which compares bytes.

Errors are :class:`~commercekit.errors.InvalidIdentifierError` for identifiers and text (its
``reason`` attribute says why in a stable word) and
:class:`~commercekit.errors.InvalidQuantityError` for counts; both are a
:class:`~commercekit.errors.ValidationError`, hence a :exc:`ValueError`. Messages name the field
and show the value's ``repr`` cut to about 60 characters, so a 10 MB id gives a short message.

This module sits at the bottom of the import graph: it imports only the standard library and
:mod:`commercekit.errors`.
"""

from __future__ import annotations

import re
import unicodedata
from contextvars import ContextVar, Token
from decimal import Decimal
from typing import Final

from commercekit.errors import InvalidIdentifierError, InvalidQuantityError

__all__ = [
    "MAX_IDENTIFIER_LENGTH",
    "MAX_QUANTITY",
    "MAX_TEXT_LENGTH",
    "check_code",
    "check_count",
    "check_customer_id",
    "check_identifier",
    "check_location",
    "check_sku",
    "check_text",
    "end_stored_values",
    "stored_values",
]

#: The largest count of units anywhere: a cart line quantity, a stock movement, a reservation
#: line. A billion units is a thousand tonnes counted in grams; a sum of a million such counts
#: (10**15) still stays far inside a signed 64-bit column (about 9.2 * 10**18).
MAX_QUANTITY: Final = 10**9

#: The most characters of an identifier (SKU, location, code, id, key, topic), after NFC.
#: At most 4 bytes each in UTF-8: 800 bytes, far under PostgreSQL's ~2700-byte index row limit.
MAX_IDENTIFIER_LENGTH: Final = 200

#: The most characters of free text (a reason, a reference, a display name), after NFC.
MAX_TEXT_LENGTH: Final = 500

# How much of a refused value an error message shows.
_PREVIEW_LENGTH: Final = 60

# The longest canonical decomposition of one character (U+1F82 and friends decompose to 4).
# NFC(text) is therefore at least len(text) / 4 characters long, so anything longer than 4 times
# a limit is refused before it is normalized (tests check this constant against unicodedata).
_MAX_DECOMPOSITION: Final = 4

# What neither identifiers nor text may hold: Cc (C0 controls, DEL, C1 controls), Cs (surrogates)
# and the noncharacters U+FFFE and U+FFFF.
_FORBIDDEN: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class _Stored(str):
    """Text a store read back under :func:`stored_values`: it keeps being accepted as it is.

    A cart loaded with a SKU the older rules allowed can still be changed and saved: the line
    carries this marker through ``attrs.evolve`` and :func:`check_identifier` lets it pass.
    """

    __slots__ = ()


# Set while a store reads back what it stored: see stored_values().
_STORED: Final[ContextVar[bool]] = ContextVar("commercekit_stored_values", default=False)


def stored_values() -> Token[bool]:
    """Take identifiers as stored until :func:`end_stored_values` (0.1's looser rules).

    A store calls this around rebuilding a record it wrote earlier: a cart saved by
    commercekit 0.1 may hold a SKU with surrounding spaces or 250 characters, which the rules
    now refuse for new input. Inside, :func:`check_identifier` checks only that an identifier is
    non-empty text and returns it unchanged (marked, so that the record can be changed and saved
    again without its old identifiers being refused). Returns the token to end it with.

    >>> token = stored_values()
    >>> check_sku(" SPACED ")
    ' SPACED '
    >>> end_stored_values(token)
    """
    return _STORED.set(True)


def end_stored_values(token: Token[bool]) -> None:
    """End what :func:`stored_values` started: new input is checked in full again."""
    _STORED.reset(token)


def check_identifier(value: object, *, name: str) -> str:
    r"""Check an identifier and return it as a plain ``str`` in Unicode NFC.

    The rule for SKUs, location names, coupon codes, customer ids, cart ids, promotion ids,
    reservation keys, idempotency keys and scopes, and outbox topics: text of 1 to
    :data:`MAX_IDENTIFIER_LENGTH` characters after NFC normalization, without leading or trailing
    whitespace, without control characters (NUL, tab, newline, DEL, C1), lone surrogates, or the
    noncharacters U+FFFE and U+FFFF. Inner spaces and any other Unicode (accents, CJK, emoji) are
    fine. ``name`` names the field in the error message.

    The result is NFC: ``"Cafe\u0301"`` (with a combining accent) and ``"Caf\u00e9"`` are the
    same identifier. Store and compare the returned value, not the one given.

    >>> check_identifier("GIFT CARD", name="sku")
    'GIFT CARD'
    >>> check_identifier("Cafe\u0301", name="sku") == "Caf\u00e9"
    True
    >>> try:
    ...     check_identifier(" TEE", name="sku")
    ... except InvalidIdentifierError as exc:
    ...     print(exc.reason, "-", exc)
    whitespace - sku must not start or end with whitespace, got ' TEE'
    """
    if (
        value.__class__ is str
        and 0 < len(value) <= MAX_IDENTIFIER_LENGTH
        and value.isascii()
        and value.isprintable()
        and value[0] != " "
        and value[-1] != " "
    ):
        return value  # the common case, in one pass: printable ASCII is NFC and has no controls
    if value.__class__ is _Stored:
        return value
    if not isinstance(value, str):
        raise _refused(name, "not_text", f"must be text, got {_preview(value)}")
    text = str.__str__(value)  # a plain str: a subclass's overrides play no part
    if not text:
        raise _refused(name, "empty", "must not be empty")
    if _STORED.get():
        return _Stored(text)
    if text.isascii() and text.isprintable():
        normal = text  # printable ASCII is already NFC and holds no control character
    else:
        _check_size(text, name, MAX_IDENTIFIER_LENGTH * _MAX_DECOMPOSITION, MAX_IDENTIFIER_LENGTH)
        _check_characters(text, name)
        normal = unicodedata.normalize("NFC", text)
    _check_size(normal, name, MAX_IDENTIFIER_LENGTH, MAX_IDENTIFIER_LENGTH)
    if normal != normal.strip():
        raise _refused(
            name, "whitespace", f"must not start or end with whitespace, got {_preview(text)}"
        )
    return normal


def check_sku(value: object) -> str:
    """Check a SKU: :func:`check_identifier` with the name ``"sku"``.

    >>> check_sku("TEE-RED-M")
    'TEE-RED-M'
    """
    return check_identifier(value, name="sku")


def check_location(value: object) -> str:
    """Check a stock location name: :func:`check_identifier` with the name ``"location"``.

    >>> check_location("Lager Süd")
    'Lager Süd'
    """
    return check_identifier(value, name="location")


def check_code(value: object) -> str:
    """Check a coupon code: :func:`check_identifier` with the name ``"coupon code"``.

    Codes are returned as given (after NFC): whether ``"spring"`` matches ``"SPRING"`` is the
    promotion engine's decision, not an input rule.

    >>> check_code("SPRING-10")
    'SPRING-10'
    """
    return check_identifier(value, name="coupon code")


def check_customer_id(value: object) -> str:
    """Check a customer id: :func:`check_identifier` with the name ``"customer id"``.

    >>> check_customer_id("cus_42")
    'cus_42'
    """
    return check_identifier(value, name="customer id")


def check_text(value: object, *, name: str, required: bool = False) -> str | None:
    r"""Check free text (a reason, a reference, a display name) and return it in NFC.

    ``None`` is accepted (and returned) unless ``required``. Otherwise the value must be text of 1
    to :data:`MAX_TEXT_LENGTH` characters after NFC normalization that is not only whitespace,
    with no control character at all (tab and newline included: free text is one line, which
    keeps logs and CSV exports intact) and no lone surrogate or U+FFFE/U+FFFF. Surrounding
    spaces are kept as given.

    >>> check_text("damaged in transit", name="reason")
    'damaged in transit'
    >>> check_text(None, name="reference") is None
    True
    >>> try:
    ...     check_text("line one\nline two", name="reason")
    ... except InvalidIdentifierError as exc:
    ...     print(exc.reason)
    control_character
    """
    if value is None:
        if required:
            raise _refused(name, "not_text", "is required, got None")
        return None
    if not isinstance(value, str):
        raise _refused(name, "not_text", f"must be text, got {_preview(value)}")
    text = str.__str__(value)
    _check_size(text, name, MAX_TEXT_LENGTH * _MAX_DECOMPOSITION, MAX_TEXT_LENGTH)
    _check_characters(text, name)
    normal = text if text.isascii() else unicodedata.normalize("NFC", text)
    if not normal.strip():
        raise _refused(name, "empty", f"must not be empty or only whitespace, got {_preview(text)}")
    _check_size(normal, name, MAX_TEXT_LENGTH, MAX_TEXT_LENGTH)
    return normal


def check_count(value: object, *, name: str = "quantity", allow_negative: bool = False) -> int:
    """Check a count of units and return it as a plain ``int``.

    An ``int`` (not a ``bool``), not zero, positive unless ``allow_negative`` (a stock
    adjustment), and at most :data:`MAX_QUANTITY` in size. A ``Decimal`` or ``float`` is refused:
    counted units are whole numbers, and measured quantities (1.25 kg) are a cart's business.
    Problems raise :class:`~commercekit.errors.InvalidQuantityError`.

    >>> check_count(3), check_count(-2, name="adjustment", allow_negative=True)
    (3, -2)
    >>> check_count(0)
    Traceback (most recent call last):
    ...
    commercekit.errors.InvalidQuantityError: quantity must be positive, got 0
    """
    if isinstance(value, bool):
        raise InvalidQuantityError(f"{name} must be an int, not the bool {value}")
    if not isinstance(value, int):
        if isinstance(value, Decimal):
            raise InvalidQuantityError(
                f"{name} must be an int (a count of units), got {_preview(value)}: Decimal"
                " quantities are for products sold by measure (1.25 kg), which a count is not"
            )
        if isinstance(value, float):
            raise InvalidQuantityError(
                f"{name} must be an int (a count of units), got the float {_preview(value)}:"
                " floats are never quantities; products sold by measure take a Decimal"
            )
        raise InvalidQuantityError(f"{name} must be an int, got {_preview(value)}")
    count = int.__int__(value)  # a plain int, from an IntEnum or other subclass too
    if count == 0 or (count < 0 and not allow_negative):
        kind = "non-zero" if allow_negative else "positive"
        raise InvalidQuantityError(f"{name} must be {kind}, got {_preview(count)}")
    if abs(count) > MAX_QUANTITY:
        raise InvalidQuantityError(
            f"{name} {_preview(count)} is beyond the supported maximum of {MAX_QUANTITY}"
        )
    return count


def _check_size(text: str, name: str, limit: int, shown_limit: int) -> None:
    """Refuse ``text`` longer than ``limit`` characters, quoting ``shown_limit`` as the rule."""
    if len(text) > limit:
        raise _refused(
            name,
            "too_long",
            f"must be at most {shown_limit} characters, got {len(text)}: {_preview(text)}",
        )


def _check_characters(text: str, name: str) -> None:
    """Refuse a control character, a lone surrogate or U+FFFE/U+FFFF anywhere in ``text``."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return
    char = found.group()
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        reason = "surrogate"
        problem = "must be valid Unicode text without lone surrogates"
    elif code >= 0xFFFE:
        reason = "noncharacter"
        problem = "must not contain the noncharacters U+FFFE or U+FFFF"
    else:
        reason = "control_character"
        problem = "must not contain control characters (tab, newline, NUL, ...)"
    where = f"U+{code:04X} at index {found.start()} of {_preview(text)}"
    raise _refused(name, reason, f"{problem}, found {where}")


def _refused(name: str, reason: str, problem: str) -> InvalidIdentifierError:
    """The error for the field ``name`` refused for ``reason``: ``"<name> <problem>"``."""
    return InvalidIdentifierError(f"{name} {problem}", name, reason)


def _preview(value: object) -> str:
    """A ``repr`` of ``value`` cut to about 60 characters, that always encodes to UTF-8.

    Never raises: a 10 MB string, a huge int or a broken ``__repr__`` still give a message.
    """
    if isinstance(value, str):
        # A plain str (a subclass's overrides play no part); its repr escapes lone surrogates
        # and controls, so the message always encodes.
        return _cut_repr(str.__str__(value))
    if isinstance(value, bytes):
        return _cut_repr(bytes(memoryview(value)[: _PREVIEW_LENGTH + 1]), len(value))
    try:
        shown = repr(value)
    except Exception:  # e.g. an int of more than 4300 digits, or a broken __repr__
        if isinstance(value, int):
            return f"<int of {value.bit_length()} bits>"
        return f"<{type(value).__name__} object>"
    # Another type's repr may hold anything, lone surrogates included: escape what UTF-8 cannot.
    shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(shown) > _PREVIEW_LENGTH:
        shown = f"{shown[:_PREVIEW_LENGTH]}..."
    return shown


def _cut_repr(head: str | bytes, size: int | None = None) -> str:
    """The ``repr`` of the longest start of ``head`` that fits the preview, ``...`` if cut.

    ``size`` is the length of the whole value when ``head`` is only its start.
    """
    whole = len(head) if size is None else size
    head = head[:_PREVIEW_LENGTH]
    shown = repr(head)
    while len(shown) > _PREVIEW_LENGTH + 3:  # escapes take up to 10 characters each
        head = head[:-1]
        shown = repr(head)
    return f"{shown}..." if len(head) < whole else shown
