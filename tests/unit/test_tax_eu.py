"""EU VAT: the dated table, the distance-selling and reverse-charge rules, end to end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import attrs
import pytest

from commercekit import Money, errors
from commercekit.address import Address
from commercekit.cart import Cart, PricingPolicy, price_cart
from commercekit.money import get_currency
from commercekit.pricing import CatalogEntry, Customer
from commercekit.tax import (
    EU_MEMBER_STATES,
    EU_TIME_ZONES,
    EU_VAT_RATES,
    EU_VAT_SOURCE,
    EU_VAT_TABLE_START,
    EU_VAT_TABLE_TAKEN,
    OVERRIDE_SOURCE,
    SHIPPING_ITEM,
    VAT_ID_PREFIXES,
    EuCategory,
    EuVat,
    EuVatRate,
    FakeVatIdValidator,
    Keep,
    Seller,
    TaxableItem,
    TaxBuyer,
    TaxNote,
    TaxRate,
    TaxRequest,
    TaxResult,
)

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)
TODAY = date(2026, 11, 30)
PARIS = Address("FR", postal_code="75001", city="Paris")
BERLIN = Address("DE", postal_code="10115", city="Berlin")
TALLINN = Address("EE", postal_code="10111", city="Tallinn")
DE_SELLER = Seller("DE")
DE_OVER = Seller("DE", eu_over_threshold=True)
FR_ID = "FR40303265045"
DE_ID = "DE136695976"
EU_VAT = EuVat()


def item(key: str, amount: int, category: str | None = None) -> TaxableItem:
    return TaxableItem(key, key.upper(), category, 1, amount, 0)


def request(
    *items: TaxableItem,
    to: Address | None = PARIS,
    seller: Seller | None = DE_SELLER,
    buyer: TaxBuyer | None = None,
    inclusive: bool = False,
    at: datetime = AT,
    currency: str = "EUR",
    billing: Address | None = None,
    shipping: TaxableItem | None = None,
) -> TaxRequest:
    return TaxRequest(
        currency=get_currency(currency),
        at=at,
        items=items or (item("a", 10000),),
        shipping=shipping,
        ship_to=to,
        billing=billing,
        seller=seller,
        buyer=buyer or TaxBuyer(),
        prices_include_tax=inclusive,
    )


def taxes(result: TaxResult, key: str = "a") -> list[tuple[str, Decimal, int]]:
    """(jurisdiction, rate, amount) of each tax line on ``key``."""
    found = result.for_item(key)
    return [] if found is None else [(t.jurisdiction, t.rate, t.amount_minor) for t in found.lines]


def adjustment(result: TaxResult, key: str = "a") -> int:
    found = result.for_item(key)
    return 0 if found is None else found.adjustment_minor


# --- the table ------------------------------------------------------------------------------


def test_the_table_covers_the_27_member_states() -> None:
    assert len(EU_MEMBER_STATES) == 27
    assert {rate.country for rate in EU_VAT_RATES} == EU_MEMBER_STATES
    assert set(EU_TIME_ZONES) == EU_MEMBER_STATES
    for zone in EU_TIME_ZONES.values():
        ZoneInfo(zone)  # every zone is a real IANA zone
    assert "GR" in EU_MEMBER_STATES and "EL" not in EU_MEMBER_STATES
    assert VAT_ID_PREFIXES["GR"] == "EL" and VAT_ID_PREFIXES["DE"] == "DE"
    assert EU_VAT_TABLE_TAKEN.isoformat() == "2026-09-23"
    assert EU_VAT_SOURCE == "eu-vat:TEDB:2026-09-23"


def test_each_state_has_exactly_one_standard_rate_at_any_instant_since_2023() -> None:
    for country in EU_MEMBER_STATES:
        periods = sorted(
            (r for r in EU_VAT_RATES if r.country == country and r.category == "standard"),
            key=lambda r: r.valid_from,
        )
        # Contiguous from the table's start, open at the end: no gap, no overlap.
        assert periods[0].valid_from == EU_VAT_TABLE_START, country
        for before, after in pairwise(periods):
            assert before.valid_until == after.valid_from, country
        assert periods[-1].valid_until is None, country


def test_no_two_periods_overlap_for_one_country_and_category_and_rates_are_fractions() -> None:
    grouped: dict[tuple[str, str], list[EuVatRate]] = {}
    for rate in EU_VAT_RATES:
        assert Decimal(0) <= rate.rate < Decimal(1)
        grouped.setdefault((rate.country, rate.category), []).append(rate)
    for key, periods in grouped.items():
        periods.sort(key=lambda r: r.valid_from)
        for before, after in pairwise(periods):
            assert before.valid_until is not None, key
            assert before.valid_until <= after.valid_from, key


@pytest.mark.parametrize(
    ("country", "standard"),
    [
        ("DE", "0.19"),
        ("FR", "0.20"),
        ("EE", "0.24"),
        ("FI", "0.255"),
        ("RO", "0.21"),
        ("SK", "0.23"),
        ("HU", "0.27"),
        ("LU", "0.17"),
    ],
)
def test_todays_standard_rates(country: str, standard: str) -> None:
    found = EU_VAT.rate(country, "standard", TODAY)
    assert found is not None
    assert found.rate == Decimal(standard)
    assert (found.name, found.jurisdiction, found.source) == ("VAT", country, EU_VAT_SOURCE)


def rate_on(country: str, category: str, day: str) -> Decimal | None:
    found = EU_VAT.rate(country, category, date.fromisoformat(day))
    return None if found is None else found.rate


@pytest.mark.parametrize(
    ("country", "category", "before", "after", "day"),
    [
        ("EE", "standard", "0.20", "0.22", "2024-01-01"),
        ("EE", "standard", "0.22", "0.24", "2025-07-01"),
        ("FI", "standard", "0.24", "0.255", "2024-09-01"),
        ("FI", "books", "0.10", "0.14", "2025-01-01"),  # books joined the 14% rate
        ("FI", "foodstuffs", "0.14", "0.135", "2026-01-01"),  # which became 13.5%
        ("FI", "reduced", "0.14", "0.135", "2026-01-01"),
        ("SK", "standard", "0.20", "0.23", "2025-01-01"),
        ("SK", "foodstuffs", "0.10", "0.05", "2025-01-01"),
        ("SK", "reduced", "0.10", "0.19", "2025-01-01"),
        ("RO", "standard", "0.19", "0.21", "2025-08-01"),
        ("RO", "foodstuffs", "0.09", "0.11", "2025-08-01"),  # 9% merged into 11%
        ("RO", "books", "0.05", "0.11", "2025-08-01"),  # and 5% too
        ("LU", "standard", "0.16", "0.17", "2024-01-01"),  # the temporary 16% of 2023
        ("CZ", "foodstuffs", "0.15", "0.12", "2024-01-01"),  # 15% and 10% merged into 12%
        ("CZ", "pharmaceuticals", "0.10", "0.12", "2024-01-01"),
        ("CZ", "reduced", "0.15", "0.12", "2024-01-01"),
    ],
)
def test_recent_rate_changes_take_effect_on_their_day(
    country: str, category: str, before: str, after: str, day: str
) -> None:
    previous = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    assert rate_on(country, category, previous) == Decimal(before)
    assert rate_on(country, category, day) == Decimal(after)


def test_categories_a_state_does_not_reduce_have_no_row() -> None:
    assert rate_on("DE", "pharmaceuticals", "2026-11-30") is None  # medicines: 19% in Germany
    assert rate_on("DK", "reduced", "2026-11-30") is None  # Denmark has no reduced rate
    assert rate_on("DE", "super_reduced", "2026-11-30") is None
    assert rate_on("FR", "super_reduced", "2026-11-30") == Decimal("0.021")
    assert rate_on("DE", "standard", "2022-12-31") is None  # before the table starts


# --- distance selling (B2C) ------------------------------------------------------------------


def test_b2c_below_the_threshold_pays_the_sellers_rate() -> None:
    result = EU_VAT.calculate(request())
    line = result.items[0].lines[0]
    assert (line.name, line.jurisdiction, line.rate, line.compound) == (
        "VAT",
        "DE",
        Decimal("0.19"),
        False,
    )
    assert line.amount_minor == 1900  # 100.00 x 19%
    assert line.source == "eu-vat:TEDB:2026-09-23"
    assert result.notes == ()
    # Filing through the One-Stop Shop changes nothing in the amounts.
    oss = EU_VAT.calculate(request(seller=Seller("DE", eu_oss=True)))
    assert taxes(oss) == taxes(result)


@pytest.mark.parametrize(
    "seller",
    [
        DE_OVER,
        Seller("DE", eu_destination_opt_in=True),
        Seller("DE", eu_oss=True, eu_over_threshold=True),
    ],
)
def test_b2c_over_the_threshold_or_opted_in_pays_the_destinations_rate(seller: Seller) -> None:
    result = EU_VAT.calculate(request(seller=seller))
    assert taxes(result) == [("FR", Decimal("0.20"), 2000)]  # 100.00 x 20%


def test_a_domestic_sale_pays_the_sellers_rate_whatever_the_threshold() -> None:
    result = EU_VAT.calculate(request(to=BERLIN, seller=DE_OVER))
    assert taxes(result) == [("DE", Decimal("0.19"), 1900)]


def test_the_billing_address_is_the_destination_without_a_shipping_address() -> None:
    result = EU_VAT.calculate(request(to=None, billing=PARIS, seller=DE_OVER))
    assert taxes(result) == [("FR", Decimal("0.20"), 2000)]


def test_the_seller_can_be_configured_instead_of_passed() -> None:
    result = EuVat(seller=DE_OVER).calculate(request(seller=None))
    assert taxes(result) == [("FR", Decimal("0.20"), 2000)]


# --- B2B -------------------------------------------------------------------------------------

REVERSE_CHARGE = TaxNote(
    "reverse_charge",
    "Reverse charge: intra-Community supply of goods exempt under Article 138 of Council"
    " Directive 2006/112/EC; VAT is accounted for by the customer, VAT id FR40303265045",
)


@pytest.mark.parametrize("validated", [None, True])
def test_b2b_to_another_member_state_with_a_valid_id_is_a_reverse_charge(
    validated: bool | None,
) -> None:
    buyer = TaxBuyer("acme", vat_id=FR_ID, vat_id_validated=validated)
    for seller in (DE_SELLER, DE_OVER):
        result = EU_VAT.calculate(request(buyer=buyer, seller=seller))
        assert result.items == ()  # no VAT line at all
        assert result.notes == (REVERSE_CHARGE,)


def test_an_id_with_a_bad_checksum_is_treated_as_a_consumer() -> None:
    buyer = TaxBuyer("acme", vat_id="FR40303265046")
    result = EU_VAT.calculate(request(buyer=buyer))
    assert taxes(result) == [("DE", Decimal("0.19"), 1900)]  # B2C below the threshold
    (note,) = result.notes
    assert note.code == "vat_id_invalid"
    assert note.text.startswith("checksum: FR40303265046: ")
    over = EU_VAT.calculate(request(buyer=buyer, seller=DE_OVER))
    assert taxes(over) == [("FR", Decimal("0.20"), 2000)]  # B2C over the threshold


def test_an_id_refused_online_is_treated_as_a_consumer() -> None:
    fake = FakeVatIdValidator(valid=set())
    buyer = TaxBuyer("acme", vat_id=FR_ID, vat_id_validated=fake.check(FR_ID).valid)
    result = EU_VAT.calculate(request(buyer=buyer))
    assert taxes(result) == [("DE", Decimal("0.19"), 1900)]
    (note,) = result.notes
    assert note.code == "vat_id_invalid"
    assert note.text.startswith("vies_refused: FR40303265045: ")


def test_domestic_b2b_pays_vat() -> None:
    buyer = TaxBuyer("acme", vat_id=DE_ID, vat_id_validated=True)
    result = EU_VAT.calculate(request(to=BERLIN, buyer=buyer))
    assert taxes(result) == [("DE", Decimal("0.19"), 1900)]
    assert result.notes == ()


def test_b2b_with_an_id_of_the_sellers_own_state_pays_the_sellers_vat() -> None:
    # A German company's German id, goods sent to France: no intra-EU supply to a French id.
    buyer = TaxBuyer("acme", vat_id=DE_ID)
    result = EU_VAT.calculate(request(buyer=buyer, seller=DE_OVER))
    assert taxes(result) == [("DE", Decimal("0.19"), 1900)]
    assert result.notes == ()


def test_a_foreign_id_for_goods_staying_in_the_sellers_state_pays_the_sellers_vat() -> None:
    result = EU_VAT.calculate(request(to=BERLIN, buyer=TaxBuyer("acme", vat_id=FR_ID)))
    assert taxes(result) == [("DE", Decimal("0.19"), 1900)]
    assert result.notes == ()


# --- exports ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "destination", [Address("US", region="NY", postal_code="10001"), Address("CH", city="Zurich")]
)
def test_an_export_is_zero_rated_with_a_note(destination: Address) -> None:
    for seller in (DE_SELLER, DE_OVER):
        result = EU_VAT.calculate(request(to=destination, seller=seller))
        assert result.items == ()
        (note,) = result.notes
        assert note.code == "export"
        assert destination.country in note.text


def test_an_export_with_inclusive_prices_keeps_the_gross_or_pays_the_net() -> None:
    usa = Address("US", region="NY")
    gross = EuVat(keep=Keep.GROSS).calculate(request(item("a", 11900), to=usa, inclusive=True))
    assert gross.items == ()  # the buyer pays the shelf price, 119.00, with no VAT in it
    net = EuVat(keep="net").calculate(request(item("a", 11900), to=usa, inclusive=True))
    # The shelf price holds German VAT: 119.00 x 0.19 / 1.19 = 19.00; the buyer pays 100.00.
    assert taxes(net) == []
    assert adjustment(net) == -1900


# --- categories ------------------------------------------------------------------------------


def test_categories_map_to_the_destinations_rates() -> None:
    result = EU_VAT.calculate(
        request(
            item("book", 1234, EuCategory.BOOKS),
            item("reduced", 1000, "reduced"),
            item("super", 1000, "super_reduced"),
            item("medicine", 1000, "pharmaceuticals"),
            item("plain", 1000, None),
            item("standard", 1000, "standard"),
            item("custom", 1000, "gift-wrap"),
            item("zero", 1000, "zero"),
            item("exempt", 1000, "exempt"),
            seller=DE_OVER,
        )
    )
    assert taxes(result, "book") == [("FR", Decimal("0.055"), 68)]  # 12.34 x 5.5% = 0.6787
    assert taxes(result, "reduced") == [("FR", Decimal("0.10"), 100)]  # France's highest reduced
    assert taxes(result, "super") == [("FR", Decimal("0.021"), 21)]  # 10.00 x 2.1%
    assert taxes(result, "medicine") == [("FR", Decimal("0.10"), 100)]
    assert taxes(result, "plain") == [("FR", Decimal("0.20"), 200)]
    assert taxes(result, "standard") == [("FR", Decimal("0.20"), 200)]
    assert taxes(result, "custom") == [("FR", Decimal("0.20"), 200)]  # unknown: standard
    assert taxes(result, "zero") == [("FR", Decimal("0"), 0)]  # a 0% line is shown
    assert result.for_item("exempt") is None  # no line at all


def test_categories_a_state_does_not_reduce_pay_its_standard_rate() -> None:
    result = EU_VAT.calculate(
        request(
            item("book", 1234, "books"),
            item("medicine", 1000, "pharmaceuticals"),
            item("super", 1000, "super_reduced"),
        )
    )
    assert taxes(result, "book") == [("DE", Decimal("0.07"), 86)]  # 12.34 x 7% = 0.8638
    assert taxes(result, "medicine") == [("DE", Decimal("0.19"), 190)]
    assert taxes(result, "super") == [("DE", Decimal("0.19"), 190)]  # Germany has none
    danish = EU_VAT.calculate(
        request(item("a", 1000, "reduced"), to=Address("DK"), seller=Seller("DK"))
    )
    assert taxes(danish) == [("DK", Decimal("0.25"), 250)]  # Denmark has no reduced rate


def test_shipping_is_taxed_at_the_rate_of_its_category_in_the_taxing_country() -> None:
    shipping = TaxableItem(SHIPPING_ITEM, None, "standard", 1, 500, 0)
    result = EU_VAT.calculate(request(seller=DE_OVER, shipping=shipping))
    assert taxes(result, SHIPPING_ITEM) == [("FR", Decimal("0.20"), 100)]  # 5.00 x 20%


# --- tax-inclusive prices ---------------------------------------------------------------------


def test_inclusive_prices_keep_gross_extracts_the_destinations_vat() -> None:
    calculator = EuVat(keep=Keep.GROSS)
    result = calculator.calculate(request(item("a", 11900), seller=DE_OVER, inclusive=True))
    # 119.00 x 0.20 / 1.20 = 19.8333 -> 19.83; the buyer still pays 119.00.
    assert taxes(result) == [("FR", Decimal("0.20"), 1983)]
    assert adjustment(result) == 0


def test_inclusive_prices_keep_net_restates_the_price_at_the_destinations_rate() -> None:
    calculator = EuVat(keep=Keep.NET)
    result = calculator.calculate(
        request(item("a", 11900), item("book", 1070, "books"), seller=DE_OVER, inclusive=True)
    )
    # Shelf 119.00 holds 19.00 of German VAT: net 100.00; French VAT 20.00; pays 120.00.
    assert taxes(result) == [("FR", Decimal("0.20"), 2000)]
    assert adjustment(result) == 100
    # Shelf 10.70 holds 0.70 (7%): net 10.00; French 5.5% is 0.55; pays 10.55.
    assert taxes(result, "book") == [("FR", Decimal("0.055"), 55)]
    assert adjustment(result, "book") == -15


def test_inclusive_prices_at_the_sellers_own_rate_are_never_restated() -> None:
    calculator = EuVat(keep=Keep.NET)
    result = calculator.calculate(request(item("a", 11900), inclusive=True))  # below threshold
    assert taxes(result) == [("DE", Decimal("0.19"), 1900)]  # 119.00 x 0.19 / 1.19
    assert adjustment(result) == 0


def test_a_reverse_charge_with_inclusive_prices_follows_keep() -> None:
    buyer = TaxBuyer("acme", vat_id=FR_ID)
    gross = EuVat(keep=Keep.GROSS).calculate(request(item("a", 11900), buyer=buyer, inclusive=True))
    assert gross.items == ()
    net = EuVat(keep=Keep.NET).calculate(request(item("a", 11900), buyer=buyer, inclusive=True))
    assert adjustment(net) == -1900  # the buyer pays the net, 100.00


# --- time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "rate", "tax"),
    [
        # Midnight in Tallinn on 1 July 2025 (EEST, UTC+3) is 21:00 UTC on 30 June.
        (datetime(2025, 6, 30, 20, 59, 59, tzinfo=UTC), "0.22", 2200),
        (datetime(2025, 6, 30, 21, 0, 0, tzinfo=UTC), "0.24", 2400),
        (datetime(2025, 6, 30, 21, 0, 1, tzinfo=UTC), "0.24", 2400),
        # Midnight on 1 January 2024 (EET, UTC+2) is 22:00 UTC on 31 December.
        (datetime(2023, 12, 31, 21, 59, 59, tzinfo=UTC), "0.20", 2000),
        (datetime(2023, 12, 31, 22, 0, 0, tzinfo=UTC), "0.22", 2200),
    ],
)
def test_the_estonian_rate_changes_at_midnight_in_tallinn(
    at: datetime, rate: str, tax: int
) -> None:
    result = EU_VAT.calculate(request(to=TALLINN, seller=Seller("EE"), at=at))
    assert taxes(result) == [("EE", Decimal(rate), tax)]  # 100.00 x the rate


def test_the_taxing_countrys_clock_decides() -> None:
    # 21:30 UTC on 30 June 2025: already 1 July in Tallinn, still 30 June in Berlin.
    at = datetime(2025, 6, 30, 21, 30, tzinfo=UTC)
    result = EU_VAT.calculate(request(to=TALLINN, seller=DE_OVER, at=at))
    assert taxes(result) == [("EE", Decimal("0.24"), 2400)]


def test_a_time_before_the_table_or_without_a_zone_is_refused() -> None:
    with pytest.raises(errors.TaxTableError):
        EU_VAT.calculate(request(at=datetime(2022, 6, 1, tzinfo=UTC)))
    with pytest.raises(errors.ValidationError):
        EU_VAT.calculate(request(at=datetime(2026, 6, 1)))  # naive


# --- currencies ------------------------------------------------------------------------------


def test_a_forint_cart() -> None:
    # ISO 4217 gives HUF 2 decimals although prices are whole forints: amounts are in minor
    # units of whatever the currency table says.
    scale = 10 ** get_currency("HUF").minor_units
    hungary = Address("HU", city="Budapest")
    result = EU_VAT.calculate(
        request(
            item("a", 12700 * scale),
            item("book", 4000 * scale, "books"),
            to=hungary,
            seller=Seller("HU"),
            currency="HUF",
        )
    )
    assert taxes(result) == [("HU", Decimal("0.27"), 3429 * scale)]  # 12 700 x 27% = 3 429
    assert taxes(result, "book") == [("HU", Decimal("0.05"), 200 * scale)]  # 4 000 x 5%


# --- overrides -------------------------------------------------------------------------------


def test_an_override_wins_for_its_period_and_says_so() -> None:
    books = EuVatRate("FR", EuCategory.BOOKS, Decimal("0.07"), date(2026, 7, 1))
    calculator = EuVat(overrides=[books])
    result = calculator.calculate(request(item("book", 1234, "books"), seller=DE_OVER))
    (line,) = result.items[0].lines
    assert (line.rate, line.amount_minor, line.source) == (Decimal("0.07"), 86, OVERRIDE_SOURCE)
    before = calculator.calculate(
        request(
            item("book", 1234, "books"), seller=DE_OVER, at=datetime(2026, 6, 30, 12, tzinfo=UTC)
        )
    )
    (line,) = before.items[0].lines
    assert (line.rate, line.amount_minor, line.source) == (Decimal("0.055"), 68, EU_VAT_SOURCE)


def test_an_override_can_add_a_custom_category() -> None:
    wine = EuVatRate("LU", "wine", Decimal("0.14"), date(2024, 1, 1))
    result = EuVat(overrides=[wine]).calculate(
        request(item("a", 1000, "wine"), to=Address("LU"), seller=Seller("LU"))
    )
    assert taxes(result) == [("LU", Decimal("0.14"), 140)]


def test_overlapping_periods_are_refused_when_the_calculator_is_built() -> None:
    first = EuVatRate("FR", "books", Decimal("0.07"), date(2026, 1, 1), date(2027, 1, 1))
    second = EuVatRate("FR", "books", Decimal("0.06"), date(2026, 6, 1))
    with pytest.raises(errors.TaxTableError):
        EuVat(overrides=[first, second])
    with pytest.raises(errors.TaxTableError):
        EuVat(rates=[*EU_VAT_RATES, second])
    with pytest.raises(errors.TaxTableError):
        EuVat(overrides=[TaxRate("VAT", "0.2")])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "build",
    [
        lambda: EuVatRate("US", "standard", Decimal("0.1"), date(2026, 1, 1)),
        lambda: EuVatRate("EL", "standard", Decimal("0.24"), date(2026, 1, 1)),
        lambda: EuVatRate("FR", "standard", Decimal("1"), date(2026, 1, 1)),
        lambda: EuVatRate("FR", "standard", Decimal("-0.01"), date(2026, 1, 1)),
        lambda: EuVatRate("FR", "", Decimal("0.2"), date(2026, 1, 1)),
        lambda: EuVatRate("FR", "standard", Decimal("0.2"), datetime(2026, 1, 1, tzinfo=UTC)),
        lambda: EuVatRate("FR", "standard", Decimal("0.2"), date(2026, 1, 1), date(2026, 1, 1)),
    ],
)
def test_bad_rates_are_table_errors(build: Callable[[], EuVatRate]) -> None:
    with pytest.raises(errors.TaxTableError):
        build()


# --- configuration ---------------------------------------------------------------------------


def test_the_seller_must_be_known_and_established_in_the_eu() -> None:
    with pytest.raises(errors.ConfigurationError):
        EuVat(seller=Seller("US"))
    with pytest.raises(errors.ConfigurationError):
        EU_VAT.calculate(request(seller=Seller("CH")))
    with pytest.raises(errors.ConfigurationError):
        EU_VAT.calculate(request(seller=None))
    with pytest.raises(errors.ValidationError):
        EuVat(keep="both")


def test_no_destination_is_an_address_error() -> None:
    with pytest.raises(errors.TaxAddressError):
        EU_VAT.calculate(request(to=None))


def test_a_100_line_cart_resolves_each_category_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    lookup = EuVat.rate

    def counting(self: EuVat, country: str, category: str, day: date) -> TaxRate | None:
        calls.append((country, category))
        return lookup(self, country, category, day)

    monkeypatch.setattr(EuVat, "rate", counting)
    categories = [None, "books", "reduced"]
    lines = [item(f"l{n:03}", 1000, categories[n % 3]) for n in range(100)]
    result = EU_VAT.calculate(request(*lines, seller=DE_OVER))
    assert len(result.items) == 100
    # One standard lookup per category, plus one for each category that is not standard.
    assert sorted(calls) == sorted(
        [
            ("FR", "standard"),
            ("FR", "standard"),
            ("FR", "books"),
            ("FR", "standard"),
            ("FR", "reduced"),
        ]
    )


# --- end to end ------------------------------------------------------------------------------

CATALOG = {
    "NOVEL": CatalogEntry("NOVEL", price=Money("12.34", "EUR"), tax_category="books"),
    "MUG": CatalogEntry("MUG", price=Money("8.00", "EUR")),
}


def french_cart() -> Cart:
    return Cart(id="c1", currency="EUR", shipping_address=PARIS).add("NOVEL", 2).add("MUG", 1)


def test_price_cart_with_eu_vat_over_the_threshold() -> None:
    result = price_cart(french_cart(), CATALOG, at=AT, tax=EuVat(), seller=DE_OVER)
    novel, mug = result.lines
    (book_vat,) = novel.tax_lines
    assert (book_vat.jurisdiction, book_vat.rate, book_vat.source) == (
        "FR",
        Decimal("0.055"),
        EU_VAT_SOURCE,
    )
    assert book_vat.amount == Money("1.36", "EUR")  # 24.68 x 5.5% = 1.3574
    assert mug.tax_total == Money("1.60", "EUR")  # 8.00 x 20%
    assert result.tax_total == Money("2.96", "EUR")
    assert result.grand_total == Money("35.64", "EUR")  # 24.68 + 8.00 + 2.96
    assert result.tax_notes == ()


def test_price_cart_reverse_charge_and_refused_ids() -> None:
    company = Customer(id="acme", vat_id=FR_ID)
    result = price_cart(
        french_cart(), CATALOG, at=AT, tax=EuVat(), seller=DE_OVER, customer=company
    )
    assert result.tax_total == Money("0.00", "EUR")
    assert result.grand_total == Money("32.68", "EUR")  # 24.68 + 8.00, no VAT
    assert result.tax_notes == (REVERSE_CHARGE,)
    fake = FakeVatIdValidator(valid=set())
    assert company.vat_id is not None
    refused = attrs.evolve(company, vat_id_validated=fake.check(company.vat_id).valid)
    result = price_cart(
        french_cart(), CATALOG, at=AT, tax=EuVat(), seller=DE_OVER, customer=refused
    )
    assert result.tax_total == Money("2.96", "EUR")
    assert [note.code for note in result.tax_notes] == ["vat_id_invalid"]


def test_price_cart_inclusive_keep_net() -> None:
    policy = PricingPolicy(prices_include_tax=True)
    catalog = {"MUG": CatalogEntry("MUG", price=Money("11.90", "EUR"))}
    cart = Cart(id="c2", currency="EUR", shipping_address=PARIS).add("MUG", 1)
    result = price_cart(
        cart, catalog, at=AT, tax=EuVat(keep=Keep.NET), seller=DE_OVER, policy=policy
    )
    # Shelf 11.90 holds 1.90 of German VAT: net 10.00, French VAT 2.00, the buyer pays 12.00.
    assert result.tax_total == Money("2.00", "EUR")
    assert result.tax_adjustment_total == Money("0.10", "EUR")
    assert result.grand_total == Money("12.00", "EUR")
