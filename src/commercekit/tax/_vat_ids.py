"""EU VAT ids: the offline check (format and checksum) and the port for an online one (VIES).

:func:`check_vat_id` checks an id with python-stdnum, offline: the member state's prefix
(``EL`` for Greece), the length, the format and the check digits. It cannot say whether the
id was ever issued, or is still valid: only the member state's register can, through the
European Commission's VIES service. That online check is a port, :class:`VatIdValidator`,
which a host implements over VIES (or a commercial service) and calls *outside* pricing,
because it is I/O. The host records what it said on the customer, and the calculator reads
it from there::

    check = validator.check(customer.vat_id)
    customer = attrs.evolve(customer, vat_id_validated=check.valid)

(:class:`commercekit.pricing.Customer`; ``vat_id_validated`` is ``True``, ``False``, or
``None`` when the id was not checked online.) :class:`~commercekit.tax.EuVat` applies the
reverse charge only to an id that passes :func:`check_vat_id` and that an online check did not
refuse. :class:`FormatVatIdValidator` is the offline validator, and
:class:`FakeVatIdValidator` the test double.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import attrs
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as stdnum_vat

from commercekit.errors import TaxUnavailableError, ValidationError
from commercekit.tax._eu_data import VAT_ID_PREFIXES

__all__ = [
    "FakeVatIdValidator",
    "FormatVatIdValidator",
    "VatIdCheck",
    "VatIdValidator",
    "check_vat_id",
]

#: The member state of each VAT id prefix (``"EL"``: ``"GR"``).
_COUNTRY_OF_PREFIX = {prefix: country for country, prefix in VAT_ID_PREFIXES.items()}
_SEPARATORS = str.maketrans("", "", " -./,\t")

#: The source of an offline check.
FORMAT_SOURCE = "stdnum"
#: The source of the fake online check.
FAKE_SOURCE = "fake-vies"


@attrs.frozen
class VatIdCheck:
    """What a check said of one VAT id.

    ``vat_id`` is the id compacted (spaces and punctuation removed, upper case, Greece's
    prefix as ``EL``); ``country`` the ISO code of the member state its prefix names (``"GR"``
    for an ``EL`` id), or ``None``. An invalid id has a stable ``reason``: ``"format"``,
    ``"length"``, ``"checksum"``, ``"country"`` (not an EU member state's prefix) or
    ``"vies_refused"`` (an online check refused it); ``message`` says it for people.
    ``source`` names the check (``"stdnum"``, ``"vies"``, ``"fake-vies"``).
    """

    #: The id as checked, compacted.
    vat_id: str
    #: Whether the id passed the check.
    valid: bool
    #: The member state's ISO code, or ``None`` when the prefix names none.
    country: str | None
    #: Why the id is invalid (a stable word), or ``None`` when it is valid.
    reason: str | None = None
    #: Who checked it.
    source: str = FORMAT_SOURCE
    #: The reason, for people.
    message: str = ""


def _compact(vat_id: object) -> str:
    if not isinstance(vat_id, str):
        raise ValidationError(f"a VAT id is text such as 'DE136695976', got {vat_id!r}")
    compact = vat_id.translate(_SEPARATORS).upper()
    return "EL" + compact[2:] if compact.startswith("GR") else compact


def _invalid(vat_id: str, country: str | None, reason: str, message: str) -> VatIdCheck:
    return VatIdCheck(vat_id, False, country, reason, FORMAT_SOURCE, f"{vat_id}: {message}")


def check_vat_id(vat_id: str) -> VatIdCheck:
    """Check an EU VAT id's format and checksum, offline (python-stdnum).

    >>> found = check_vat_id("fr 403 032 650 45")
    >>> found.vat_id, found.valid, found.country, found.reason
    ('FR40303265045', True, 'FR', None)
    >>> check_vat_id("FR40303265046").reason
    'checksum'
    >>> check_vat_id("GB123456782").reason
    'country'
    """
    compact = _compact(vat_id)
    if len(compact) < 3 or not compact[:2].isalpha():
        return _invalid(compact, None, "format", "a VAT id starts with a country prefix")
    country = _COUNTRY_OF_PREFIX.get(compact[:2])
    if country is None:
        return _invalid(
            compact, None, "country", f"{compact[:2]} is not an EU member state's VAT prefix"
        )
    try:
        stdnum_vat.validate(compact)
    except stdnum_errors.InvalidChecksum:
        return _invalid(compact, country, "checksum", "the check digits are wrong")
    except stdnum_errors.InvalidLength:
        return _invalid(compact, country, "length", f"not the length of a {country} VAT id")
    except stdnum_errors.ValidationError:
        return _invalid(compact, country, "format", f"not the format of a {country} VAT id")
    return VatIdCheck(compact, True, country)


@runtime_checkable
class VatIdValidator(Protocol):
    """Checks VAT ids against a register (a port), such as the Commission's VIES service.

    An adapter over VIES answers ``valid=True`` for an id the member state confirms and
    ``reason="vies_refused"`` for one it does not know; a service that cannot answer (VIES
    is often down for one member state) raises
    :class:`~commercekit.errors.TaxUnavailableError`, never "invalid". Call it outside
    pricing and record the answer on the customer (see the module docs).
    """

    def check(self, vat_id: str) -> VatIdCheck:
        """What the register says of ``vat_id``."""
        ...


class FormatVatIdValidator:
    """The offline :class:`VatIdValidator`: format and checksum only (:func:`check_vat_id`).

    >>> FormatVatIdValidator().check("DE136695976").valid
    True
    """

    def check(self, vat_id: str) -> VatIdCheck:
        """The offline check of ``vat_id``."""
        return check_vat_id(vat_id)


def _id_set(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError("valid is a set of VAT ids such as {'FR40303265045'}")
    return frozenset(_compact(vat_id) for vat_id in value)


def _flag(value: bool) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"unavailable must be True or False, got {value!r}")
    return value


@attrs.frozen
class FakeVatIdValidator:
    """The test double of an online :class:`VatIdValidator`: a fixed set of valid ids.

    Ids in ``valid`` (compared compacted) pass; any other fails with reason
    ``"vies_refused"``; with ``unavailable=True`` every check raises
    :class:`~commercekit.errors.TaxUnavailableError`, as a service that is down does.

    >>> fake = FakeVatIdValidator(valid={"FR40303265045"})
    >>> fake.check("FR 40303265045").valid, fake.check("DE136695976").reason
    (True, 'vies_refused')
    """

    #: The ids the fake register knows.
    valid: frozenset[str] = attrs.field(factory=frozenset, converter=_id_set)
    #: Whether the fake service is down.
    unavailable: bool = attrs.field(default=False, converter=_flag)

    def check(self, vat_id: str) -> VatIdCheck:
        """Whether ``vat_id`` is in :attr:`valid`; raises when :attr:`unavailable`."""
        compact = _compact(vat_id)
        if self.unavailable:
            raise TaxUnavailableError(
                "the VAT id service is unavailable (fake)", provider=FAKE_SOURCE, retryable=True
            )
        country = _COUNTRY_OF_PREFIX.get(compact[:2])
        if compact in self.valid:
            return VatIdCheck(compact, True, country, None, FAKE_SOURCE)
        return VatIdCheck(
            compact,
            False,
            country,
            "vies_refused",
            FAKE_SOURCE,
            f"{compact}: the VAT id service does not know this id",
        )
