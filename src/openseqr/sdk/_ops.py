"""Sans-I/O core of the clients: build each request, turn each response into a result.

Every public operation is a function returning a :class:`Call` (request + response parser);
the sync and async clients only differ in how they move the bytes (:func:`finish` is shared).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from openseqr.protocol import (
    Amount,
    AssignSeqrIdRequest,
    BenchmarkingNopRequest,
    CancelInvoiceRequest,
    ClientContext,
    CommitReservationRequest,
    CustomerToken,
    ExecuteReportRequest,
    GetClientSessionInfoRequest,
    GetPaymentStatusRequest,
    MalformedResponse,
    MarkTransactionPeriodRequest,
    PrincipalId,
    ProtocolError,
    ReceiptDocument,
    RefundPaymentRequest,
    RegisterTerminalRequest,
    Request,
    SendInvoiceRequest,
    SoapFault,
    SubmitPaymentReceiptRequest,
    UnregisterTerminalRequest,
    UpdateInvoiceRequest,
    decode_response,
    encode_request,
    operation_name,
)
from openseqr.protocol import Invoice as WireInvoice
from openseqr.protocol import InvoiceRow as WireRow
from openseqr.protocol import Receipt as WireReceipt
from openseqr.protocol.messages import (
    ErsResponse,
    ExecuteReportResponse,
    MarkTransactionPeriodResponse,
    PaymentStatusResponse,
    RefundPaymentResponse,
    RegisterTerminalResponse,
    SendInvoiceResponse,
)
from openseqr.protocol.urls import invoice_qr

from .errors import InvalidResponseError, SoapFaultError, TransportError, error_for_code
from .models import (
    AckMode,
    InvoiceRow,
    InvoiceStatus,
    PaymentMode,
    PaymentReceipt,
    PaymentStatus,
    ReceiptType,
    RegisteredTerminal,
    Report,
    SentInvoice,
    Token,
    to_decimal,
)

T = TypeVar("T")

SOAP_PATH = "/soap/merchant/cashregister-2"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


@dataclass(frozen=True)
class Call(Generic[T]):
    """One SOAP round trip: the request message and how to read its response."""

    request: Request
    parse: Callable[[Any], T]

    @property
    def operation(self) -> str:
        return operation_name(self.request)

    def body(self) -> bytes:
        return encode_request(self.request)


def finish(call: Call[T], status_code: int, content: bytes) -> T:
    """Decode the HTTP answer of ``call``; raise the SDK exception or return the result."""
    op = call.operation
    try:
        resp = decode_response(content, call.request)
    except SoapFault as exc:
        raise SoapFaultError(exc.faultcode, exc.faultstring, op) from None
    except MalformedResponse as exc:
        if status_code != 200:
            raise TransportError(
                f"{op}: HTTP {status_code} without a SOAP response", status_code
            ) from None
        raise InvalidResponseError(f"{op}: {exc}") from None
    except ProtocolError as exc:  # InvalidValue and friends
        raise InvalidResponseError(f"{op}: {exc}") from None
    if resp.result_code != 0:
        raise error_for_code(resp.result_code, resp.result_description, op)
    return call.parse(resp)


def endpoint_url(url: str) -> str:
    """A bare server URL gets the merchant SOAP path; a URL with a path is used as given."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise ValueError(f"not an absolute URL: {url!r}")
    if "/" not in rest.split("?", 1)[0].rstrip("/"):
        return url.rstrip("/") + SOAP_PATH
    return url


def make_context(
    principal: PrincipalId, password: str, *, client_id: str | None, channel: str | None
) -> ClientContext:
    return ClientContext(
        channel=channel,
        client_id=client_id,
        client_request_timeout=0,
        initiator=principal,
        password=password,
    )


def terminal_principal(terminal_id: str) -> PrincipalId:
    return PrincipalId(id=terminal_id, type="TERMINALID")


def reseller_principal(reseller_id: str, user_id: str) -> PrincipalId:
    return PrincipalId(id=reseller_id, type="RESELLERUSER", user_id=user_id)


# ------------------------------------------------------------------------ conversions


def _amount(value: Decimal | int | str | None, currency: str, what: str) -> Amount | None:
    dec = to_decimal(value, what)
    return None if dec is None else Amount(currency=currency, value=dec)


