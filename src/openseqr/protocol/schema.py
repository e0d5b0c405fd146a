"""Wire schema: for every dataclass, its elements in WSDL ``xs:sequence`` order.

Shared by the encoder (emits in this order) and the decoder (order-insensitive lookup).
"""

from __future__ import annotations

from typing import NamedTuple

from . import messages as m
from .types import (
    Amount,
    ClientContext,
    CustomerToken,
    Invoice,
    InvoiceRow,
    PrincipalId,
    Receipt,
    ReceiptDocument,
    Report,
)

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://external.interfaces.ers.seamless.com/"

# field kinds
STR, INT, LONG, LONG_LENIENT, DEC, AMOUNT_VALUE, DT, B64, OBJ, LIST, WRAPPED, PMAP, JMAP = range(13)


class F(NamedTuple):
    tag: str
    attr: str
    kind: int
    sub: type | None = None  # nested dataclass for OBJ / LIST / WRAPPED
    item_tag: str | None = None  # WRAPPED: the repeated child element
    default: object = None  # emitted when the value is None (WSDL-mandatory elements)
    omit_empty: bool = False  # WRAPPED: omit the wrapper when the tuple is empty


PRINCIPAL_ID = (F("id", "id", STR), F("type", "type", STR), F("userId", "user_id", STR))
CLIENT_CONTEXT = (
    F("channel", "channel", STR),
    F("clientComment", "client_comment", STR),
    F("clientId", "client_id", STR),
    F("clientReference", "client_reference", STR),
    F("clientRequestTimeout", "client_request_timeout", LONG_LENIENT, default=0),
    F("initiatorPrincipalId", "initiator", OBJ, PrincipalId),
    F("password", "password", STR),
)
AMOUNT = (F("currency", "currency", STR), F("value", "value", AMOUNT_VALUE))
INVOICE_ROW = (
    F("itemDescription", "item_description", STR),
    F("itemDiscount", "item_discount", OBJ, Amount),
    F("itemEAN", "item_ean", STR),
    F("itemQuantity", "item_quantity", DEC),
    F("itemSKU", "item_sku", STR),
    F("itemTaxRate", "item_tax_rate", DEC),
    F("itemTotalAmount", "item_total_amount", OBJ, Amount),
    F("itemUnit", "item_unit", STR),
    F("itemUnitPrice", "item_unit_price", OBJ, Amount),
)
CUSTOMER_TOKEN = (
    F("description", "description", STR),
    F("id", "id", STR),
    F("status", "status", INT, default=0),
    F("value", "value", STR),
)
INVOICE = (
    F("paymentMode", "payment_mode", STR),
    F("acknowledgmentMode", "acknowledgment_mode", STR),
    F("issueDate", "issue_date", DT),
    F("title", "title", STR),
    F("clientInvoiceId", "client_invoice_id", STR),
    F("invoiceRows", "invoice_rows", WRAPPED, InvoiceRow, "invoiceRow"),
    F("totalAmount", "total_amount", OBJ, Amount),
    F("cashierId", "cashier_id", STR),
    F("footer", "footer", STR),
    F("backURL", "back_url", STR),
    F("notificationUrl", "notification_url", STR),
    F("commitReservationTimeout", "commit_reservation_timeout", LONG),
)
RECEIPT = (
    F("terminalId", "terminal_id", STR),
    F("paymentDate", "payment_date", DT),
    F("clientInvoiceId", "client_invoice_id", STR),
    F("invoiceReference", "invoice_reference", STR),
    F("paymentReference", "payment_reference", STR),
    F("payerTerminalId", "payer_terminal_id", STR),
    F("receiverName", "receiver_name", STR),
    F("invoice", "invoice", OBJ, Invoice),
)
RECEIPT_DOCUMENT = (
    F("mimeType", "mime_type", STR),
    F("receiptData", "receipt_data", B64),
    F("receiptType", "receipt_type", STR),
)
REPORT = (
    F("title", "title", STR),
    F("mimeType", "mime_type", STR),
    F("content", "content", B64),
    F("contentString", "content_string", STR),
)

TYPES: dict[type, tuple[F, ...]] = {
    PrincipalId: PRINCIPAL_ID,
    ClientContext: CLIENT_CONTEXT,
    Amount: AMOUNT,
    InvoiceRow: INVOICE_ROW,
    CustomerToken: CUSTOMER_TOKEN,
    Invoice: INVOICE,
    Receipt: RECEIPT,
    ReceiptDocument: RECEIPT_DOCUMENT,
    Report: REPORT,
}

