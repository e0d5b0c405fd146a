"""The reference parking External Service (spec 4.1, AT-ES 13.7) and `openseqr demo`.

End to end: a real `openseqr serve` (SQLite and PostgreSQL), the parking service as a separate
`python -m openseqr.merchants.parking serve` process, registered with `openseqr service add`, driven by the headless
wallet (`openseqr.wallet`). In process: the pages against a fake SDK client (render checks).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openseqr.merchants.parking import ZONES, create_parking_app
from openseqr.sdk import (
    InvoiceStatus,
    PaymentReceipt,
    PaymentStatus,
    SentInvoice,
    SeqrClient,
    SessionCancelled,
    service_qr,
)
from openseqr.wallet import Choice, HeadlessWallet, Page, Status
from tests.fixtures_server import RunningServer
from tests.helpers import free_port, stop_process, wait_for_http, wait_until
from tests.merchants.conftest import RunningParking
from tests.merchants.launch import (
    TERMINAL_ID,
    TERMINAL_PASSWORD,
    InProcessBrowser,
    server_invoice,
    server_receipts,
)

ALICE = ("46700000001", "1111")
DAVE = ("46700000004", "4444")  # the bank declines
QR = service_qr("parking", zone="42")
PACKAGE = Path(__file__).parents[2] / "src/openseqr/merchants/parking"


def fragment(url: str) -> tuple[str, str | None]:
    """Split the success fragment at the last `_` (D-04)."""
    frag = url.split("#", 1)[1]
    token, _, ref = frag.rpartition("_")
    return (token, ref) if token else (frag, None)


def first_choice(choices: tuple[Choice, ...]) -> Choice:
    """What the user taps by default: the first choice that is not "Leave"."""
    return next(c for c in choices if not c.is_cancel)


# -------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_success_ticket_on_page_and_receipt(
    server: RunningServer, parking: RunningParking, http: Any
) -> None:
    with HeadlessWallet(server.url, *ALICE) as wallet:
        before = wallet.balances()["SEK"]
        outcome = wallet.run(QR)
        after = wallet.balances()["SEK"]
    assert outcome.status is Status.PAID, outcome.as_dict()
    assert outcome.trigger == "form>form>link"  # order shell → durations → pay link
    ref = outcome.reference
    assert ref is not None
    assert outcome.invoice.amount == Decimal("20.00")  # zone 42, 1 h (the default)
    assert before - after == Decimal("20.00")
    # ES-13: Success URL #TOKEN_<ref>, and the page shows the ticket
    assert outcome.final_url == f"{parking.url}/success#{outcome.session.token}_{ref}"
    ticket = wait_until(
        lambda: (t := parking.ticket(ref))["notified_at"] and t["receipt_state"] == "sent" and t,
        what="notification + receipt",
    )
    assert ticket["status"] == "paid" and ticket["zone"] == "42" and ticket["minutes"] == 60
    assert ticket["msisdn"] == ALICE[0]
    assert re.fullmatch(r"P42-[A-Z2-9]{6}", ticket["code"])
    html = outcome.final_html or ""
    assert ticket["code"] in html and "Valid until" in html and "Zone" in html
    # the success page's script asks the backend with TOKEN and reference (no cookie needed)
    token, parsed_ref = fragment(outcome.final_url)
    assert parsed_ref == ref
    view = http.get(f"{parking.url}/ticket", params={"token": token, "reference": ref})
    assert view.status_code == 200 and ticket["code"] in view.text
    data = http.get(f"{parking.url}/api/ticket", params={"token": token, "reference": ref}).json()
    assert data["code"] == ticket["code"] and data["status"] == "paid"
    assert (
        http.get(
            f"{parking.url}/api/ticket", params={"token": "0000000000-00000000", "reference": ref}
        ).status_code
        == 404
    )
    # ES-12: acknowledged (settled), notification received; the receipt carries the ticket code
    invoice = server_invoice(server.database_url, ref)
    assert invoice.settled_at is not None, "the payment was not acknowledged"
    with SeqrClient(server.url, TERMINAL_ID, TERMINAL_PASSWORD) as client:
        status = client.get_payment_status(ref)
    assert status.status is InvoiceStatus.PAID
    assert status.client_invoice_id in (None, ticket["id"])
    docs = server_receipts(server.database_url, ticket["ers_reference"])
    assert len(docs) == 1 and docs[0].mime_type == "text/html"
    assert ticket["code"].encode() in docs[0].data
    assert b"Valid until" in docs[0].data


@pytest.mark.slow
def test_provider_decline_shows_failure_page(
    server: RunningServer, parking: RunningParking
) -> None:
    with HeadlessWallet(server.url, *DAVE) as wallet:
        outcome = wallet.run(QR)
    assert outcome.status is Status.FAILED, outcome.as_dict()
    assert outcome.final_url == f"{parking.url}/failure#{outcome.session.token}"
    assert "Payment failed" in (outcome.final_html or "")
    assert 'href="SEQR-ACTION://WIZARD/CANCEL"' in (outcome.final_html or "")
    assert parking.ticket(outcome.reference)["status"] == "failed"
    assert parking.ticket(outcome.reference)["code"] is None


@pytest.mark.slow
def test_customer_cancel_shows_cancel_page(server: RunningServer, parking: RunningParking) -> None:
    with HeadlessWallet(server.url, *ALICE) as wallet:

        def four_hours(page: Page, choices: tuple[Choice, ...]) -> Choice:
            choice = first_choice(choices)
            return choice.fill(minutes="240") if "minutes" in choice.field_dict else choice

        outcome = wallet.run(QR, choose=four_hours, confirm=lambda invoice: False)
    assert outcome.status is Status.CANCELED, outcome.as_dict()
    assert outcome.invoice.amount == Decimal("80.00")  # 4 h in zone 42
    assert outcome.final_url == f"{parking.url}/cancel#{outcome.session.token}"
    assert "Payment cancelled" in (outcome.final_html or "")
    assert parking.ticket(outcome.reference)["status"] == "canceled"


@pytest.mark.slow
def test_leave_link_cancels_the_session(
    server: RunningServer, parking: RunningParking, http: Any
) -> None:
    seen: list[Page] = []

    def choose(page: Page, choices: tuple[Choice, ...]) -> Choice:
        seen.append(page)
        if "/order/choose" in page.url:  # the durations page: tap "Leave"
            return next(c for c in choices if c.is_cancel)
        return first_choice(choices)

    with HeadlessWallet(server.url, *ALICE) as wallet:
        outcome = wallet.run(QR, choose=choose)
    assert outcome.status is Status.LEFT_SERVICE, outcome.as_dict()
    assert any("Zone 42" in p.text for p in seen)
    token = outcome.session.token
    with SeqrClient(server.url, TERMINAL_ID, TERMINAL_PASSWORD) as client:
        with pytest.raises(SessionCancelled) as err:
            client.get_client_session_info(token)
    assert int(err.value.code) == 61
    page = http.get(f"{parking.url}/order/choose", params={"token": token})
    assert page.status_code == 200 and 'data-result-code="61"' in page.text
    assert parking.tickets() == []


@pytest.mark.slow
def test_expired_session_message(
    database_url: str,
    server_factory: Callable[..., RunningServer],
    parking_factory: Callable[[RunningServer], RunningParking],
) -> None:
    srv = server_factory(
        database_url, extra_env={"OPENSEQR_SESSION_LIFETIME_MINUTES": "0.01"}
    )  # 0.6 s
    parking = parking_factory(srv)
    seen: list[Page] = []

    def choose(page: Page, choices: tuple[Choice, ...]) -> Choice:
        seen.append(page)
        if page.url.endswith("/order"):
            time.sleep(1.5)  # the customer looks at the first page for too long
            return first_choice(choices)
        return choices[0]  # the expired page offers only "Back to SEQR"

    with HeadlessWallet(srv.url, *ALICE) as wallet:
        outcome = wallet.run(QR, choose=choose)
    expired = [p for p in seen if "/order/choose" in p.url]
    assert expired, [p.url for p in seen]
    text = expired[0].text
    assert "Session expired" in text and "has expired" in text
    assert 'data-result-code="60"' in text  # the backend's getClientSessionInfo got 60
    assert 'href="SEQR-ACTION://WIZARD/CANCEL"' in text
    assert outcome.status is Status.LEFT_SERVICE  # the only way on is "Back to SEQR"
    assert outcome.invoice is None and parking.tickets() == []


# -------------------------------------------------------------------------- openseqr demo


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, int, int]]:
    port, parking_port = free_port(), free_port()
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openseqr",
                "demo",
                "--port",
                str(port),
                "--parking-port",
                str(parking_port),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("OPENSEQR_")},
        )
    try:
        wait_until(
            lambda: "Press Ctrl+C" in out.read_text(errors="replace") or process.poll() is not None,
            timeout=60,
            what="demo banner",
        )
        assert process.poll() is None, out.read_text(errors="replace")
        yield out.read_text(errors="replace"), port, parking_port
    finally:
        if not stop_process(process, signal.SIGINT, grace=15):
            raise AssertionError("openseqr demo did not stop on Ctrl+C")


@pytest.mark.slow
def test_demo_prints_and_the_printed_wallet_command_pays(demo: tuple[str, int, int]) -> None:
    text, port, parking_port = demo
    server = f"http://127.0.0.1:{port}"
    assert "HTTP://SEQR.SE/000/parking?zone=42" in text
    assert "█" in text  # the QR drawn in the terminal
    assert f"{server}/soap/merchant/cashregister-2?wsdl" in text
    assert f"{server}/api/app/v1/openapi.json" in text
    assert f"http://127.0.0.1:{parking_port}/order" in text
    assert "46700000004 / 4444" in text
    expected = (
        f"openseqr wallet pay 'HTTP://SEQR.SE/000/parking?zone=42' --msisdn 46700000001 "
        f"--pin 1111 --server {server}"
    )
    assert expected in text
    wait_for_http(f"http://127.0.0.1:{parking_port}/health", timeout=10)
    argv = shlex.split(expected)
    result = subprocess.run(
        [sys.executable, "-m", "openseqr", *argv[1:]], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: PAID" in result.stdout
    assert f"http://127.0.0.1:{parking_port}/success#" in result.stdout


# -------------------------------------------------------------------------- pages in process


class FakeSeqr:
    """Stands in for AsyncSeqrClient: every page can be rendered without a server."""

    is_async = True

    def __init__(self) -> None:
        self.session: dict[str, str] = {
            "msisdn": "46700000001",
            "subscriberKey": "101",
            "authKey": "1234567890-12345678",
            "zone": "42",
        }
        self.session_error: Exception | None = None
        self.status = InvoiceStatus.PAID
        self.invoices: list[tuple[str, Decimal, dict[str, Any]]] = []
        self.receipts: list[tuple[str, str]] = []
        self.cancelled: list[str] = []

    async def get_client_session_info(self, token: str) -> dict[str, str]:
        if self.session_error:
            raise self.session_error
        return dict(self.session)

    async def send_invoice(
        self, amount: Decimal, currency: str | None = None, **kw: Any
    ) -> SentInvoice:
        ref = f"2026010100000000{len(self.invoices) + 1}"
        self.invoices.append((ref, amount, kw))
        return SentInvoice(ref, f"HTTP://SEQR.SE/R{ref}")

    async def get_payment_status(self, reference: str, version: int = 0) -> PaymentStatus:
        paid = self.status is InvoiceStatus.PAID
        return PaymentStatus(
            self.status,
            2,
            reference,
            ers_reference="2026010112000000012345678" if paid else None,
            receipt=PaymentReceipt(TERMINAL_ID, None, None, reference, None, None, None)
            if paid
            else None,
        )

    async def submit_payment_receipt(
        self, ers_reference: str, data: str, *a: Any, **kw: Any
    ) -> None:
        self.receipts.append((ers_reference, data))

    async def cancel_invoice(self, reference: str) -> None:
        self.cancelled.append(reference)

    async def aclose(self) -> None:
        pass


TOKEN = "1234567890-12345678"


@pytest.fixture
def fake() -> FakeSeqr:
    return FakeSeqr()


@pytest.fixture
def page_client(fake: FakeSeqr) -> Iterator[InProcessBrowser]:
    app = create_parking_app(
        "http://seqr.test", TERMINAL_ID, TERMINAL_PASSWORD, "http://parking.test", client=fake
    )
    pages = InProcessBrowser(app, "http://parking.test")
    try:
        yield pages
    finally:
        pages.close()
        app.state.store.close()


def test_pay_sends_invoice_and_answers_trigger(
    page_client: InProcessBrowser, fake: FakeSeqr
) -> None:
    choose = page_client.get("/order/choose", params={"token": TOKEN})
    assert choose.status_code == 200
    for price in ("10.00 kr", "20.00 kr", "40.00 kr", "80.00 kr"):  # zone 42: 20 kr/h
        assert price in choose.text
    r = page_client.post(
        "/order/pay",
        data={"token": TOKEN, "minutes": "120"},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    ref, amount, kw = fake.invoices[0]
    assert body["trigger"] == f"seqr://SEQR.SE/R{ref}" and amount == Decimal("40.00")
    assert kw["client_invoice_id"] == body["ticket"]
    assert kw["notification_url"] == f"http://parking.test/seqr/notify?ticket={body['ticket']}"
    # no JavaScript: a page with the plain link, Back and Leave; going back and choosing again
    # cancels the first (unpaid) invoice
    r = page_client.post("/order/pay", data={"token": TOKEN, "minutes": "30"})
    assert r.status_code == 200
    assert f'href="seqr://SEQR.SE/R{fake.invoices[1][0]}"' in r.text
    assert "/order/choose?token=" in r.text and "SEQR-ACTION://WIZARD/CANCEL" in r.text
    assert fake.cancelled == [ref]


def test_success_page_resolves_without_notification(
    page_client: InProcessBrowser, fake: FakeSeqr
) -> None:
    r = page_client.post(
        "/order/pay", data={"token": TOKEN, "minutes": "60"}, headers={"Accept": "application/json"}
    )
    ref = r.json()["invoiceReference"]
    page = page_client.get("/success")  # the cookie names the ticket; TestClient drops "#…"
    assert page.status_code == 200
    code = re.search(r'id="ticket-code">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert code.startswith("P42-") and f'data-reference="{ref}"' in page.text
    assert len(fake.receipts) == 1 and code in fake.receipts[0][1]
    page_client.get("/success")
    assert len(fake.receipts) == 1  # issued and receipted exactly once


@pytest.mark.parametrize(
    "code,title", [(60, "Session expired"), (61, "Session closed"), (63, "Link not valid")]
)
def test_session_problems_are_explained(
    page_client: InProcessBrowser, fake: FakeSeqr, code: int, title: str
) -> None:
    from openseqr.sdk import error_for_code

    fake.session_error = error_for_code(code)
    page = page_client.get("/order/choose", params={"token": TOKEN})
    assert page.status_code == 200 and title in page.text
    assert f'data-result-code="{code}"' in page.text
    r = page_client.post(
        "/order/pay", data={"token": TOKEN, "minutes": "60"}, headers={"Accept": "application/json"}
    )
    assert r.json()["resultCode"] == code and fake.invoices == []


def test_unknown_zone(page_client: InProcessBrowser, fake: FakeSeqr) -> None:
    fake.session["zone"] = "999"
    page = page_client.get("/order/choose", params={"token": TOKEN})
    assert "Unknown zone" in page.text and "999" in page.text
    assert set(ZONES) >= {"1", "5", "42"}


_WIDTH = re.compile(r"(?<![-\w])(min-width|width|flex-basis)\s*:\s*(\d+(?:\.\d+)?)px", re.I)


def _too_wide(css: str) -> list[str]:
    return [m.group(0) for m in _WIDTH.finditer(css) if float(m.group(2)) > 320]


def test_pages_fit_320_by_480(page_client: InProcessBrowser, fake: FakeSeqr) -> None:
    """Static checks (real browser screenshots come later): viewport meta, back navigation,
    no CSS width over 320 px in the stylesheet or inline styles."""
    css = page_client.get("/static/parking.css")
    assert css.status_code == 200
    assert _too_wide(css.text) == []
    assert "max-width: 36rem" in css.text  # fluid up to a comfortable reading width
    pages = {
        "order": page_client.get("/order#" + TOKEN).text,
        "choose": page_client.get("/order/choose", params={"token": TOKEN}).text,
        "confirm": page_client.post("/order/pay", data={"token": TOKEN, "minutes": "60"}).text,
        "success": page_client.get("/success").text,
        "failure": page_client.get("/failure").text,
        "cancel": page_client.get("/cancel").text,
    }
    for name, html in pages.items():
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html, name
        inline = " ".join(re.findall(r'style="([^"]*)"', html))
        inline += " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.S))
        assert _too_wide(inline) == [], name
        assert not re.search(r'\swidth="(\d+)"', html) or all(
            int(w) <= 320 for w in re.findall(r'\swidth="(\d+)"', html)
        ), name
    assert "You are parked" in pages["success"]
    # every view before the payment has a way back
    for name in ("order", "choose", "confirm"):
        assert 'href="SEQR-ACTION://WIZARD/CANCEL"' in pages[name], name
    assert "&#8249; Back" in pages["confirm"]
    assert "location.hash" in pages["order"]
    receipt = fake.receipts[0][1]
    assert _too_wide(receipt) == [] and "viewport" in receipt
    assert (PACKAGE / "templates").is_dir()
