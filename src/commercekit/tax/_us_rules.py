"""US sales tax rules per state (sourcing, shipping, exempt categories), exemption certificates."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType

import attrs

from commercekit.errors import ValidationError
from commercekit.rules import check_identifier
from commercekit.tax._us_zip_rate import US_STATES

__all__ = [
    "DEFAULT_STATE_RULES",
    "ExemptionCertificate",
    "UsSourcing",
    "UsStateRule",
]


class UsSourcing(enum.StrEnum):
    """Whose rates a sale within one state is taxed at.

    ``ORIGIN``: a sale from a place in the state to a buyer in the same state is taxed at the
    rates of where the goods leave from. ``DESTINATION``: at the rates of where they go. A sale
    from another state is always taxed at the destination's rates.
    """

    ORIGIN = "origin"
    DESTINATION = "destination"


def _sourcing(value: UsSourcing | str) -> UsSourcing:
    try:
        return UsSourcing(value)
    except ValueError:
        raise ValidationError(f"sourcing is 'origin' or 'destination', got {value!r}") from None


def _flag(value: bool) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"shipping_taxable must be True or False, got {value!r}")
    return value


def _categories(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError("exempt_categories is a set of categories such as {'groceries'}")
    return frozenset(check_identifier(category, name="tax category") for category in value)


@attrs.frozen
class UsStateRule:
    """How one state taxes what :class:`UsSalesTax` can tell apart.

    >>> UsStateRule(UsSourcing.ORIGIN, shipping_taxable=False).sourcing
    <UsSourcing.ORIGIN: 'origin'>
    """

    #: Whose rates an intrastate sale is taxed at.
    sourcing: UsSourcing = attrs.field(default=UsSourcing.DESTINATION, converter=_sourcing)
    #: Whether shipping charged separately is taxed.
    shipping_taxable: bool = attrs.field(default=True, converter=_flag)
    #: Product tax categories the state does not tax (``"groceries"``).
    exempt_categories: frozenset[str] = attrs.field(factory=frozenset, converter=_categories)


_ORIGIN_BASED = frozenset({"AZ", "IL", "MS", "MO", "OH", "PA", "TN", "TX", "UT", "VA"})
# Separately stated delivery charges are generally outside the tax (often with conditions:
# actual cost, optional delivery, a common carrier). AK, DE, MT, NH, OR have no state tax.
_SHIPPING_EXEMPT = frozenset(
    {
        "AL", "AK", "AZ", "CA", "CO", "DE", "FL", "ID", "IA", "LA", "ME",
        "MD", "MA", "MO", "MT", "NV", "NH", "OK", "OR", "UT", "VA", "WY",
    }
)  # fmt: skip
# Food for home consumption is exempt from the state's tax and from local taxes. States that
# tax it at a reduced or only a local rate are not listed: the ZIP rates cannot express that.
_GROCERIES_EXEMPT = frozenset(
    {
        "CA", "CT", "DC", "FL", "IN", "IA", "KY", "ME", "MD", "MA", "MI", "MN", "NE", "NV",
        "NJ", "NM", "NY", "ND", "OH", "PA", "RI", "TX", "VT", "WA", "WV", "WI", "WY",
    }
)  # fmt: skip

#: The rule of every state and DC: origin-based sourcing in AZ, IL, MS, MO, OH, PA, TN, TX,
#: UT and VA (California is mixed in reality and modelled as destination-based), whether
#: separately stated shipping is generally taxable, and ``"groceries"`` exempt where food is
#: exempt from state and local taxes. Approximate: the real rules have conditions (a common
#: carrier, the actual cost, prepared food) that a host overrides per state in
#: :class:`UsSalesTax`'s ``states``.
DEFAULT_STATE_RULES: Mapping[str, UsStateRule] = MappingProxyType(
    {
        state: UsStateRule(
            UsSourcing.ORIGIN if state in _ORIGIN_BASED else UsSourcing.DESTINATION,
            shipping_taxable=state not in _SHIPPING_EXEMPT,
            exempt_categories={"groceries"} if state in _GROCERIES_EXEMPT else (),
        )
        for state in sorted(US_STATES)
    }
)


def _state(value: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    code = code.removeprefix("US-")
    if code not in US_STATES:
        raise ValidationError(f"not a US state or DC: {value!r} (use codes such as 'CA')")
    return code


def _states(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError("a certificate's states are a set of codes such as {'CA', 'NV'}")
    states = frozenset(_state(code) for code in value)
    if not states:
        raise ValidationError("an exemption certificate is valid in at least one state")
    return states


def _expires(_instance: object, _attribute: object, value: date | None) -> None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise ValidationError(f"expires is a date or None, got {value!r}")


def _certificate_id(value: str) -> str:
    return check_identifier(value, name="certificate id")


def _customer_id(value: str) -> str:
    return check_identifier(value, name="customer_id")


@attrs.frozen
class ExemptionCertificate:
    """A buyer's sales tax exemption certificate (resale, non-profit, ...), as kept on file.

    It exempts the customer ``customer_id`` in ``states`` (``"CA"`` or ``"US-CA"``) through
    the day ``expires`` (``None``: no end), compared with the pricing time's UTC date.

    >>> cert = ExemptionCertificate("RESALE-1", "ada", {"us-ca"}, date(2026, 12, 31))
    >>> cert.states, cert.refusal("ada", "CA", date(2027, 1, 1))
    (frozenset({'CA'}), 'expired on 2026-12-31')
    """

    #: The certificate's reference, as the buyer's ``exemption_certificate`` names it.
    id: str = attrs.field(converter=_certificate_id)
    #: The customer it was issued to.
    customer_id: str = attrs.field(converter=_customer_id)
    #: The states (two-letter codes) where it exempts.
    states: frozenset[str] = attrs.field(converter=_states)
    #: The last day it is valid, or ``None``.
    expires: date | None = attrs.field(default=None, validator=_expires)

    def refusal(self, customer_id: str | None, state: str, on: date) -> str | None:
        """Why it does not exempt ``customer_id`` in ``state`` on ``on``; ``None`` if it does."""
        if customer_id is None:
            return "cannot be used by a guest"
        if customer_id != self.customer_id:
            return f"was issued to another customer than {customer_id}"
        if self.expires is not None and on > self.expires:
            return f"expired on {self.expires.isoformat()}"
        if state not in self.states:
            valid = ", ".join(f"US-{code}" for code in sorted(self.states))
            return f"is not valid in US-{state} (only in {valid})"
        return None
