"""Payments: the payment aggregate and its state machine, the gateway port's values.

A :class:`Payment` is one amount taken by one method (a gateway such as Stripe, or store
credit); its state machine keeps authorized, captured and refunded amounts reconciled, and
records every transition with the gateway's reference, the time and the idempotency key.
Gateways implement :class:`~commercekit.ports.PaymentGateway` (defined here, beside the values it
speaks); adapters live in :mod:`commercekit.gateways`.
"""

from commercekit.payments._payment import (
    Payment,
    PaymentOperation,
    PaymentStatus,
    PaymentTransition,
    PendingOperation,
)
from commercekit.payments._port import PaymentGateway
from commercekit.payments._values import (
    AuthorizeRequest,
    GatewayResult,
    GatewayStatus,
    NextAction,
    WebhookEvent,
    WebhookKind,
    check_payment_token,
    looks_like_card_number,
)

# isort: split
# Last: the service talks to the ports, which re-export the port defined above.
from commercekit.payments._service import PAYMENT_KIND, PaymentService, RecoveryReport

# isort: split
from commercekit.payments._area import PAYMENTS_AREA
from commercekit.payments._credit import CODE_ALPHABET as GIFT_CARD_ALPHABET
from commercekit.payments._credit import CODE_LENGTH as GIFT_CARD_CODE_LENGTH
from commercekit.payments._credit import (
    CUSTOMER_CREDIT,
    GiftCard,
    issue_gift_card,
    issue_store_credit,
)
from commercekit.payments._credit import KEY_ENV as GIFT_CARD_KEY_ENV
from commercekit.payments._credit_gateway import CARD_TOKEN_PREFIX, StoreCreditGateway
from commercekit.payments._tender import (
    RefundOrder,
    Tender,
    TenderShare,
    plan_split_refund,
    plan_split_tender,
)

__all__ = [
    "PAYMENTS_AREA",
    "CARD_TOKEN_PREFIX",
    "GIFT_CARD_ALPHABET",
    "GIFT_CARD_CODE_LENGTH",
    "GIFT_CARD_KEY_ENV",
    "CUSTOMER_CREDIT",
    "GiftCard",
    "RefundOrder",
    "StoreCreditGateway",
    "Tender",
    "TenderShare",
    "issue_gift_card",
    "issue_store_credit",
    "plan_split_refund",
    "plan_split_tender",
    "PAYMENT_KIND",
    "PaymentService",
    "RecoveryReport",
    "AuthorizeRequest",
    "GatewayResult",
    "GatewayStatus",
    "NextAction",
    "Payment",
    "PaymentGateway",
    "PaymentOperation",
    "PaymentStatus",
    "PaymentTransition",
    "PendingOperation",
    "WebhookEvent",
    "WebhookKind",
    "check_payment_token",
    "looks_like_card_number",
]
