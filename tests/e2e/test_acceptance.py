"""Acceptance scenarios of spec 13 (AT-PY-1/1b, AT-PY-2, AT-CRS, AT-JAVA-1/2) and the reservation
flow of 4.6, over HTTP against a real ``openseqr serve`` on SQLite and PostgreSQL.

The merchant is zeep built from the served WSDL, with the samples' minimal context; the wallet is
the app JSON API. One server per backend serves the whole module: every test uses its own
invoices, and the only shop-wide action (a reconciliation mark in AT-PY-1) only checks that its
own payment is listed. The server runs with a 2 s acknowledgement window
(``OPENSEQR_ACK_WINDOW_SECONDS=2``) so that "wait past the window" costs 3 s instead of 21 s.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import zeep

from tests.e2e.soap_client import (
    ALICE,
    CAROL,
    DAVE,
    ERS_REFERENCE,
    FRIDA,
    INVOICE_REFERENCE,
    TERMINAL_ID,
    TERMINAL_ID_SHAPE,
    Merchant,
    Poller,
    Wallet,
    base32_password,
    invoice,
    report_rows,
    report_xml,
    reseller_context,
    row,
    terminal_context,
    unique_seqr_id,
)
from tests.fixtures_server import RunningServer
from tests.helpers import wait_until
from tests.support.servers import backend_server

pytestmark = pytest.mark.slow

ACK_WINDOW = 2  # seconds; the spec's 20 s window, shortened for the test server
PAST_WINDOW = ACK_WINDOW + 1


srv = backend_server({"OPENSEQR_ACK_WINDOW_SECONDS": str(ACK_WINDOW)})


@pytest.fixture(scope="module")
def merchant(srv: RunningServer) -> Merchant:
    return Merchant(srv)


@pytest.fixture
def wallet(srv: RunningServer) -> Wallet:
    return Wallet(srv, ALICE)


def grand_cinema(**fields: Any) -> dict[str, Any]:
    """payment.py's invoice: one row without quantity, 500 SEK, nothing else."""
    fields.setdefault("acknowledgmentMode", "NO_ACKNOWLEDGMENT")
    return invoice(
        "500",
        rows=[row("Movie Tickets", "500")],
        paymentMode="IMMEDIATE_DEBIT",
        title="Grand Cinema",
        **fields,
    )


def send(merchant: Merchant, inv: dict[str, Any]) -> str:
    resp = merchant.send_invoice(inv)
    assert resp.resultCode == 0, resp
    assert resp.resultDescription == "SUCCESS"
    ref = resp.invoiceReference
    assert INVOICE_REFERENCE.fullmatch(ref)
    assert resp.invoiceQRCode == f"HTTP://SEQR.SE/R{ref}"
    return ref


def payment_py(
    merchant: Merchant, wallet: Wallet, inv: dict[str, Any] | None = None, app: Any = None
) -> tuple[str, Poller]:
    """AT-PY-1 steps 1-7: send, poll every second (no invoiceVersion) while the wallet acts."""
    ref = send(merchant, inv or grand_cinema())
    poller = Poller(merchant, ref, version_mode="none").start()
    first = poller.wait_first()
    assert (first.resultCode, first.status) == (0, "ISSUED")
    (app or wallet.view_and_pay)(ref)
    poller.join()
    return ref, poller


def assert_paid(resp: Any, ref: str, terminal_id: str = TERMINAL_ID, total: str = "500.00") -> str:
    assert (resp.resultCode, resp.resultDescription, resp.status) == (0, "SUCCESS", "PAID")
    assert ERS_REFERENCE.fullmatch(resp.ersReference), resp.ersReference
    receipt = resp.receipt
    assert receipt is not None
    assert receipt.paymentReference == resp.ersReference  # D-23
    assert receipt.invoiceReference == ref
    assert receipt.terminalId == terminal_id
    assert receipt.paymentDate is not None and receipt.paymentDate.tzinfo is not None
    assert receipt.payerTerminalId
    assert receipt.receiverName
    assert receipt.invoice.totalAmount.value == Decimal(total)
    assert receipt.invoice.totalAmount.currency == "SEK"
    return str(resp.ersReference)


