"""Data types of the SEQR SOAP interface (spec section 6) as frozen dataclasses.

Conventions: every field is optional (``None`` = element absent) unless stated; money is
always :class:`decimal.Decimal`; date-times are :class:`datetime.datetime` (naive when the
wire value had no offset, see D-41); base64 fields are ``bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = [
    "PrincipalId",
    "ClientContext",
    "Amount",
    "InvoiceRow",
    "CustomerToken",
    "Invoice",
    "Receipt",
    "ReceiptDocument",
    "Report",
    "Parameters",
]

#: Decoded ``parameterMap`` / JAXB map: ordered (key, value) pairs, duplicates kept.
Parameters = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class PrincipalId:
    """``principalId`` (6.2). ``type`` is normalised to upper case (D-63)."""

    id: str | None = None
    type: str | None = None
    user_id: str | None = None

    def __post_init__(self) -> None:
        t = self.type
        if t is not None and not t.isupper():
            object.__setattr__(self, "type", t.upper())


@dataclass(frozen=True, slots=True)
class ClientContext:
    """``clientContext`` (6.1), element ``context`` of every request."""

    channel: str | None = None
    client_comment: str | None = None
    client_id: str | None = None
    client_reference: str | None = None
    client_request_timeout: int | None = None
    initiator: PrincipalId | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class Amount:
    """``amount`` (6.3): ISO 4217 currency and a decimal value in major units."""

    currency: str | None = None
    value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """``paymentInvoiceRow`` (6.5)."""

    item_description: str | None = None
    item_discount: Amount | None = None
    item_ean: str | None = None
    item_quantity: Decimal | None = None
    item_sku: str | None = None
    item_tax_rate: Decimal | None = None
    item_total_amount: Amount | None = None
    item_unit: str | None = None
    item_unit_price: Amount | None = None


@dataclass(frozen=True, slots=True)
class CustomerToken:
    """``customerToken`` (6.6). ``status`` is mandatory on the wire (emitted as 0 if None)."""

    description: str | None = None
    id: str | None = None
    status: int | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    """``invoice`` (6.4).

    ``invoice_rows``: ``None`` = the ``invoiceRows`` wrapper was absent, ``()`` = present but
    empty (relevant for ``updateInvoice``, D-49). ``payment_mode`` / ``acknowledgment_mode``
    are kept as raw strings; validating them is the server's job.
    """

    payment_mode: str | None = None
    acknowledgment_mode: str | None = None
    issue_date: datetime | None = None
    title: str | None = None
    client_invoice_id: str | None = None
    invoice_rows: tuple[InvoiceRow, ...] | None = None
    total_amount: Amount | None = None
    cashier_id: str | None = None
    footer: str | None = None
    back_url: str | None = None
    notification_url: str | None = None
    commit_reservation_timeout: int | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """``receipt`` (6.7), in the ``getPaymentStatus`` response when PAID."""

    terminal_id: str | None = None
    payment_date: datetime | None = None
    client_invoice_id: str | None = None
    invoice_reference: str | None = None
    payment_reference: str | None = None
    payer_terminal_id: str | None = None
    receiver_name: str | None = None
    invoice: Invoice | None = None


@dataclass(frozen=True, slots=True)
class ReceiptDocument:
    """``receiptDocument`` (6.8); ``receipt_data`` is the decoded base64 content."""

    mime_type: str | None = None
    receipt_data: bytes | None = None
    receipt_type: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """``report`` (6.9); ``content`` is the decoded base64 content."""

    title: str | None = None
    mime_type: str | None = None
    content: bytes | None = None
    content_string: str | None = None