def _row(row: InvoiceRow, currency: str) -> WireRow:
    if not isinstance(row, InvoiceRow):
        raise TypeError(f"rows must be openseqr.sdk.InvoiceRow, not {type(row).__name__}")
    return WireRow(
        item_description=row.description,
        item_discount=_amount(row.discount, currency, "row discount"),
        item_ean=row.ean,
        item_quantity=to_decimal(row.quantity, "row quantity"),  # already a Decimal
        item_sku=row.sku,
        item_tax_rate=to_decimal(row.tax_rate, "row tax rate"),
        item_total_amount=_amount(row.total, currency, "row total"),
        item_unit=row.unit,
        item_unit_price=_amount(row.unit_price, currency, "row unit price"),
    )


def _tokens(tokens: Iterable[Token]) -> tuple[CustomerToken, ...]:
    return tuple(
        CustomerToken(description=t.description, id=t.id, status=int(t.status), value=t.value)
        for t in tokens
    )


def _enum_text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def build_invoice(
    currency: str,
    amount: Decimal | int | str | None = None,
    *,
    title: str | None = None,
    rows: Iterable[InvoiceRow] | None = None,
    client_invoice_id: str | None = None,
    notification_url: str | None = None,
    back_url: str | None = None,
    payment_mode: PaymentMode | str | None = None,
    ack_mode: AckMode | str | None = None,
    footer: str | None = None,
    cashier_id: str | None = None,
    commit_timeout: int | None = None,
    issue_date: datetime | None = None,
) -> WireInvoice:
    return WireInvoice(
        payment_mode=_enum_text(payment_mode),
        acknowledgment_mode=_enum_text(ack_mode),
        issue_date=issue_date,
        title=title,
        client_invoice_id=client_invoice_id,
        invoice_rows=None if rows is None else tuple(_row(r, currency) for r in rows),
        total_amount=_amount(amount, currency, "amount"),
        cashier_id=cashier_id,
        footer=footer,
        back_url=back_url,
        notification_url=notification_url,
        commit_reservation_timeout=None if commit_timeout is None else int(commit_timeout),
    )


def _receipt(r: WireReceipt | None) -> PaymentReceipt | None:
    if r is None:
        return None
    inv = r.invoice
    total = inv.total_amount if inv else None
    return PaymentReceipt(
        terminal_id=r.terminal_id,
        payment_date=r.payment_date,
        client_invoice_id=r.client_invoice_id,
        invoice_reference=r.invoice_reference,
        payment_reference=r.payment_reference,
        payer_terminal_id=r.payer_terminal_id,
        receiver_name=r.receiver_name,
        title=inv.title if inv else None,
        amount=total.value if total else None,
        currency=total.currency if total else None,
    )


def payment_status(resp: PaymentStatusResponse, reference: str | None) -> PaymentStatus:
    raw = resp.status
    try:
        status = InvoiceStatus(raw or "")  # a missing status is UNKNOWN too
    except ValueError:
        status = InvoiceStatus.UNKNOWN
    receipt = _receipt(resp.receipt)
    return PaymentStatus(
        status=status,
        version=int(resp.version or 0),
        reference=reference or (receipt.invoice_reference if receipt else None),
        ers_reference=resp.ers_reference,
        receipt=receipt,
        tokens=tuple(
            Token(t.id, t.value, int(t.status or 0), t.description) for t in resp.customer_tokens
        ),
        client_invoice_id=receipt.client_invoice_id if receipt else None,
        raw_status=raw,
    )


def _none(resp: ErsResponse) -> None:
    return None


# ------------------------------------------------------------------------ operations


def send_invoice(
    ctx: ClientContext, amount: Any, currency: str, tokens: Iterable[Token] = (), **invoice: Any
) -> Call[SentInvoice]:
    if amount is None:
        raise ValueError("send_invoice needs an amount")
    req = SendInvoiceRequest(
        context=ctx, invoice=build_invoice(currency, amount, **invoice), tokens=_tokens(tokens)
    )

    def parse(resp: SendInvoiceResponse) -> SentInvoice:
        ref = resp.invoice_reference
        if not ref:
            raise InvalidResponseError("sendInvoice: SUCCESS without invoiceReference")
        return SentInvoice(reference=ref, qr_code=resp.invoice_qr_code or invoice_qr(ref))

    return Call(req, parse)


def update_invoice(
    ctx: ClientContext,
    reference: str,
    currency: str,
    amount: Any = None,
    tokens: Iterable[Token] = (),
    **invoice: Any,
) -> Call[None]:
    req = UpdateInvoiceRequest(
        context=ctx,
        invoice_reference=reference,
        invoice=build_invoice(currency, amount, **invoice),
        tokens=_tokens(tokens),
    )
    return Call(req, _none)