_CTX = F("context", "context", OBJ, ClientContext)
_TOKENS = F("tokens", "tokens", LIST, CustomerToken)
_PMAP = F("parameters", "parameters", PMAP)

#: children of the request element, per request class
REQUESTS: dict[type[m.Request], tuple[F, ...]] = {
    m.SendInvoiceRequest: (_CTX, F("invoice", "invoice", OBJ, Invoice), _TOKENS),
    m.UpdateInvoiceRequest: (
        _CTX,
        F("invoiceReference", "invoice_reference", STR),
        F("invoice", "invoice", OBJ, Invoice),
        _TOKENS,
    ),
    m.GetPaymentStatusRequest: (
        _CTX,
        F("invoiceReference", "invoice_reference", STR),
        F("invoiceVersion", "invoice_version", INT, default=0),
    ),
    m.CancelInvoiceRequest: (_CTX, F("invoiceReference", "invoice_reference", STR)),
    m.CommitReservationRequest: (
        _CTX,
        F("amount", "amount", OBJ, Amount),
        F("invoiceReference", "invoice_reference", STR),
    ),
    m.SubmitPaymentReceiptRequest: (
        _CTX,
        F("ersReference", "ers_reference", STR),
        F("receiptDocument", "receipt_document", OBJ, ReceiptDocument),
    ),
    m.RefundPaymentRequest: (
        _CTX,
        F("ersReference", "ers_reference", STR),
        F("invoice", "invoice", OBJ, Invoice),
    ),
    m.RegisterTerminalRequest: (
        _CTX,
        F("externalTerminalId", "external_terminal_id", STR),
        F("password", "password", STR),
        F("name", "name", STR),
    ),
    m.UnregisterTerminalRequest: (_CTX,),
    m.AssignSeqrIdRequest: (_CTX, F("seqrId", "seqr_id", STR)),
    m.MarkTransactionPeriodRequest: (_CTX, _PMAP),
    m.ExecuteReportRequest: (
        _CTX,
        F("reportId", "report_id", STR),
        F("language", "language", STR),
        _PMAP,
    ),
    m.GetClientSessionInfoRequest: (_CTX, F("key", "key", STR)),
    m.BenchmarkingNopRequest: (),
    m.UnsupportedRequest: (_CTX,),
}

_BASE = (
    F("ersReference", "ers_reference", STR),
    F("resultCode", "result_code", INT, default=0),
    F("resultDescription", "result_description", STR),
)

#: children of ``return``, per response class
RESPONSES: dict[type[m.Response], tuple[F, ...]] = {
    m.SendInvoiceResponse: _BASE
    + (
        F("invoiceQRCode", "invoice_qr_code", STR),
        F("invoiceReference", "invoice_reference", STR),
    ),
    m.UpdateInvoiceResponse: _BASE,
    m.PaymentStatusResponse: _BASE
    + (
        F("status", "status", STR),
        F("receipt", "receipt", OBJ, Receipt),
        F("customerTokens", "customer_tokens", WRAPPED, CustomerToken, "token", omit_empty=True),
        F("version", "version", INT, default=0),
    ),
    m.CancelInvoiceResponse: _BASE,
    m.CommitReservationResponse: _BASE,
    m.SubmitPaymentReceiptResponse: _BASE,
    m.RefundPaymentResponse: _BASE,
    m.RegisterTerminalResponse: _BASE + (F("terminalId", "terminal_id", STR),),
    m.UnregisterTerminalResponse: _BASE,
    m.AssignSeqrIdResponse: _BASE,
    m.MarkTransactionPeriodResponse: _BASE
    + (F("transactionPeriodId", "transaction_period_id", STR),),
    m.ExecuteReportResponse: _BASE + (F("report", "report", OBJ, Report),),
    m.ClientSessionInfoResponse: _BASE + (F("parameters", "parameters", JMAP),),
    m.BenchmarkingNopResponse: _BASE,
    m.UnsupportedResponse: _BASE,
}

REQUEST_BY_OPERATION: dict[str, type] = {
    cls.OPERATION: cls for cls in REQUESTS if cls.OPERATION is not None
}
RESPONSE_BY_OPERATION: dict[str, type] = {
    cls.OPERATION: cls for cls in RESPONSES if cls.OPERATION is not None
}
