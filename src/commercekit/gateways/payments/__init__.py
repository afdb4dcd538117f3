"""Payment gateway adapters: Stripe over httpx, and the fake gateway for tests.

:class:`StripeGateway` implements :class:`~commercekit.ports.PaymentGateway` over Stripe's
PaymentIntents and Refunds API; :class:`StripeWebhookVerifier` checks Stripe's webhook
signatures; :func:`to_stripe_amount` and :func:`from_stripe_amount` convert Money to and from
Stripe's integer amounts (zero- and three-decimal currencies, ISK). :class:`FakeGateway` behaves
like a real provider for hosts' tests (also in :mod:`commercekit.testing`), with the test tokens
``FAKE_TOKEN_*``.
"""

from commercekit.gateways.payments._fake import TOKEN_DECLINE as FAKE_TOKEN_DECLINE
from commercekit.gateways.payments._fake import (
    TOKEN_INSUFFICIENT_FUNDS as FAKE_TOKEN_INSUFFICIENT_FUNDS,
)
from commercekit.gateways.payments._fake import (
    TOKEN_NETWORK_FAILURE_AFTER_CHARGE as FAKE_TOKEN_NETWORK_FAILURE_AFTER_CHARGE,
)
from commercekit.gateways.payments._fake import TOKEN_OK as FAKE_TOKEN_OK
from commercekit.gateways.payments._fake import TOKEN_REQUIRES_ACTION as FAKE_TOKEN_REQUIRES_ACTION
from commercekit.gateways.payments._fake import TOKEN_SLOW as FAKE_TOKEN_SLOW
from commercekit.gateways.payments._fake import TOKEN_UNAVAILABLE as FAKE_TOKEN_UNAVAILABLE
from commercekit.gateways.payments._fake import FakeGateway
from commercekit.gateways.payments._fake_rules import (
    AUTHORIZATION_HOLDS_FOR,
    FakeCharge,
    FakeChargeStatus,
    FakeOperation,
    FakeOperationKind,
)
from commercekit.gateways.payments._fake_webhooks import (
    FAKE_WEBHOOK_SECRET,
    SIGNATURE_HEADER,
    WEBHOOK_TOLERANCE_SECONDS,
)
from commercekit.gateways.payments._stripe import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT,
    StripeGateway,
)
from commercekit.gateways.payments._stripe_currencies import (
    STRIPE_CURRENCIES,
    StripeCurrency,
    from_stripe_amount,
    stripe_currency,
    to_stripe_amount,
)
from commercekit.gateways.payments._stripe_http import STRIPE_API_VERSION
from commercekit.gateways.payments._stripe_webhooks import (
    DEFAULT_TOLERANCE,
    StripeWebhookVerifier,
    stripe_signature,
)

__all__ = [
    "AUTHORIZATION_HOLDS_FOR",
    "FAKE_TOKEN_DECLINE",
    "FAKE_TOKEN_INSUFFICIENT_FUNDS",
    "FAKE_TOKEN_NETWORK_FAILURE_AFTER_CHARGE",
    "FAKE_TOKEN_OK",
    "FAKE_TOKEN_REQUIRES_ACTION",
    "FAKE_TOKEN_SLOW",
    "FAKE_TOKEN_UNAVAILABLE",
    "FAKE_WEBHOOK_SECRET",
    "SIGNATURE_HEADER",
    "WEBHOOK_TOLERANCE_SECONDS",
    "FakeCharge",
    "FakeChargeStatus",
    "FakeGateway",
    "FakeOperation",
    "FakeOperationKind",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOLERANCE",
    "STRIPE_API_VERSION",
    "STRIPE_CURRENCIES",
    "StripeCurrency",
    "StripeGateway",
    "StripeWebhookVerifier",
    "from_stripe_amount",
    "stripe_currency",
    "stripe_signature",
    "to_stripe_amount",
]