# -- AT-PY-1 -------------------------------------------------------------------------------------
def test_at_py_1_payment_py(srv: RunningServer, merchant: Merchant, wallet: Wallet) -> None:
    before = wallet.balance()
    ref, poller = payment_py(merchant, wallet)

    final = poller.responses[-1]
    assert poller.statuses[-1] == "PAID" and set(poller.statuses[:-1]) == {"ISSUED"}
    ers = assert_paid(final, ref)
    receipt = final.receipt
    assert receipt.clientInvoiceId is None
    assert receipt.invoice.title == "Grand Cinema"
    assert receipt.invoice.acknowledgmentMode == "NO_ACKNOWLEDGMENT"
    rows = receipt.invoice.invoiceRows.invoiceRow
    assert [(r.itemDescription, r.itemTotalAmount.value, r.itemQuantity) for r in rows] == [
        ("Movie Tickets", Decimal("500.00"), None)
    ]
    assert final.version > poller.responses[0].version
    assert wallet.balance() == before - 500

    # Step 8: polled within the window -> acknowledged; still PAID after the window.
    time.sleep(PAST_WINDOW)
    again = merchant.status(ref)
    assert again.status == "PAID" and again.ersReference == ers
    assert wallet.balance() == before - 500
    assert not [m for m in wallet.messages() if m["invoice_reference"] == ref]

    # ... and it appears in the next reconciliation report.
    shop = merchant.using(reseller_context())
    period = shop.mark()
    assert period.resultCode == 0 and ERS_REFERENCE.fullmatch(period.transactionPeriodId)
    doc = report_xml(
        shop.report(
            "Reconciliation/STD_RECON_003.xml", transactionPeriodId=period.transactionPeriodId
        )
    )
    mine = [r for r in report_rows(doc) if r["ErsReference"] == ers]
    assert mine == [
        {
            "TerminalId": TERMINAL_ID,
            "CashierId": "NULL",
            "SalesAmount": "500.00000",
            "ErsReference": ers,
        }
    ]


def test_at_py_1_without_status_poll_is_reversed(merchant: Merchant, wallet: Wallet) -> None:
    before = wallet.balance()
    ref = send(merchant, grand_cinema())
    paid = wallet.view_and_pay(ref)
    assert paid["status"] == "PAID"
    assert wallet.balance() == before - 500
    time.sleep(PAST_WINDOW)  # nobody polls: the acknowledgement window elapses

    resp = merchant.status(ref)
    assert (resp.resultCode, resp.status) == (0, "CANCELED")
    assert resp.ersReference is None and resp.receipt is None
    assert wallet.balance() == before
    notes = [m for m in wallet.messages() if m["invoice_reference"] == ref]
    assert len(notes) == 1 and "reversed" in notes[0]["text"]
    assert wallet.view(ref)["status"] == "CANCELED"
    refund = merchant.refund(paid["ers_reference"], invoice("500", title="Refund"))
    assert refund.resultCode == 23  # a reversed payment cannot be refunded (D-51)


def test_at_py_1b_ack_mode_omitted_means_no_acknowledgment(
    merchant: Merchant, wallet: Wallet
) -> None:
    """D-17: omitted acknowledgmentMode = NO_ACKNOWLEDGMENT, even for a loyalty-card holder."""
    inv = grand_cinema()
    del inv["acknowledgmentMode"]
    ref, poller = payment_py(merchant, wallet.of(FRIDA), inv)
    assert "PENDING_ISSUER_ACKNOWLEDGE" not in poller.statuses
    assert_paid(poller.responses[-1], ref)
    assert poller.responses[-1].receipt.invoice.acknowledgmentMode == "NO_ACKNOWLEDGMENT"


