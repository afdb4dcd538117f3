"""TaxJar's API v2 as a tax reporter: order and refund transactions posted for TaxJar's filing.

The calculator, :class:`~commercekit.tax.TaxJar`, is in :mod:`commercekit.tax._taxjar`; the
HTTP rules (retries, timeouts, errors) live in :mod:`commercekit.tax._taxjar_http`.
"""

from __future__ import annotations

import logging
import random as _random
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Final

import httpx

from commercekit.errors import ValidationError
from commercekit.tax._reporting import TaxTransaction, TransactionKind, check_kind
from commercekit.tax._taxjar import TaxJar
from commercekit.tax._taxjar_http import (
    DEFAULT_BASE_URL,
    TaxJarConnection,
    address_fields,
    destination_fields,
    wire_amount,
)

__all__ = ["TaxJarReporter"]

_LOG = logging.getLogger("commercekit.tax")
# TaxJar's ids: "do not use periods in IDs" (support article 351); they also go in URL paths.
_TRANSACTION_ID: Final = re.compile(r"[A-Za-z0-9_-]+")


class TaxJarReporter:
    """The :class:`~commercekit.tax.TaxReporter` that records transactions at TaxJar.

    Orders go to ``POST /v2/transactions/orders`` and refunds to
    ``POST /v2/transactions/refunds``, with TaxJar's documented fields. A refund's money
    (``amount``, ``shipping``, ``sales_tax``, and each line's ``unit_price``, ``discount``
    and ``sales_tax``) is sent negative, as TaxJar recommends; negating every one keeps
    ``amount = sum(quantity x unit_price - discount) + shipping`` true. TaxJar files in the
    United States in dollars: another currency is refused before any call.

    Reporting twice is done, not an error: TaxJar answers a ``transaction_id`` it already
    holds with ``422 Unprocessable Entity`` and the detail "Provider tranx already imported
    for your user account"; a 422 whose detail says "already imported" counts as recorded
    (logged at INFO). So a retry after a timeout (this reporter's own, or the checkout's after
    an :class:`~commercekit.errors.OutcomeUnknownError`) never records a sale twice. Ids must
    be unique per transaction: TaxJar does not say what it holds under the id.
    """

    def __init__(
        self,
        api_token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 5.0,
        max_attempts: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        sleep: Callable[[float], object] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.connection = TaxJarConnection(
            api_token,
            transport=transport,
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            sleep=sleep,
            random=random,
        )

    @classmethod
    def from_calculator(cls, calculator: TaxJar) -> TaxJarReporter:
        """A reporter sharing ``calculator``'s account, connections and retry policy."""
        reporter = cls.__new__(cls)
        reporter.connection = calculator.connection
        return reporter

    def __repr__(self) -> str:
        return f"TaxJarReporter(base_url={self.connection.base_url!r})"

    def close(self) -> None:
        """Release the HTTP connections (shared with the calculator it was built from)."""
        self.connection.close()

    def report_order(self, transaction: TaxTransaction) -> None:
        """Record an order transaction (again: done)."""
        self._post(check_kind(transaction, TransactionKind.ORDER), "/v2/transactions/orders")

    def report_refund(self, transaction: TaxTransaction) -> None:
        """Record a refund transaction (again: done)."""
        self._post(check_kind(transaction, TransactionKind.REFUND), "/v2/transactions/refunds")

    def _post(self, transaction: TaxTransaction, path: str) -> None:
        body = transaction_body(transaction)
        reply = self.connection.request("POST", path, body, writes=True)
        if reply.status < 300:
            return
        detail = reply.body.get("detail")
        if reply.status == 422 and isinstance(detail, str) and "already imported" in detail.lower():
            _LOG.info(
                "TaxJar already holds %s %r",
                transaction.kind,
                transaction.transaction_id,
                extra={"area": "tax", "event": "duplicate", "provider": "taxjar"},
            )
            return
        raise self.connection.refused(reply, f"POST {path} ({transaction.transaction_id!r})")


def transaction_body(transaction: TaxTransaction) -> dict[str, object]:
    """The JSON body TaxJar documents for ``transaction`` (refund money negative)."""
    if transaction.currency.code != "USD":
        raise ValidationError(
            f"TaxJar records transactions in US dollars for US filing, not {transaction.currency}"
        )
    for tid in (transaction.transaction_id, transaction.reference_id):
        if tid is not None and not _TRANSACTION_ID.fullmatch(tid):
            raise ValidationError(
                f"TaxJar transaction ids hold letters, digits, '_' and '-' only: {tid!r}"
            )
    sign = -1 if transaction.kind is TransactionKind.REFUND else 1

    def money(minor: int) -> Decimal:
        return wire_amount(sign * minor, transaction.currency)

    body: dict[str, object] = {
        "transaction_id": transaction.transaction_id,
        "transaction_date": transaction.at.isoformat(timespec="seconds"),
    }
    if transaction.reference_id is not None:
        body["transaction_reference_id"] = transaction.reference_id
    if transaction.ship_from is not None:
        body.update(address_fields("from_", transaction.ship_from))
    body.update(destination_fields(transaction.ship_to, zip_everywhere=True))
    body["amount"] = money(transaction.amount_minor)
    body["shipping"] = money(transaction.shipping_minor)
    body["sales_tax"] = money(transaction.sales_tax_minor)
    if transaction.customer_id is not None:
        body["customer_id"] = transaction.customer_id
    if transaction.lines:
        lines = []
        for line in transaction.lines:
            item: dict[str, object] = {"id": line.id, "quantity": line.quantity}
            if line.sku is not None:
                item["product_identifier"] = line.sku
            if line.description is not None:
                item["description"] = line.description
            if line.product_tax_code is not None:
                item["product_tax_code"] = line.product_tax_code
            item["unit_price"] = money(line.unit_price_minor)
            item["discount"] = money(line.discount_minor)
            item["sales_tax"] = money(line.sales_tax_minor)
            lines.append(item)
        body["line_items"] = lines
    return body
