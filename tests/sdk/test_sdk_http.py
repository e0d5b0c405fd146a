"""The SDK over real HTTP against `openseqr serve` (SQLite and PostgreSQL), with a real
NotificationReceiver served by uvicorn: notification -> acknowledgement -> no reversal."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from openseqr import sdk
from openseqr.sdk import AsyncSeqrClient, InvoiceStatus, SeqrClient
from openseqr.storage import open_store
from tests.fixtures_server import RunningServer
from tests.helpers import free_port
from tests.sdk.conftest import ALICE, TERMINAL
from tests.support.uvicorn_thread import UvicornThread

pytestmark = pytest.mark.slow

ACK_ENV = {"OPENSEQR_ACK_WINDOW_SECONDS": "2"}


def _pay(server: RunningServer, reference: str) -> None:
    r = server.app("POST", f"/invoices/{reference}/pay", json=ALICE)
    assert r.status_code == 200, r.text


def _wait(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def ack_server(server_factory: Callable[..., RunningServer], database_url: str) -> RunningServer:
    return server_factory(database_url, extra_env=ACK_ENV)


@pytest.fixture
def client(ack_server: RunningServer) -> Iterator[SeqrClient]:
    with SeqrClient(ack_server.url, *TERMINAL, timeout=10) as c:
        yield c


def test_http_send_pay_poll(server: RunningServer) -> None:
    with SeqrClient(server.url, *TERMINAL) as client:
        client.benchmarking_nop()
        sent = client.send_invoice(
            Decimal("25.00"),
            "SEK",
            title="Over HTTP",
            rows=[sdk.InvoiceRow("Thing", total="25.00")],
            client_invoice_id="http-1",
        )
        changes: list[sdk.PaymentStatus] = []
        threading.Timer(1.2, _pay, (server, sent.reference)).start()
        t0 = time.monotonic()
        status = sdk.wait_for_payment(client, sent.reference, timeout=15, on_change=changes.append)
        assert status.is_paid and status.ers_reference and time.monotonic() - t0 < 10
        assert [c.status for c in changes] == [InvoiceStatus.ISSUED, InvoiceStatus.PAID]
        assert status.receipt and status.receipt.client_invoice_id == "http-1"
        refund = client.refund_payment(status.ers_reference, Decimal("5.00"))
        assert refund
        with pytest.raises(sdk.InvoiceNotFound):
            client.get_payment_status("1")
    with pytest.raises(sdk.TransportError):
        SeqrClient(f"http://127.0.0.1:{free_port()}", *TERMINAL, timeout=2).benchmarking_nop()


def test_unacknowledged_payment_is_reversed(ack_server: RunningServer, client: SeqrClient) -> None:
    """Control for the test below: without getPaymentStatus the 2-s window reverses it."""
    sent = client.send_invoice(Decimal("7.00"))
    _pay(ack_server, sent.reference)
    time.sleep(3.5)
    st = client.get_payment_status(sent.reference)
    assert st.status is InvoiceStatus.CANCELED and not st.is_paid


def test_notification_receiver_acknowledges(ack_server: RunningServer, client: SeqrClient) -> None:
    seen: list[tuple[sdk.PaymentStatus, str | None]] = []
    receiver = sdk.NotificationReceiver(
        lambda: AsyncSeqrClient(ack_server.url, *TERMINAL, timeout=10),
        on_status=lambda status, cid: seen.append((status, cid)),
    )
    with UvicornThread(receiver, lifespan="on") as rx:
        sent = client.send_invoice(
            Decimal("19.00"),
            client_invoice_id="order-77",
            notification_url=f"{rx.url}/seqr/notify?order=77",
        )
        _pay(ack_server, sent.reference)
        _wait(lambda: bool(seen))
        status, cid = seen[0]
        assert cid == "order-77" and status.is_paid and status.reference == sent.reference
        assert status.notification and status.notification.query == {"order": "77"}
        assert not status.notification.signed
        # the status URL of the webshop plugin (spec 9.4) on the same endpoint
        poll = httpx.get(f"{rx.url}/seqr/notify", params={"invoiceReference": sent.reference})
        assert poll.json()["status"] == "PAID"
        time.sleep(3)  # past the 2-s acknowledgement window
    after = client.get_payment_status(sent.reference)
    assert after.is_paid, "the receiver's getPaymentStatus must have acknowledged the payment"


def _set_secret(server: RunningServer, secret: str) -> None:
    """`openseqr terminal set <id> --notify-secret` on the server's database."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "openseqr",
            "terminal",
            "set",
            TERMINAL[0],
            "--notify-secret",
            secret,
            "--database",
            server.database_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_signed_notifications(ack_server: RunningServer, client: SeqrClient) -> None:
    _set_secret(ack_server, "whsec-test-1")
    good: list[sdk.PaymentStatus] = []
    forged: list[sdk.PaymentStatus] = []
    factory = lambda: AsyncSeqrClient(ack_server.url, *TERMINAL, timeout=10)  # noqa: E731
    right = sdk.NotificationReceiver(factory, lambda s, c: good.append(s), secret="whsec-test-1")
    wrong = sdk.NotificationReceiver(factory, lambda s, c: forged.append(s), secret="other")
    with (
        UvicornThread(right, lifespan="on") as rx_ok,
        UvicornThread(wrong, lifespan="on") as rx_bad,
    ):
        ok = client.send_invoice(Decimal("11.00"), notification_url=f"{rx_ok.url}/seqr/notify")
        bad = client.send_invoice(Decimal("12.00"), notification_url=f"{rx_bad.url}/seqr/notify")
        _pay(ack_server, ok.reference)
        _pay(ack_server, bad.reference)
        _wait(lambda: bool(good))
        assert good[0].is_paid and good[0].notification and good[0].notification.signed
        time.sleep(3.5)
    assert forged == []  # 401: the wrong-secret receiver neither acknowledged nor reported
    assert client.get_payment_status(ok.reference).is_paid
    assert client.get_payment_status(bad.reference).status is InvoiceStatus.CANCELED


def _notification(server: RunningServer, reference: str) -> Any:
    store = open_store(server.database_url)
    try:
        with store.transaction(write=False) as tx:
            (n,) = tx.list_notifications(invoice_reference=reference)
            return n
    finally:
        store.close()


def test_a_redelivered_notification_is_dropped_by_its_delivery_id(
    server: RunningServer, client: SeqrClient
) -> None:
    seen: list[sdk.PaymentStatus] = []
    receiver = sdk.NotificationReceiver(
        lambda: AsyncSeqrClient(server.url, *TERMINAL, timeout=10),
        on_status=lambda status, cid: seen.append(status),
    )
    with UvicornThread(receiver, lifespan="on") as rx:
        sent = client.send_invoice(Decimal("13.00"), notification_url=f"{rx.url}/seqr/notify")
        _pay(server, sent.reference)
        _wait(lambda: bool(seen))
        n = _notification(server, sent.reference)
        assert seen[0].notification and seen[0].notification.delivery_id == n.notification_id
        proc = subprocess.run(
            [sys.executable, "-m", "openseqr", "notifications", "redeliver", n.notification_id]
            + ["--database", server.database_url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        _wait(lambda: _notification(server, sent.reference).attempts == 2)
        time.sleep(0.5)  # what the receiver would do with it happens right after its 200
    assert _notification(server, sent.reference).status == "delivered"
    assert len(seen) == 1, "the redelivery reached on_status again"
