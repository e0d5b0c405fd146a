"""The operator's certification procedures (spec 14) as automated tests: WEB-1…WEB-6 on the online
sandbox terminal, POS-1…POS-9 on cash-register terminals registered for the test.

Each test follows the "Integrator actions" column literally, with the prerequisites of 14:
``clientId`` = company name, ``clientReference`` = system / POS name and version. The merchant is
zeep built from the served WSDL, the customer is the app JSON API. One server per backend for the
module (the tests use their own invoices and terminals).

"Wait 30 seconds" steps: the server runs with ``OPENSEQR_ACK_WINDOW_SECONDS=2`` and the tests wait
3 s, i.e. past the acknowledgement window. The point of those steps is that the earlier status
query acknowledged the payment, so the later query still says PAID (no reversal).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.soap_client import (
    ALICE,
    ERS_REFERENCE,
    INVOICE_REFERENCE,
    TERMINAL_ID,
    TERMINAL_ID_SHAPE,
    Merchant,
    Wallet,
    invoice,
    random_password,
    reseller_context,
    row,
    terminal_context,
    unique_seqr_id,
)
from tests.fixtures_server import RunningServer
from tests.support.servers import backend_server

pytestmark = pytest.mark.slow

ACK_WINDOW = 2
WAIT_30_SECONDS = ACK_WINDOW + 1  # stands for the procedures' "wait 30 seconds"
COMPANY = "Openseqr Test Company AB"


srv = backend_server({"OPENSEQR_ACK_WINDOW_SECONDS": str(ACK_WINDOW)})


@pytest.fixture(scope="module")
def zeep_merchant(srv: RunningServer) -> Merchant:
    return Merchant(srv)


@pytest.fixture
def web(zeep_merchant: Merchant) -> Merchant:
    """The webshop: online sandbox terminal, certification context."""
    return zeep_merchant.using(terminal_context(clientId=COMPANY, clientReference="Webshop 2.1"))


@pytest.fixture
def shop(zeep_merchant: Merchant) -> Merchant:
    return zeep_merchant.using(reseller_context(clientId=COMPANY, clientReference="POS 5.0"))


@pytest.fixture
def wallet(srv: RunningServer) -> Wallet:
    return Wallet(srv, ALICE)


@dataclass
class Till:
    merchant: Merchant
    terminal_id: str
    password: str
    seqr_id: str

    @property
    def sticker(self) -> str:
        return f"HTTP://SEQR.SE/Q{self.seqr_id}"


def register_till(shop: Merchant, name: str = "Cashregister 3") -> Till:
    """POS-1 and POS-2 as a back-office admin does them for a new till."""
    password = random_password()
    reg = shop.register_terminal("Store 111/Till 4", password, name)
    assert reg.resultCode == 0, reg
    till = shop.as_terminal(reg.terminalId, password, clientId=COMPANY, clientReference="POS 5.0")
    seqr_id = unique_seqr_id("cert")
    assert till.assign_seqr_id(seqr_id).resultCode == 0
    return Till(till, reg.terminalId, password, seqr_id)


@pytest.fixture
def till(shop: Merchant) -> Till:
    return register_till(shop)


def cinema(total: str = "40") -> dict[str, Any]:
    """An invoice with several rows carrying itemQuantity and itemTotalAmount (WEB-1/POS-3)."""
    half = Decimal(total) / 2
    return invoice(
        total,
        rows=[row("Movie Ticket 1", half, quantity=1), row("Movie Ticket 2", half, quantity=1)],
        paymentMode="IMMEDIATE_DEBIT",
        acknowledgmentMode="NO_ACKNOWLEDGMENT",
        title="Grand Cinema",
        clientInvoiceId=f"order-{time.time_ns()}",
        cashierId="Bob",
    )


def send(merchant: Merchant, inv: dict[str, Any] | None = None) -> str:
    resp = merchant.send_invoice(inv or cinema())
    assert (resp.resultCode, resp.resultDescription) == (0, "SUCCESS"), resp
    assert INVOICE_REFERENCE.fullmatch(resp.invoiceReference)
    assert resp.invoiceQRCode == f"HTTP://SEQR.SE/R{resp.invoiceReference}"
    return str(resp.invoiceReference)


def status(merchant: Merchant, ref: str, expected: str) -> Any:
    resp = merchant.status(ref, 0)
    assert (resp.resultCode, resp.status) == (0, expected), resp
    return resp


def assert_paid(resp: Any, ref: str, terminal_id: str) -> str:
    assert (resp.resultCode, resp.status) == (0, "PAID"), resp
    assert ERS_REFERENCE.fullmatch(resp.ersReference)
    assert resp.receipt.paymentReference == resp.ersReference
    assert (resp.receipt.invoiceReference, resp.receipt.terminalId) == (ref, terminal_id)
    return str(resp.ersReference)


def scan_invoice_qr_and_pay(wallet: Wallet, merchant: Merchant, ref: str) -> None:
    """The customer scans the QR of the returned URL (invoiceQRCode) and pays."""
    scanned = wallet.scan_ok(f"HTTP://SEQR.SE/R{ref}")
    assert scanned["kind"] == "invoice" and scanned["invoice"]["reference"] == ref
    assert wallet.pay(ref, scanned["invoice"]["version"])["status"] == "PAID"


def scan_sticker_and_pay(wallet: Wallet, till: Till, ref: str) -> None:
    scanned = wallet.scan_ok(till.sticker)
    assert scanned["kind"] == "invoice" and scanned["invoice"]["reference"] == ref
    assert wallet.pay(ref, scanned["invoice"]["version"])["status"] == "PAID"


def paid_invoice(
    merchant: Merchant, wallet: Wallet, terminal_id: str, pay: Any = scan_invoice_qr_and_pay
) -> tuple[str, str]:
    ref = send(merchant)
    status(merchant, ref, "ISSUED")
    pay(wallet, merchant, ref)
    ers = assert_paid(merchant.status(ref, 0), ref, terminal_id)
    return ref, ers


HTML = b"<html><body><h1>Grand Cinema</h1><p>2 tickets, 40.00 SEK</p></body></html>"
ARTS = (
    b'<?xml version="1.0" encoding="UTF-8"?><POSLog><Transaction><RetailStoreID>111'
    b"</RetailStoreID><Total>40.00</Total></Transaction></POSLog>"
)
RECEIPTS = {
    "omitted": None,  # "without content": no receiptDocument element at all
    "empty": {"mimeType": "", "receiptData": b"", "receiptType": ""},
    "html": {"mimeType": "text/html", "receiptData": HTML, "receiptType": "PAYMENT_RECEIPT"},
    "xml": {"mimeType": "text/xml", "receiptData": ARTS, "receiptType": "PAYMENT_RECEIPT"},
    "plain-xml": {"mimeType": "plain/xml", "receiptData": ARTS, "receiptType": "xxx"},
    "base64": {
        "mimeType": "Base64",
        "receiptData": base64.b64encode(HTML),
        "receiptType": "PAYMENT_RECEIPT",
    },
    "warranty": {"mimeType": "text/html", "receiptData": HTML, "receiptType": "WARRANTY"},
}


def submit_all_receipt_variants(merchant: Merchant, ers: str) -> None:
    for name, document in RECEIPTS.items():
        resp = merchant.submit_receipt(ers, document)
        assert (resp.resultCode, resp.resultDescription) == (0, "SUCCESS"), (name, resp)
        assert resp.ersReference is None  # D-24
    unknown = merchant.submit_receipt("2000010100000000000000000", RECEIPTS["html"])
    assert unknown.resultCode == 23


# =============================================================================================
# 14.1 Webshop and appshop
# =============================================================================================
def test_web_1_send_invoice(web: Merchant, wallet: Wallet) -> None:
    ref = send(web)
    shown = wallet.view(ref)  # rows stored and presented in the app
    assert [(r["description"], r["quantity"], r["total"]["value"]) for r in shown["rows"]] == [
        ("Movie Ticket 1", "1", "20.00"),
        ("Movie Ticket 2", "1", "20.00"),
    ]
    assert shown["total"] == {"value": "40.00", "currency": "SEK"}


def test_web_2_get_payment_status(web: Merchant, wallet: Wallet) -> None:
    before = wallet.balance()
    ref = send(web)
    status(web, ref, "ISSUED")  # 1. query without scanning
    scan_invoice_qr_and_pay(wallet, web, ref)  # 2. scan the QR (and pay)
    ers = assert_paid(web.status(ref, 0), ref, TERMINAL_ID)  # 3. query again
    assert web.status(ref, 0).receipt.invoice.invoiceRows is not None
    new_ref = send(web)  # 4. a new invoice
    time.sleep(WAIT_30_SECONDS)  # 5. "wait 30 seconds" (past the window)
    again = status(web, ref, "PAID")  # 6. query with the previous reference
    assert again.ersReference == ers
    status(web, new_ref, "ISSUED")  # an online terminal keeps concurrent invoices
    assert wallet.balance() == before - 40


def test_web_3_submit_payment_receipt(web: Merchant, wallet: Wallet) -> None:
    _, ers = paid_invoice(web, wallet, TERMINAL_ID)
    submit_all_receipt_variants(web, ers)


def test_web_4_cancel_invoice(web: Merchant) -> None:
    ref = send(web)
    status(web, ref, "ISSUED")
    cancel = web.cancel(ref)
    assert (cancel.resultCode, cancel.resultDescription) == (0, "SUCCESS")
    later = status(web, ref, "CANCELED")
    assert later.ersReference is None
    assert web.cancel(ref).resultCode == 95


def test_web_5_refund_payment(web: Merchant, wallet: Wallet) -> None:
    before = wallet.balance()
    _, ers = paid_invoice(web, wallet, TERMINAL_ID)
    assert wallet.balance() == before - 40
    refund = web.refund(ers, invoice("40", title="Refund", cashierId="Bob"))
    assert (refund.resultCode, refund.resultDescription) == (0, "SUCCESS"), refund
    assert ERS_REFERENCE.fullmatch(refund.ersReference) and refund.ersReference != ers  # D-22
    assert wallet.balance() == before
    assert web.refund(ers, invoice("1", title="Refund")).resultCode == 98
    submit_all_receipt_variants(web, refund.ersReference)  # receipts after a refund too


def test_web_6_mark_transaction_period(shop: Merchant) -> None:
    """Called when closing the webshop (per shop: no parameters)."""
    resp = shop.mark()
    assert (resp.resultCode, resp.resultDescription) == (0, "SUCCESS")
    assert ERS_REFERENCE.fullmatch(resp.transactionPeriodId)
    assert shop.mark().transactionPeriodId != resp.transactionPeriodId


# =============================================================================================
# 14.2 Point of sale and terminal
# =============================================================================================
def test_pos_1_register_terminal(shop: Merchant, zeep_merchant: Merchant) -> None:
    password = random_password()
    reg = shop.register_terminal("Store 111/Till 4", password, "My Restaurant, cash register 2")
    assert (reg.resultCode, reg.resultDescription) == (0, "SUCCESS"), reg
    assert TERMINAL_ID_SHAPE.fullmatch(reg.terminalId)
    # the terminal password set at registration is what later calls use
    till = zeep_merchant.as_terminal(reg.terminalId, password)
    assert till.status("00000000000000000", 0).resultCode == 54
    assert (
        zeep_merchant.as_terminal(reg.terminalId, password + "x")
        .status("00000000000000000", 0)
        .resultCode
        == 20
    )
    assert shop.register_terminal("Store 111/Till 5", "abc", "x").resultCode == 22
    assert till.register_terminal("Store 111/Till 6", password, "x").resultCode == 21


def test_pos_2_assign_seqr_id(shop: Merchant, zeep_merchant: Merchant, wallet: Wallet) -> None:
    password = random_password()
    reg = shop.register_terminal("Store 111/Till 7", password, "Cashregister 7")
    assert reg.resultCode == 0
    till = zeep_merchant.as_terminal(
        reg.terminalId, password, clientId=COMPANY, clientReference="POS 5.0"
    )  # timeout 0 as required
    seqr_id = unique_seqr_id("sticker")
    resp = till.assign_seqr_id(seqr_id)
    assert (resp.resultCode, resp.resultDescription) == (0, "SUCCESS")
    assert till.assign_seqr_id(seqr_id).resultCode == 0  # same id again: fine (D-53)

    # the sticker QR now routes to this terminal: nothing to pay yet ...
    waiting = wallet.scan_ok(f"HTTP://SEQR.SE/Q{seqr_id}")
    assert waiting == {"kind": "waiting", "terminal": "Cashregister 7", "seqr_id": seqr_id}
    ref = send(till)  # ... and then the till's invoice
    scanned = wallet.scan_ok(f"HTTP://SEQR.SE/Q{seqr_id}")
    assert scanned["kind"] == "invoice" and scanned["invoice"]["reference"] == ref
    assert scanned["invoice"]["merchant"] == "Cashregister 7"

    other = register_till(shop)
    assert other.merchant.assign_seqr_id(seqr_id).resultCode == 53  # taken
    assert till.assign_seqr_id("not-alphanumeric!").resultCode == 53


def test_pos_3_send_invoice(till: Till, wallet: Wallet) -> None:
    ref = send(till.merchant)
    shown = wallet.scan_ok(till.sticker)["invoice"]
    assert shown["reference"] == ref
    assert [(r["description"], r["quantity"], r["total"]["value"]) for r in shown["rows"]] == [
        ("Movie Ticket 1", "1", "20.00"),
        ("Movie Ticket 2", "1", "20.00"),
    ]


def test_pos_4_get_payment_status(till: Till, wallet: Wallet) -> None:
    pos = till.merchant
    ref = send(pos)
    status(pos, ref, "ISSUED")  # 1. without scanning the terminal's QR
    scan_sticker_and_pay(wallet, till, ref)  # 2. scan the terminal's QR (and pay)
    ers = assert_paid(pos.status(ref, 0), ref, till.terminal_id)  # 3. query
    new_ref = send(pos)  # 4. new invoice: now the live one
    status(pos, ref, "PAID")  # the paid one is not affected
    status(pos, new_ref, "ISSUED")
    assert wallet.scan_ok(till.sticker)["invoice"]["reference"] == new_ref
    time.sleep(WAIT_30_SECONDS)  # 5. "wait 30 seconds" (past the window)
    assert status(pos, ref, "PAID").ersReference == ers  # 6. previous reference: still PAID
    latest = pos.status(None, 0)  # D-37: without a reference = the till's latest invoice
    assert (latest.resultCode, latest.status) == (0, "ISSUED")


def test_pos_4_variant_new_invoice_supersedes_unpaid(till: Till, wallet: Wallet) -> None:
    pos = till.merchant
    first = send(pos)
    status(pos, first, "ISSUED")
    wallet.scan_ok(till.sticker)  # the customer looks at it but does not pay
    second = send(pos)
    superseded = status(pos, first, "CANCELED")
    assert superseded.version > 1
    status(pos, second, "ISSUED")
    scan_sticker_and_pay(wallet, till, second)
    assert_paid(pos.status(second, 0), second, till.terminal_id)
    status(pos, first, "CANCELED")
    assert wallet.pay_response(first).status_code >= 400


def test_pos_5_submit_payment_receipt(till: Till, wallet: Wallet) -> None:
    def pay(w: Wallet, m: Merchant, ref: str) -> None:
        scan_sticker_and_pay(w, till, ref)

    _, ers = paid_invoice(till.merchant, wallet, till.terminal_id, pay)
    submit_all_receipt_variants(till.merchant, ers)


def test_pos_6_cancel_invoice(till: Till, wallet: Wallet) -> None:
    pos = till.merchant
    ref = send(pos)
    status(pos, ref, "ISSUED")
    assert pos.cancel(ref).resultCode == 0
    status(pos, ref, "CANCELED")
    waiting = wallet.scan_ok(till.sticker)  # nothing live on the till any more
    assert waiting["kind"] == "waiting"


def test_pos_7_refund_payment(till: Till, wallet: Wallet) -> None:
    pos = till.merchant
    before = wallet.balance()
    ref = send(pos)  # new invoice
    status(pos, ref, "ISSUED")  # status
    scan_sticker_and_pay(wallet, till, ref)  # scan
    ers = assert_paid(pos.status(ref, 0), ref, till.terminal_id)  # status
    refund = pos.refund(ers, invoice("15", title="Refund", cashierId="Bob"))  # refund (partial)
    assert (refund.resultCode, refund.resultDescription) == (0, "SUCCESS"), refund
    assert ERS_REFERENCE.fullmatch(refund.ersReference) and refund.ersReference != ers
    assert wallet.balance() == before - 25
    status(pos, ref, "PAID")  # a refund leaves the payment PAID (T21)


def test_pos_8_mark_transaction_period(shop: Merchant, till: Till) -> None:
    """When closing the register: per terminal (TERMINALID parameter) or by the till itself."""
    by_shop = shop.mark(TERMINALID=till.terminal_id)
    assert by_shop.resultCode == 0 and ERS_REFERENCE.fullmatch(by_shop.transactionPeriodId)
    by_till = till.merchant.mark()  # D-32: a TERMINALID caller is scoped to itself
    assert by_till.resultCode == 0 and ERS_REFERENCE.fullmatch(by_till.transactionPeriodId)
    assert shop.mark(TERMINALID="0" * 32).resultCode == 29


def test_pos_9_unregister_terminal(shop: Merchant, till: Till, wallet: Wallet) -> None:
    pos = till.merchant
    live = send(pos)
    # "using the RESELLERUSER type": no element names the terminal -> ACCESS_DENIED (D-31)
    denied = shop.unregister_terminal()
    assert (denied.resultCode, denied.resultDescription) == (21, "ACCESS_DENIED")
    status(pos, live, "ISSUED")

    resp = pos.unregister_terminal()  # the terminal's own TERMINALID context (D-31)
    assert (resp.resultCode, resp.resultDescription) == (0, "SUCCESS")
    assert wallet.view(live)["status"] == "CANCELED"  # its live invoice was cancelled
    assert pos.status(live, 0).resultCode == 29  # later calls with its id
    assert pos.send_invoice(cinema()).resultCode == 29
    assert wallet.scan(till.sticker).status_code >= 400  # the sticker no longer routes
    other = register_till(shop)
    assert other.merchant.assign_seqr_id(till.seqr_id).resultCode == 0  # seqrId released