@pytest.mark.parametrize("path", ["/soap/merchant/cashregister-2", "/extclientproxy/service/v2"])
def test_at_py_1_with_the_original_wsdl(srv: RunningServer, wallet: Wallet, path: str) -> None:
    """A strict client generated from the original 2.6 WSDL, on both endpoint paths (D-42)."""
    strict = Merchant(srv, client=zeep.Client(f"{srv.url}{path}?wsdl&v=2.6"))
    ref, poller = payment_py(strict, wallet)
    assert_paid(poller.responses[-1], ref)


def test_at_py_1_wallet_cancels(merchant: Merchant, wallet: Wallet) -> None:
    def cancel(ref: str) -> None:
        wallet.view(ref)
        assert wallet.cancel(ref)["status"] == "CANCELED"

    before = wallet.balance()
    ref, poller = payment_py(merchant, wallet, app=cancel)
    final = poller.responses[-1]
    assert (final.resultCode, final.status) == (0, "CANCELED")  # "Payment unsuccessful"
    assert final.ersReference is None and final.receipt is None
    assert wallet.balance() == before


@pytest.mark.parametrize("customer", [CAROL, DAVE], ids=["empty-account", "bank-declines"])
def test_at_py_1_payment_fails(merchant: Merchant, wallet: Wallet, customer: Any) -> None:
    payer = wallet.of(customer)
    before = payer.balance()

    def pay(ref: str) -> None:
        assert payer.view_and_pay(ref)["status"] == "FAILED"

    ref, poller = payment_py(merchant, payer, app=pay)
    final = poller.responses[-1]
    assert (final.resultCode, final.status) == (0, "FAILED")
    assert final.ersReference is None and final.receipt is None
    assert payer.balance() == before


# -- AT-PY-2 -------------------------------------------------------------------------------------
def test_at_py_2_registerterminal_twice(merchant: Merchant, wallet: Wallet) -> None:
    shop = merchant.using(reseller_context())
    first, second = shop.register(), shop.register()
    assert first[0] != second[0]
    for terminal_id, password in (first, second):
        assert TERMINAL_ID_SHAPE.fullmatch(terminal_id)
        till = merchant.as_terminal(terminal_id, password)
        ref, poller = payment_py(till, wallet)
        assert_paid(poller.responses[-1], ref, terminal_id)
        assert poller.responses[-1].receipt.receiverName == "POS #2 in My Shop"


# -- AT-CRS --------------------------------------------------------------------------------------
def test_at_crs_cash_register_sample(merchant: Merchant, wallet: Wallet) -> None:
    shop = merchant.using(reseller_context("public_test_shop/9900", user_id=None))  # D-30
    password = base32_password()
    reg = shop.register_terminal("POS_1265", password, "Cashregister 3")
    assert reg.resultCode == 0, reg
    till = merchant.as_terminal(reg.terminalId, password)
    seqr_id = unique_seqr_id("crs")
    assert till.assign_seqr_id(seqr_id).resultCode == 0

    ice_cream = row(
        "Ice cream",
        "10",
        quantity=1,
        itemSKU="1233",
        itemEAN="59012341234567",
        itemUnit="EA",
        itemUnitPrice={"currency": "SEK", "value": Decimal("10")},
    )
    ref = send(
        till,
        invoice(
            "10",
            rows=[ice_cream],
            cashierId="Bob",
            title="sample title",
            acknowledgmentMode="NO_ACKNOWLEDGMENT",
        ),
    )
    poller = Poller(till, ref, version_mode="zero").start()
    assert poller.wait_first().status == "ISSUED"

    scanned = wallet.scan_ok(f"HTTP://SEQR.SE/Q{seqr_id}")  # the till's sticker
    assert scanned["kind"] == "invoice" and scanned["invoice"]["reference"] == ref
    assert scanned["invoice"]["merchant"] == "Cashregister 3"
    wallet.pay(ref, scanned["invoice"]["version"])
    final = poller.join()
    assert_paid(final, ref, reg.terminalId, "10.00")
    paid_row = final.receipt.invoice.invoiceRows.invoiceRow[0]
    assert (
        paid_row.itemDescription,
        paid_row.itemSKU,
        paid_row.itemEAN,
        paid_row.itemUnit,
        paid_row.itemQuantity,
        paid_row.itemUnitPrice.value,
    ) == ("Ice cream", "1233", "59012341234567", "EA", Decimal("1"), Decimal("10.00"))
    assert final.receipt.invoice.cashierId == "Bob"


