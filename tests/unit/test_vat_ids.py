"""EU VAT ids: the offline check (python-stdnum), the validator port and its fake."""

from __future__ import annotations

import attrs
import pytest

from commercekit import errors
from commercekit.pricing import Customer
from commercekit.tax import (
    FakeVatIdValidator,
    FormatVatIdValidator,
    VatIdCheck,
    VatIdValidator,
    check_vat_id,
)

FR_ID = "FR40303265045"  # valid checksum: (12 + 3 x (303265045 % 97)) % 97 = 40
DE_ID = "DE136695976"


def test_a_valid_id_is_compacted_and_names_its_member_state() -> None:
    check = check_vat_id(" fr 403.032-650 45 ")
    assert check == VatIdCheck("FR40303265045", True, "FR", None, "stdnum", "")
    assert check_vat_id(DE_ID).country == "DE"


def test_greek_ids_use_the_el_prefix_and_the_iso_country_gr() -> None:
    assert check_vat_id("EL094259216") == VatIdCheck("EL094259216", True, "GR")
    # stdnum also reads a GR prefix; the id is reported as VIES spells it.
    assert check_vat_id("GR094259216").vat_id == "EL094259216"


@pytest.mark.parametrize(
    ("vat_id", "reason"),
    [
        ("FR40303265046", "checksum"),  # the last digit of a valid id changed
        ("DE136695977", "checksum"),
        ("DE12345", "length"),  # a German id has nine digits
        ("DE12345678A", "format"),  # nine characters, but not all digits
        ("US123456789", "country"),
        ("GB123456782", "country"),  # the UK left the EU
        ("XI123456782", "country"),  # Northern Ireland ids are not member-state ids
        ("12345678", "format"),  # no country prefix
        ("", "format"),
    ],
)
def test_invalid_ids_have_a_stable_reason_and_a_message(vat_id: str, reason: str) -> None:
    check = check_vat_id(vat_id)
    assert not check.valid
    assert check.reason == reason
    assert check.message.startswith(f"{vat_id}: ")
    assert len(check.message) > len(vat_id) + 2


def test_country_is_known_for_a_member_prefix_even_when_the_id_is_invalid() -> None:
    assert check_vat_id("FR40303265046").country == "FR"
    assert check_vat_id("US123456789").country is None


def test_a_vat_id_that_is_not_text_is_refused() -> None:
    with pytest.raises(errors.ValidationError):
        check_vat_id(12345)  # type: ignore[arg-type]


def test_the_format_validator_is_the_offline_check_behind_the_port() -> None:
    validator = FormatVatIdValidator()
    assert isinstance(validator, VatIdValidator)
    assert validator.check(FR_ID) == check_vat_id(FR_ID)
    assert validator.check("FR40303265046").reason == "checksum"


def test_the_fake_knows_its_ids_and_refuses_the_others() -> None:
    fake = FakeVatIdValidator(valid={"fr 40303265045"})
    assert isinstance(fake, VatIdValidator)
    assert fake.check(FR_ID) == VatIdCheck(FR_ID, True, "FR", None, "fake-vies")
    refused = fake.check(DE_ID)  # a valid checksum, but not in the fake register
    assert (refused.valid, refused.reason, refused.country) == (False, "vies_refused", "DE")
    assert refused.source == "fake-vies"


def test_an_unavailable_fake_raises_instead_of_answering_invalid() -> None:
    fake = FakeVatIdValidator(valid={FR_ID}, unavailable=True)
    with pytest.raises(errors.TaxUnavailableError) as raised:
        fake.check(FR_ID)
    assert raised.value.retryable is True
    assert raised.value.provider == "fake-vies"


def test_fake_arguments_are_checked() -> None:
    with pytest.raises(errors.ValidationError):
        FakeVatIdValidator(valid=FR_ID)  # a str, not a set
    with pytest.raises(errors.ValidationError):
        FakeVatIdValidator(unavailable="yes")  # type: ignore[arg-type]


def test_a_host_records_the_online_answer_on_the_customer() -> None:
    fake = FakeVatIdValidator(valid={FR_ID})
    customer = Customer(id="acme", vat_id=FR_ID)
    assert customer.vat_id is not None
    checked = attrs.evolve(customer, vat_id_validated=fake.check(customer.vat_id).valid)
    assert checked.vat_id_validated is True
    other = Customer(id="globex", vat_id=DE_ID)
    assert other.vat_id is not None
    refused = attrs.evolve(other, vat_id_validated=fake.check(other.vat_id).valid)
    assert refused.vat_id_validated is False
