"""The shared input rules: identifiers, free text and counts (commercekit.rules)."""

from __future__ import annotations

import ast
import enum
import pickle
import sys
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from commercekit import rules
from commercekit.errors import (
    CommerceError,
    InvalidIdentifierError,
    InvalidQuantityError,
    ValidationError,
)
from commercekit.rules import (
    MAX_IDENTIFIER_LENGTH,
    MAX_QUANTITY,
    MAX_TEXT_LENGTH,
    check_code,
    check_count,
    check_customer_id,
    check_identifier,
    check_location,
    check_sku,
    check_text,
)

TEN_MB = 10_000_000


def refused(value: object, *, name: str = "sku") -> InvalidIdentifierError:
    with pytest.raises(InvalidIdentifierError) as info:
        check_identifier(value, name=name)
    return info.value


def refused_text(value: object, *, required: bool = False) -> InvalidIdentifierError:
    with pytest.raises(InvalidIdentifierError) as info:
        check_text(value, name="reason", required=required)
    return info.value


def refused_count(value: object, *, allow_negative: bool = False) -> InvalidQuantityError:
    with pytest.raises(InvalidQuantityError) as info:
        check_count(value, allow_negative=allow_negative)
    return info.value


def assert_well_formed(error: Exception, name: str) -> None:
    """Every refusal is a ValueError and a CommerceError with a short, encodable message."""
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)
    assert isinstance(error, CommerceError)
    message = str(error)
    message.encode("utf-8")  # never a UnicodeEncodeError when logged or printed
    assert message.startswith(name)
    assert len(message) < 300


# --- the constants -------------------------------------------------------------------------


def test_limits() -> None:
    assert MAX_QUANTITY == 10**9
    assert MAX_IDENTIFIER_LENGTH == 200
    assert MAX_TEXT_LENGTH == 500
    # A million maximal counts still fit a signed 64-bit column.
    assert 10**6 * MAX_QUANTITY < 2**63
    # The longest identifier is far under PostgreSQL's ~2700-byte B-tree row limit.
    assert len(("\U0010fffd" * MAX_IDENTIFIER_LENGTH).encode()) == 800


def test_rules_imports_only_the_standard_library_and_errors() -> None:
    source = Path(rules.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            assert node.module is not None
            imported.add(node.module)
    for module in imported:
        top = module.partition(".")[0]
        assert top in sys.stdlib_module_names or module == "commercekit.errors", module


# --- identifiers: accepted -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "TEE",
        "a",
        "GIFT CARD",  # inner spaces are fine
        "TEE-RED-M/XL_2",
        "Café",
        "中文-SKU",
        "☕",
        "\U0001f600",
        "\U0001f469\u200d\U0001f4bb",  # an emoji ZWJ sequence (U+200D is Cf, allowed)
        "\ue000",  # private use
        "x" * MAX_IDENTIFIER_LENGTH,
        "\U0010fffd" * MAX_IDENTIFIER_LENGTH,
        "a\u00a0b",  # a no-break space inside
    ],
)
def test_accepted_identifiers_come_back_unchanged(value: str) -> None:
    result = check_identifier(value, name="sku")
    assert result == value
    assert type(result) is str


def test_nfc_normalization() -> None:
    assert check_identifier("Cafe\u0301", name="sku") == "Caf\u00e9"
    assert check_identifier("Cafe\u0301", name="sku") == check_identifier("Café", name="sku")
    # Hangul jamo compose into one syllable.
    assert check_identifier("\u1100\u1161\u11a8", name="sku") == "\uac01"
    # Compatibility forms are not folded: NFC, not NFKC.
    assert check_identifier("\ufb01", name="sku") == "\ufb01"


def test_length_is_counted_after_normalization() -> None:
    decomposed = "e\u0301" * MAX_IDENTIFIER_LENGTH  # 400 characters, 200 after NFC
    assert check_identifier(decomposed, name="sku") == "\u00e9" * MAX_IDENTIFIER_LENGTH
    assert refused(decomposed + "e\u0301").reason == "too_long"
    # A 4-to-1 composition (U+1F82) at the largest size that is still normalized.
    four = "\u03b1\u0313\u0300\u0345"
    assert unicodedata.normalize("NFC", four) == "\u1f82"
    result = check_identifier(four * MAX_IDENTIFIER_LENGTH, name="sku")
    assert result == "\u1f82" * MAX_IDENTIFIER_LENGTH


def test_the_early_length_refusal_never_refuses_what_nfc_would_accept() -> None:
    # Every character decomposes into at most _MAX_DECOMPOSITION characters, so NFC shrinks
    # text by at most that factor and the early refusal of longer text is sound.
    longest = max(
        len(unicodedata.normalize("NFD", chr(code)))
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF
    )
    assert longest <= rules._MAX_DECOMPOSITION