# -- AT-JAVA-1/2 ---------------------------------------------------------------------------------
def java_context() -> dict[str, Any]:
    return terminal_context(
        channel="WEBSERVICE",
        clientComment="test purchase",
        clientId="ers-extclientproxy",
        clientReference=str(int(time.time() * 1000)),
    )


def test_at_java_1_payment_flow_sample(merchant: Merchant, wallet: Wallet) -> None:
    java = merchant.using(java_context())
    ref = send(java, invoice("10", cashierId="Bob", title="sample title"))  # no ack mode
    poller = Poller(java, ref, version_mode="previous").start()
    first = poller.wait_first()
    assert (first.status, first.version) == ("ISSUED", 1)
    wallet.view_and_pay(ref)
    final = poller.join()
    assert set(poller.statuses[:-1]) == {"ISSUED"}
    assert_paid(final, ref, total="10.00")
    assert final.receipt.invoice.cashierId == "Bob"


@pytest.mark.parametrize("ack_mode", ["OPTIONAL_ACKNOWLEDGMENT", "REQUIRE_ACKNOWLEDGMENT"])
def test_at_java_2_loyalty_sample(merchant: Merchant, wallet: Wallet, ack_mode: str) -> None:
    java = merchant.using(java_context())
    frida = wallet.of(FRIDA)
    before = frida.balance()
    ref = send(
        java, invoice("10.00", cashierId="Bob", title="sample title", acknowledgmentMode=ack_mode)
    )
    seen: set[tuple[str, str]] = set()
    updates: list[Any] = []

    def loyalty(resp: Any) -> None:
        """The sample: for every new token, updateInvoice with 9.00 SEK and tokens = null."""
        tokens = resp.customerTokens.token if resp.customerTokens else []
        for t in tokens:
            if (t.id, t.value) not in seen:
                seen.add((t.id, t.value))
                upd = java.update_invoice(
                    ref, invoice("9.00", cashierId="Bob", title="sample title")
                )
                assert upd.resultCode == 0, upd
                updates.append(upd)

    poller = Poller(
        java,
        ref,
        version_mode="previous",
        keep_polling=("ISSUED", "PENDING_ISSUER_ACKNOWLEDGE"),
        on_response=loyalty,
    ).start()
    assert poller.wait_first().status == "ISSUED"

    shown = frida.view(ref)  # scan: the customer is identified, the app waits for the amount
    assert shown["status"] == "PENDING_ISSUER_ACKNOWLEDGE" and shown["awaiting_merchant"]
    assert shown["total"] == {"value": "10.00", "currency": "SEK"}
    assert frida.pay_response(ref, shown["version"]).status_code != 200  # blocked meanwhile

    updated = wait_until(lambda: (v := frida.view(ref))["status"] == "ISSUED" and v, timeout=10)
    assert updated["total"] == {"value": "9.00", "currency": "SEK"}
    assert updated["version"] > shown["version"]
    stale = frida.pay_response(ref, shown["version"])  # the app must re-view first
    assert stale.status_code == 409, stale.text
    assert frida.pay(ref, updated["version"])["status"] == "PAID"

    final = poller.join()
    assert len(updates) == 1
    pending = [r for r in poller.responses if r.status == "PENDING_ISSUER_ACKNOWLEDGE"]
    assert pending, poller.statuses
    token = pending[0].customerTokens.token[0]
    assert (token.id, token.value, token.status) == ("X_CARD", "2610411111110", 0)
    assert pending[0].version > poller.responses[0].version
    assert_paid(final, ref, total="9.00")
    assert frida.balance() == before - Decimal("9.00")


