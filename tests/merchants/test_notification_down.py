"""The merchant's notification endpoint is down (spec 8.5, 9.2; D-03, D-10–D-12).

End to end: a real `openseqr serve` (acknowledgement window 2 s; 5 s in (c), where the retry
comes ≥ 1 s after a failure that a busy machine may see late) and the parking service as a
separate `python -m openseqr.merchants.parking serve` process whose notificationUrl points elsewhere
(`--notify-base-url`): a closed 127.0.0.1 port, or a tiny proxy in this process that fails the
first attempt. The public test terminal's retry policy is set with the operator CLI.

(a) retries=0, the success page is visited: the parking backend was not notified, so it calls
    getPaymentStatus itself → acknowledged, PAID stays PAID after the window; one failed attempt.
(b) retries=0, nobody polls: after the window the payment is reversed (CANCELED, refunded).
(c) default retries, the first attempt fails: delivered on attempt 2, and the parking service's
    notification handler acknowledges with getPaymentStatus (nobody visits the success page).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from openseqr.cli.main import main as cli
from openseqr.protocol import urls
from openseqr.sdk import InvoiceStatus, SeqrClient
from openseqr.wallet import HeadlessWallet, ServiceSession, Status
from tests.fixtures_server import RunningServer
from tests.helpers import free_port, wait_until
from tests.merchants.conftest import RunningParking
from tests.merchants.launch import TERMINAL_ID, TERMINAL_PASSWORD, server_invoice
from tests.merchants.test_parking import ALICE, QR

pytestmark = pytest.mark.slow

ACK_WINDOW = {"OPENSEQR_ACK_WINDOW_SECONDS": "2"}
RETRY_ACK_WINDOW = 5.0
PRICE = Decimal("20.00")  # zone 42, 1 h (the default choice)


# -------------------------------------------------------------------------- helpers


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"


def admin(srv: RunningServer, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--database", srv.database_url])
    assert result.exit_code == 0, result.output
    return result.output


def notifications_of(srv: RunningServer, reference: str) -> list[dict[str, Any]]:
    return json.loads(admin(srv, "notifications", "list", "--invoice", reference, "--json"))


def attempt_log(srv: RunningServer, notification_id: str) -> list[dict[str, Any]]:
    detail = json.loads(admin(srv, "notifications", "show", notification_id, "--json"))
    return detail["attempt_log"]


def settled(srv: RunningServer, reference: str) -> list[dict[str, Any]]:
    """The outbox rows of `reference` once none is pending any more."""
    rows = notifications_of(srv, reference)
    return rows if rows and all(r["status"] != "pending" for r in rows) else []


def dead_url() -> str:
    """A 127.0.0.1 port nothing listens on (the kernel just handed it out and it was closed)."""
    return f"http://127.0.0.1:{free_port()}"


def pay_without_success_page(wallet: HeadlessWallet) -> tuple[ServiceSession, str, Any]:
    """The customer pays in the app, but nothing ever opens the Success URL (the app died, the
    phone lost its connection): the parking backend is never asked about the payment."""
    session = wallet.scan(QR)
    assert isinstance(session, ServiceSession)
    nav = wallet.open_service(session)
    assert isinstance(nav.code, urls.PaymentTrigger), nav
    reference = nav.code.reference
    invoice = wallet.invoice(reference)
    paid = wallet.pay(reference, invoice.version)
    assert paid.status == "PAID", paid
    return session, reference, paid


def seqr_status(srv: RunningServer, reference: str) -> Any:
    with SeqrClient(srv.url, TERMINAL_ID, TERMINAL_PASSWORD) as client:
        return client.get_payment_status(reference)


# -------------------------------------------------------------------------- (a), (b)


def test_endpoint_down_no_retries_success_page_acknowledges(
    database_url: str,
    server_factory: Callable[..., RunningServer],
    parking_factory: Callable[..., RunningParking],
) -> None:
    srv = server_factory(database_url, extra_env=ACK_WINDOW)
    admin(srv, "terminal", "set", TERMINAL_ID, "--notify-retries", "0")
    parking = parking_factory(srv, "--notify-base-url", dead_url())
    with HeadlessWallet(srv.url, *ALICE) as wallet:
        before = wallet.balances()["SEK"]
        outcome = wallet.run(QR)  # … and the app opens the Success URL
        assert outcome.status is Status.PAID, outcome.as_dict()
        ref = outcome.reference
        assert ref is not None
        assert outcome.final_url == f"{parking.url}/success#{outcome.session.token}_{ref}"
        ticket = parking.ticket(ref)
        # the success page asked the server itself (the notification never arrived)
        assert ticket["status"] == "paid" and ticket["notified_at"] is None
        assert ticket["code"] and ticket["code"] in (outcome.final_html or "")
        time.sleep(3)  # past the 2 s window (+ the deadline scanner's tick)
        after = wallet.balances()["SEK"]
    invoice = server_invoice(srv.database_url, ref)
    assert invoice.settled_at is not None, "the success page's poll did not acknowledge"
    assert seqr_status(srv, ref).status is InvoiceStatus.PAID  # PAID stays PAID
    assert before - after == PRICE
    assert parking.ticket(ref)["status"] == "paid"
    # exactly one attempt (retries=0 is SEQR's fire-and-forget), recorded with its error
    rows = wait_until(lambda: settled(srv, ref), timeout=10, what="the notification's attempt")
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["status"], row["attempts"], row["max_attempts"]) == ("failed", 1, 1)
    assert row["last_error"] and "Connect" in row["last_error"], row
    log = attempt_log(srv, row["notification_id"])
    assert len(log) == 1 and log[0]["status_code"] is None and log[0]["error"], log


def test_endpoint_down_no_retries_nobody_polls_reverses(
    sqlite_url: str,
    server_factory: Callable[..., RunningServer],
    parking_factory: Callable[..., RunningParking],
) -> None:
    srv = server_factory(sqlite_url, extra_env=ACK_WINDOW)
    admin(srv, "terminal", "set", TERMINAL_ID, "--notify-retries", "0")
    parking = parking_factory(srv, "--notify-base-url", dead_url())
    with HeadlessWallet(srv.url, *ALICE) as wallet:
        before = wallet.balances()["SEK"]
        _, ref, paid = pay_without_success_page(wallet)
        assert wallet.balances()["SEK"] == before - PRICE
        paid_at = datetime.fromisoformat(paid.raw["paid_at"])
        # nobody asks: the deadline scanner reverses the payment after the window
        reversed_ = wait_until(
            lambda: (
                (inv := server_invoice(srv.database_url, ref)).status.value == "CANCELED" and inv
            ),
            timeout=10,
            what="the reversal",
        )
        after = wallet.balances()["SEK"]
        messages = wallet.wallet()["messages"]
    assert reversed_.reason == "reversed" and reversed_.settled_at is None
    assert datetime.now(paid_at.tzinfo) - paid_at >= timedelta(seconds=2)  # not before the window
    assert seqr_status(srv, ref).status is InvoiceStatus.CANCELED
    assert after == before, "the customer's balance was not restored"
    assert any(m["invoice_reference"] == ref for m in messages), messages  # the "SMS"
    assert parking.ticket(ref)["status"] == "pending"  # the service never heard of it
    rows = wait_until(lambda: settled(srv, ref), timeout=10, what="the notification's attempt")
    assert len(rows) == 1 and rows[0]["status"] == "failed" and rows[0]["attempts"] == 1, rows
    assert rows[0]["last_error"]
    assert len(attempt_log(srv, rows[0]["notification_id"])) == 1


# -------------------------------------------------------------------------- (c)


class FlakyProxy:
    """127.0.0.1 only: answers the first notification 503, forwards later ones to `target`."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.hits: list[tuple[float, str, int]] = []  # (time, path, status answered)
        self.answered: list[float] = []  # when each answer was about to be sent
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with proxy.lock:
                    first = not proxy.hits
                    proxy.hits.append((time.time(), self.path, 0))
                if first:
                    status, data = 503, b"down for a moment"
                else:
                    r = httpx.post(
                        proxy.target + self.path,
                        content=body,
                        timeout=10,
                        headers={"Content-Type": self.headers["Content-Type"]},
                    )
                    status, data = r.status_code, r.content
                with proxy.lock:
                    t, path, _ = proxy.hits[-1]
                    proxy.hits[-1] = (t, path, status)
                    proxy.answered.append(time.time())
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_first_attempt_fails_second_delivers_and_acknowledges(
    sqlite_url: str,
    server_factory: Callable[..., RunningServer],
    parking_factory: Callable[..., RunningParking],
) -> None:
    window = {"OPENSEQR_ACK_WINDOW_SECONDS": str(int(RETRY_ACK_WINDOW))}
    srv = server_factory(sqlite_url, extra_env=window)
    terminal = json.loads(admin(srv, "terminal", "show", TERMINAL_ID, "--json"))
    assert terminal["notify_retries"] == 3  # the default policy (D-03)
    # the parking service's own /seqr/notify sits behind the flaky proxy
    with FlakyProxy("http://127.0.0.1:9") as proxy:
        parking = parking_factory(srv, "--notify-base-url", proxy.url)
        proxy.target = parking.url  # known only now: forward there
        with HeadlessWallet(srv.url, *ALICE) as wallet:
            before = wallet.balances()["SEK"]
            _, ref, paid = pay_without_success_page(wallet)
            rows = wait_until(lambda: settled(srv, ref), timeout=10, what="delivery")
            # past the window (+ the deadline scanner's tick): the acknowledgement came in time
            past_window = datetime.fromisoformat(paid.raw["paid_at"]) + timedelta(
                seconds=RETRY_ACK_WINDOW + 1
            )
            time.sleep(max(0.0, (past_window - datetime.now(past_window.tzinfo)).total_seconds()))
            after = wallet.balances()["SEK"]
        hits, answered = list(proxy.hits), list(proxy.answered)
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["status"], row["attempts"], row["max_attempts"]) == ("delivered", 2, 4), row
    log = attempt_log(srv, row["notification_id"])
    assert [a["status_code"] for a in log] == [503, 200], log
    assert [a["attempt"] for a in log] == [1, 2]
    # D-03: attempt 2 comes no sooner than 1 s after the failure of attempt 1 was seen. Load
    # can only lengthen these gaps, so no tolerance beyond the clocks' rounding is needed.
    first, second = (datetime.fromisoformat(a["started_at"]) for a in log)
    first_failed = first + timedelta(milliseconds=log[0]["duration_ms"])
    assert second - first_failed >= timedelta(seconds=0.99), log
    # … and so the merchant's endpoint hears the retry at least 1 s after it answered 503
    assert [h[2] for h in hits] == [503, 200], hits
    assert hits[1][0] - answered[0] >= 0.99, (hits, answered)
    assert all("ticket=" in h[1] for h in hits)
    # the service's handler acknowledged with getPaymentStatus: settled, PAID after the window
    invoice = server_invoice(srv.database_url, ref)
    assert invoice.settled_at is not None
    assert invoice.status.value == "PAID"
    assert seqr_status(srv, ref).status is InvoiceStatus.PAID
    assert before - after == PRICE
    ticket = wait_until(
        lambda: (t := parking.ticket(ref))["status"] == "paid" and t, timeout=10, what="the ticket"
    )
    assert ticket["notified_at"] is not None and ticket["code"]
