"""TaxRuleTable: zones, dated rules, the lookup, and the amounts it gives through the engine.

Every expected amount is derived by hand in the test. The engine's rules (``_engine``):
exclusive prices, ``round(A x R)`` with ``R`` the combined rate, split across the rates in
proportion to their weights (largest remainder, ties in rate order); inclusive prices,
``round(G x R / (1 + R))``; a compound rate ``c`` weighs ``c x (1 + S)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Cart, PricingPolicy, ShippingRate, price_cart
from commercekit.errors import (
    InvalidIdentifierError,
    TaxAddressError,
    TaxError,
    TaxTableError,
    ValidationError,
)
from commercekit.money import get_currency
from commercekit.pricing import CatalogEntry
from commercekit.tax import (
    SHIPPING_ITEM,
    PostalRange,
    TaxableItem,
    TaxBuyer,
    TaxCalculator,
    TaxCategory,
    TaxRate,
    TaxRequest,
    TaxResult,
    TaxRule,
    TaxRuleTable,
    TaxZone,
    normalize_postal_code,
)

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
SF = Address("US", region="CA", postal_code="94103")

# Four US jurisdictions: 6.25% + 1% + 0.25% + 0.5% = 8% combined.
US_RATES = (
    TaxRate("State tax", "0.0625", jurisdiction="US-CA"),
    TaxRate("County tax", "0.01", jurisdiction="San Francisco County"),
    TaxRate("City tax", "0.0025", jurisdiction="San Francisco"),
    TaxRate("District tax", "0.005", jurisdiction="SF transit district"),
)


def item(key: str, amount: int, category: str | None = None, *, discount: int = 0) -> TaxableItem:
    return TaxableItem(key, key.upper(), category, 1, amount, discount)


def request(
    *items: TaxableItem,
    ship_to: Address | None = SF,
    billing: Address | None = None,
    at: datetime = AT,
    shipping: TaxableItem | None = None,
    inclusive: bool = False,
    buyer: TaxBuyer | None = None,
) -> TaxRequest:
    return TaxRequest(
        currency=get_currency("USD"),
        at=at,
        items=items,  # type: ignore[arg-type, unused-ignore]  # attrs: converter=tuple
        shipping=shipping,
        ship_to=ship_to,
        billing=billing,
        buyer=buyer or TaxBuyer(),
        prices_include_tax=inclusive,
    )


def amounts(result: TaxResult, key: str) -> list[int]:
    found = result.for_item(key)
    return [] if found is None else [line.amount_minor for line in found.lines]


def us_table(*extra: TaxRule, source: str = "rules") -> TaxRuleTable:
    zones = [
        TaxZone("US-CA", "US", subdivisions=["CA"], timezone="America/Los_Angeles"),
        TaxZone("SF", "US", postal_codes=[PostalRange("94102", "94188")], priority=0),
    ]
    rules = [
        TaxRule("US-CA", "standard", US_RATES[0]),
        TaxRule("SF", TaxCategory.STANDARD, US_RATES),
        TaxRule("SF", TaxCategory.ZERO, TaxRate("Sales tax", "0", jurisdiction="US-CA")),
        *extra,
    ]
    return TaxRuleTable(zones, rules, source=source)


# --- zones -------------------------------------------------------------------------------


def test_country_zone_matches_the_whole_country_only() -> None:
    zone = TaxZone("de", "de")
    assert zone.country == "DE"
    assert zone.specificity == 1
    assert zone.timezone == "UTC"
    assert zone.matches(Address("DE"))
    assert zone.matches(Address("DE", region="BY", postal_code="80331"))
    assert not zone.matches(Address("AT"))


def test_subdivision_codes_are_normalized_and_matched() -> None:
    zone = TaxZone("west", "US", subdivisions=["ca", "US-NV"])
    assert zone.subdivisions == frozenset({"US-CA", "US-NV"})
    assert zone.specificity == 2
    assert zone.matches(Address("US", region="CA"))
    assert zone.matches(Address("US", region="us-nv"))  # region given with its country prefix
    assert not zone.matches(Address("US", region="OR"))
    assert not zone.matches(Address("US"))  # no region: not in a zone that asks for one
    assert not zone.matches(Address("MX", region="CA"))


def test_postal_prefix_and_exact_patterns() -> None:
    zone = TaxZone("paris", "FR", postal_codes=["75*", " 92 100 "])
    assert zone.postal_codes == ("75*", "92100")
    assert zone.specificity == 3
    assert zone.matches(Address("FR", postal_code="75008"))
    assert zone.matches(Address("FR", postal_code="92 100"))  # spaces removed before comparing
    assert not zone.matches(Address("FR", postal_code="92101"))
    assert not zone.matches(Address("FR", postal_code="76000"))
    assert not zone.matches(Address("FR"))  # no postal code
    london = TaxZone("wc", "GB", postal_codes=["sw1a*"])
    assert london.matches(Address("GB", postal_code="sw1a 1aa"))  # upper case, no spaces


def test_numeric_postal_range_compares_numbers_of_equal_length() -> None:
    sf = PostalRange("94102", "94188")
    assert sf.numeric
    assert "94102" in sf and "94188" in sf  # inclusive at both ends
    assert "94103" in sf
    assert "94103-1234" in sf  # a ZIP+4 is judged by its five digits
    assert "94101" not in sf and "94189" not in sf
    assert "9410" not in sf  # four digits are not a five-digit code
    assert "941030" not in sf
    assert "ABCDE" not in sf
    assert "" not in sf


def test_text_postal_range_compares_normalized_text() -> None:
    # Canadian codes K1A 0A0 .. K1A 9Z9: letters and digits, compared as text.
    ottawa = PostalRange("k1a 0a0", "K1A 9Z9")
    assert (ottawa.low, ottawa.high) == ("K1A0A0", "K1A9Z9")
    assert not ottawa.numeric
    assert "k1a 0b1" in ottawa
    assert "K1B0A0" not in ottawa
    zone = TaxZone("ottawa", "CA", subdivisions=["ON"], postal_codes=[ottawa])
    assert zone.specificity == 3
    assert zone.matches(Address("CA", region="ON", postal_code="K1A 0B1"))
    assert not zone.matches(Address("CA", region="QC", postal_code="K1A 0B1"))  # both must hold


def test_postal_code_normalization() -> None:
    assert normalize_postal_code(" 75 008 ") == "75008"
    assert normalize_postal_code("sw1a\t1aa") == "SW1A1AA"


# --- zone precedence ---------------------------------------------------------------------


def precedence_table(zones: Sequence[TaxZone]) -> TaxRuleTable:
    return TaxRuleTable(zones, [TaxRule(z.id, "standard", TaxRate("Tax", "0.1")) for z in zones])


def test_most_specific_zone_wins_whatever_the_declaration_order() -> None:
    zones = [
        TaxZone("sf-range", "US", postal_codes=[PostalRange("94102", "94188")]),
        TaxZone("ca", "US", subdivisions=["CA"]),
        TaxZone("us", "US", priority=100),  # priority only breaks ties of equal specificity
    ]
    table = precedence_table(zones)
    by_id = {zone.id: zone for zone in zones}
    assert table.zone_for(SF) is by_id["sf-range"]  # postal code (3) > subdivision (2)
    assert table.zone_for(Address("US", region="CA", postal_code="90001")) is by_id["ca"]
    assert table.zone_for(Address("US", region="NY", postal_code="10001")) is by_id["us"]
    assert table.zone_for(Address("CA", region="ON")) is None


def test_prefix_pattern_and_range_are_equally_specific_then_priority_decides() -> None:
    prefix = TaxZone("prefix", "US", postal_codes=["941*"])
    ranged = TaxZone("range", "US", postal_codes=[PostalRange("94100", "94199")], priority=1)
    assert precedence_table([prefix, ranged]).zone_for(SF) is ranged
    assert precedence_table([ranged, prefix]).zone_for(SF) is ranged


def test_equal_specificity_and_priority_first_declared_wins() -> None:
    first = TaxZone("first", "US", subdivisions=["CA"])
    second = TaxZone("second", "US", subdivisions=["CA", "NV"])
    assert precedence_table([first, second]).zone_for(SF) is first
    assert precedence_table([second, first]).zone_for(SF) is second


def test_priority_never_beats_specificity() -> None:
    state = TaxZone("state", "US", subdivisions=["CA"], priority=10)
    zip_zone = TaxZone("zip", "US", postal_codes=["94103"], priority=-5)
    assert precedence_table([state, zip_zone]).zone_for(SF) is zip_zone


# --- build-time errors -------------------------------------------------------------------


def test_unknown_country_is_refused() -> None:
    with pytest.raises(TaxTableError, match="unknown country code 'XX'"):
        TaxZone("x", "XX")
    with pytest.raises(TaxTableError, match="unknown country"):
        TaxZone("x", "USA")
    with pytest.raises(TaxTableError):
        TaxZone("x", 49)


def test_unknown_subdivision_is_refused() -> None:
    with pytest.raises(TaxTableError, match="unknown subdivision 'US-ZZ' of US"):
        TaxZone("x", "US", subdivisions=["US-ZZ"])
    with pytest.raises(TaxTableError, match="unknown subdivision"):
        TaxZone("x", "US", subdivisions=["ZZ"])
    with pytest.raises(TaxTableError, match="unknown subdivision"):
        TaxZone("x", "US", subdivisions=["FR-75C"])  # Paris is a subdivision, of France
    with pytest.raises(TaxTableError, match="a set of codes"):
        TaxZone("x", "US", subdivisions="CA")  # one string is not a set of codes
    assert TaxZone("x", "FR", subdivisions=["FR-75C"]).subdivisions == {"FR-75C"}


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "utc", "", "../etc", "/etc/passwd"])
def test_unknown_time_zone_is_refused(name: str) -> None:
    with pytest.raises(TaxTableError, match="time zone"):
        TaxZone("x", "EE", timezone=name)


def test_known_time_zone_is_kept() -> None:
    zone = TaxZone("ee", "EE", timezone="Europe/Tallinn")
    assert zone.timezone == "Europe/Tallinn"
    assert datetime(2025, 7, 1, tzinfo=zone.tzinfo).utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize("pattern", ["*", "7*5", "75**", "", "75/01", "75-", 75008])
def test_malformed_postal_pattern_is_refused(pattern: object) -> None:
    with pytest.raises(TaxTableError, match="postal"):
        TaxZone("x", "FR", postal_codes=[pattern])  # type: ignore[list-item]


def test_postal_codes_must_be_a_sequence() -> None:
    with pytest.raises(TaxTableError, match="sequence of patterns"):
        TaxZone("x", "FR", postal_codes="75*")


def test_postal_range_with_low_above_high_is_refused() -> None:
    with pytest.raises(TaxTableError, match="low > high"):
        PostalRange("96199", "90000")
    with pytest.raises(TaxTableError, match="low > high"):
        PostalRange("K1B", "K1A")
    with pytest.raises(TaxTableError, match="malformed"):
        PostalRange("90*", "91000")
    assert PostalRange("94103", "94103").low == "94103"  # a range of one code is fine


def test_bad_priority_and_zone_id_are_refused() -> None:
    with pytest.raises(TaxTableError, match="priority"):
        TaxZone("x", "US", priority=True)
    with pytest.raises(TaxTableError, match="priority"):
        TaxZone("x", "US", priority="1")
    with pytest.raises(InvalidIdentifierError):
        TaxZone(" x", "US")


def test_rate_outside_zero_to_one_is_refused_by_tax_rate() -> None:
    for bad in ["1", "1.5", "-0.01"]:
        with pytest.raises(ValidationError, match=r"\[0, 1\)"):
            TaxRule("DE", "standard", TaxRate("VAT", bad))
    with pytest.raises(TaxTableError, match="TaxRate"):
        TaxRule("DE", "standard", [Decimal("0.19")])  # type: ignore[list-item]


def test_empty_or_reversed_validity_is_refused() -> None:
    vat = TaxRate("VAT", "0.2")
    with pytest.raises(TaxTableError, match="must end after it starts"):
        TaxRule("DE", "standard", vat, valid_from=date(2026, 1, 1), valid_until=date(2026, 1, 1))
    with pytest.raises(TaxTableError, match="must end after it starts"):
        TaxRule("DE", "standard", vat, date(2026, 1, 2), datetime(2026, 1, 1, 23, 59))
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(TaxTableError, match="must end after it starts"):
        TaxRule("DE", "standard", vat, valid_from=aware, valid_until=aware - timedelta(seconds=1))
    with pytest.raises(TaxTableError, match="a date, a datetime or None"):
        TaxRule("DE", "standard", vat, valid_from="2026-01-01")


def test_validity_mixing_an_instant_and_a_local_date_is_judged_in_the_zone() -> None:
    ee = TaxZone("EE", "EE", timezone="Europe/Tallinn")
    vat = TaxRate("VAT", "0.24")
    # From 2025-07-01 Tallinn (2025-06-30T21:00Z) until 20:00Z the day before: empty.
    rule = TaxRule("EE", "standard", vat, date(2025, 7, 1), datetime(2025, 6, 30, 20, tzinfo=UTC))
    with pytest.raises(TaxTableError, match=r"rules\[0\].*must end after it starts.*Tallinn"):
        TaxRuleTable([ee, TaxZone("DE", "DE")], [rule])
    # Until 21:30Z the same evening: half an hour, a valid (if short) rule.
    short = TaxRule(
        "EE", "standard", vat, date(2025, 7, 1), datetime(2025, 6, 30, 21, 30, tzinfo=UTC)
    )
    table = TaxRuleTable([ee], [short])
    assert table.rule_at("EE", "standard", datetime(2025, 6, 30, 21, 29, tzinfo=UTC)) is short
    assert table.rule_at("EE", "standard", datetime(2025, 6, 30, 21, 30, tzinfo=UTC)) is None


def test_duplicate_zone_ids_are_refused() -> None:
    with pytest.raises(TaxTableError, match="two zones have the id 'DE'"):
        TaxRuleTable([TaxZone("DE", "DE"), TaxZone("DE", "AT")], [])


def test_rule_naming_an_unknown_zone_is_refused() -> None:
    rule = TaxRule("FR", "standard", TaxRate("TVA", "0.2"))
    with pytest.raises(TaxTableError, match=r"rules\[0\] \(zone 'FR'.*unknown zone"):
        TaxRuleTable([TaxZone("DE", "DE")], [rule])


def test_rule_for_exempt_is_refused() -> None:
    with pytest.raises(TaxTableError, match="exempt"):
        TaxRule("DE", TaxCategory.EXEMPT, TaxRate("VAT", "0"))


def test_overlapping_validity_names_both_rules() -> None:
    zone = TaxZone("EE", "EE", timezone="Europe/Tallinn")
    old = TaxRule("EE", "standard", TaxRate("VAT", "0.22"), valid_until=date(2025, 7, 2))
    new = TaxRule("EE", "standard", TaxRate("VAT", "0.24"), valid_from=date(2025, 7, 1))
    books = TaxRule("EE", "reduced", TaxRate("VAT", "0.09"))  # another category: no clash
    with pytest.raises(TaxTableError) as caught:
        TaxRuleTable([zone], [books, new, old])
    message = str(caught.value)
    assert "rules[2] (zone 'EE', category 'standard', open until 2025-07-02)" in message
    assert "rules[1] (zone 'EE', category 'standard', 2025-07-01 until open)" in message
    assert "overlap" in message


def test_two_open_rules_overlap_and_adjacent_rules_do_not() -> None:
    zone = TaxZone("EE", "EE", timezone="Europe/Tallinn")
    vat = TaxRate("VAT", "0.22")
    with pytest.raises(TaxTableError, match=r"rules\[0\].*rules\[1\].*overlap"):
        TaxRuleTable([zone], [TaxRule("EE", "standard", vat), TaxRule("EE", "standard", vat)])
    adjacent = [
        TaxRule("EE", "standard", vat, valid_until=date(2025, 7, 1)),
        TaxRule("EE", "standard", vat, valid_from=date(2025, 7, 1)),
    ]
    assert len(TaxRuleTable([zone], adjacent).rules) == 2
    # An instant and a local date that meet exactly are adjacent too (Tallinn is UTC+3).
    meeting = [
        TaxRule("EE", "standard", vat, valid_until=datetime(2025, 6, 30, 21, tzinfo=UTC)),
        TaxRule("EE", "standard", vat, valid_from=date(2025, 7, 1)),
    ]
    assert len(TaxRuleTable([zone], meeting).rules) == 2
    one_second_more = [
        TaxRule("EE", "standard", vat, valid_until=datetime(2025, 6, 30, 21, 0, 1, tzinfo=UTC)),
        TaxRule("EE", "standard", vat, valid_from=date(2025, 7, 1)),
    ]
    with pytest.raises(TaxTableError, match="overlap"):
        TaxRuleTable([zone], one_second_more)


def test_table_refuses_what_is_not_a_zone_or_a_rule() -> None:
    with pytest.raises(TaxTableError, match="expected TaxZone"):
        TaxRuleTable(["DE"], [])  # type: ignore[list-item]
    with pytest.raises(TaxTableError, match="expected TaxRule"):
        TaxRuleTable([TaxZone("DE", "DE")], [TaxRate("VAT", "0.19")])  # type: ignore[list-item]


def test_table_is_a_tax_calculator() -> None:
    assert isinstance(us_table(), TaxCalculator)


# --- dates and the zone's time zone ------------------------------------------------------


def estonia(*extra: TaxRule) -> TaxRuleTable:
    """Estonia's standard VAT went from 22% to 24% on 2025-07-01 (local time)."""
    return TaxRuleTable(
        [TaxZone("EE", "EE", timezone="Europe/Tallinn")],
        [
            TaxRule("EE", "standard", TaxRate("VAT", "0.22", "EE"), valid_until=date(2025, 7, 1)),
            TaxRule("EE", "standard", TaxRate("VAT", "0.24", "EE"), valid_from=date(2025, 7, 1)),
            *extra,
        ],
        source="ee-vat",
    )


