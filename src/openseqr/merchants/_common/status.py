"""The one order-status vocabulary of the merchants' own records (tickets, orders, payments).

A record is `pending` from the moment its invoice is sent until SEQR reports how it ended:
`paid`, `canceled` (by anybody, or expired) or `failed` (declined). Stored as these strings;
the pages and the JSON they poll show them as they are.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from openseqr.sdk import InvoiceStatus, PaymentStatus


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELED = "canceled"
    FAILED = "failed"


#: the invoice statuses that end a pending record, and what it becomes
_OUTCOMES = {
    InvoiceStatus.PAID: OrderStatus.PAID,
    InvoiceStatus.CANCELED: OrderStatus.CANCELED,
    InvoiceStatus.EXPIRED: OrderStatus.CANCELED,
    InvoiceStatus.FAILED: OrderStatus.FAILED,
}


def outcome_of(status: InvoiceStatus) -> OrderStatus | None:
    """What a pending record becomes once SEQR reports `status`; None while it is still open."""
    return _OUTCOMES.get(status)


class HasStatus:
    """`is_pending` / `is_paid` for a record dataclass with a `status` field."""

    status: str

    @property
    def is_pending(self) -> bool:
        return self.status == OrderStatus.PENDING

    @property
    def is_paid(self) -> bool:
        return self.status == OrderStatus.PAID


def check_notification_hint(
    status: PaymentStatus, key: str, record_id: str, log: logging.Logger
) -> None:
    """Log when a notification URL's ``?<key>=`` names another record than the invoice's own
    (the invoice reference decides; the hint is only a cross-check)."""
    hinted = status.notification.query.get(key) if status.notification else None
    if hinted and hinted != record_id:
        log.warning(
            "notification for %s names %s %s, invoice belongs to %s",
            status.reference,
            key,
            hinted,
            record_id,
        )
