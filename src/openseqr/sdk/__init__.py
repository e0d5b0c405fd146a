"""openseqr merchant SDK: take SEQR payments without reading the WSDL.

Quick start (web shop)::

    from decimal import Decimal
    from openseqr.sdk import SeqrClient, InvoiceRow, wait_for_payment, qr_png

    client = SeqrClient("http://127.0.0.1:8080", "public_test_shop_terminal", "12345678")
    sent = client.send_invoice(Decimal("49.00"), "SEK", title="Coffee shop",
                               rows=[InvoiceRow("Latte", quantity=1, unit_price=Decimal("49.00"))],
                               client_invoice_id="order-17",
                               notification_url="https://shop.example/seqr/notify")
    png = qr_png(sent.qr_code)                  # show it; on phones link to sent.deep_link
    status = wait_for_payment(client, sent.reference, timeout=30)
    if status.is_paid:
        print("paid", status.ers_reference)

* Clients: :class:`SeqrClient`, :class:`AsyncSeqrClient` (a terminal), :class:`ResellerClient`,
  :class:`AsyncResellerClient` (a reseller user, registers cash registers).
* Results: :class:`SentInvoice`, :class:`PaymentStatus` (+ :class:`InvoiceStatus`), :class:`Report`.
* Errors: :class:`SeqrError` subclasses carry ``.code``/``.description``; see
  :mod:`openseqr.sdk.errors`.
* Notifications: :func:`handle_notification`, :class:`NotificationReceiver` (ASGI).
* Polling: :func:`wait_for_payment`, :func:`wait_for_payment_async`,
  :func:`cancel_or_acknowledge`.
* URLs / QR: :func:`invoice_qr`, :func:`deep_link`, :func:`service_qr`, :func:`qr_png`, ...

The full guide is ``docs/sdk.md``.
"""

from __future__ import annotations

from openseqr.protocol import ResultCode

from . import errors as _errors
from .client import (
    DEFAULT_TIMEOUT,
    AsyncResellerClient,
    AsyncSeqrClient,
    ResellerClient,
    SeqrClient,
)
from .errors import *  # noqa: F403  (the list is errors.__all__, kept in one place)
from .models import (
    AckMode,
    InvoiceRow,
    InvoiceStatus,
    Notification,
    PaymentMode,
    PaymentReceipt,
    PaymentStatus,
    ReceiptType,
    RegisteredTerminal,
    Report,
    SentInvoice,
    Token,
    TokenStatus,
)
from .poller import (
    POLL_INTERVAL,
    POS_CYCLE_SECONDS,
    cancel_or_acknowledge,
    cancel_or_acknowledge_async,
    wait_for_payment,
    wait_for_payment_async,
)
from .qr import (
    WIZARD_CANCEL,
    deep_link,
    invoice_qr,
    parse_service_fragment,
    qr_png,
    qr_svg,
    qr_terminal,
    service_qr,
    terminal_qr,
)
from .receiver import (
    NotificationReceiver,
    handle_notification,
    handle_notification_async,
    parse_notification,
)

__all__ = [
    # clients
    "SeqrClient",
    "AsyncSeqrClient",
    "ResellerClient",
    "AsyncResellerClient",
    "DEFAULT_TIMEOUT",
    # values
    "InvoiceRow",
    "Token",
    "TokenStatus",
    "PaymentMode",
    "AckMode",
    "ReceiptType",
    "SentInvoice",
    "PaymentStatus",
    "InvoiceStatus",
    "PaymentReceipt",
    "Notification",
    "Report",
    "RegisteredTerminal",
    "ResultCode",
    # errors
    *_errors.__all__,
    # notifications
    "NotificationReceiver",
    "handle_notification",
    "handle_notification_async",
    "parse_notification",
    # polling
    "wait_for_payment",
    "wait_for_payment_async",
    "cancel_or_acknowledge",
    "cancel_or_acknowledge_async",
    "POLL_INTERVAL",
    "POS_CYCLE_SECONDS",
    # URLs and QR codes
    "invoice_qr",
    "deep_link",
    "terminal_qr",
    "service_qr",
    "qr_png",
    "qr_svg",
    "qr_terminal",
    "parse_service_fragment",
    "WIZARD_CANCEL",
]