def test_rate_changes_at_midnight_in_the_zone_time_zone() -> None:
    table = estonia()
    tallinn = Address("EE", postal_code="10111")
    # Midnight in Tallinn on 2025-07-01 is 21:00 UTC the day before (EEST is UTC+3).
    before = datetime(2025, 6, 30, 20, 59, 59, tzinfo=UTC)
    at_change = datetime(2025, 6, 30, 21, 0, 0, tzinfo=UTC)
    old = table.calculate(request(item("a", 10000), ship_to=tallinn, at=before))
    new = table.calculate(request(item("a", 10000), ship_to=tallinn, at=at_change))
    assert amounts(old, "a") == [2200]  # 22% of 100.00
    assert amounts(new, "a") == [2400]  # 24% of 100.00
    assert old.items[0].lines[0].rate == Decimal("0.22")
    assert new.items[0].lines[0].rate == Decimal("0.24")
    assert new.items[0].lines[0].source == "ee-vat"
    # The same instants given in another offset read the same.
    helsinki_summer = timezone(timedelta(hours=3))
    local = request(item("a", 10000), ship_to=tallinn, at=at_change.astimezone(helsinki_summer))
    assert amounts(table.calculate(local), "a") == [2400]


def test_naive_datetime_validity_is_local_time() -> None:
    zone = TaxZone("NY", "US", subdivisions=["NY"], timezone="America/New_York")
    rule = TaxRule("NY", "standard", TaxRate("Tax", "0.04"), valid_from=datetime(2026, 1, 1, 6))
    table = TaxRuleTable([zone], [rule])
    # 06:00 in New York in January (EST, UTC-5) is 11:00 UTC.
    assert table.rule_at("NY", "standard", datetime(2026, 1, 1, 10, 59, 59, tzinfo=UTC)) is None
    assert table.rule_at("NY", "standard", datetime(2026, 1, 1, 11, tzinfo=UTC)) is rule
    with pytest.raises(ValidationError, match="naive"):
        table.rule_at("NY", "standard", datetime(2026, 1, 1, 11))


