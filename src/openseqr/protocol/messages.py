"""Request and response messages, one frozen dataclass per operation (spec 6.11, 7).

Every class has a class attribute ``OPERATION`` with the wire operation name (the request
element; the response element is ``OPERATION + "Response"``). All fields are keyword-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from .result_codes import describe
from .types import (
    Amount,
    ClientContext,
    CustomerToken,
    Invoice,
    Parameters,
    Receipt,
    ReceiptDocument,
    Report,
)

__all__ = [
    # requests
    "SendInvoiceRequest",
    "UpdateInvoiceRequest",
    "GetPaymentStatusRequest",
    "CancelInvoiceRequest",
    "CommitReservationRequest",
    "SubmitPaymentReceiptRequest",
    "RefundPaymentRequest",
    "RegisterTerminalRequest",
    "UnregisterTerminalRequest",
    "AssignSeqrIdRequest",
    "MarkTransactionPeriodRequest",
    "ExecuteReportRequest",
    "GetClientSessionInfoRequest",
    "BenchmarkingNopRequest",
    "UnsupportedRequest",
    "Request",
    "UNSUPPORTED_OPERATIONS",
    "operation_name",
    # responses
    "ErsResponse",
    "SendInvoiceResponse",
    "UpdateInvoiceResponse",
    "PaymentStatusResponse",
    "GetPaymentStatusResponse",
    "CancelInvoiceResponse",
    "CommitReservationResponse",
    "SubmitPaymentReceiptResponse",
    "RefundPaymentResponse",
    "RegisterTerminalResponse",
    "UnregisterTerminalResponse",
    "AssignSeqrIdResponse",
    "MarkTransactionPeriodResponse",
    "ExecuteReportResponse",
    "ClientSessionInfoResponse",
    "GetClientSessionInfoResponse",
    "BenchmarkingNopResponse",
    "UnsupportedResponse",
    "Response",
]

#: Operations of the 2.6 WSDL that are out of scope (7.16); decoded as UnsupportedRequest.
UNSUPPORTED_OPERATIONS: frozenset[str] = frozenset(
    {
        "requestTopup",
        "requestTransfer",
        "requestPurchase",
        "requestPrincipalInformation",
        "changePrincipalPassword",
        "confirmCustomerRegistration",
    }
)


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True, kw_only=True)
class SendInvoiceRequest:
    OPERATION: ClassVar[str] = "sendInvoice"
    context: ClientContext | None = None
    invoice: Invoice | None = None
    tokens: tuple[CustomerToken, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateInvoiceRequest:
    OPERATION: ClassVar[str] = "updateInvoice"
    context: ClientContext | None = None
    invoice_reference: str | None = None
    invoice: Invoice | None = None
    tokens: tuple[CustomerToken, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class GetPaymentStatusRequest:
    OPERATION: ClassVar[str] = "getPaymentStatus"
    context: ClientContext | None = None
    invoice_reference: str | None = None
    #: ``None`` when the (WSDL-mandatory) element was missing; the server treats it as 0.
    invoice_version: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelInvoiceRequest:
    OPERATION: ClassVar[str] = "cancelInvoice"
    context: ClientContext | None = None
    invoice_reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitReservationRequest:
    OPERATION: ClassVar[str] = "commitReservation"
    context: ClientContext | None = None
    amount: Amount | None = None
    invoice_reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitPaymentReceiptRequest:
    OPERATION: ClassVar[str] = "submitPaymentReceipt"
    context: ClientContext | None = None
    ers_reference: str | None = None
    receipt_document: ReceiptDocument | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundPaymentRequest:
    OPERATION: ClassVar[str] = "refundPayment"
    context: ClientContext | None = None
    ers_reference: str | None = None
    invoice: Invoice | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterTerminalRequest:
    OPERATION: ClassVar[str] = "registerTerminal"
    context: ClientContext | None = None
    external_terminal_id: str | None = None
    password: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnregisterTerminalRequest:
    OPERATION: ClassVar[str] = "unregisterTerminal"
    context: ClientContext | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignSeqrIdRequest:
    OPERATION: ClassVar[str] = "assignSeqrId"
    context: ClientContext | None = None
    seqr_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkTransactionPeriodRequest:
    OPERATION: ClassVar[str] = "markTransactionPeriod"
    context: ClientContext | None = None
    #: parameterMap entries; any of the three nesting variants of D-29 is accepted on input.
    parameters: Parameters = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteReportRequest:
    OPERATION: ClassVar[str] = "executeReport"
    context: ClientContext | None = None
    report_id: str | None = None
    language: str | None = None
    parameters: Parameters = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class GetClientSessionInfoRequest:
    OPERATION: ClassVar[str] = "getClientSessionInfo"
    context: ClientContext | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkingNopRequest:
    OPERATION: ClassVar[str] = "benchmarkingNop"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedRequest:
    """An out-of-scope WSDL operation (7.16); only the context is decoded."""

    OPERATION: ClassVar[str | None] = None
    operation: str
    context: ClientContext | None = None


Request = (
    SendInvoiceRequest
    | UpdateInvoiceRequest
    | GetPaymentStatusRequest
    | CancelInvoiceRequest
    | CommitReservationRequest
    | SubmitPaymentReceiptRequest
    | RefundPaymentRequest
    | RegisterTerminalRequest
    | UnregisterTerminalRequest
    | AssignSeqrIdRequest
    | MarkTransactionPeriodRequest
    | ExecuteReportRequest
    | GetClientSessionInfoRequest
    | BenchmarkingNopRequest
    | UnsupportedRequest
)

# -------------------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True, kw_only=True)
class ErsResponse:
    """``erswsResponse``: base of every response. Not used directly on the wire."""

    OPERATION: ClassVar[str | None] = None
    result_code: int
    result_description: str | None = None
    ers_reference: str | None = None

    @classmethod
    def of(cls, code: int, **fields: Any) -> Self:
        """Build a response with ``result_description`` set to the code's symbolic name."""
        return cls(result_code=int(code), result_description=describe(code), **fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendInvoiceResponse(ErsResponse):
    OPERATION: ClassVar[str] = "sendInvoice"
    invoice_qr_code: str | None = None
    invoice_reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateInvoiceResponse(ErsResponse):
    OPERATION: ClassVar[str] = "updateInvoice"


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentStatusResponse(ErsResponse):
    OPERATION: ClassVar[str] = "getPaymentStatus"
    status: str | None = None
    receipt: Receipt | None = None
    #: ``customerTokens/token``; the wrapper is omitted when empty.
    customer_tokens: tuple[CustomerToken, ...] = ()
    #: Mandatory on the wire; 0 on failures (D-58).
    version: int = 0


GetPaymentStatusResponse = PaymentStatusResponse


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelInvoiceResponse(ErsResponse):
    OPERATION: ClassVar[str] = "cancelInvoice"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitReservationResponse(ErsResponse):
    OPERATION: ClassVar[str] = "commitReservation"


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitPaymentReceiptResponse(ErsResponse):
    OPERATION: ClassVar[str] = "submitPaymentReceipt"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundPaymentResponse(ErsResponse):
    OPERATION: ClassVar[str] = "refundPayment"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterTerminalResponse(ErsResponse):
    OPERATION: ClassVar[str] = "registerTerminal"
    terminal_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnregisterTerminalResponse(ErsResponse):
    OPERATION: ClassVar[str] = "unregisterTerminal"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignSeqrIdResponse(ErsResponse):
    OPERATION: ClassVar[str] = "assignSeqrId"


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkTransactionPeriodResponse(ErsResponse):
    OPERATION: ClassVar[str] = "markTransactionPeriod"
    transaction_period_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteReportResponse(ErsResponse):
    OPERATION: ClassVar[str] = "executeReport"
    report: Report | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSessionInfoResponse(ErsResponse):
    OPERATION: ClassVar[str] = "getClientSessionInfo"
    #: JAXB map (D-08): emitted as ``parameters/entry/key,value``; omitted when empty.
    parameters: Parameters = ()


GetClientSessionInfoResponse = ClientSessionInfoResponse


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkingNopResponse(ErsResponse):
    OPERATION: ClassVar[str] = "benchmarkingNop"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedResponse(ErsResponse):
    """Base ``erswsResponse`` for an out-of-scope operation (normally result 91, D-43e).

    Subtype elements of the OUT response types are neither emitted nor decoded.
    """

    operation: str


Response = (
    SendInvoiceResponse
    | UpdateInvoiceResponse
    | PaymentStatusResponse
    | CancelInvoiceResponse
    | CommitReservationResponse
    | SubmitPaymentReceiptResponse
    | RefundPaymentResponse
    | RegisterTerminalResponse
    | UnregisterTerminalResponse
    | AssignSeqrIdResponse
    | MarkTransactionPeriodResponse
    | ExecuteReportResponse
    | ClientSessionInfoResponse
    | BenchmarkingNopResponse
    | UnsupportedResponse
)


def operation_name(msg: Request | ErsResponse) -> str:
    """The wire operation of a message (an unsupported one carries it as a field)."""
    if isinstance(msg, UnsupportedRequest | UnsupportedResponse):
        return msg.operation
    if msg.OPERATION is None:
        raise TypeError(f"{type(msg).__name__} is not a wire message")
    return msg.OPERATION
