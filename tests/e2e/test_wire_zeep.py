"""zeep, an independent SOAP stack, against a running `openseqr serve` over HTTP.

Two clients per backend: one built from the ORIGINAL 2.6 WSDL (`../shared/reference`) with the
endpoint pointed at our server, one built from the WSDL the server itself serves (`?wsdl`, the
extended variant of D-07, which adds getClientSessionInfo and commitReservation's amount). Every
operation is called with meaningful data; payments go through the app API like a real wallet.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import zeep
from lxml import etree

from tests.fixtures_server import RunningServer
from tests.support.app_login import scan_as
from tests.support.cli import register_parking

TNS = "http://external.interfaces.ers.seamless.com/"
BINDING = f"{{{TNS}}}ERSWSExternalClientServiceServiceSoapBinding"
_REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
ORIGINAL_WSDL = _REFERENCE / "ERSWSExternalClientService.wsdl"
if not ORIGINAL_WSDL.exists():  # the package ships a byte-identical copy
    ORIGINAL_WSDL = Path(
        str(
            resources.files("openseqr.protocol").joinpath("wsdl", "ERSWSExternalClientService.wsdl")
        )
    )
PATHS = ("/soap/merchant/cashregister-2", "/extclientproxy/service/v2")

TERMINAL = {
    "clientRequestTimeout": 0,
    "channel": "WS",
    "clientId": "zeep-e2e",
    "initiatorPrincipalId": {"id": "public_test_shop_terminal", "type": "TERMINALID"},
    "password": "12345678",
}
RESELLER = {
    "clientRequestTimeout": 0,
    "initiatorPrincipalId": {"id": "public_test_shop", "type": "RESELLERUSER", "userId": "9900"},
    "password": "1234",
}
ALICE = {"msisdn": "46700000001", "pin": "1111"}


def sek(value: str) -> dict[str, Any]:
    return {"currency": "SEK", "value": Decimal(value)}


def invoice(total: str = "500.00", **extra: Any) -> dict[str, Any]:
    return {
        "paymentMode": "IMMEDIATE_DEBIT",
        "acknowledgmentMode": "NO_ACKNOWLEDGMENT",
        "title": "Grand Cinema",
        "clientInvoiceId": "order-4711",
        "invoiceRows": {
            "invoiceRow": [
                {
                    "itemDescription": "Movie Tickets",
                    "itemQuantity": Decimal("2"),
                    "itemTotalAmount": sek(total),
                    "itemUnitPrice": sek(str(Decimal(total) / 2)),
                }
            ]
        },
        "totalAmount": sek(total),
        "cashierId": "Bob",
        "footer": "Thank you!",
        **extra,
    }


def terminal_ctx(terminal_id: str, password: str) -> dict[str, Any]:
    return {
        "clientRequestTimeout": 0,
        "initiatorPrincipalId": {"id": terminal_id, "type": "TERMINALID"},
        "password": password,
    }


def ok(resp: Any) -> Any:
    assert resp.resultCode == 0, (resp.resultCode, resp.resultDescription)
    assert resp.resultDescription == "SUCCESS"
    return resp


def pay(server: RunningServer, reference: str) -> dict[str, Any]:
    r = server.app("POST", f"/invoices/{reference}/pay", json=ALICE)
    assert r.status_code == 200, r.text
    return r.json()


def params(**kw: str) -> dict[str, Any]:
    return {"parameter": {"entry": [{"key": k, "value": v} for k, v in kw.items()]}}


def exercise(svc: Any, server: RunningServer, *, extended: bool) -> None:
    """Every in-scope operation, in a realistic order, with the responses checked."""
    ok(svc.benchmarkingNop())

    # sendInvoice → getPaymentStatus → updateInvoice → pay (app) → PAID with receipt
    sent = ok(svc.sendInvoice(context=TERMINAL, invoice=invoice()))
    ref = sent.invoiceReference
    assert len(ref) == 17 and ref.isdigit()
    assert sent.invoiceQRCode == f"HTTP://SEQR.SE/R{ref}"
    status = ok(svc.getPaymentStatus(context=TERMINAL, invoiceReference=ref, invoiceVersion=0))
    assert (status.status, status.version) == ("ISSUED", 1)
    ok(
        svc.updateInvoice(
            context=TERMINAL,
            invoiceReference=ref,
            invoice={
                "title": "Grand Cinema (updated)",
                "totalAmount": sek("450.00"),
                "invoiceRows": {
                    "invoiceRow": [{"itemDescription": "Tickets", "itemTotalAmount": sek("450.00")}]
                },
            },
        )
    )
    status = ok(svc.getPaymentStatus(context=TERMINAL, invoiceReference=ref, invoiceVersion=0))
    assert status.status == "ISSUED" and status.version == 2
    paid = pay(server, ref)
    assert paid["status"] == "PAID" and paid["total"] == {"value": "450.00", "currency": "SEK"}
    status = ok(
        svc.getPaymentStatus(context=TERMINAL, invoiceReference=ref, invoiceVersion=status.version)
    )
    assert status.status == "PAID"
    receipt = status.receipt
    assert status.ersReference and len(status.ersReference) == 25
    assert receipt.paymentReference == status.ersReference  # D-23
    assert receipt.invoiceReference == ref
    assert receipt.clientInvoiceId == "order-4711"
    assert receipt.receiverName == "Public test shop"
    assert receipt.payerTerminalId
    assert receipt.paymentDate is not None and receipt.paymentDate.tzinfo is not None
    assert receipt.invoice.totalAmount.value == Decimal("450.00")
    assert receipt.invoice.title == "Grand Cinema (updated)"
    payment_ref = status.ersReference

    # submitPaymentReceipt, refundPayment (new reference, D-22), a receipt for the refund
    ok(
        svc.submitPaymentReceipt(
            context=TERMINAL,
            ersReference=payment_ref,
            receiptDocument={
                "mimeType": "text/html",
                "receiptData": b"<html><body>Kvitto</body></html>",
                "receiptType": "PAYMENT_RECEIPT",
            },
        )
    )
    refund = ok(
        svc.refundPayment(
            context=TERMINAL,
            ersReference=payment_ref,
            invoice={"title": "Refund", "cashierId": "Bob", "totalAmount": sek("100.00")},
        )
    )
    assert refund.ersReference and refund.ersReference != payment_ref
    ok(
        svc.submitPaymentReceipt(
            context=TERMINAL,
            ersReference=refund.ersReference,
            receiptDocument={
                "mimeType": "text/plain",
                "receiptData": b"R",
                "receiptType": "REFUND_RECEIPT",
            },
        )
    )

    # cancelInvoice
    other = ok(svc.sendInvoice(context=TERMINAL, invoice=invoice("10.00"))).invoiceReference
    ok(svc.cancelInvoice(context=TERMINAL, invoiceReference=other))
    status = ok(svc.getPaymentStatus(context=TERMINAL, invoiceReference=other, invoiceVersion=0))
    assert status.status == "CANCELED"

    # reservation → commitReservation (the amount only exists in the extended WSDL)
    reserved = ok(
        svc.sendInvoice(
            context=TERMINAL, invoice=invoice("80.00", paymentMode="RESERVATION_REQUIRED")
        )
    ).invoiceReference
    assert pay(server, reserved)["status"] == "RESERVED"
    status = ok(svc.getPaymentStatus(context=TERMINAL, invoiceReference=reserved, invoiceVersion=0))
    assert status.status == "RESERVED"
    if extended:
        ok(svc.commitReservation(context=TERMINAL, amount=sek("75.00"), invoiceReference=reserved))
    else:
        ok(svc.commitReservation(context=TERMINAL, invoiceReference=reserved))
    status = ok(svc.getPaymentStatus(context=TERMINAL, invoiceReference=reserved, invoiceVersion=0))
    assert status.status == "PAID"
    assert status.receipt.invoice.totalAmount.value == Decimal("75.00" if extended else "80.00")

    # registerTerminal → the new terminal works → assignSeqrId → unregisterTerminal → 29
    password = secrets.token_urlsafe(12)
    reg = ok(
        svc.registerTerminal(
            context=RESELLER,
            externalTerminalId="Store 111/Till 4",
            password=password,
            name="Cash register 4",
        )
    )
    assert len(reg.terminalId) == 32
    till = terminal_ctx(reg.terminalId, password)
    till_ref = ok(svc.sendInvoice(context=till, invoice=invoice("25.00"))).invoiceReference
    seqr_id = "zeepe2e" + secrets.token_hex(6)
    ok(svc.assignSeqrId(context=till, seqrId=seqr_id))
    scanned = scan_as(server.client, ALICE, {"code": f"HTTP://SEQR.SE/Q{seqr_id}"}).json()
    assert scanned["kind"] == "invoice" and scanned["invoice"]["reference"] == till_ref
    assert scanned["invoice"]["merchant"] == "Cash register 4"
    ok(svc.unregisterTerminal(context=till))
    gone = svc.getPaymentStatus(context=till, invoiceReference=till_ref, invoiceVersion=0)
    assert (gone.resultCode, gone.resultDescription) == (29, "INVALID_INITIATOR_PRINCIPAL_ID")

    # markTransactionPeriod → executeReport: the decoded content is the report XML
    period = ok(svc.markTransactionPeriod(context=RESELLER, parameters=None))
    assert len(period.transactionPeriodId) == 25
    report = ok(
        svc.executeReport(
            context=RESELLER,
            reportId="Reconciliation/STD_RECON_003.xml",
            language="en",
            parameters=params(transactionPeriodId=period.transactionPeriodId),
        )
    )
    doc = report.report
    assert doc.mimeType == "text/html"
    assert doc.title == f"STD_RECON_003_{period.transactionPeriodId}.xml"
    root = etree.fromstring(doc.content)
    assert root.tag == "TransactionDetails"
    assert doc.contentString == doc.content.decode()
    refs = {r.findtext("ErsReference"): r.findtext("SalesAmount") for r in root.iter("Row")}
    assert refs[payment_ref] == "450.00000"
    assert refs[refund.ersReference] == "-100.00000"
    shop = ok(
        svc.executeReport(
            context=RESELLER,
            reportId="Shop.xml",
            language=None,
            parameters=params(transactionPeriodId=period.transactionPeriodId),
        )
    )
    assert etree.fromstring(shop.report.content).tag == "ResellerTransactionSummary"

    # an out-of-scope operation of the WSDL → 91 after authentication (D-43e)
    out = svc.requestPrincipalInformation(
        context=TERMINAL, principalId={"id": "public_test_shop", "type": "RESELLERID"}
    )
    assert (out.resultCode, out.resultDescription) == (91, "UNSUPPORTED_OPERATION")


def session_info(svc: Any, server: RunningServer) -> None:
    service_id = register_parking(server.database_url, "zeep")
    code = f"HTTP://SEQR.SE/000/{service_id}?zone=5&msisdn=spoofed"
    opened = scan_as(server.client, ALICE, {"code": code})
    assert opened.status_code == 200, opened.text
    token = opened.json()["session"]["token"]
    info = ok(svc.getClientSessionInfo(context=TERMINAL, key=token))
    pairs = [(e.key, e.value) for e in info.parameters.entry]
    assert pairs == [
        ("msisdn", "46700000001"),
        ("subscriberKey", "101"),
        ("authKey", token),
        ("zone", "5"),
    ]  # reserved keys win over QR parameters (D-09)
    unknown = svc.getClientSessionInfo(context=TERMINAL, key="0000000000-00000000")
    assert unknown.resultCode == 63
    assert unknown.resultDescription == "INVALID_AUTHORIZATION_REFERENCE"


def test_original_wsdl_client(server: RunningServer) -> None:
    client = zeep.Client(str(ORIGINAL_WSDL))
    operations = set(client.wsdl.bindings[BINDING]._operations)
    assert "getClientSessionInfo" not in operations
    for path in PATHS:
        exercise(client.create_service(BINDING, server.url + path), server, extended=False)
    assert "Traceback" not in server.log()


def test_served_wsdl_client(server: RunningServer) -> None:
    for path in PATHS:
        client = zeep.Client(server.url + path + "?wsdl")
        address = client.service._binding_options["address"]
        assert address == server.url + path  # soap:address rewritten to the endpoint (5.5)
        exercise(client.service, server, extended=True)
        session_info(client.service, server)
    assert "Traceback" not in server.log()


def test_wsdl_variants(server: RunningServer) -> None:
    """`?wsdl&v=2.6` is the original document (only the address differs); default: extended."""
    original = ORIGINAL_WSDL.read_bytes()
    for path in PATHS:
        r = server.client.get(path, params={"wsdl": "", "v": "2.6"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
        served = etree.fromstring(r.content)
        ref = etree.fromstring(original)
        addr = "{http://schemas.xmlsoap.org/wsdl/soap/}address"
        assert [a.get("location") for a in served.iter(addr)] == [server.url + path]
        for tree in (served, ref):
            for a in tree.iter(addr):
                a.set("location", "-")
        assert etree.tostring(served, method="c14n") == etree.tostring(ref, method="c14n")
        client = zeep.Client(server.url + path + "?wsdl&v=2.6")
        assert "getClientSessionInfo" not in client.wsdl.bindings[BINDING]._operations
        extended = server.client.get(path + "?wsdl").content
        assert b"getClientSessionInfo" in extended and b"commitReservationTimeout" in extended
        assert b"RESERVATION_REQUIRED_PRELIMINARY_AMOUNT" in extended