def test_rule_at_bisects_many_rules() -> None:
    zone = TaxZone("X", "DE")
    # One rule per year 2000..2049, the rate in tenths of a percent: 2000 -> 0.000, 2001 -> 0.001.
    rules = [
        TaxRule(
            "X",
            "standard",
            TaxRate("T", Decimal(y - 2000) / 1000),
            date(y, 1, 1),
            date(y + 1, 1, 1),
        )
        for y in range(2000, 2050)
    ]
    table = TaxRuleTable([zone], reversed(rules))  # declaration order does not matter
    found = table.rule_at("X", "standard", datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert found is not None and found.rates[0].rate == Decimal("0.031")
    assert table.rule_at("X", "standard", datetime(1999, 12, 31, 23, tzinfo=UTC)) is None
    assert table.rule_at("X", "standard", datetime(2050, 1, 1, tzinfo=UTC)) is None
    assert table.rule_at("X", "reduced", datetime(2030, 1, 1, tzinfo=UTC)) is None


# --- amounts -----------------------------------------------------------------------------


def test_four_us_tax_lines_with_combined_rounding() -> None:
    result = us_table().calculate(request(item("mug", 999)))
    # Combined 8% of 9.99 = 0.7992, rounded once: 80 cents. Exact shares of 80 by rate:
    # 80 x 6.25/8 = 62.5, 80 x 1/8 = 10, 80 x 0.25/8 = 2.5, 80 x 0.5/8 = 5; floors 62+10+2+5
    # = 79, the last cent to the largest remainder (0.5, tied: the first rate, the state's).
    assert amounts(result, "mug") == [63, 10, 2, 5]
    assert sum(amounts(result, "mug")) == 80
    lines = result.items[0].lines
    assert [line.name for line in lines] == ["State tax", "County tax", "City tax", "District tax"]
    assert lines[0].jurisdiction == "US-CA"
    assert {line.source for line in lines} == {"rules"}


def test_state_zone_outside_the_city_range() -> None:
    la = Address("US", region="CA", postal_code="90001")
    result = us_table().calculate(request(item("mug", 999), ship_to=la))
    assert amounts(result, "mug") == [62]  # 6.25% of 9.99 = 0.624375 -> 0.62


def test_compound_rate_on_amount_plus_first_tax() -> None:
    zone = TaxZone("QC", "CA", subdivisions=["QC"], timezone="America/Toronto")
    rates = (TaxRate("GST", "0.05", "CA"), TaxRate("QST", "0.09975", "CA-QC", compound=True))
    table = TaxRuleTable([zone], [TaxRule("QC", "standard", rates)])
    montreal = Address("CA", region="QC", postal_code="H2X 1Y4")
    result = table.calculate(request(item("a", 10000), ship_to=montreal))
    # R = 0.05 + 0.09975 x 1.05 = 0.1547375; 100.00 x R = 15.47375 -> 1547 cents. Split by
    # weights 0.05 : 0.1047375: GST 1547 x 0.05 / 0.1547375 = 499.88, QST 1047.12; floors
    # 499 + 1047 = 1546, the last cent to GST (remainder 0.88): 5.00 GST, 10.47 QST, which is
    # 9.975% of 105.00 = 10.47375 rounded.
    assert amounts(result, "a") == [500, 1047]
    assert [line.compound for line in result.items[0].lines] == [False, True]


def test_exempt_category_has_no_lines_and_zero_category_a_zero_line() -> None:
    table = us_table()
    result = table.calculate(
        request(item("gift", 2500, "exempt"), item("bread", 400, "zero"), item("mug", 1000))
    )
    assert result.for_item("gift") is None  # outside the tax: no line at all
    zero = result.for_item("bread")
    assert zero is not None and [(t.rate, t.amount_minor) for t in zero.lines] == [(Decimal(0), 0)]
    assert sum(amounts(result, "mug")) == 80  # 8% of 10.00


def test_unknown_category_falls_back_to_standard() -> None:
    result = us_table().calculate(request(item("book", 999, "books"), item("pen", 999)))
    assert amounts(result, "book") == amounts(result, "pen") == [63, 10, 2, 5]


def test_temporary_category_rule_falls_back_to_standard_after_it_ends() -> None:
    # A reduced 9% for books until 2026-01-01 (Tallinn), then books are standard again.
    books = TaxRule("EE", "books", TaxRate("VAT", "0.09", "EE"), valid_until=date(2026, 1, 1))
    table = estonia(books)
    tallinn = Address("EE")
    during = table.calculate(
        request(
            item("b", 1000, "books"), ship_to=tallinn, at=datetime(2025, 12, 31, 21, 59, tzinfo=UTC)
        )
    )
    after = table.calculate(
        request(
            item("b", 1000, "books"), ship_to=tallinn, at=datetime(2025, 12, 31, 22, tzinfo=UTC)
        )
    )
    assert amounts(during, "b") == [90]  # 9% of 10.00 (21:59Z is 23:59 in Tallinn, EET UTC+2)
    assert amounts(after, "b") == [240]  # 24% of 10.00 from local midnight


def test_no_rule_in_force_is_an_error_naming_zone_category_and_time() -> None:
    table = estonia()
    early = datetime(2025, 7, 1, tzinfo=UTC)
    later = TaxRuleTable(
        [TaxZone("EE", "EE", timezone="Europe/Tallinn")],
        [TaxRule("EE", "standard", TaxRate("VAT", "0.24"), valid_from=date(2025, 7, 2))],
    )
    with pytest.raises(TaxError) as caught:
        later.calculate(request(item("b", 1000, "books"), ship_to=Address("EE"), at=early))
    message = str(caught.value)
    assert "zone 'EE'" in message and "category 'books'" in message
    assert "2025-07-01T00:00:00+00:00" in message and "Europe/Tallinn" in message
    assert not isinstance(caught.value, TaxTableError)  # the table is fine; the time is not
    assert amounts(
        table.calculate(request(item("b", 1000), ship_to=Address("EE"), at=early)), "b"
    ) == [240]


def test_outside_every_zone_is_no_tax_with_a_note() -> None:
    result = us_table().calculate(
        request(item("mug", 999), ship_to=Address("FR", postal_code="75008"))
    )
    assert result.items == ()
    assert [note.code for note in result.notes] == ["outside_zones"]
    assert "FR 75008" in result.notes[0].text and "outside every zone" in result.notes[0].text


def test_missing_address_is_an_error_and_billing_is_the_fallback() -> None:
    table = us_table()
    with pytest.raises(TaxAddressError, match="neither a shipping nor a billing address"):
        table.calculate(request(item("mug", 999), ship_to=None))
    by_billing = table.calculate(request(item("mug", 999), ship_to=None, billing=SF))
    assert sum(amounts(by_billing, "mug")) == 80
    # The ship-to address wins over billing: shipped to Los Angeles, 6.25% only.
    la = Address("US", region="CA", postal_code="90001")
    shipped = table.calculate(request(item("mug", 999), ship_to=la, billing=SF))
    assert amounts(shipped, "mug") == [62]


def test_shipping_uses_its_category_through_the_same_lookup() -> None:
    table = us_table()
    taxed = table.calculate(
        request(item("mug", 999), shipping=item(SHIPPING_ITEM, 500, "standard"))
    )
    # 8% of 5.00 = 40 cents; exact shares 40 x 6.25/8 = 31.25, 40 x 1/8 = 5, 40 x 0.25/8 =
    # 1.25, 40 x 0.5/8 = 2.5; floors 31+5+1+2 = 39, the last cent to the largest remainder
    # (0.5, the district's).
    assert amounts(taxed, SHIPPING_ITEM) == [31, 5, 1, 3]
    untaxed = table.calculate(request(item("mug", 999), shipping=item(SHIPPING_ITEM, 500, None)))
    assert untaxed.for_item(SHIPPING_ITEM) is None  # no category: shipping is untaxed (policy)
    exempt = table.calculate(request(item("mug", 999), shipping=item(SHIPPING_ITEM, 500, "exempt")))
    assert exempt.for_item(SHIPPING_ITEM) is None


def test_source_fills_rates_without_one() -> None:
    own = TaxRate("Special", "0.01", "SF", source="city-feed")
    table = TaxRuleTable(
        [TaxZone("SF", "US", postal_codes=["94103"])],
        [TaxRule("SF", "standard", (TaxRate("State tax", "0.0625", "US-CA"), own))],
        source="ca-cdtfa-2026q1",
    )
    lines = table.calculate(request(item("mug", 10000))).items[0].lines
    assert [(line.source, line.amount_minor) for line in lines] == [
        ("ca-cdtfa-2026q1", 625),  # 6.25% of 100.00
        ("city-feed", 100),  # 1% of 100.00
    ]


def test_rates_are_looked_up_once_per_category_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    table = us_table()
    calls: list[str] = []
    original = TaxRuleTable._rates_in

    def counting(self: TaxRuleTable, zone: TaxZone, category: str, at: datetime) -> object:
        calls.append(category)
        return original(self, zone, category, at)

    monkeypatch.setattr(TaxRuleTable, "_rates_in", counting)
    items = [item(f"l{i}", 100 + i, ["standard", "zero", None][i % 3]) for i in range(100)]
    result = table.calculate(request(*items))
    assert sorted(calls) == ["standard", "zero"]  # None is "standard": one lookup each
    assert len(result.items) == 100


def test_exempt_buyer_gets_no_tax() -> None:
    result = us_table().calculate(request(item("mug", 999), buyer=TaxBuyer(exempt=True)))
    assert result.items == ()


# --- end to end through the cart ---------------------------------------------------------


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def test_price_cart_exclusive_prices() -> None:
    catalog = {
        "MUG": CatalogEntry("MUG", price=usd("9.99")),
        "GIFT": CatalogEntry("GIFT", price=usd("25.00"), tax_category="exempt"),
    }
    cart = Cart(id="c1", currency="USD", shipping_address=SF).add("MUG", 3).add("GIFT", 1)
    shipping = ShippingRate("post", usd("5.00"), tax_category="standard")
    result = price_cart(cart, catalog, at=AT, tax=us_table(), shipping=shipping)
    mug, gift = result.lines
    # 3 x 9.99 = 29.97; 8% = 2.3976 -> 2.40, split by rate: 240 x 6.25/8 = 187.5, 30, 7.5, 15;
    # floors 187+30+7+15 = 239, the last cent to the state (0.5 tie, first in rate order).
    assert [t.amount for t in mug.tax_lines] == [usd("1.88"), usd("0.30"), usd("0.07"), usd("0.15")]
    assert mug.tax_total == usd("2.40")
    assert mug.total == usd("32.37")  # net 29.97 + tax 2.40
    assert gift.tax_lines == () and gift.total == usd("25.00")
    assert result.shipping is not None and result.shipping.tax_total == usd("0.40")  # 8% of 5.00
    assert {t.source for t in mug.tax_lines} == {"rules"}
    # 29.97 + 25.00 + 5.00 + 2.40 + 0.40
    assert result.grand_total == usd("62.77")
    for line in result.lines:
        assert line.subtotal - line.discount_total + line.tax_total == line.total


def test_price_cart_inclusive_prices_net_plus_tax_is_gross() -> None:
    catalog = {
        "TEE": CatalogEntry("TEE", price=Money("9.99", "EUR")),
        "BOOK": CatalogEntry("BOOK", price=Money("20.00", "EUR"), tax_category="reduced"),
    }
    reduced = TaxRule("EE", "reduced", TaxRate("VAT", "0.09", "EE"), valid_from=date(2025, 1, 1))
    tallinn = Address("EE", postal_code="10111")
    cart = Cart(id="c2", currency="EUR", shipping_address=tallinn).add("TEE", 3).add("BOOK", 1)
    policy = PricingPolicy(prices_include_tax=True)
    at = datetime(2025, 8, 1, 9, tzinfo=UTC)
    result = price_cart(cart, catalog, at=at, tax=estonia(reduced), policy=policy)
    tee, book = result.lines
    # 3 x 9.99 = 29.97 gross at 24%: tax 29.97 x 0.24 / 1.24 = 5.8006 -> 5.80, net 24.17.
    assert tee.tax_total == Money("5.80", "EUR")
    assert tee.total == Money("29.97", "EUR")
    assert tee.total - tee.tax_total == Money("24.17", "EUR")
    # 20.00 gross at 9%: tax 20 x 0.09 / 1.09 = 1.6514 -> 1.65, net 18.35.
    assert book.tax_total == Money("1.65", "EUR")
    assert book.total - book.tax_total == Money("18.35", "EUR")
    assert {t.source for t in tee.tax_lines + book.tax_lines} == {"ee-vat"}
    assert result.grand_total == Money("49.97", "EUR")  # gross prices: tax is inside
    assert result.tax_total == Money("7.45", "EUR")
    # Before the change at Tallinn midnight the same cart carries 22%:
    # 29.97 x 0.22 / 1.22 = 5.4044 -> 5.40.
    june = price_cart(
        cart, catalog, at=datetime(2025, 6, 30, 20, tzinfo=UTC), tax=estonia(reduced), policy=policy
    )
    assert june.lines[0].tax_total == Money("5.40", "EUR")


def test_price_cart_outside_zones_and_without_address() -> None:
    catalog = {"MUG": CatalogEntry("MUG", price=usd("9.99"))}
    paris = Cart(id="c3", currency="USD", shipping_address=Address("FR", postal_code="75008"))
    result = price_cart(paris.add("MUG"), catalog, at=AT, tax=us_table())
    assert result.tax_total == usd("0")
    assert [note.code for note in result.tax_notes] == ["outside_zones"]
    nowhere = Cart(id="c4", currency="USD").add("MUG")
    with pytest.raises(TaxAddressError):
        price_cart(nowhere, catalog, at=AT, tax=us_table())
