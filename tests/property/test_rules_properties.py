"""Hypothesis properties of the shared input rules (commercekit.rules)."""

from __future__ import annotations

import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from commercekit.errors import InvalidIdentifierError, InvalidQuantityError
from commercekit.rules import (
    MAX_IDENTIFIER_LENGTH,
    MAX_QUANTITY,
    MAX_TEXT_LENGTH,
    check_count,
    check_identifier,
    check_text,
)

# The characters the rules are about: spaces, a zero-width joiner, characters that compose
# under NFC (combining marks, Hangul jamo), and characters always refused. Hypothesis leaves
# lone surrogates out by default and draws them rarely even when allowed, so they get a share.
SPACES = st.sampled_from(["", "", " ", "\u00a0", "\u3000", "\u2003"])
COMPOSING = st.sampled_from(["\u0301", "\u0313", "\u0345", "\u1100", "\u1161", "\u11a8"])
REFUSED_CHAR = st.one_of(
    st.characters(categories=["Cc", "Cs"]),
    st.sampled_from(["\x00", "\t", "\n", "\x85", "\ufffe", "\uffff", "\ud800", "\udfff"]),
)
PLAIN_CHAR = st.one_of(
    st.characters(exclude_categories=["Cc", "Cs"]),
    COMPOSING,
    st.sampled_from([" ", "\u00a0", "\u200d"]),
)
PLAIN_TEXT = st.text(PLAIN_CHAR, min_size=1, max_size=MAX_IDENTIFIER_LENGTH + 20)
# Text the rules mostly accept, sometimes decomposed so that normalization has work to do.
LIKELY_IDENTIFIERS = st.one_of(
    PLAIN_TEXT,
    PLAIN_TEXT.map(lambda text: unicodedata.normalize("NFD", text)),
)


def _join(*parts: str) -> str:
    return "".join(parts)


# Any text at all, in proportions that reach every reason: plain, padded with spaces, with one
# refused character, of any code points (lone surrogates included), and long.
ANY_TEXT = st.one_of(
    LIKELY_IDENTIFIERS,
    st.builds(_join, SPACES, PLAIN_TEXT, SPACES),
    st.builds(_join, st.text(PLAIN_CHAR), REFUSED_CHAR, st.text(PLAIN_CHAR)),
    st.text(st.one_of(st.characters(exclude_categories=()), REFUSED_CHAR)),
    st.text(
        PLAIN_CHAR, min_size=4 * MAX_IDENTIFIER_LENGTH - 10, max_size=4 * MAX_IDENTIFIER_LENGTH + 10
    ),
)
NOT_TEXT = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(),
    st.lists(st.text(max_size=5), max_size=3),
)


def accepted(value: str) -> str:
    """The identifier ``value`` becomes; examples it refuses are not the property's business."""
    try:
        return check_identifier(value, name="sku")
    except InvalidIdentifierError:
        assume(False)
        raise  # unreachable: assume(False) ends the example


@given(LIKELY_IDENTIFIERS)
def test_check_identifier_is_idempotent(value: str) -> None:
    result = accepted(value)
    assert check_identifier(result, name="sku") == result


@given(LIKELY_IDENTIFIERS)
def test_accepted_identifiers_are_storable_in_postgresql(value: str) -> None:
    result = accepted(value)
    encoded = result.encode("utf-8")  # no lone surrogate: the driver can send it
    assert b"\x00" not in encoded  # PostgreSQL text refuses NUL
    assert len(encoded) <= 4 * MAX_IDENTIFIER_LENGTH  # far under the ~2700-byte index row limit
    assert 1 <= len(result) <= MAX_IDENTIFIER_LENGTH
    assert result == result.strip()
    assert result == unicodedata.normalize("NFC", result)
    assert not any(unicodedata.category(char) in {"Cc", "Cs"} for char in result)


@given(LIKELY_IDENTIFIERS)
def test_canonically_equivalent_identifiers_are_the_same_key(value: str) -> None:
    result = accepted(value)
    assert check_identifier(unicodedata.normalize("NFD", value), name="sku") == result
    assert check_identifier(unicodedata.normalize("NFC", value), name="sku") == result


@given(st.one_of(ANY_TEXT, NOT_TEXT))
def test_check_identifier_returns_text_or_refuses_cleanly(value: object) -> None:
    error: InvalidIdentifierError | None = None
    try:
        result = check_identifier(value, name="sku")
    except InvalidIdentifierError as refused:
        error = refused
    if error is None:
        assert type(result) is str
        result.encode("utf-8")
    else:
        assert isinstance(error, ValueError)
        assert error.name == "sku"
        assert len(str(error).encode("utf-8")) < 400  # short and always encodable


@given(st.one_of(ANY_TEXT, NOT_TEXT), st.booleans())
def test_check_text_returns_text_or_refuses_cleanly(value: object, required: bool) -> None:
    try:
        result = check_text(value, name="reason", required=required)
    except InvalidIdentifierError as refused:
        message = str(refused)
        assert len(message.encode("utf-8")) < 400
    else:
        if result is None:
            assert value is None
            assert not required
        else:
            assert 1 <= len(result) <= MAX_TEXT_LENGTH
            assert "\x00" not in result
            result.encode("utf-8")
            assert check_text(result, name="reason") == result


COUNTS = st.one_of(
    st.integers(),
    st.integers(-MAX_QUANTITY - 3, MAX_QUANTITY + 3),
    st.integers(-3, 3),
    st.sampled_from([MAX_QUANTITY, MAX_QUANTITY + 1, -MAX_QUANTITY, -MAX_QUANTITY - 1]),
)


@given(COUNTS, st.booleans())
def test_check_count_accepts_exactly_the_allowed_range(value: int, allow_negative: bool) -> None:
    lowest = -MAX_QUANTITY if allow_negative else 1
    allowed = lowest <= value <= MAX_QUANTITY and value != 0
    try:
        result = check_count(value, allow_negative=allow_negative)
    except InvalidQuantityError:
        assert not allowed
    else:
        assert allowed
        assert result == value
