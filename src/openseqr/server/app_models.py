"""Typed requests and answers of the app JSON API: the one description of its wire format.

Request models are what the edge accepts (strict types, bounded lengths, no control characters);
answer models are what the endpoints send. The OpenAPI document (`openapi.py`) is generated from
both, and a test validates real answers against the answer models.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _number_as_text(value: Any) -> Any:
    """Digits sent as a JSON number (46700000001) are accepted as text, as since D-46."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Msisdn = Annotated[
    str,
    BeforeValidator(_number_as_text),
    Field(min_length=1, max_length=32, pattern=r"^[+0-9][0-9 -]*$", examples=["46700000001"]),
]
Pin = Annotated[
    str,
    BeforeValidator(_number_as_text),
    Field(min_length=1, max_length=64, pattern=_PRINTABLE, examples=["1111"]),
]
Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=512,
        pattern=_PRINTABLE,
        examples=["HTTP://SEQR.SE/R20260115123456789"],
    ),
]


class Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class CodeIn(Request):
    code: Code


class ScanIn(CodeIn):
    confirm_identity: bool = Field(
        True,
        description="service codes only: false opens the session IN_PROGRESS; "
        "getClientSessionInfo answers 62 until POST /sessions/{token}/confirm",
    )


class CredentialsIn(Request):
    msisdn: Msisdn
    pin: Pin


class PayIn(CredentialsIn):
    version: int | None = Field(
        None, ge=0, le=2**31, description="the invoice version the app showed"
    )


# -- answers ---------------------------------------------------------------------------------
class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Money(Answer):
    value: str = Field(examples=["500.00"])
    currency: str = Field(examples=["SEK"])


class InvoiceRow(Answer):
    description: str | None
    quantity: str | None
    total: Money | None


InvoiceStatus = Literal[
    "ISSUED", "PENDING_ISSUER_ACKNOWLEDGE", "RESERVED", "PAID", "CANCELED", "FAILED"
]


class InvoiceOut(Answer):
    reference: str
    status: InvoiceStatus
    version: int
    merchant: str
    title: str | None
    total: Money | None
    rows: list[InvoiceRow]
    footer: str | None
    back_url: str | None
    payment_mode: str
    awaiting_merchant: bool
    ers_reference: str | None
    paid_at: str | None
    reason: str | None
    refunded: Money | None


class SessionOut(Answer):
    token: str
    service_id: str
    state: Literal["IN_PROGRESS", "ACTIVE", "CANCELLED", "EXPIRED"]
    expires_at: str


class ServiceRef(Answer):
    id: str
    name: str


class ScannedInvoice(Answer):
    kind: Literal["invoice"]
    invoice: InvoiceOut


class ScannedWaiting(Answer):
    kind: Literal["waiting"]
    terminal: str
    seqr_id: str


class ScannedService(Answer):
    kind: Literal["service"]
    service: ServiceRef
    session: SessionOut
    order_url: str
    success_url: str
    failure_url: str
    cancel_url: str


ScanOut = Annotated[ScannedInvoice | ScannedWaiting | ScannedService, Field(discriminator="kind")]


class ParsedCode(Answer):
    kind: str
    code: str


class Message(Answer):
    text: str
    at: str
    invoice_reference: str | None


class WalletOut(Answer):
    msisdn: str
    name: str | None
    subscriber_key: str
    balances: dict[str, str]
    invoices: list[InvoiceOut]
    messages: list[Message]


class LoginOut(Answer):
    token: str
    expires_at: str
    msisdn: str
    name: str | None


class Document(Answer):
    index: int
    mime_type: str
    receipt_type: str | None
    created_at: str | None
    size: int
    text: str | None
    data_base64: str | None


class Receipt(Answer):
    ers_reference: str | None
    merchant: str
    amount: Money | None
    paid_at: str | None
    title: str | None
    footer: str | None
    payer_terminal_id: str | None
    documents: list[Document]


class ReceiptOut(Answer):
    invoice: InvoiceOut
    receipt: Receipt


class Health(Answer):
    status: Literal["ok"]


class Ready(Answer):
    status: Literal["ok"]


class Problem(Answer):
    """RFC 9457 problem details; `error`/`message` repeat `type`/`detail` for older clients."""

    type: str
    title: str
    status: int
    detail: str
    error: str
    message: str


__all__ = [
    "CodeIn",
    "ScanIn",
    "CredentialsIn",
    "PayIn",
    "InvoiceOut",
    "SessionOut",
    "ScanOut",
    "ParsedCode",
    "WalletOut",
    "LoginOut",
    "ReceiptOut",
    "Health",
    "Problem",
]