def get_payment_status(
    ctx: ClientContext, reference: str | None, version: int = 0
) -> Call[PaymentStatus]:
    req = GetPaymentStatusRequest(
        context=ctx, invoice_reference=reference, invoice_version=int(version or 0)
    )
    return Call(req, lambda resp: payment_status(resp, reference))


def cancel_invoice(ctx: ClientContext, reference: str) -> Call[None]:
    return Call(CancelInvoiceRequest(context=ctx, invoice_reference=reference), _none)


def commit_reservation(
    ctx: ClientContext, reference: str, amount: Any, currency: str
) -> Call[None]:
    req = CommitReservationRequest(
        context=ctx, amount=_amount(amount, currency, "amount"), invoice_reference=reference
    )
    return Call(req, _none)


def submit_payment_receipt(
    ctx: ClientContext,
    ers_reference: str,
    data: bytes | str,
    mime_type: str,
    receipt_type: ReceiptType | str,
) -> Call[None]:
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    doc = ReceiptDocument(
        mime_type=mime_type, receipt_data=raw, receipt_type=_enum_text(receipt_type)
    )
    req = SubmitPaymentReceiptRequest(
        context=ctx, ers_reference=ers_reference, receipt_document=doc
    )
    return Call(req, _none)


def refund_payment(
    ctx: ClientContext, ers_reference: str, amount: Any, currency: str, **invoice: Any
) -> Call[str]:
    if amount is None:
        raise ValueError("refund_payment needs an amount")
    req = RefundPaymentRequest(
        context=ctx, ers_reference=ers_reference, invoice=build_invoice(currency, amount, **invoice)
    )

    def parse(resp: RefundPaymentResponse) -> str:
        if not resp.ers_reference:
            raise InvalidResponseError("refundPayment: SUCCESS without ersReference")
        return resp.ers_reference

    return Call(req, parse)


def assign_seqr_id(ctx: ClientContext, seqr_id: str) -> Call[None]:
    return Call(AssignSeqrIdRequest(context=ctx, seqr_id=seqr_id), _none)


def unregister_terminal(ctx: ClientContext) -> Call[None]:
    return Call(UnregisterTerminalRequest(context=ctx), _none)


def _params(pairs: Mapping[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in pairs.items() if v is not None)


def mark_transaction_period(ctx: ClientContext, terminal_id: str | None) -> Call[str]:
    req = MarkTransactionPeriodRequest(context=ctx, parameters=_params({"TERMINALID": terminal_id}))

    def parse(resp: MarkTransactionPeriodResponse) -> str:
        if not resp.transaction_period_id:
            raise InvalidResponseError("markTransactionPeriod: SUCCESS without an id")
        return resp.transaction_period_id

    return Call(req, parse)


def execute_report(
    ctx: ClientContext,
    report_id: str,
    period_id: str | None,
    terminal_id: str | None,
    language: str | None,
    extra: Mapping[str, str] | None = None,
) -> Call[Report]:
    params = {"transactionPeriodId": period_id, "TERMINALID": terminal_id, **(extra or {})}
    req = ExecuteReportRequest(
        context=ctx, report_id=report_id, language=language, parameters=_params(params)
    )

    def parse(resp: ExecuteReportResponse) -> Report:
        r = resp.report
        if r is None:
            raise InvalidResponseError("executeReport: SUCCESS without a report")
        content = r.content
        if content is None:
            content = (r.content_string or "").encode("utf-8")
        text = r.content_string
        if text is None:
            text = content.decode("utf-8", errors="replace")
        return Report(title=r.title, mime_type=r.mime_type, content=content, text=text)

    return Call(req, parse)


def get_client_session_info(ctx: ClientContext, token: str) -> Call[dict[str, str]]:
    req = GetClientSessionInfoRequest(context=ctx, key=token)
    return Call(req, lambda resp: dict(resp.parameters))


def benchmarking_nop() -> Call[None]:
    return Call(BenchmarkingNopRequest(), _none)


def new_terminal_password() -> str:
    """A random 24-character password for a new cash register."""
    return secrets.token_urlsafe(18)


def register_terminal(
    ctx: ClientContext, external_terminal_id: str, name: str, password: str
) -> Call[RegisteredTerminal]:
    req = RegisterTerminalRequest(
        context=ctx, external_terminal_id=external_terminal_id, password=password, name=name
    )

    def parse(resp: RegisterTerminalResponse) -> RegisteredTerminal:
        if not resp.terminal_id:
            raise InvalidResponseError("registerTerminal: SUCCESS without terminalId")
        return RegisteredTerminal(resp.terminal_id, password, external_terminal_id, name)

    return Call(req, parse)