def test_a_str_subclass_comes_back_as_a_plain_str() -> None:
    class Sku(str):
        __slots__ = ()

        def strip(self, chars: str | None = None) -> str:
            return "lies"

        def __str__(self) -> str:
            return "lies"

    result = check_identifier(Sku("TEE"), name="sku")
    assert result == "TEE"
    assert type(result) is str
    assert type(check_identifier(Sku("Caf\u00e9"), name="sku")) is str
    assert refused(Sku(" TEE")).reason == "whitespace"


def test_convenience_names() -> None:
    assert check_sku("TEE") == "TEE"
    assert check_location("Lager Süd") == "Lager Süd"
    assert check_code("SPRING") == "SPRING"
    assert check_customer_id("cus_1") == "cus_1"
    checks: list[tuple[Callable[[object], str], str]] = [
        (check_sku, "sku"),
        (check_location, "location"),
        (check_code, "coupon code"),
        (check_customer_id, "customer id"),
    ]
    for check, name in checks:
        with pytest.raises(InvalidIdentifierError) as info:
            check(" x")
        assert info.value.name == name
        assert str(info.value).startswith(name)


# --- identifiers: refused ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (42, "not_text"),
        (None, "not_text"),
        (b"TEE", "not_text"),
        (["TEE"], "not_text"),
        ("", "empty"),
        ("x" * (MAX_IDENTIFIER_LENGTH + 1), "too_long"),
        ("\u00e9" * (MAX_IDENTIFIER_LENGTH + 1), "too_long"),
        (" TEE", "whitespace"),
        ("TEE ", "whitespace"),
        (" ", "whitespace"),
        ("\u00a0TEE", "whitespace"),
        ("TEE\u3000", "whitespace"),
        ("\u2003TEE", "whitespace"),
        ("A\x00B", "control_character"),
        ("\x00", "control_character"),
        ("A\tB", "control_character"),
        ("A\nB", "control_character"),
        ("TEE\n", "control_character"),
        ("A\rB", "control_character"),
        ("A\x1bB", "control_character"),
        ("A\x7fB", "control_character"),
        ("A\x85B", "control_character"),
        ("A\x9fB", "control_character"),
        ("\ud800", "surrogate"),
        ("TEE\udfff", "surrogate"),
        ("\ud83d\ude00", "surrogate"),  # a surrogate pair in a str is two lone surrogates
        ("A\ufffeB", "noncharacter"),
        ("A\uffffB", "noncharacter"),
    ],
)
def test_refusals(value: object, reason: str) -> None:
    error = refused(value)
    assert error.reason == reason
    assert error.name == "sku"
    assert_well_formed(error, "sku")


def test_messages_name_the_field_and_show_the_value() -> None:
    assert str(refused(42, name="cart id")) == "cart id must be text, got 42"
    assert str(refused("")) == "sku must not be empty"
    assert str(refused(" TEE")) == "sku must not start or end with whitespace, got ' TEE'"
    assert str(refused("A\x00B")) == (
        "sku must not contain control characters (tab, newline, NUL, ...),"
        " found U+0000 at index 1 of 'A\\x00B'"
    )
    assert str(refused("ab\ud800")) == (
        "sku must be valid Unicode text without lone surrogates, found U+D800 at index 2 of"
        " 'ab\\ud800'"
    )
    message = str(refused("x" * 201))
    assert message.startswith("sku must be at most 200 characters, got 201: 'xxx")