def test_optional_acknowledgment_without_tokens_is_not_blocked(
    merchant: Merchant, wallet: Wallet
) -> None:
    ref, poller = payment_py(
        merchant, wallet, grand_cinema(acknowledgmentMode="OPTIONAL_ACKNOWLEDGMENT")
    )
    assert "PENDING_ISSUER_ACKNOWLEDGE" not in poller.statuses
    assert_paid(poller.responses[-1], ref)


# -- reservation / preliminary amount (4.6) ------------------------------------------------------
def reservation(timeout: int, total: str = "100") -> dict[str, Any]:
    return invoice(
        total,
        rows=[row("Fuel, preliminary", total, quantity=1)],
        paymentMode="RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
        acknowledgmentMode="NO_ACKNOWLEDGMENT",
        title="Fuel station",
        commitReservationTimeout=timeout,
    )


def test_reservation_commit_with_final_amount(merchant: Merchant, wallet: Wallet) -> None:
    before = wallet.balance()
    ref = send(merchant, reservation(3600))
    poller = Poller(merchant, ref).start()
    assert poller.wait_first().status == "ISSUED"
    assert wallet.view_and_pay(ref)["status"] == "RESERVED"  # the user confirms with the PIN
    reserved = poller.join()
    assert (reserved.resultCode, reserved.status) == (0, "RESERVED")  # merchant stops polling
    assert reserved.ersReference is None and reserved.receipt is None
    assert wallet.balance() == before - 100

    upd = merchant.update_invoice(ref, invoice("80", rows=[row("Fuel, 40 l", "80", quantity=40)]))
    assert upd.resultCode == 0, upd
    assert merchant.commit(ref, "150").resultCode == 11  # above the reservation (D-16)
    assert merchant.status(ref).status == "RESERVED"
    commit = merchant.commit(ref, "80")
    assert (commit.resultCode, commit.resultDescription) == (0, "SUCCESS")

    paid = merchant.status(ref)
    assert_paid(paid, ref, total="80.00")
    assert paid.receipt.invoice.paymentMode == "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT"
    assert wallet.balance() == before - 80  # charged exactly the committed amount
    assert merchant.commit(ref, "80").resultCode == 96
    time.sleep(PAST_WINDOW)  # the commit acknowledged the payment: no reversal
    assert merchant.status(ref).status == "PAID"
    assert wallet.balance() == before - 80


def test_reservation_not_committed_in_time(merchant: Merchant, wallet: Wallet) -> None:
    before = wallet.balance()
    ref = send(merchant, reservation(ACK_WINDOW))
    assert wallet.view_and_pay(ref)["status"] == "RESERVED"
    assert merchant.status(ref).status == "RESERVED"
    assert wallet.balance() == before - 100
    time.sleep(PAST_WINDOW)

    resp = merchant.status(ref)
    assert (resp.resultCode, resp.status) == (0, "CANCELED")
    wait_until(lambda: wallet.balance() == before, timeout=5)  # money released
    late = merchant.commit(ref, "50")
    assert (late.resultCode, late.resultDescription) == (96, "INVOICE_STATE_NOT_RESERVED")
    assert wallet.balance() == before


