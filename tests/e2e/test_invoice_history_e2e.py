"""The invoice event history end to end (A-47): a real ``openseqr serve`` on SQLite and
PostgreSQL, the merchant over SOAP (zeep), the wallet over the app API, a notification receiver
on 127.0.0.1, and the operator reading the history with ``openseqr invoice events``.

The server runs with a 4 s acknowledgement window so that a reversal costs seconds, not 21 s,
while a loaded machine still acknowledges in time.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from openseqr.cli.main import main
from tests.e2e.soap_client import ALICE, TERMINAL_ID, Merchant, Wallet, invoice, row
from tests.fixtures_server import RunningServer
from tests.helpers import wait_until
from tests.support.servers import backend_server

pytestmark = pytest.mark.slow

ACK_WINDOW = 4
srv = backend_server({"OPENSEQR_ACK_WINDOW_SECONDS": str(ACK_WINDOW)})


class Receiver:
    """A merchant's notification endpoint: records the invoice references it is told about."""

    def __init__(self) -> None:
        self.references: list[str] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                receiver.references += parse_qs(raw).get("invoiceReference", [])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/seqr"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def merchant(srv: RunningServer) -> Merchant:
    return Merchant(srv)


@pytest.fixture
def wallet(srv: RunningServer) -> Wallet:
    return Wallet(srv, ALICE)


def send(merchant: Merchant, **fields: Any) -> str:
    inv = invoice("500", rows=[row("Movie Tickets", "500")], title="Grand Cinema", **fields)
    resp = merchant.send_invoice(inv)
    assert resp.resultCode == 0, resp
    return str(resp.invoiceReference)


def events(srv: RunningServer, reference: str) -> list[dict[str, Any]]:
    """What an operator sees: ``openseqr invoice events REF --json`` on the server's database."""
    args = ["invoice", "events", reference, "--json", "--database", srv.database_url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def story(srv: RunningServer, reference: str) -> list[tuple[str, str]]:
    return [(e["kind"], e["actor"]) for e in events(srv, reference)]


def test_a_full_payment_in_order_with_its_actors(
    srv: RunningServer, merchant: Merchant, wallet: Wallet, receiver: Receiver
) -> None:
    ref = send(merchant, acknowledgmentMode="NO_ACKNOWLEDGMENT", notificationUrl=receiver.url)
    assert wallet.view_and_pay(ref)["status"] == "PAID"
    wait_until(lambda: ref in receiver.references, timeout=ACK_WINDOW, what="the notification")
    assert merchant.status(ref).status == "PAID"  # the merchant's answer to the notification
    wait_until(lambda: len(events(srv, ref)) == 6, what="the attempt to be recorded")
    history = events(srv, ref)
    assert [(e["kind"], e["actor"]) for e in history] == [
        ("sent", "terminal"),
        ("viewed", "customer"),
        ("paying", "customer"),
        ("paid", "customer"),
        ("notification_attempt", "system"),
        ("acknowledged", "terminal"),
    ]
    sent, viewed, _, paid, attempt, acked = history
    assert sent["actor_id"] == acked["actor_id"] == TERMINAL_ID
    assert viewed["actor_id"] == paid["actor_id"] and viewed["actor_id"]  # the payer's key
    assert paid["detail"]["amount"] == "500.00 SEK" and paid["detail"]["ers_reference"]
    assert attempt["detail"]["outcome"] == "delivered"
    assert attempt["detail"]["http_status"] == "200"
    assert attempt["detail"]["attempt"] == "1"
    times = [e["at"] for e in history]
    assert times == sorted(times)


def test_the_acknowledgement_window_reverses_as_the_system(
    srv: RunningServer, merchant: Merchant, wallet: Wallet
) -> None:
    ref = send(merchant, acknowledgmentMode="NO_ACKNOWLEDGMENT")
    assert wallet.view_and_pay(ref)["status"] == "PAID"
    # nobody asks for the status: the window elapses and the deadline scanner reverses it
    wait_until(
        lambda: story(srv, ref)[-1:] == [("reversed", "system")],
        timeout=ACK_WINDOW + 15,
        interval=0.5,
        what="the reversal",
    )
    assert story(srv, ref) == [
        ("sent", "terminal"),
        ("viewed", "customer"),
        ("paying", "customer"),
        ("paid", "customer"),
        ("reversed", "system"),
    ]
    assert merchant.status(ref).status == "CANCELED"


def test_a_refund_and_its_receipt(srv: RunningServer, merchant: Merchant, wallet: Wallet) -> None:
    ref = send(merchant, acknowledgmentMode="NO_ACKNOWLEDGMENT")
    wallet.view_and_pay(ref)
    paid = merchant.status(ref)
    refund = merchant.refund(paid.ersReference, invoice("200", title="Refund"))
    assert refund.resultCode == 0, refund
    receipt = {"mimeType": "text/plain", "receiptData": b"thanks", "receiptType": "REFUND"}
    assert merchant.submit_receipt(refund.ersReference, receipt).resultCode == 0
    history = events(srv, ref)
    assert [(e["kind"], e["actor"]) for e in history][-3:] == [
        ("acknowledged", "terminal"),
        ("refunded", "terminal"),
        ("receipt_submitted", "terminal"),
    ]
    refunded, submitted = history[-2:]
    assert refunded["detail"]["amount"] == "200.00 SEK"
    assert refunded["detail"]["ers_reference"] == submitted["detail"]["ers_reference"]
    assert submitted["detail"]["ers_reference"] == refund.ersReference


def test_the_operator_reads_an_unknown_reference_as_a_message(srv: RunningServer) -> None:
    args = ["invoice", "events", "20990101000000000", "--database", srv.database_url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "no invoice '20990101000000000'" in result.output
    assert "Traceback" not in result.output


def test_the_operator_table_names_who_did_what(
    srv: RunningServer, merchant: Merchant, wallet: Wallet
) -> None:
    ref = send(merchant)
    wallet.cancel(ref)
    args = ["invoice", "events", ref, "--database", srv.database_url]
    out = CliRunner().invoke(main, args).output.splitlines()
    assert out[0].split() == ["AT", "KIND", "ACTOR", "ACTOR_ID", "DETAIL"]
    assert [line.split()[1:3] for line in out[1:]] == [
        ["sent", "terminal"],
        ["cancelled", "customer"],
    ]
    assert "reason=user" in out[2]
