"""US sales tax: the ZIP rate table and its loader, and UsSalesTax through the engine.

Every expected amount is derived by hand. The engine's rule (``_engine``) for exclusive
prices: ``round(A x R)`` with ``R`` the sum of the ZIP's rates, half-up, split across the
rates in proportion to them by largest remainder, ties going to the earlier rate.

The fixtures (``tests/fixtures/us_zip_rates_*.csv``) are synthetic:

- CA 90001: state 6%, county 0.25%, city 0.75%, special 2.5% (9.5%); 94103: 6% + 0.25% + 1%.
- TX 78701 (the seller): state 6.25%, city 1%, special 1% (8.25%); 76501: 6.25% + 1% city
  (7.25%); 79830: state only (6.25%).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from commercekit import Money
from commercekit.address import Address
from commercekit.cart import Cart, ShippingRate, price_cart
from commercekit.errors import (
    ConfigurationError,
    TaxAddressError,
    TaxTableError,
    ValidationError,
)
from commercekit.money import get_currency
from commercekit.pricing import CatalogEntry, Customer
from commercekit.tax import (
    DEFAULT_STATE_RULES,
    SHIPPING_ITEM,
    US_STATES,
    ExemptionCertificate,
    Seller,
    ShippingTax,
    TaxableItem,
    TaxBuyer,
    TaxCalculator,
    TaxNote,
    TaxRequest,
    TaxResult,
    UsSalesTax,
    UsSourcing,
    UsStateRule,
    UsZipRates,
    ZipRate,
)
from tests.fixtures.make_us_zip_rates import row, write_zip_rates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CA_FILE = FIXTURES / "us_zip_rates_ca.csv"
TX_FILE = FIXTURES / "us_zip_rates_tx.csv"
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
HEADER = (
    "State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,"
    "EstimatedCityRate,EstimatedSpecialRate,RiskLevel\n"
)

AUSTIN = Address("US", region="TX", postal_code="78701")
LA = Address("US", region="CA", postal_code="90001")
TOWN = Address("US", region="TX", postal_code="76501")
SELLER = Seller("US", AUSTIN, registrations={"US-TX", "US-CA"})
TX_ONLY = Seller("US", AUSTIN)  # nexus only where it is established

# The lines of the CA 90001 rates, and of the TX 78701 (seller's) rates.
CA_LINES = [
    ("State tax", "US-CA"),
    ("County tax", "US-CA:SYNTHETIC CITY:county"),
    ("City tax", "US-CA:SYNTHETIC CITY:city"),
    ("Special district tax", "US-CA:SYNTHETIC CITY:special"),
]
AUSTIN_LINES = [
    ("State tax", "US-TX"),
    ("City tax", "US-TX:SYNTHETIC CAPITAL:city"),
    ("Special district tax", "US-TX:SYNTHETIC CAPITAL:special"),
]


@pytest.fixture(scope="module")
def rates() -> UsZipRates:
    return UsZipRates.from_csv_files([CA_FILE, TX_FILE], name="2026-03")


def item(key: str, amount: int, category: str | None = None) -> TaxableItem:
    return TaxableItem(key, key.upper(), category, 1, amount, 0)


def shipping(amount: int, category: str | None = "shipping") -> TaxableItem:
    return TaxableItem(SHIPPING_ITEM, None, category, 1, amount, 0)


def request(
    *items: TaxableItem,
    ship_to: Address | None = LA,
    ship_from: Address | None = AUSTIN,
    shipping_item: TaxableItem | None = None,
    buyer: TaxBuyer | None = None,
    seller: Seller | None = None,
    inclusive: bool = False,
    at: datetime = AT,
) -> TaxRequest:
    return TaxRequest(
        get_currency("USD"),
        at,
        items,  # type: ignore[arg-type, unused-ignore]  # attrs: converter=tuple
        shipping=shipping_item,
        ship_to=ship_to,
        ship_from=ship_from,
        seller=seller,
        buyer=buyer or TaxBuyer(),
        prices_include_tax=inclusive,
    )


def lines(result: TaxResult, key: str = "a") -> list[tuple[str, str, int]]:
    found = result.for_item(key)
    if found is None:
        return []
    return [(line.name, line.jurisdiction, line.amount_minor) for line in found.lines]


def named(amounts: list[int], names: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    return [(name, where, amount) for (name, where), amount in zip(names, amounts, strict=True)]


# --- the table --------------------------------------------------------------------------


def test_fixture_files_load_with_decimal_rates(rates: UsZipRates) -> None:
    assert len(rates) == 6
    assert rates.states == frozenset({"CA", "TX"})
    assert rates.name == "2026-03"
    found = rates.get("90001")
    assert found == ZipRate(
        "CA", "90001", "SYNTHETIC CITY", "0.06", "0.0025", "0.0075", "0.025", "0.095", 1
    )
    assert found is not None
    assert type(found.state_rate) is Decimal
    # The file writes "0.025000"; the rate is normalized so tax lines show 2.5%, not 2.500000%.
    assert str(found.special_rate) == "0.025"
    assert rates.get("90210") is None
    assert "78701" in rates
    assert rates["79830"].parts_rate == Decimal("0.0625")


def test_a_zip_that_lost_its_leading_zeros_is_padded() -> None:
    text = (
        HEADER
        + "NY,501,HOLTSVILLE,0.08625,0.04,0.0425,0,0.00375,1\n"
        + "MA,1001,AGAWAM,0.0625,0.0625,0,0,0,1\n"
    )
    table = UsZipRates.from_csv(io.StringIO(text))
    assert list(table) == ["00501", "01001"]
    assert table["00501"].county_rate == Decimal("0.0425")
    assert table.get("501") is None  # lookups take the 5-digit ZIP


def test_columns_are_found_by_name_in_any_order_with_extra_columns() -> None:
    text = (
        "\ufeffRiskLevel,Extra,ZipCode,State,TaxRegionName,StateRate,EstimatedCountyRate,"
        "EstimatedCityRate,EstimatedSpecialRate,EstimatedCombinedRate\n"
        "3,x,98101,WA,SEATTLE,0.065,0,0.038,0.0005,0.1035\n"
        "\n"  # a blank line is skipped
    )
    table = UsZipRates.from_csv(io.StringIO(text))
    found = table["98101"]
    assert (found.state, found.city_rate, found.risk_level) == ("WA", Decimal("0.038"), 3)


def test_a_combined_rate_within_the_files_rounding_is_accepted() -> None:
    # 0.04 + 0.045 + 0 + 0.000004 = 0.085004; the file says 0.085: off by 0.000004 <= 0.00001
    text = HEADER + "NY,10001,NEW YORK CITY,0.085,0.04,0.045,0,0.000004,1\n"
    assert UsZipRates.from_csv(io.StringIO(text))["10001"].combined_rate == Decimal("0.085")
    # exactly 0.00001 off is still accepted; 0.000011 is not
    edge = HEADER + "NY,10001,NYC,0.08501,0.04,0.045,0,0,1\n"
    assert UsZipRates.from_csv(io.StringIO(edge))["10001"].parts_rate == Decimal("0.085")
    with pytest.raises(TaxTableError, match=r"off by more than 0\.00001"):
        UsZipRates.from_csv(io.StringIO(edge.replace("0.08501", "0.085011")))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("CA,900011,X,0.06,0.06,0,0,0,1\n", "line 3: ZipCode '900011' is not a 5-digit"),
        ("CA,90-01,X,0.06,0.06,0,0,0,1\n", "line 3: ZipCode '90-01' is not a 5-digit"),
        ("CA,90002,X,7.25,7.25,0,0,0,1\n", "line 3: StateRate 7.25 is not a rate in [0, 1)"),
        ("CA,90002,X,0.06,0.06,-0.01,0,0.01,1\n", "line 3: EstimatedCountyRate -0.01"),
        ("CA,90002,X,0.0951,0.06,0.0025,0.0075,0.025,1\n", "not the sum of its parts (0.095"),
        ("CA,90001,X,0.06,0.06,0,0,0,1\n", "line 3: ZIP 90001 appears twice (first at <text>,"),
        ("PR,00901,SAN JUAN,0.115,0.105,0,0.01,0,1\n", "line 3: State 'PR' is not a US state"),
        ("CA,90002,X,0.06,abc,0,0,0,1\n", "line 3: StateRate 'abc' is not a number"),
        ("CA,90002,X,0.06,,0,0,0,1\n", "line 3: StateRate '' is not a number"),
        ("CA,90002,X,0.06,0.06,0,0,0,high\n", "line 3: RiskLevel 'high'"),
        ("CA,90002,X,0.06\n", "line 3: 4 fields, expected 9"),
    ],
)
def test_a_bad_row_is_refused_with_its_line(body: str, message: str) -> None:
    first = "CA,90001,X,0.06,0.06,0,0,0,1\n"  # line 2 is good; the bad row is line 3
    with pytest.raises(TaxTableError) as caught:
        UsZipRates.from_csv(io.StringIO(HEADER + first + body))
    assert message in str(caught.value)
    assert str(caught.value).startswith("<text>, line 3:")


def test_a_missing_column_an_empty_file_and_the_file_name_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "rates_ca.csv"
    path.write_text(HEADER.replace("EstimatedSpecialRate,", "") + "CA,90001,X,0.06,0.06,0,0,1\n")
    with pytest.raises(TaxTableError, match=r"rates_ca\.csv, line 1: missing column 'Estimated"):
        UsZipRates.from_csv(path)
    with pytest.raises(TaxTableError, match="the file is empty"):
        UsZipRates.from_csv(io.StringIO(""), name="empty")
    named_stream = io.StringIO(HEADER + "CA,90001,X,0.06,0.07,0,0,0,1\n")
    with pytest.raises(TaxTableError, match=r"^ca-upload, line 2: EstimatedCombinedRate 0\.06"):
        UsZipRates.from_csv(named_stream, name="ca-upload")


def test_a_zip_in_two_files_names_both(tmp_path: Path) -> None:
    second = tmp_path / "more_ca.csv"
    second.write_text(HEADER + "CA,96150,AGAIN,0.06,0.06,0,0,0,1\n")
    with pytest.raises(TaxTableError) as caught:
        UsZipRates.from_csv_files([CA_FILE, second])
    text = str(caught.value)
    assert "more_ca.csv, line 2: ZIP 96150 appears twice" in text
    assert "us_zip_rates_ca.csv, line 4" in text  # where it was first
    with pytest.raises(ValidationError, match="takes a list"):
        UsZipRates.from_csv_files(str(CA_FILE))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "CO,81212,CA\xd1ON CITY,0.029,0.029,0,0,0,1\n").encode("latin-1"))
    with pytest.raises(TaxTableError, match=r"latin1\.csv: not UTF-8"):
        UsZipRates.from_csv(path)
    with path.open(encoding="latin-1", newline="") as file:
        assert UsZipRates.from_csv(file)["81212"].region_name == "CA\xd1ON CITY"


def test_forty_thousand_rows_load_correctly(tmp_path: Path) -> None:
    path = write_zip_rates(tmp_path / "all_states.csv", 40_000)
    table = UsZipRates.from_csv(path, name="synthetic")
    assert len(table) == 40_000
    assert table.states == US_STATES
    # Row 0 is written as "501" (the generator drops the zeros of every 7th such ZIP).
    assert row(0)[1] == "501"
    assert table["00501"].state == "AK"
    # Row 39,999: ZIP 39999 + 501 = 40500; state STATES[39999 % 51] = STATES[15] (sorted),
    # county COUNTY_RATES[39999 % 4 = 3] = 0.005, city CITY_RATES[39999 % 3 = 0] = 0,
    # special SPECIAL_RATES[39999 % 4 = 3] = 0.01.
    last = table["40500"]
    assert last.state == sorted(US_STATES)[15]
    assert (last.county_rate, last.city_rate, last.special_rate) == (
        Decimal("0.005"),
        Decimal("0"),
        Decimal("0.01"),
    )
    for index in range(0, 40_000, 997):
        fields = row(index)
        found = table[fields[1].zfill(5)]
        assert found.region_name == fields[2]
        assert found.combined_rate == Decimal(fields[3]) == found.parts_rate
        assert found.risk_level == int(fields[8])


def test_tables_merge_and_compare(rates: UsZipRates) -> None:
    ca = UsZipRates.from_csv(CA_FILE, name="2026-03")
    tx = UsZipRates.from_csv(TX_FILE, name="2026-03")
    merged = ca.merge(tx)
    assert merged == rates
    assert merged.name == "2026-03"
    assert UsZipRates.from_csv(TX_FILE, name="tx").merge(ca).name is None
    assert ca.merge(tx, name="all").name == "all"
    with pytest.raises(TaxTableError, match="ZIP 90001 is in more than one"):
        merged.merge(ca)
    by_hand = UsZipRates(list(ca.values()), name="2026-03")
    assert by_hand == ca
    assert repr(by_hand) == "UsZipRates(name='2026-03', 3 ZIP codes)"
    with pytest.raises(TaxTableError, match="appears twice"):
        UsZipRates([ca["90001"], ca["90001"]])


def test_odd_inputs_to_the_loader_and_the_table_are_refused() -> None:
    with pytest.raises(TaxTableError, match=r"^<text>, line 1: .*bytes"):
        UsZipRates.from_csv(io.BytesIO(HEADER.encode()))  # type: ignore[arg-type]
    long_name = "R" * 101
    with pytest.raises(TaxTableError, match="line 2: TaxRegionName is longer than 100"):
        UsZipRates.from_csv(io.StringIO(HEADER + f"CA,90001,{long_name},0.06,0.06,0,0,0,1\n"))
    with pytest.raises(TaxTableError, match="expected ZipRate"):
        UsZipRates(["90001"])  # type: ignore[list-item]
    with pytest.raises(TaxTableError, match="can only merge UsZipRates"):
        UsZipRates().merge({"90001": None})  # type: ignore[arg-type]
    assert UsZipRates() != {}  # a table equals only a table


def test_a_zip_rate_checks_its_values() -> None:
    with pytest.raises(TaxTableError, match="not a 5-digit"):
        ZipRate("CA", "501", "X", "0.06", "0", "0", "0", "0.06")
    with pytest.raises(TaxTableError, match="not a US state"):
        ZipRate("GU", "96910", "X", "0.04", "0", "0", "0", "0.04")
    with pytest.raises(TaxTableError, match="not a rate"):
        ZipRate("CA", "90001", "X", "1", "0", "0", "0", "1")
    assert ZipRate("ca", "90001", "", "0.06", "0", "0", "0", "0.06", "2").state == "CA"


# --- the calculator ---------------------------------------------------------------------


def test_a_four_jurisdiction_zip_rounds_the_combined_rate_once_and_splits_it(
    rates: UsZipRates,
) -> None:
    tax = UsSalesTax(rates, SELLER)
    assert isinstance(tax, TaxCalculator)
    result = tax.calculate(request(item("a", 999)))
    # 9.99 x 9.5% = 0.94905 -> 95 cents, split 6 : 0.25 : 0.75 : 2.5 (= 240:10:30:100 of 380):
    # exact shares 60, 2.5, 7.5, 25 -> floors 60 + 2 + 7 + 25 = 94, the last cent to the
    # county (tie with the city, the earlier rate wins). Rounded per rate it would be
    # 59.94 -> 60, 2.4975 -> 2, 7.4925 -> 7, 24.975 -> 25 = 94: a cent short.
    assert lines(result) == named([60, 3, 7, 25], CA_LINES)
    found = result.for_item("a")
    assert found is not None
    assert {line.source for line in found.lines} == {"us-zip:2026-03"}
    assert [line.rate for line in found.lines] == [
        Decimal("0.06"),
        Decimal("0.0025"),
        Decimal("0.0075"),
        Decimal("0.025"),
    ]
    assert result.notes == ()


def test_zero_rates_are_left_out_and_zip_plus_four_is_accepted(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER, source="zips")
    lake = Address("US", region="CA", postal_code="96150-1234")
    result = tax.calculate(request(item("a", 1000), ship_to=lake))
    # 10.00 x 6% = 60 cents, one line (county, city and special are zero)
    assert lines(result) == [("State tax", "US-CA", 60)]
    assert result.items[0].lines[0].source == "zips:2026-03"
    unnamed = UsSalesTax(UsZipRates.from_csv(CA_FILE), SELLER)
    assert unnamed.calculate(request(item("a", 1000), ship_to=lake)).items[0].lines[0].source == (
        "us-zip"
    )


def test_an_origin_based_intrastate_sale_uses_the_ship_from_zip(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    result = tax.calculate(request(item("a", 5000), ship_to=TOWN, shipping_item=shipping(599)))
    # Texas is origin-based: the seller's 78701 rates (8.25%), not the buyer's 76501 (7.25%,
    # which would give 50.00 x 7.25% = 3.625 -> 3.63).
    # 50.00 x 8.25% = 4.125 -> 413 cents; split 625:100:100 of 825: 312.88, 50.06, 50.06 ->
    # floors 312 + 50 + 50 = 412, the last cent to the state (largest remainder .88).
    assert lines(result) == named([313, 50, 50], AUSTIN_LINES)
    # Shipping is taxable in Texas: 5.99 x 8.25% = 0.494175 -> 49; shares 37.12, 5.94, 5.94
    # -> floors 37 + 5 + 5 = 47, one cent each to city and special (.94 beats .12).
    assert lines(result, SHIPPING_ITEM) == named([37, 6, 6], AUSTIN_LINES)


def test_the_ship_from_address_defaults_to_the_sellers(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    result = tax.calculate(request(item("a", 5000), ship_to=TOWN, ship_from=None))
    assert lines(result) == named([313, 50, 50], AUSTIN_LINES)
    warehouse = Address("US", region="TX", postal_code="79830")
    from_ranch = tax.calculate(request(item("a", 5000), ship_to=TOWN, ship_from=warehouse))
    # from the 79830 warehouse: 50.00 x 6.25% = 3.125 -> 313, state only
    assert lines(from_ranch) == [("State tax", "US-TX", 313)]


def test_an_origin_based_sale_without_a_ship_from_address_is_an_error(
    rates: UsZipRates,
) -> None:
    seller = Seller("US", registrations={"US-TX"})
    tax = UsSalesTax(rates, seller)
    with pytest.raises(TaxAddressError, match="US-TX taxes sales within the state at the origin"):
        tax.calculate(request(item("a", 5000), ship_to=TOWN, ship_from=None))
    # A destination-based state needs no ship-from: CA 90001 at 9.5% of 10.00 = 95 cents.
    ca_seller = Seller("US", registrations={"US-CA"})
    result = UsSalesTax(rates, ca_seller).calculate(request(item("a", 1000), ship_from=None))
    assert sum(amount for _, _, amount in lines(result)) == 95


def test_an_interstate_sale_uses_the_destination_and_its_shipping_rule(
    rates: UsZipRates,
) -> None:
    tax = UsSalesTax(rates, SELLER)
    result = tax.calculate(request(item("a", 5000), shipping_item=shipping(599)))
    # TX -> CA: CA's 90001 rates. 50.00 x 9.5% = 4.75 -> 475, split 240:10:30:100 of 380:
    # 300, 12.5, 37.5, 125 -> floors 474, the cent to the county (tie with the city).
    assert lines(result) == named([300, 13, 37, 125], CA_LINES)
    # Separately stated shipping is not taxable in California.
    assert result.for_item(SHIPPING_ITEM) is None
    # A buyer in another origin-based state's ZIP, shipped from another state: destination.
    outside = Address("US", region="CA", postal_code="94103")
    to_tx = tax.calculate(request(item("a", 5000), ship_to=TOWN, ship_from=outside))
    # 50.00 x 7.25% (76501) = 3.625 -> 363; 625:100 of 725 -> 312.93, 50.07 -> 312 + 50,
    # the cent to the state.
    assert lines(to_tx) == [
        ("State tax", "US-TX", 313),
        ("City tax", "US-TX:SYNTHETIC TOWN:city", 50),
    ]


def test_the_ship_from_zip_must_be_known_when_it_may_be_in_the_state(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    unknown = Address("US", postal_code="73301")  # no region, ZIP not in the table
    with pytest.raises(TaxAddressError, match="ship-from ZIP code 73301 is not in"):
        tax.calculate(request(item("a", 5000), ship_to=TOWN, ship_from=unknown))
    # ... but one in another state by its region is an interstate sale: destination rates.
    elsewhere = Address("US", region="OK", postal_code="73301")
    result = tax.calculate(request(item("a", 5000), ship_to=TOWN, ship_from=elsewhere))
    assert [amount for _, _, amount in lines(result)] == [313, 50]
    abroad = Address("MX", postal_code="64000")
    assert lines(tax.calculate(request(item("a", 5000), ship_to=TOWN, ship_from=abroad))) == (
        lines(result)
    )


def test_no_registration_means_no_tax_and_a_note(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, TX_ONLY)
    result = tax.calculate(request(item("a", 5000), shipping_item=shipping(599)))
    assert result.items == ()
    assert [note.code for note in result.notes] == ["no_registration"]
    assert "US-CA" in result.notes[0].text
    nowhere = UsSalesTax(rates, Seller("US")).calculate(request(item("a", 5000)))
    assert [note.code for note in nowhere.notes] == ["no_registration"]
    # Its own state needs no registration: TX 76501 is taxed (at the seller's origin rates).
    home = tax.calculate(request(item("a", 5000), ship_to=TOWN))
    assert sum(amount for _, _, amount in lines(home)) == 413


def test_the_sellers_own_state_may_come_from_its_zip(rates: UsZipRates) -> None:
    seller = Seller("US", Address("US", postal_code="78701"))
    result = UsSalesTax(rates).calculate(request(item("a", 5000), ship_to=TOWN, seller=seller))
    assert sum(amount for _, _, amount in lines(result)) == 413
    nowhere = Seller("US", Address("US", postal_code="10001"))
    result = UsSalesTax(rates, nowhere).calculate(request(item("a", 5000), ship_to=TOWN))
    assert result.notes == (
        TaxNote("no_registration", "the seller is not registered to collect sales tax in US-TX"),
    )


def test_a_region_that_is_not_a_state_code_falls_back_to_the_zip(rates: UsZipRates) -> None:
    seller = Seller("US", Address("US", region="Texas", postal_code="78701"))
    result = UsSalesTax(rates, seller).calculate(request(item("a", 5000), ship_to=TOWN))
    assert sum(amount for _, _, amount in lines(result)) == 413  # own state, origin rates
    abroad = Seller("MX", Address("MX", postal_code="64000"), registrations={"US-TX"})
    result = UsSalesTax(rates, abroad).calculate(request(item("a", 5000), ship_to=TOWN))
    assert sum(amount for _, _, amount in lines(result)) == 413  # registered, ships from 78701


def test_a_seller_is_needed(rates: UsZipRates) -> None:
    with pytest.raises(ConfigurationError, match="needs a seller"):
        UsSalesTax(rates).calculate(request(item("a", 5000)))


def test_shipping_taxability_can_be_overridden_per_state(rates: UsZipRates) -> None:
    ca_taxes_shipping = UsSalesTax(rates, SELLER, states={"US-CA": UsStateRule()})
    result = ca_taxes_shipping.calculate(request(item("a", 1000), shipping_item=shipping(500)))
    # 5.00 x 9.5% = 0.475 -> 48 (half-up); 240:10:30:100 of 380: 30.32, 1.26, 3.79, 12.63
    # -> floors 30 + 1 + 3 + 12 = 46, cents to the city (.79) and the special (.63).
    assert lines(result, SHIPPING_ITEM) == named([30, 1, 4, 13], CA_LINES)
    # Texas keeps its default (origin-based, shipping taxable).
    assert ca_taxes_shipping.states["TX"] == DEFAULT_STATE_RULES["TX"]
    # A shipping rate without a tax category is never taxed (the pipeline's rule).
    tx = UsSalesTax(rates, SELLER).calculate(
        request(item("a", 1000), ship_to=TOWN, shipping_item=shipping(500, None))
    )
    assert tx.for_item(SHIPPING_ITEM) is None


def test_weighted_shipping_follows_the_items_where_shipping_is_taxable(
    rates: UsZipRates,
) -> None:
    tax = UsSalesTax(rates, SELLER)
    weighted = TaxRequest(
        get_currency("USD"),
        AT,
        (item("a", 3000), item("b", 1000, "groceries")),  # type: ignore[arg-type, unused-ignore]
        shipping=shipping(400, None),
        ship_to=Address("US", postal_code="79830"),
        ship_from=Address("US", region="TX", postal_code="79830"),
        shipping_tax=ShippingTax.WEIGHTED,
    )
    result = tax.calculate(weighted)
    # 79830 is state only (6.25%). Shipping 4.00 split 3000:1000 -> 300 and 100; the
    # groceries part is untaxed (exempt in Texas), the rest 3.00 x 6.25% = 0.1875 -> 19.
    assert lines(result, SHIPPING_ITEM) == [("State tax", "US-TX", 19)]
    assert lines(result) == [("State tax", "US-TX", 188)]  # 30.00 x 6.25% = 1.875 -> 188
    assert result.for_item("b") is None


def test_groceries_are_exempt_where_the_state_rule_says(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    cart = request(item("a", 1000, "groceries"), item("b", 1000), item("c", 1000, "exempt"))
    result = tax.calculate(cart)
    assert result.for_item("a") is None
    assert result.for_item("c") is None
    # 10.00 x 9.5% = 95; shares 60, 2.5, 7.5, 25 -> 60, 3, 7, 25 (tie to the county)
    assert lines(result, "b") == named([60, 3, 7, 25], CA_LINES)
    taxing = UsSalesTax(rates, SELLER, states={"CA": UsStateRule(exempt_categories=())})
    assert lines(taxing.calculate(cart)) == named([60, 3, 7, 25], CA_LINES)
    zero = tax.calculate(request(item("a", 1000, "zero")))
    assert zero.items == ()


def test_a_zip_not_in_the_table_is_an_error_never_zero_tax(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    with pytest.raises(TaxAddressError, match="ship-to ZIP code 90210 is not in the US rate"):
        tax.calculate(request(item("a", 1000), ship_to=Address("US", postal_code="90210")))
    for bad in ("9021", "90210-12", "ABCDE", ""):
        with pytest.raises(TaxAddressError, match="needs a 5-digit ZIP code"):
            tax.calculate(request(item("a", 1000), ship_to=Address("US", postal_code=bad)))
    with pytest.raises(TaxAddressError, match="needs a ship-to or billing address"):
        tax.calculate(request(item("a", 1000), ship_to=None))


def test_a_destination_outside_the_us_is_not_taxed(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    result = tax.calculate(request(item("a", 1000), ship_to=Address("CA", postal_code="M5V")))
    assert result.items == ()
    assert [note.code for note in result.notes] == ["outside_us"]


def test_a_region_that_disagrees_with_the_zip_is_noted(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    result = tax.calculate(request(item("a", 999), ship_to=Address("US", "NV", "90001")))
    assert lines(result) == named([60, 3, 7, 25], CA_LINES)  # the ZIP decides
    assert result.notes == (
        TaxNote("zip_region_mismatch", "ZIP 90001 is in US-CA, the address says NV"),
    )


def test_an_exempt_buyer_is_left_to_the_engine(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER)
    result = tax.calculate(request(item("a", 1000), buyer=TaxBuyer("acme", exempt=True)))
    assert result.items == ()


# --- exemption certificates -------------------------------------------------------------

RESALE = ExemptionCertificate("R-1", "acme", {"CA", "US-TX"}, date(2026, 12, 31))
OLD = ExemptionCertificate("R-0", "acme", {"CA"}, date(2026, 2, 28))
NEVADA = ExemptionCertificate("NV-1", "acme", {"NV"}, None)


def certified(reference: str, customer: str | None = "acme") -> TaxBuyer:
    return TaxBuyer(customer, exemption_certificate=reference)


def test_a_valid_certificate_exempts_the_buyer(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER, certificates=[RESALE, OLD, NEVADA])
    result = tax.calculate(
        request(item("a", 1000), shipping_item=shipping(500), buyer=certified("R-1"))
    )
    assert result.items == ()
    assert result.notes == (TaxNote("exempt_certificate", "exempt in US-CA under certificate R-1"),)
    # valid through its last day: 2026-12-31 at 23:00 UTC
    late = datetime(2026, 12, 31, 23, tzinfo=UTC)
    assert tax.calculate(request(item("a", 1000), buyer=certified("R-1"), at=late)).items == ()
    # 2026-12-31 20:00 in New York (UTC-5) is 2027-01-01 01:00 UTC: the UTC day counts
    new_york = datetime(2026, 12, 31, 20, tzinfo=timezone(timedelta(hours=-5)))
    expired = tax.calculate(request(item("a", 1000), buyer=certified("R-1"), at=new_york))
    assert expired.notes == (
        TaxNote("certificate_not_valid", "certificate R-1 expired on 2026-12-31"),
    )


def test_a_certificate_with_tax_inclusive_prices_gives_the_net(rates: UsZipRates) -> None:
    tax = UsSalesTax(rates, SELLER, certificates=[RESALE])
    result = tax.calculate(request(item("a", 1095), buyer=certified("R-1"), inclusive=True))
    # 10.95 includes 9.5%: 1095 x 0.095 / 1.095 = 95 cents; the buyer pays the net 10.00
    found = result.for_item("a")
    assert found is not None
    assert (found.lines, found.adjustment_minor) == ((), -95)


@pytest.mark.parametrize(
    ("buyer", "why"),
    [
        (certified("R-0"), "certificate R-0 expired on 2026-02-28"),
        (certified("NV-1"), "certificate NV-1 is not valid in US-CA (only in US-NV)"),
        (certified("R-9"), "certificate R-9 is not on file"),
        (certified("R-1", "bob"), "certificate R-1 was issued to another customer than bob"),
        (certified("R-1", None), "certificate R-1 cannot be used by a guest"),
    ],
)
def test_an_invalid_certificate_is_taxed_with_the_reason(
    rates: UsZipRates, buyer: TaxBuyer, why: str
) -> None:
    tax = UsSalesTax(rates, SELLER, certificates=[RESALE, OLD, NEVADA])
    result = tax.calculate(request(item("a", 999), buyer=buyer))
    assert lines(result) == named([60, 3, 7, 25], CA_LINES)
    assert result.notes == (TaxNote("certificate_not_valid", why),)


def test_certificates_and_rules_check_their_values(rates: UsZipRates) -> None:
    assert RESALE.states == frozenset({"CA", "TX"})
    with pytest.raises(ValidationError, match="not a US state"):
        ExemptionCertificate("X", "acme", {"PR"})
    with pytest.raises(ValidationError, match="at least one state"):
        ExemptionCertificate("X", "acme", set())
    with pytest.raises(ValidationError, match="set of codes"):
        ExemptionCertificate("X", "acme", "CA")
    with pytest.raises(ValidationError, match="a date or None"):
        ExemptionCertificate("X", "acme", {"CA"}, AT)
    with pytest.raises(ValidationError, match="two exemption certificates"):
        UsSalesTax(rates, certificates=[RESALE, RESALE])
    with pytest.raises(ValidationError, match="expected a UsStateRule"):
        UsSalesTax(rates, states={"CA": "origin"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="not a US state"):
        UsSalesTax(rates, states={"ON": UsStateRule()})
    with pytest.raises(ValidationError, match="sideways"):
        UsStateRule("sideways")
    with pytest.raises(ValidationError, match="True or False"):
        UsStateRule(shipping_taxable="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="set of categories"):
        UsStateRule(exempt_categories="groceries")
    # A calculator is a value: equal configurations are equal and hash alike.
    assert hash(UsSalesTax(rates, SELLER)) == hash(UsSalesTax(rates, SELLER))
    with pytest.raises(TypeError):
        UsSalesTax({"90001": None})  # type: ignore[arg-type]


def test_the_default_rules_cover_every_state() -> None:
    assert set(DEFAULT_STATE_RULES) == US_STATES
    assert len(DEFAULT_STATE_RULES) == 51
    origin = {s for s, rule in DEFAULT_STATE_RULES.items() if rule.sourcing is UsSourcing.ORIGIN}
    assert origin == {"AZ", "IL", "MS", "MO", "OH", "PA", "TN", "TX", "UT", "VA"}
    assert DEFAULT_STATE_RULES["CA"].sourcing is UsSourcing.DESTINATION
    assert not DEFAULT_STATE_RULES["CA"].shipping_taxable
    assert DEFAULT_STATE_RULES["TX"].shipping_taxable
    assert "groceries" in DEFAULT_STATE_RULES["CA"].exempt_categories
    assert not DEFAULT_STATE_RULES["MS"].exempt_categories  # Mississippi taxes food


# --- end to end -------------------------------------------------------------------------

CATALOG = {
    entry.sku: entry
    for entry in [
        CatalogEntry("LAMP", price=Money("49.99", "USD")),
        CatalogEntry("COFFEE", price=Money("12.00", "USD"), tax_category="groceries"),
    ]
}


def test_price_cart_end_to_end(rates: UsZipRates) -> None:
    ground = ShippingRate("ground", Money("7.50", "USD"), tax_category="shipping")
    tax = UsSalesTax(rates)
    cart = Cart(id="c", currency="USD", shipping_address=TOWN).add("LAMP").add("COFFEE", 2)
    result = price_cart(cart, CATALOG, at=AT, tax=tax, seller=SELLER, shipping=ground)
    # Intrastate Texas, origin-based: the seller's 78701 rates (8.25%).
    # Lamp 49.99 x 8.25% = 4.124175 -> 412; 625:100:100 of 825 -> 312.12, 49.94, 49.94 ->
    # floors 312 + 49 + 49 = 410, cents to city and special -> 312, 50, 50.
    lamp, coffee = result.lines
    assert [(t.name, t.jurisdiction, t.amount_minor) for t in lamp.tax_lines] == named(
        [312, 50, 50], AUSTIN_LINES
    )
    assert coffee.tax_lines == ()  # groceries are exempt in Texas
    # Shipping is taxable in Texas: 7.50 x 8.25% = 0.61875 -> 62; 46.97, 7.52, 7.52 -> 46 +
    # 7 + 7 = 60, cents to the state (.97) and the city (.52 tie, earlier) -> 47, 8, 7.
    assert result.shipping is not None
    assert [t.amount_minor for t in result.shipping.tax_lines] == [47, 8, 7]
    # 49.99 + 24.00 + 7.50 = 81.49, tax 4.12 + 0.62 = 4.74, total 86.23
    assert result.tax_total == Money("4.74", "USD")
    assert result.grand_total == Money("86.23", "USD")
    assert {t.source for t in lamp.tax_lines} == {"us-zip:2026-03"}

    # The same cart shipped to Los Angeles: interstate, CA's 90001 rates, shipping untaxed.
    to_la = Cart(id="c", currency="USD", shipping_address=LA).add("LAMP").add("COFFEE", 2)
    result = price_cart(to_la, CATALOG, at=AT, tax=tax, seller=SELLER, shipping=ground)
    # Lamp 49.99 x 9.5% = 4.74905 -> 475; 300, 12.5, 37.5, 125 -> 300, 13, 37, 125.
    assert [t.amount_minor for t in result.lines[0].tax_lines] == [300, 13, 37, 125]
    assert result.lines[1].tax_lines == ()
    assert result.shipping is not None and result.shipping.tax_lines == ()
    assert result.tax_total == Money("4.75", "USD")
    assert result.grand_total == Money("86.24", "USD")  # 81.49 + 4.75

    # An exempt customer with a certificate on file pays no tax; the note reaches the cart.
    certified_tax = UsSalesTax(rates, certificates=[RESALE])
    acme = Customer(id="acme", exemption_certificate="R-1")
    exempt = price_cart(
        to_la, CATALOG, at=AT, tax=certified_tax, seller=SELLER, shipping=ground, customer=acme
    )
    assert exempt.tax_total == Money("0", "USD")
    assert exempt.grand_total == Money("81.49", "USD")
    assert exempt.tax_notes == (
        TaxNote("exempt_certificate", "exempt in US-CA under certificate R-1"),
    )
