"""Contract tests with zeep as an independent SOAP client (no server involved).

Requests: zeep builds them from the ORIGINAL WSDL (and from our extended WSDL for the D-07
additions); our codec must decode them. Responses: our codec encodes them; zeep must parse
them against the WSDL with the values intact.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources

import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault

from openseqr.protocol import (
    Amount,
    AssignSeqrIdRequest,
    CancelInvoiceRequest,
    ClientContext,
    ClientSessionInfoResponse,
    CommitReservationRequest,
    CustomerToken,
    ExecuteReportRequest,
    ExecuteReportResponse,
    GetClientSessionInfoRequest,
    GetPaymentStatusRequest,
    Invoice,
    InvoiceRow,
    MarkTransactionPeriodRequest,
    MarkTransactionPeriodResponse,
    PaymentStatusResponse,
    PrincipalId,
    Receipt,
    ReceiptDocument,
    RefundPaymentRequest,
    RefundPaymentResponse,
    RegisterTerminalRequest,
    RegisterTerminalResponse,
    Report,
    SendInvoiceRequest,
    SendInvoiceResponse,
    SubmitPaymentReceiptRequest,
    UnregisterTerminalRequest,
    UnsupportedRequest,
    UnsupportedResponse,
    UpdateInvoiceRequest,
    UpdateInvoiceResponse,
    decode_request,
    encode_fault,
    encode_response,
    render_wsdl,
)

ORIGINAL = resources.files("openseqr.protocol").joinpath("wsdl", "ERSWSExternalClientService.wsdl")
CET = timezone(timedelta(hours=1))

ZCTX = {
    "channel": "WS",
    "clientId": "zeep",
    "clientRequestTimeout": 0,
    "initiatorPrincipalId": {"id": "public_test_shop_terminal", "type": "TERMINALID"},
    "password": "12345678",
}
CTX = ClientContext(
    channel="WS",
    client_id="zeep",
    client_request_timeout=0,
    initiator=PrincipalId("public_test_shop_terminal", "TERMINALID"),
    password="12345678",
)
ZINVOICE = {
    "paymentMode": "IMMEDIATE_DEBIT",
    "acknowledgmentMode": "NO_ACKNOWLEDGMENT",
    "issueDate": datetime(2015, 12, 25, 12, 34, 56),
    "title": "Grand Cinema",
    "clientInvoiceId": "order-4711",
    "invoiceRows": {
        "invoiceRow": [
            {
                "itemDescription": "Movie Tickets",
                "itemQuantity": Decimal("2"),
                "itemTaxRate": Decimal("0.25"),
                "itemTotalAmount": {"currency": "SEK", "value": Decimal("500.00")},
                "itemUnit": "",
                "itemUnitPrice": {"currency": "SEK", "value": Decimal("250.00")},
            }
        ]
    },
    "totalAmount": {"currency": "SEK", "value": Decimal("500.00")},
    "cashierId": "Bob",
    "footer": "Thank you!",
    "backURL": "https://shop.example/back",
    "notificationUrl": "https://shop.example/notify?order=4711",
}
INVOICE = Invoice(
    payment_mode="IMMEDIATE_DEBIT",
    acknowledgment_mode="NO_ACKNOWLEDGMENT",
    issue_date=datetime(2015, 12, 25, 12, 34, 56),
    title="Grand Cinema",
    client_invoice_id="order-4711",
    invoice_rows=(
        InvoiceRow(
            item_description="Movie Tickets",
            item_quantity=Decimal("2"),
            item_tax_rate=Decimal("0.25"),
            item_total_amount=Amount("SEK", Decimal("500.00")),
            item_unit="",
            item_unit_price=Amount("SEK", Decimal("250.00")),
        ),
    ),
    total_amount=Amount("SEK", Decimal("500.00")),
    cashier_id="Bob",
    footer="Thank you!",
    back_url="https://shop.example/back",
    notification_url="https://shop.example/notify?order=4711",
)
ZTOKEN = {"description": "X Club card", "id": "X_CARD", "status": 1, "value": "2610411111110"}
TOKEN = CustomerToken("X Club card", "X_CARD", 1, "2610411111110")
ZPARAMS = {
    "parameter": {
        "entry": [
            {"key": "transactionPeriodId", "value": "2012"},
            {"key": "TERMINALID", "value": "t1"},
        ]
    }
}
PARAMS = (("transactionPeriodId", "2012"), ("TERMINALID", "t1"))


@pytest.fixture(scope="module")
def original() -> zeep.Client:
    return zeep.Client(str(ORIGINAL))


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> zeep.Client:
    path = tmp_path_factory.mktemp("wsdl") / "openseqr.wsdl"
    path.write_bytes(render_wsdl("http://127.0.0.1:1/soap"))
    return zeep.Client(str(path))


def _request(client: zeep.Client, op: str, **kwargs) -> bytes:
    envelope = client.create_message(client.service, op, **kwargs)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


REQUEST_CASES = [
    (
        "sendInvoice",
        {"context": ZCTX, "invoice": ZINVOICE, "tokens": [ZTOKEN]},
        SendInvoiceRequest(context=CTX, invoice=INVOICE, tokens=(TOKEN,)),
    ),
    (
        "updateInvoice",
        {
            "context": ZCTX,
            "invoiceReference": "123",
            "invoice": {"title": "T"},
            "tokens": [ZTOKEN, ZTOKEN],
        },
        UpdateInvoiceRequest(
            context=CTX, invoice_reference="123", invoice=Invoice(title="T"), tokens=(TOKEN, TOKEN)
        ),
    ),
    (
        "getPaymentStatus",
        {"context": ZCTX, "invoiceReference": "20151225123456789", "invoiceVersion": 4},
        GetPaymentStatusRequest(
            context=CTX, invoice_reference="20151225123456789", invoice_version=4
        ),
    ),
    (
        "cancelInvoice",
        {"context": ZCTX, "invoiceReference": "1"},
        CancelInvoiceRequest(context=CTX, invoice_reference="1"),
    ),
    (
        "commitReservation",
        {"context": ZCTX, "invoiceReference": "1"},
        CommitReservationRequest(context=CTX, invoice_reference="1"),
    ),
    (
        "submitPaymentReceipt",
        {
            "context": ZCTX,
            "ersReference": "2015",
            "receiptDocument": {
                "mimeType": "text/html",
                "receiptData": b"<html>\x00\xff</html>",
                "receiptType": "PAYMENT_RECEIPT",
            },
        },
        SubmitPaymentReceiptRequest(
            context=CTX,
            ers_reference="2015",
            receipt_document=ReceiptDocument(
                "text/html", b"<html>\x00\xff</html>", "PAYMENT_RECEIPT"
            ),
        ),
    ),
    (
        "refundPayment",
        {
            "context": ZCTX,
            "ersReference": "2015",
            "invoice": {
                "title": "Refund",
                "totalAmount": {"currency": "SEK", "value": Decimal("100")},
            },
        },
        RefundPaymentRequest(
            context=CTX,
            ers_reference="2015",
            invoice=Invoice(title="Refund", total_amount=Amount("SEK", Decimal("100"))),
        ),
    ),
    (
        "registerTerminal",
        {
            "context": {
                **ZCTX,
                "initiatorPrincipalId": {
                    "id": "public_test_shop",
                    "type": "RESELLERUSER",
                    "userId": "9900",
                },
            },
            "externalTerminalId": "Store 1/Till 4",
            "password": "pw",
            "name": "My Shop",
        },
        RegisterTerminalRequest(
            context=ClientContext(
                channel="WS",
                client_id="zeep",
                client_request_timeout=0,
                initiator=PrincipalId("public_test_shop", "RESELLERUSER", "9900"),
                password="12345678",
            ),
            external_terminal_id="Store 1/Till 4",
            password="pw",
            name="My Shop",
        ),
    ),
    ("unregisterTerminal", {"context": ZCTX}, UnregisterTerminalRequest(context=CTX)),
    (
        "assignSeqrId",
        {"context": ZCTX, "seqrId": "ABC123"},
        AssignSeqrIdRequest(context=CTX, seqr_id="ABC123"),
    ),
    (
        "markTransactionPeriod",
        {"context": ZCTX, "parameters": ZPARAMS},
        MarkTransactionPeriodRequest(context=CTX, parameters=PARAMS),
    ),
    (
        "executeReport",
        {
            "context": ZCTX,
            "reportId": "Reconciliation/STD_RECON_006.xml",
            "language": "en",
            "parameters": ZPARAMS,
        },
        ExecuteReportRequest(
            context=CTX,
            report_id="Reconciliation/STD_RECON_006.xml",
            language="en",
            parameters=PARAMS,
        ),
    ),
    ("benchmarkingNop", {}, None),
    (
        "requestTopup",
        {"context": ZCTX, "productId": "p", "amount": {"currency": "SEK", "value": Decimal(1)}},
        UnsupportedRequest(operation="requestTopup", context=CTX),
    ),
    (
        "requestTransfer",
        {"context": ZCTX},
        UnsupportedRequest(operation="requestTransfer", context=CTX),
    ),
    (
        "requestPurchase",
        {"context": ZCTX, "purchaseOrder": [{"purchaseCount": 1}]},
        UnsupportedRequest(operation="requestPurchase", context=CTX),
    ),
    (
        "requestPrincipalInformation",
        {"context": ZCTX},
        UnsupportedRequest(operation="requestPrincipalInformation", context=CTX),
    ),
    (
        "changePrincipalPassword",
        {"context": ZCTX, "newPassword": "x"},
        UnsupportedRequest(operation="changePrincipalPassword", context=CTX),
    ),
    (
        "confirmCustomerRegistration",
        {"context": ZCTX},
        UnsupportedRequest(operation="confirmCustomerRegistration", context=CTX),
    ),
]


@pytest.mark.parametrize(
    ("op", "kwargs", "expected"), REQUEST_CASES, ids=[c[0] for c in REQUEST_CASES]
)
def test_zeep_requests_from_original_wsdl(original, op, kwargs, expected):
    req = decode_request(_request(original, op, **kwargs))
    if expected is None:
        assert req.OPERATION == op
    else:
        assert req == expected


def test_every_wsdl_operation_is_exercised(original):
    ops = {op for op in original.service._binding._operations}
    assert ops == {c[0] for c in REQUEST_CASES}


def test_zeep_requests_from_extended_wsdl(extended):
    req = decode_request(
        _request(extended, "getClientSessionInfo", context=ZCTX, key="0000002012-63506374")
    )
    assert req == GetClientSessionInfoRequest(context=CTX, key="0000002012-63506374")
    req = decode_request(
        _request(
            extended,
            "commitReservation",
            context=ZCTX,
            amount={"currency": "SEK", "value": Decimal("5.00")},
            invoiceReference="1",
        )
    )
    assert req == CommitReservationRequest(
        context=CTX, amount=Amount("SEK", Decimal("5.00")), invoice_reference="1"
    )
    req = decode_request(
        _request(
            extended,
            "sendInvoice",
            context=ZCTX,
            invoice={
                "paymentMode": "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
                "issueDate": datetime(2015, 12, 25, 12, 34, 56, tzinfo=CET),
                "commitReservationTimeout": 3600,
            },
        )
    )
    assert req.invoice == Invoice(
        payment_mode="RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
        issue_date=datetime(2015, 12, 25, 12, 34, 56, tzinfo=CET),
        commit_reservation_timeout=3600,
    )


# ----------------------------------------------------------------------------- responses


class _FakeHTTPResponse:
    def __init__(self, content: bytes, status_code: int = 200) -> None:
        self.content = content
        self.status_code = status_code
        self.headers = {"Content-Type": "text/xml; charset=UTF-8"}
        self.encoding = "utf-8"


def _reply(client: zeep.Client, op: str, body: bytes, status: int = 200):
    binding = client.service._binding
    return binding.process_reply(client, binding.get(op), _FakeHTTPResponse(body, status))


def test_zeep_parses_paid_payment_status(original):
    resp = PaymentStatusResponse.of(
        0,
        ers_reference="2015122512351234501000123",
        status="PAID",
        receipt=Receipt(
            terminal_id="public_test_shop_terminal",
            payment_date=datetime(2015, 12, 25, 12, 35, 12, 345000, tzinfo=CET),
            client_invoice_id="order-4711",
            invoice_reference="20151225123456789",
            payment_reference="2015122512351234501000123",
            payer_terminal_id="d613c5b8428d17248751bc101",
            receiver_name="Grand Cinema, web",
            invoice=Invoice(
                payment_mode="IMMEDIATE_DEBIT",
                issue_date=datetime(2015, 12, 25, 12, 34, 56, tzinfo=CET),
                title="Grand Cinema",
                invoice_rows=(
                    InvoiceRow(
                        item_quantity=Decimal("1.5"),
                        item_total_amount=Amount("SEK", Decimal("500")),
                    ),
                ),
                total_amount=Amount("SEK", Decimal("500")),
            ),
        ),
        customer_tokens=(CustomerToken("X Club card", "X_CARD", 0, "2610411111110"),),
        version=2,
    )
    r = _reply(original, "getPaymentStatus", encode_response(resp))
    assert r.resultCode == 0 and r.resultDescription == "SUCCESS"
    assert r.ersReference == "2015122512351234501000123"
    assert r.status == "PAID"
    assert r.version == 2
    assert r.receipt.paymentDate == datetime(2015, 12, 25, 12, 35, 12, 345000, tzinfo=CET)
    assert r.receipt.receiverName == "Grand Cinema, web"
    total = r.receipt.invoice.totalAmount
    assert total.currency == "SEK" and total.value == Decimal("500.00")
    assert isinstance(total.value, Decimal)
    assert r.receipt.invoice.invoiceRows.invoiceRow[0].itemQuantity == Decimal("1.5")
    tokens = r.customerTokens.token
    assert [(t.id, t.status, t.value, t.description) for t in tokens] == [
        ("X_CARD", 0, "2610411111110", "X Club card")
    ]


def test_zeep_parses_failed_payment_status(original):
    r = _reply(original, "getPaymentStatus", encode_response(PaymentStatusResponse.of(54)))
    assert (r.resultCode, r.resultDescription, r.version, r.status, r.receipt) == (
        54,
        "INVALID_INVOICE_REFERENCE",
        0,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("resp", "fields"),
    [
        (
            SendInvoiceResponse.of(0, invoice_qr_code="HTTP://SEQR.SE/R1", invoice_reference="1"),
            {"invoiceQRCode": "HTTP://SEQR.SE/R1", "invoiceReference": "1"},
        ),
        (
            UpdateInvoiceResponse.of(48),
            {"resultCode": 48, "resultDescription": "PAYMENT_IN_PROGRESS"},
        ),
        (RefundPaymentResponse.of(0, ers_reference="R"), {"ersReference": "R"}),
        (RegisterTerminalResponse.of(0, terminal_id="T"), {"terminalId": "T"}),
        (
            MarkTransactionPeriodResponse.of(0, transaction_period_id="P"),
            {"transactionPeriodId": "P"},
        ),
        (
            UnsupportedResponse.of(91, operation="requestTopup"),
            {"resultCode": 91, "resultDescription": "UNSUPPORTED_OPERATION"},
        ),
    ],
)
def test_zeep_parses_simple_responses(original, resp, fields):
    r = _reply(original, resp.OPERATION or resp.operation, encode_response(resp))
    for name, value in fields.items():
        assert r[name] == value


def test_zeep_parses_report(original):
    blob = '<?xml version="1.0"?><Summary>å</Summary>'.encode()
    resp = ExecuteReportResponse.of(0, report=Report("STD.xml", "text/html", blob, blob.decode()))
    r = _reply(original, "executeReport", encode_response(resp))
    assert r.report.content == blob
    assert r.report.contentString == blob.decode()
    assert r.report.title == "STD.xml" and r.report.mimeType == "text/html"
    assert base64.b64encode(blob).decode() in encode_response(resp).decode()


def test_zeep_parses_client_session_info_with_extended_wsdl(extended):
    resp = ClientSessionInfoResponse.of(
        0, parameters=(("msisdn", "46700643933"), ("subscriberKey", "132"), ("e", "a&b<c"))
    )
    r = _reply(extended, "getClientSessionInfo", encode_response(resp))
    assert r.resultCode == 0
    assert [(e.key, e.value) for e in r.parameters.entry] == list(resp.parameters)


def test_zeep_parses_extended_invoice_fields(extended):
    resp = PaymentStatusResponse.of(
        0,
        status="RESERVED",
        receipt=Receipt(
            invoice=Invoice(
                payment_mode="RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
                commit_reservation_timeout=3600,
            )
        ),
        version=1,
    )
    r = _reply(extended, "getPaymentStatus", encode_response(resp))
    assert r.receipt.invoice.commitReservationTimeout == 3600
    assert r.receipt.invoice.paymentMode == "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT"


def test_zeep_sees_our_fault(original):
    with pytest.raises(Fault) as ei:
        _reply(original, "sendInvoice", encode_fault("Client", "not well-formed XML"), status=500)
    assert ei.value.message == "not well-formed XML"
    assert ei.value.code.endswith("Client")
