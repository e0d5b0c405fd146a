"""Golden round trips for every operation, both directions, plus exact output shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from openseqr.protocol import (
    OPERATIONS,
    Amount,
    AssignSeqrIdRequest,
    AssignSeqrIdResponse,
    BenchmarkingNopRequest,
    BenchmarkingNopResponse,
    CancelInvoiceRequest,
    CancelInvoiceResponse,
    ClientContext,
    ClientSessionInfoResponse,
    CommitReservationRequest,
    CommitReservationResponse,
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
    ResultCode,
    SendInvoiceRequest,
    SendInvoiceResponse,
    SoapFault,
    SubmitPaymentReceiptRequest,
    SubmitPaymentReceiptResponse,
    UnregisterTerminalRequest,
    UnregisterTerminalResponse,
    UnsupportedRequest,
    UnsupportedResponse,
    UpdateInvoiceRequest,
    UpdateInvoiceResponse,
    decode_request,
    decode_response,
    encode_fault,
    encode_request,
    encode_response,
)

CET = timezone(timedelta(hours=1))
CTX = ClientContext(
    channel="WS",
    client_comment="comment & <stuff>",
    client_id="My POS 1.2.3",
    client_reference="ref-1",
    client_request_timeout=0,
    initiator=PrincipalId("public_test_shop", "RESELLERUSER", "9900"),
    password="pä$$wörd\"'",
)
FULL_INVOICE = Invoice(
    payment_mode="RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
    acknowledgment_mode="REQUIRE_ACKNOWLEDGMENT",
    issue_date=datetime(2015, 12, 25, 12, 34, 56, 789000, tzinfo=CET),
    title="Grand Cinema <3",
    client_invoice_id="order-4711",
    invoice_rows=(
        InvoiceRow(
            item_description="Coca-Cola",
            item_discount=Amount("SEK", Decimal("1.50")),
            item_ean="0076232342123",
            item_quantity=Decimal("1.5"),
            item_sku="12345-A",
            item_tax_rate=Decimal("0.25"),
            item_total_amount=Amount("SEK", Decimal("10.22")),
            item_unit="",
            item_unit_price=Amount("SEK", Decimal("7.81")),
        ),
        InvoiceRow(item_description="Discount", item_total_amount=Amount("SEK", Decimal("-1.00"))),
    ),
    total_amount=Amount("SEK", Decimal("9.22")),
    cashier_id="Bob",
    footer="RFC:12389234DKJ3",
    back_url="myapp://done",
    notification_url="https://merchant.example/n?a=1&b=2",
    commit_reservation_timeout=3600,
)
TOKENS = (
    CustomerToken("Loyalty card", "SOME_CARD", 1, "2610411111110"),
    CustomerToken(None, "X_CARD", 0, "1"),
)
PARAMS = (("transactionPeriodId", "2012102916093771801000146"), ("TERMINALID", "t&1"))

REQUESTS = [
    SendInvoiceRequest(context=CTX, invoice=FULL_INVOICE, tokens=TOKENS),
    SendInvoiceRequest(context=CTX, invoice=Invoice(invoice_rows=())),
    UpdateInvoiceRequest(context=CTX, invoice_reference="1", invoice=FULL_INVOICE, tokens=TOKENS),
    GetPaymentStatusRequest(context=CTX, invoice_reference="20151225123456789", invoice_version=7),
    CancelInvoiceRequest(context=CTX, invoice_reference="20151225123456789"),
    CommitReservationRequest(
        context=CTX, amount=Amount("EUR", Decimal("5.00")), invoice_reference="1"
    ),
    CommitReservationRequest(context=CTX, invoice_reference="1"),
    SubmitPaymentReceiptRequest(
        context=CTX,
        ers_reference="2015",
        receipt_document=ReceiptDocument("text/html", bytes(range(256)), "PAYMENT_RECEIPT"),
    ),
    SubmitPaymentReceiptRequest(context=CTX, receipt_document=ReceiptDocument("x", b"", "y")),
    RefundPaymentRequest(context=CTX, ers_reference="2015", invoice=FULL_INVOICE),
    RegisterTerminalRequest(
        context=CTX, external_terminal_id="Store 1/Till 4", password="pw", name="n"
    ),
    UnregisterTerminalRequest(context=CTX),
    AssignSeqrIdRequest(context=CTX, seqr_id="ABC123"),
    MarkTransactionPeriodRequest(context=CTX, parameters=PARAMS),
    MarkTransactionPeriodRequest(context=CTX),
    ExecuteReportRequest(context=CTX, report_id="r", language="en", parameters=PARAMS),
    GetClientSessionInfoRequest(context=CTX, key="0000002012-63506374"),
    BenchmarkingNopRequest(),
    UnsupportedRequest(operation="requestTopup", context=CTX),
    UnsupportedRequest(operation="confirmCustomerRegistration", context=CTX),
]

RECEIPT = Receipt(
    terminal_id="t",
    payment_date=datetime(2015, 10, 29, 10, 18, 48, 663000, tzinfo=CET),
    client_invoice_id="c",
    invoice_reference="20151029186719114",
    payment_reference="2015102910184861801032678",
    payer_terminal_id="d613c5b8428d17248751bc101",
    receiver_name="Grand Cinema, web",
    invoice=FULL_INVOICE,
)
RESPONSES = [
    SendInvoiceResponse.of(0, invoice_qr_code="HTTP://SEQR.SE/R1", invoice_reference="1"),
    SendInvoiceResponse.of(49),
    UpdateInvoiceResponse.of(0),
    PaymentStatusResponse.of(
        0,
        ers_reference="2015",
        status="PAID",
        receipt=RECEIPT,
        customer_tokens=TOKENS,
        version=3,
    ),
    PaymentStatusResponse.of(54),
    CancelInvoiceResponse.of(95),
    CommitReservationResponse.of(96),
    SubmitPaymentReceiptResponse.of(0, ers_reference="x"),
    RefundPaymentResponse.of(0, ers_reference="2015122613000012301000456"),
    RegisterTerminalResponse.of(0, terminal_id="87e791f9e24148a6892c52aa85bb0331"),
    UnregisterTerminalResponse.of(0),
    AssignSeqrIdResponse.of(53),
    MarkTransactionPeriodResponse.of(0, transaction_period_id="2012"),
    ExecuteReportResponse.of(
        0, report=Report("t", "text/plain", b"115792", "115792 <&> ]]> \u00e5\u00e4\u00f6")
    ),
    ClientSessionInfoResponse.of(0, parameters=(("msisdn", "46700643933"), ("e", "a&b"))),
    ClientSessionInfoResponse.of(60),
    BenchmarkingNopResponse.of(0),
    UnsupportedResponse.of(91, operation="requestPurchase"),
    UnsupportedResponse(result_code=91, operation="changePrincipalPassword"),
]


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: type(r).__name__)
def test_request_round_trip(req):
    assert decode_request(encode_request(req)) == req


@pytest.mark.parametrize("resp", RESPONSES, ids=lambda r: type(r).__name__)
def test_response_round_trip(resp):
    op = resp.OPERATION or resp.operation
    assert decode_response(encode_response(resp), op) == resp


def test_every_operation_is_covered():
    req_ops = {r.OPERATION or r.operation for r in REQUESTS}
    resp_ops = {r.OPERATION or r.operation for r in RESPONSES}
    implemented = OPERATIONS - {
        "requestTopup",
        "requestTransfer",
        "requestPurchase",
        "requestPrincipalInformation",
        "changePrincipalPassword",
        "confirmCustomerRegistration",
    }
    assert implemented <= req_ops
    assert implemented <= resp_ops
    assert len(OPERATIONS) == 20


def test_response_shape_is_cxf_style():
    body = encode_response(
        PaymentStatusResponse.of(0, ers_reference="E", status="ISSUED", version=1)
    )
    assert body == (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<ns2:getPaymentStatusResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/">'
        b"<return><ersReference>E</ersReference><resultCode>0</resultCode>"
        b"<resultDescription>SUCCESS</resultDescription><status>ISSUED</status>"
        b"<version>1</version></return></ns2:getPaymentStatusResponse></soap:Body></soap:Envelope>"
    )


def test_failed_payment_status_still_has_version_zero():
    body = encode_response(PaymentStatusResponse.of(ResultCode.AUTHENTICATION_FAILED))
    assert b"<resultCode>20</resultCode>" in body
    assert b"<resultDescription>AUTHENTICATION_FAILED</resultDescription>" in body
    assert b"<version>0</version>" in body
    assert b"nil" not in body and b"<status>" not in body and b"customerTokens" not in body


def test_output_follows_wsdl_sequence_order():
    body = encode_request(SendInvoiceRequest(context=CTX, invoice=FULL_INVOICE, tokens=TOKENS))
    root = etree.fromstring(body)
    op = root[1][0]
    assert op.tag == "{http://external.interfaces.ers.seamless.com/}sendInvoice"
    assert [c.tag for c in op] == ["context", "invoice", "tokens", "tokens"]
    assert [c.tag for c in op[0]] == [
        "channel",
        "clientComment",
        "clientId",
        "clientReference",
        "clientRequestTimeout",
        "initiatorPrincipalId",
        "password",
    ]
    assert [c.tag for c in op[1]] == [
        "paymentMode",
        "acknowledgmentMode",
        "issueDate",
        "title",
        "clientInvoiceId",
        "invoiceRows",
        "totalAmount",
        "cashierId",
        "footer",
        "backURL",
        "notificationUrl",
        "commitReservationTimeout",
    ]
    assert [c.tag for c in op[1][5][0]] == [
        "itemDescription",
        "itemDiscount",
        "itemEAN",
        "itemQuantity",
        "itemSKU",
        "itemTaxRate",
        "itemTotalAmount",
        "itemUnit",
        "itemUnitPrice",
    ]
    assert body.startswith(
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:ext="http://external.interfaces.ers.seamless.com/"><soapenv:Header/>'
        b"<soapenv:Body><ext:sendInvoice><context>"
    )


def test_commit_reservation_amount_before_reference_and_param_map_form():
    body = encode_request(
        CommitReservationRequest(
            context=CTX, amount=Amount("SEK", Decimal(5)), invoice_reference="1"
        )
    )
    assert (
        b"<amount><currency>SEK</currency><value>5.00</value></amount><invoiceReference>1<" in body
    )
    body = encode_request(MarkTransactionPeriodRequest(parameters=(("TERMINALID", "x"),)))
    assert (
        b"<parameters><parameter><entry><key>TERMINALID</key><value>x</value></entry>"
        b"</parameter></parameters>"
    ) in body
    body = encode_response(ClientSessionInfoResponse.of(0, parameters=(("msisdn", "1"),)))
    assert b"<parameters><entry><key>msisdn</key><value>1</value></entry></parameters>" in body


def test_mandatory_elements_get_defaults():
    body = encode_request(GetPaymentStatusRequest(context=ClientContext(), invoice_reference="1"))
    assert b"<context><clientRequestTimeout>0</clientRequestTimeout></context>" in body
    assert b"<invoiceVersion>0</invoiceVersion>" in body
    assert b"<status>0</status>" in encode_request(
        UpdateInvoiceRequest(tokens=(CustomerToken(id="A"),))
    )


def test_empty_rows_wrapper_vs_absent():
    with_empty = encode_request(SendInvoiceRequest(invoice=Invoice(invoice_rows=())))
    assert b"<invoiceRows></invoiceRows>" in with_empty
    assert b"invoiceRows" not in encode_request(SendInvoiceRequest(invoice=Invoice()))


def test_naive_datetime_cannot_be_encoded():
    with pytest.raises(TypeError):
        encode_request(SendInvoiceRequest(invoice=Invoice(issue_date=datetime(2015, 1, 1))))


def test_float_amount_cannot_be_encoded():
    with pytest.raises(TypeError):
        encode_request(SendInvoiceRequest(invoice=Invoice(total_amount=Amount("SEK", 1.5))))


def test_utc_datetime_emitted_with_offset():
    body = encode_response(
        PaymentStatusResponse.of(
            0, receipt=Receipt(payment_date=datetime(2015, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
        )
    )
    assert b"<paymentDate>2015-01-02T03:04:05.678+00:00</paymentDate>" in body


def test_fault_round_trip():
    body = encode_fault("Client", "bad <request> & more")
    with pytest.raises(SoapFault) as ei:
        decode_response(body, "sendInvoice")
    assert ei.value.faultcode == "Client"
    assert ei.value.faultstring == "bad <request> & more"
    with pytest.raises(SoapFault) as ei:
        decode_response(encode_fault("Server", "oops"), "getPaymentStatus")
    assert ei.value.faultcode == "Server"
    with pytest.raises(ValueError):
        encode_fault("Nonsense", "x")


def test_control_characters_are_replaced_not_emitted():
    body = encode_response(SendInvoiceResponse.of(0, invoice_reference="a\x00b\x1fc\rd"))
    resp = decode_response(body, "sendInvoice")
    assert resp.invoice_reference == "a\ufffdb\ufffdc\rd"


def test_encoders_reject_foreign_objects():
    with pytest.raises(TypeError):
        encode_response(SendInvoiceRequest())
    with pytest.raises(TypeError):
        encode_request(SendInvoiceResponse.of(0))


def test_concurrent_decoding_uses_per_thread_parsers():
    from concurrent.futures import ThreadPoolExecutor

    bodies = [encode_request(r) for r in REQUESTS]

    def work(_):
        return [decode_request(b) for b in bodies]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(16)))
    assert all(r == REQUESTS for r in results)
