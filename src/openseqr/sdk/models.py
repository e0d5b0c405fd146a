"""Friendly value types of the merchant SDK (what you pass in and get back).

Money is always :class:`decimal.Decimal` (``int`` and ``str`` are accepted and converted;
``float`` is refused because it cannot represent most prices exactly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum, StrEnum
from typing import Any

__all__ = [
    "InvoiceStatus",
    "PaymentMode",
    "AckMode",
    "ReceiptType",
    "InvoiceRow",
    "Token",
    "TokenStatus",
    "SentInvoice",
    "PaymentReceipt",
    "PaymentStatus",
    "Notification",
    "Report",
    "RegisteredTerminal",
    "to_decimal",
]


class InvoiceStatus(StrEnum):
    """``status`` of ``getPaymentStatus`` (spec 8.1). ``str`` subclass: compares to the wire text.

    * ``ISSUED`` -- waiting for the customer (also while the customer looks at it or pays).
    * ``PENDING_ISSUER_ACKNOWLEDGE`` -- loyalty flow: you must call ``update_invoice``.
    * ``RESERVED`` -- reservation modes: you must call ``commit_reservation`` (or cancel).
    * ``PAID`` -- paid; the response that told you so acknowledged it (see the ack window).
    * ``CANCELED`` -- cancelled (by you, the customer, expiry, or a reversed unacknowledged
      payment). ``FAILED`` -- the payment failed (e.g. bank declined).
    * ``EXPIRED`` / ``PARTIALLY_PAID`` -- only in the 2015 enum / docs; not sent by openseqr.
    """

    ISSUED = "ISSUED"
    PENDING_ISSUER_ACKNOWLEDGE = "PENDING_ISSUER_ACKNOWLEDGE"
    RESERVED = "RESERVED"
    PAID = "PAID"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    #: a status text this SDK does not know (the raw text is in ``PaymentStatus.raw_status``)
    UNKNOWN = "UNKNOWN"

    @property
    def is_final(self) -> bool:
        """No further change is possible (except refunds of a PAID invoice)."""
        return self in _FINAL


_FINAL = frozenset(
    {InvoiceStatus.PAID, InvoiceStatus.CANCELED, InvoiceStatus.FAILED, InvoiceStatus.EXPIRED}
)


class PaymentMode(StrEnum):
    """``invoice.paymentMode`` (spec 6.4.1). Use ``IMMEDIATE_DEBIT`` unless you reserve."""

    IMMEDIATE_DEBIT = "IMMEDIATE_DEBIT"
    RESERVATION_DESIRED = "RESERVATION_DESIRED"
    RESERVATION_REQUIRED = "RESERVATION_REQUIRED"
    RESERVATION_REQUIRED_PRELIMINARY_AMOUNT = "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT"


class AckMode(StrEnum):
    """``invoice.acknowledgmentMode`` (spec 6.4.2). ``NO_ACKNOWLEDGMENT`` unless you do loyalty."""

    NO_ACKNOWLEDGMENT = "NO_ACKNOWLEDGMENT"
    OPTIONAL_ACKNOWLEDGMENT = "OPTIONAL_ACKNOWLEDGMENT"
    REQUIRE_ACKNOWLEDGMENT = "REQUIRE_ACKNOWLEDGMENT"


class ReceiptType(StrEnum):
    """``receiptDocument.receiptType`` (spec 6.8)."""

    PAYMENT_RECEIPT = "PAYMENT_RECEIPT"
    WARRANTY = "WARRANTY"
    VOUCHER = "VOUCHER"
    OTHER = "OTHER"


def to_decimal(value: Decimal | int | str | None, what: str = "amount") -> Decimal | None:
    """``Decimal``/``int``/``str`` -> ``Decimal``; ``None`` stays ``None``; ``float`` is refused."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(
            f"{what} must be Decimal, int or str, not {type(value).__name__} "
            f"(use Decimal('{value}'))"
        )
    if isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{what} is not a decimal number: {value!r}") from None
        if not result.is_finite():
            raise ValueError(f"{what} must be finite: {value!r}")
        return result
    raise TypeError(f"{what} must be Decimal, int or str, not {type(value).__name__}")


@dataclass(frozen=True)
class InvoiceRow:
    """One line shown on the customer's phone (``paymentInvoiceRow``, spec 6.5).

    All amounts are in the invoice currency. ``total`` is the row total after ``discount``; if
    you leave it out it is computed as ``quantity * unit_price``. Rows should add up to the
    invoice amount (negative rows may balance discounts or other tenders).

    >>> InvoiceRow("Movie ticket", quantity=2, unit_price=Decimal("120.00"), tax_rate=6)
    """

    description: str
    total: Decimal | int | str | None = None
    quantity: Decimal | int | str | None = 1
    unit_price: Decimal | int | str | None = None
    sku: str | None = None
    ean: str | None = None
    unit: str | None = None
    tax_rate: Decimal | int | str | None = None
    discount: Decimal | int | str | None = None

    def __post_init__(self) -> None:
        values = {
            name: to_decimal(getattr(self, name), f"row {name}")
            for name in ("total", "quantity", "unit_price", "tax_rate", "discount")
        }
        if values["total"] is None:
            unit_price, qty = values["unit_price"], values["quantity"]
            if unit_price is None:
                raise ValueError(f"row {self.description!r}: give total or unit_price")
            values["total"] = (qty if qty is not None else Decimal(1)) * unit_price
        for name, value in values.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Token:
    """A customer token -- loyalty card or coupon (spec 6.6).

    ``status``: 0 pending (sent by SEQR), 1 used in this payment (you, in ``update_invoice`` or
    for a swiped card in ``send_invoice``), 90 blocked, 99 invalid/unknown to you.
    """

    id: str | None
    value: str | None
    status: int = 0
    description: str | None = None

    def with_status(self, status: int) -> Token:
        """A copy with another status, e.g. ``token.with_status(TokenStatus.USED)``."""
        return Token(self.id, self.value, int(status), self.description)