def test_a_ten_megabyte_value_gives_a_short_message() -> None:
    for value in ["A" * TEN_MB, "\ud800" * TEN_MB, "\u00e9" * TEN_MB, "e\u0301" * (TEN_MB // 2)]:
        error = refused(value)
        assert error.reason == "too_long"
        assert_well_formed(error, "sku")
        assert f"got {TEN_MB}:" in str(error)
        assert str(error).endswith("...")
    error = refused(b"A" * TEN_MB)
    assert error.reason == "not_text"
    assert_well_formed(error, "sku")
    error = refused(list(range(1000)))
    assert_well_formed(error, "sku")


def test_a_value_with_a_hostile_repr_still_gives_a_message() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    class Surrogate:
        def __repr__(self) -> str:
            return "\ud800"

    assert str(refused(Broken())) == "sku must be text, got <Broken object>"
    error = refused(Surrogate())
    assert_well_formed(error, "sku")
    assert "\\ud800" in str(error)


def test_every_forbidden_character_and_only_those() -> None:
    def forbidden(code: int) -> bool:
        return unicodedata.category(chr(code)) in {"Cc", "Cs"} or code in {0xFFFE, 0xFFFF}

    bad = [code for code in range(sys.maxunicode + 1) if forbidden(code)]
    assert len(bad) == 65 + 2048 + 2
    for code in bad:
        reason = refused(f"a{chr(code)}b").reason
        assert reason in {"control_character", "surrogate", "noncharacter"}
    good = "".join(chr(code) for code in range(sys.maxunicode + 1) if not forbidden(code))
    for start in range(0, len(good), 100):  # NFC at most quadruples 100 characters
        chunk = f"a{good[start : start + 100]}b"
        assert check_text(chunk, name="chunk") == unicodedata.normalize("NFC", chunk)


# --- free text -----------------------------------------------------------------------------


def test_text_accepted() -> None:
    assert check_text(None, name="reason") is None
    assert check_text("damaged in transit", name="reason") == "damaged in transit"
    assert check_text(" kept as given ", name="reason") == " kept as given "
    assert check_text("x", name="reason", required=True) == "x"
    assert check_text("x" * MAX_TEXT_LENGTH, name="reason") == "x" * MAX_TEXT_LENGTH
    assert check_text("Cafe\u0301 \U0001f600", name="reason") == "Caf\u00e9 \U0001f600"
    assert type(check_text(type("Note", (str,), {})("note"), name="reason")) is str


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (42, "not_text"),
        (b"note", "not_text"),
        ("", "empty"),
        ("   ", "empty"),
        ("\u3000", "empty"),
        ("x" * (MAX_TEXT_LENGTH + 1), "too_long"),
        ("e\u0301" * (MAX_TEXT_LENGTH + 1), "too_long"),
        ("line one\nline two", "control_character"),
        ("a\tb", "control_character"),
        ("a\x00b", "control_character"),
        ("\ud800", "surrogate"),
        ("\uffff", "noncharacter"),
    ],
)
def test_text_refused(value: object, reason: str) -> None:
    error = refused_text(value)
    assert error.reason == reason
    assert error.name == "reason"
    assert_well_formed(error, "reason")


def test_required_text() -> None:
    error = refused_text(None, required=True)
    assert error.reason == "not_text"
    assert str(error) == "reason is required, got None"


def test_text_of_ten_megabytes() -> None:
    error = refused_text("\u00e9" * TEN_MB)
    assert error.reason == "too_long"
    assert_well_formed(error, "reason")


# --- counts --------------------------------------------------------------------------------


class Units(enum.IntEnum):
    TWO = 2


def test_counts_accepted() -> None:
    assert check_count(1) == 1
    assert check_count(MAX_QUANTITY) == MAX_QUANTITY
    assert check_count(-1, allow_negative=True) == -1
    assert check_count(-MAX_QUANTITY, allow_negative=True) == -MAX_QUANTITY
    assert check_count(MAX_QUANTITY, allow_negative=True) == MAX_QUANTITY
    result = check_count(Units.TWO)
    assert result == 2
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "allow_negative", "words"),
    [
        (True, False, "not the bool True"),
        (False, True, "not the bool False"),
        (1.0, False, "float"),
        (1.5, False, "float"),
        (Decimal("2"), False, "sold by measure"),
        (Decimal("1.5"), False, "sold by measure"),
        ("3", False, "must be an int, got '3'"),
        (None, False, "must be an int, got None"),
        (Fraction(3), False, "must be an int"),
        (0, False, "must be positive, got 0"),
        (0, True, "must be non-zero, got 0"),
        (-1, False, "must be positive, got -1"),
        (-MAX_QUANTITY, False, "must be positive"),
        (MAX_QUANTITY + 1, False, "beyond the supported maximum of 1000000000"),
        (MAX_QUANTITY + 1, True, "beyond"),
        (-MAX_QUANTITY - 1, True, "beyond"),
        # The repr of this int would raise ValueError (over 4300 digits).
        pytest.param(10**5000, False, "<int of 16610 bits>", id="huge-int"),
    ],
)
def test_counts_refused(value: object, allow_negative: bool, words: str) -> None:
    error = refused_count(value, allow_negative=allow_negative)
    assert words in str(error)
    assert_well_formed(error, "quantity")


def test_float_and_decimal_point_to_measured_quantities() -> None:
    assert "sold by measure" in str(refused_count(2.0))
    assert "sold by measure" in str(refused_count(Decimal("2.000")))


def test_count_names_its_field() -> None:
    with pytest.raises(InvalidQuantityError, match=r"^adjustment must be non-zero"):
        check_count(0, name="adjustment", allow_negative=True)


# --- the error class -----------------------------------------------------------------------


def test_invalid_identifier_error_is_structured_and_picklable() -> None:
    error = refused("A\x00B", name="location")
    assert (error.name, error.reason) == ("location", "control_character")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is InvalidIdentifierError
    assert (copy.name, copy.reason, str(copy)) == (error.name, error.reason, str(error))