# -- AT-WEB: the demo webshop (13.6) ---------------------------------------------------------------
class DemoShop:
    """The PHP demo shop's status script (`getPaymentStatus.php`) on 127.0.0.1.

    GET (the plugin's statusURL) and POST (SEQR's notification, form field ``invoiceReference``)
    both call getPaymentStatus with invoiceVersion 0 and answer the result as JSON.
    """

    def __init__(self, merchant: Merchant) -> None:
        self.merchant = Merchant(merchant.server)  # its own zeep client, used under a lock
        self.lock = threading.Lock()
        self.notifications: list[tuple[str, dict[str, list[str]]]] = []
        shop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _status(self, params: dict[str, list[str]]) -> None:
                ref = params.get("invoiceReference", [""])[0]
                with shop.lock:
                    resp = shop.merchant.status(ref, 0)
                body = json.dumps(
                    {
                        "resultCode": resp.resultCode,
                        "resultDescription": resp.resultDescription,
                        "status": resp.status,
                        "version": resp.version,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                self._status(parse_qs(urlsplit(self.path).query))

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = parse_qs(raw, keep_blank_values=True)
                shop.notifications.append((self.headers.get("Content-Type", ""), form))
                self._status({**parse_qs(urlsplit(self.path).query), **form})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def send_invoice(self) -> str:
        """The shop's sendInvoice wrapper for the browser's order (rows + total 40 USD)."""
        items = [("Movie Ticket 1", "16"), ("Movie Ticket 2", "24")]
        inv = invoice(
            "40",
            currency="USD",
            title="Grand Cinema",
            rows=[row(d, a, currency="USD") for d, a in items],
            acknowledgmentMode="NO_ACKNOWLEDGMENT",
            backURL=self.url + "/done.php",
            notificationUrl=self.url + "/getPaymentStatus.php",
        )
        return send(self.merchant, inv)

    def status_url(self, ref: str) -> str:
        return f"{self.url}/getPaymentStatus.php?invoiceReference={ref}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def demo_shop(merchant: Merchant) -> Iterator[DemoShop]:
    shop = DemoShop(merchant)
    yield shop
    shop.close()


def test_at_web_demo_webshop(demo_shop: DemoShop, wallet: Wallet) -> None:
    before = wallet.balance("USD")
    ref = demo_shop.send_invoice()
    seen: list[str] = []
    first = threading.Event()

    def plugin() -> None:  # seqrShop.js: GET statusURL every second while ISSUED
        while True:
            status = httpx.get(demo_shop.status_url(ref), timeout=10).json()["status"]
            seen.append(status)
            first.set()
            if status != "ISSUED":
                return
            time.sleep(1)

    poller = threading.Thread(target=plugin, daemon=True)
    poller.start()
    assert first.wait(10) and seen[0] == "ISSUED"

    shown = wallet.view(ref)
    assert shown["back_url"] == demo_shop.url + "/done.php"
    assert shown["total"] == {"value": "40.00", "currency": "USD"}
    assert wallet.pay(ref, shown["version"])["status"] == "PAID"

    # SEQR POSTs invoiceReference (form field) to the status script, within the window.
    wait_until(lambda: demo_shop.notifications, timeout=ACK_WINDOW)
    content_type, form = demo_shop.notifications[0]
    assert content_type.startswith("application/x-www-form-urlencoded")
    assert form["invoiceReference"] == [ref]
    assert form["clientInvoiceId"] == [""]  # none was given (9.2)
    poller.join(10)
    assert seen[-1] == "PAID" and set(seen[:-1]) <= {"ISSUED"}
    # the app opens the done page, which makes a final getPaymentStatus
    assert httpx.get(demo_shop.status_url(ref)).json()["status"] == "PAID"
    assert wallet.balance("USD") == before - 40


def test_at_web_notification_alone_acknowledges(demo_shop: DemoShop, wallet: Wallet) -> None:
    """The customer closed the browser: only the notification's status query commits."""
    before = wallet.balance("USD")
    ref = demo_shop.send_invoice()
    assert wallet.view_and_pay(ref)["status"] == "PAID"
    wait_until(lambda: demo_shop.notifications, timeout=ACK_WINDOW)
    assert demo_shop.notifications[0][1]["invoiceReference"] == [ref]
    time.sleep(PAST_WINDOW)
    assert demo_shop.merchant.status(ref, 0).status == "PAID"
    assert wallet.balance("USD") == before - 40
    assert len(demo_shop.notifications) == 1  # one attempt, no retries (D-03)


def test_reservation_cancelled_by_merchant_releases_the_money(
    merchant: Merchant, wallet: Wallet
) -> None:
    before = wallet.balance()
    ref = send(merchant, reservation(3600))
    assert wallet.view_and_pay(ref)["status"] == "RESERVED"
    assert wallet.balance() == before - 100
    assert merchant.cancel(ref).resultCode == 0  # D-50
    assert merchant.status(ref).status == "CANCELED"
    assert wallet.balance() == before
    assert merchant.commit(ref).resultCode == 96