class TokenStatus(IntEnum):
    """Values of :attr:`Token.status`."""

    PENDING = 0
    USED = 1
    BLOCKED = 90
    INVALID = 99


@dataclass(frozen=True)
class SentInvoice:
    """Result of ``send_invoice``.

    ``reference`` identifies the invoice in every later call; ``qr_code`` is the text to show
    as a QR code (``HTTP://SEQR.SE/R<reference>``); :attr:`deep_link` opens the SEQR app on
    the phone itself (mobile web shops, in-app payments, External Services).
    """

    reference: str
    qr_code: str

    @property
    def deep_link(self) -> str:
        """``seqr://SEQR.SE/R<reference>`` (use ``openseqr.sdk.deep_link`` for the demo app)."""
        return f"seqr://SEQR.SE/R{self.reference}"


@dataclass(frozen=True)
class PaymentReceipt:
    """The server's receipt of a PAID invoice (``receipt``, spec 6.7), flattened."""

    terminal_id: str | None
    payment_date: datetime | None
    client_invoice_id: str | None
    invoice_reference: str | None
    payment_reference: str | None
    payer_terminal_id: str | None
    receiver_name: str | None
    title: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Notification:
    """What the server POSTed to your ``notification_url`` (spec 9.2).

    ``query`` holds your own query parameters of the notification URL (e.g. ``order``);
    ``extra`` any further body fields (``msisdn``/``subscriberKey`` when the operator enables
    them). The notification is only a hint: confirm with ``get_payment_status``.
    """

    invoice_reference: str
    client_invoice_id: str | None
    extra: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    signed: bool = False

    @property
    def delivery_id(self) -> str | None:
        """The same for every attempt and redelivery of one notification (drop repeats by it);
        None from servers that do not send it."""
        return self.extra.get("deliveryId") or None


@dataclass(frozen=True)
class PaymentStatus:
    """Result of ``get_payment_status`` (spec 7.4).

    ``version`` -- pass it as ``version`` to the next call (the pollers do it for you).
    ``ers_reference`` and ``receipt`` are only set when PAID; ``ers_reference`` is what you
    need for ``refund_payment`` and ``submit_payment_receipt``. ``tokens`` are loyalty tokens
    to consider (answer with ``update_invoice``). ``reference`` is the invoice reference you
    asked about (``None`` for "latest invoice of this cash register").
    ``client_invoice_id`` comes from the receipt or the notification when known.
    ``notification`` is set when this status was fetched because of a notification.
    """

    status: InvoiceStatus
    version: int
    reference: str | None = None
    ers_reference: str | None = None
    receipt: PaymentReceipt | None = None
    tokens: tuple[Token, ...] = ()
    client_invoice_id: str | None = None
    raw_status: str | None = None
    notification: Notification | None = None

    @property
    def is_paid(self) -> bool:
        """The money is yours (and this response acknowledged the payment)."""
        return self.status is InvoiceStatus.PAID

    @property
    def is_final(self) -> bool:
        """PAID, CANCELED, FAILED (or EXPIRED): stop polling."""
        return self.status.is_final

    @property
    def needs_action(self) -> bool:
        """You must act: ``update_invoice`` (PENDING_ISSUER_ACKNOWLEDGE) or
        ``commit_reservation``/``cancel_invoice`` (RESERVED)."""
        return self.status in (InvoiceStatus.PENDING_ISSUER_ACKNOWLEDGE, InvoiceStatus.RESERVED)

    @property
    def is_pending(self) -> bool:
        """Still waiting for the customer (ISSUED)."""
        return self.status is InvoiceStatus.ISSUED

    def as_status_json(self) -> dict[str, Any]:
        """The JSON the SEQR webshop plugin expects from your status URL (spec 9.4)."""
        out: dict[str, Any] = {
            "resultCode": 0,
            "resultDescription": "SUCCESS",
            "status": self.raw_status or self.status.value,
            "customerTokens": {},
            "version": self.version,
        }
        if self.tokens:
            out["customerTokens"] = {
                "token": [
                    {"description": t.description, "id": t.id, "status": t.status, "value": t.value}
                    for t in self.tokens
                ]
            }
        if self.ers_reference:
            out["ersReference"] = self.ers_reference
        return out


@dataclass(frozen=True)
class Report:
    """Result of ``execute_report``: ``content`` (bytes) and ``text`` (the ``contentString``,
    or the content decoded as UTF-8 when the server sent no string form)."""

    title: str | None
    mime_type: str | None
    content: bytes
    text: str


@dataclass(frozen=True)
class RegisteredTerminal:
    """Result of ``ResellerClient.register_terminal``: keep both values, they are the new
    cash register's credentials (``SeqrClient(url, terminal_id, password)``)."""

    terminal_id: str
    password: str
    external_terminal_id: str
    name: str
