"""Payment gateway adapters: Stripe over httpx.

:class:`StripeGateway` implements :class:`~commercekit.ports.PaymentGateway` over Stripe's
PaymentIntents and Refunds API; :class:`StripeWebhookVerifier` checks Stripe's webhook
signatures; :func:`to_stripe_amount` and :func:`from_stripe_amount` convert Money to and from
Stripe's integer amounts (zero- and three-decimal currencies, ISK).
"""

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
