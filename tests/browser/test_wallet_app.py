"""The wallet web app (`/app`) in Chromium at 360x640: sign in, pay by pasted code and by QR
image, wrong PIN, customer cancel, External Service in the embedded view, wizard cancel.

Each test saves its key steps under artifacts/screenshots/<test>/ (see conftest.Shots).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from openseqr.sdk import InvoiceRow, SeqrClient
from openseqr.sdk.errors import SeqrError
from tests.browser.conftest import (
    DESKTOP,
    MOBILE,
    Shots,
    check_layout,
    enter_pin,
    launch,
    open_code,
    sign_in,
)
from tests.browser.es_service import EsService
from tests.fixtures_server import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ALICE, BOB, CAROL, DAVE = (
    ("46700000001", "1111"),
    ("46700000002", "2222"),
    ("46700000003", "3333"),
    ("46700000004", "4444"),
)


def coffee(merchant: SeqrClient, amount: str = "54.00") -> Any:
    return merchant.send_invoice(
        Decimal(amount),
        "SEK",
        title="Coffee and a bun",
        rows=[
            InvoiceRow("Caffè latte", quantity=1, unit_price=Decimal("39.00")),
            InvoiceRow("Cinnamon bun", quantity=1, unit_price=Decimal(amount) - Decimal("39.00")),
        ],
        client_invoice_id="cafe-1",
        footer="Thank you for your visit!\nOrg.nr 556000-0000",
    )


def visible(page: Any, screen: str) -> None:
    page.wait_for_selector(f"#screen-{screen}:not([hidden])")


def confirm_invoice(wallet: Any, user: tuple[str, str], code: str) -> None:
    """Sign in as ``user``, open the invoice ``code`` and press Confirm (the PIN pad is next)."""
    sign_in(wallet, *user)
    open_code(wallet, code)
    visible(wallet, "invoice")
    wallet.click("#inv-confirm")


def test_sign_in_shows_balances_and_history(
    wallet: Any, shots: Shots, merchant: SeqrClient
) -> None:
    shots("sign-in", doc="signin")
    wallet.click("button.demo[data-msisdn='46700000001']")
    visible(wallet, "pin")
    wallet.click("#keypad button[data-key='1']")
    shots("pin-pad")
    for _ in range(3):
        wallet.click("#keypad button[data-key='1']")
    wallet.wait_for_selector("#screen-home:not([hidden]) .balance.main")
    balances = wallet.inner_text("#balances")
    assert "SEK" in balances and "EUR" in balances and "USD" in balances
    assert re.fullmatch(r"[0-9 \xa0]+,[0-9]{2}", wallet.inner_text(".balance.main .amt"))
    assert wallet.inner_text("#home-name") == "Alice Andersson"
    shots("home", doc="home")
    # The session survives a reload (sessionStorage keeps the token, never the PIN).
    wallet.reload()
    wallet.wait_for_selector("#screen-home:not([hidden]) .balance.main")
    stored = wallet.evaluate("sessionStorage.getItem('openseqr.wallet')")
    assert "1111" not in stored and "token" in stored
    wallet.click("#signout")
    visible(wallet, "signin")


def test_wrong_pin_at_sign_in_shows_tries_left(wallet: Any, shots: Shots) -> None:
    wallet.fill("#signin-msisdn", CAROL[0])
    wallet.click("#signin-form button[type=submit]")
    visible(wallet, "pin")
    enter_pin(wallet, "9999")
    wallet.wait_for_selector("#pin-error:has-text('tries left')")
    assert "2 tries left" in wallet.inner_text("#pin-error")
    shots("wrong-pin")
    enter_pin(wallet, CAROL[1])
    visible(wallet, "home")
    assert wallet.inner_text("#history-empty") == "No payments yet."


def test_paste_invoice_code_pay_and_receipt(
    wallet: Any, shots: Shots, merchant: SeqrClient
) -> None:
    sent = coffee(merchant)
    sign_in(wallet, *ALICE)
    open_code(wallet, sent.qr_code)
    visible(wallet, "invoice")
    assert wallet.inner_text("#inv-merchant") == "Public test shop"
    assert "54,00 SEK" in wallet.inner_text("#inv-total").replace("\xa0", " ")
    assert "Cinnamon bun" in wallet.inner_text("#inv-rows")
    assert "Thank you for your visit!" in wallet.inner_text("#inv-footer")
    shots("invoice", doc="invoice")
    wallet.click("#inv-confirm")
    visible(wallet, "pin")
    assert "54,00" in wallet.inner_text("#pin-title")
    shots("pin")
    enter_pin(wallet, ALICE[1])
    visible(wallet, "result")
    assert wallet.inner_text("#result-title") == "Payment completed."
    wallet.wait_for_selector("#receipt:not([hidden])")
    status = merchant.get_payment_status(sent.reference)
    assert status.status.value == "PAID"
    assert wallet.inner_text("#rc-ers") == status.ers_reference
    shots("paid")
    # The merchant uploads a receipt document (submitPaymentReceipt): the app shows it.
    merchant.submit_payment_receipt(
        status.ers_reference,
        "KVITTO\nCaffè latte   39.00\nCinnamon bun  15.00\nTotal         54.00 SEK",
        mime_type="text/plain",
    )
    wallet.wait_for_selector("#rc-docs .doc pre", timeout=15000)
    assert "KVITTO" in wallet.inner_text("#rc-docs")
    wallet.locator("#rc-docs").scroll_into_view_if_needed()
    shots("receipt-document", doc="receipt")
    wallet.click("#result-ok")
    visible(wallet, "home")
    wallet.wait_for_selector("#history .chip.PAID")
    assert "Coffee and a bun" in wallet.inner_text("#history")
    # The history opens the receipt again.
    wallet.click("#history button.item")
    wallet.wait_for_selector("#receipt:not([hidden]) #rc-docs .doc")
    shots("receipt-from-history")


def test_upload_qr_image_is_decoded(
    wallet: Any, shots: Shots, srv: RunningServer, merchant: SeqrClient, tmp_path: Path
) -> None:
    sent = coffee(merchant, "61.00")
    png = httpx.get(srv.url + "/qr.png", params={"code": sent.qr_code, "scale": 8})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = tmp_path / "invoice-qr.png"
    image.write_bytes(png.content)
    sign_in(wallet, *BOB)
    wallet.click("#open-scan")
    visible(wallet, "scan")
    shots("scan", doc="scan")
    wallet.set_input_files("#scan-file", str(image))
    visible(wallet, "invoice")
    assert wallet.inner_text("#inv-ref") == sent.reference
    assert wallet.input_value("#paste-code") == sent.qr_code
    shots("decoded-invoice")
    # Not a QR code: a friendly message.
    wallet.click("#inv-cancel")
    visible(wallet, "result")
    wallet.click("#result-ok")
    wallet.click("#open-scan")
    wallet.set_input_files(
        "#scan-file", files=[{"name": "x.png", "mimeType": "image/png", "buffer": _blank_png()}]
    )
    wallet.wait_for_selector("#scan-error:has-text('No QR code found')")
    shots("no-code")


def _blank_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff" * 40 for _ in range(40))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 40, 40, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_wrong_pin_then_right_pin(wallet: Any, shots: Shots, merchant: SeqrClient) -> None:
    sent = coffee(merchant, "42.00")
    confirm_invoice(wallet, BOB, sent.deep_link)  # seqr://SEQR.SE/R… pasted: same as the QR
    visible(wallet, "pin")
    enter_pin(wallet, "0000")
    wallet.wait_for_selector("#pin-error:has-text('Wrong PIN')")
    assert wallet.inner_text("#pin-error") == "Wrong PIN. 2 tries left."
    assert wallet.locator("#pin-dots i.on").count() == 0
    shots("wrong-pin", doc="wrong-pin")
    assert merchant.get_payment_status(sent.reference).status.value == "ISSUED"
    enter_pin(wallet, BOB[1])
    visible(wallet, "result")
    assert wallet.inner_text("#result-title") == "Payment completed."
    shots("paid")


def test_declined_payment_shows_failure(wallet: Any, shots: Shots, merchant: SeqrClient) -> None:
    sent = coffee(merchant, "20.00")
    confirm_invoice(wallet, DAVE, sent.qr_code)
    enter_pin(wallet, DAVE[1])
    visible(wallet, "result")
    assert wallet.inner_text("#result-title") == "Payment failed."
    shots("declined")
    assert merchant.get_payment_status(sent.reference).status.value == "FAILED"


def test_customer_cancel(wallet: Any, shots: Shots, merchant: SeqrClient) -> None:
    sent = coffee(merchant, "33.00")
    confirm_invoice(wallet, ALICE, sent.qr_code)
    visible(wallet, "pin")
    wallet.click("#pin-cancel")  # Cancel on the PIN pad (D-28)
    visible(wallet, "result")
    assert wallet.inner_text("#result-title") == "Payment cancelled."
    shots("cancelled", doc="cancel")
    assert merchant.get_payment_status(sent.reference).status.value == "CANCELED"
    # Scanning it again: not payable.
    wallet.click("#result-ok")
    open_code(wallet, sent.qr_code)
    visible(wallet, "invoice")
    assert "cancelled" in wallet.inner_text("#inv-notice")
    assert wallet.is_hidden("#inv-confirm")
    shots("not-payable")


def test_invalid_code_message(wallet: Any, shots: Shots) -> None:
    sign_in(wallet, *ALICE)
    open_code(wallet, "HTTP://EXAMPLE.COM/R1")
    wallet.wait_for_selector("#scan-error:has-text('Not a valid SEQR code')")
    shots("invalid")


@pytest.mark.parametrize("mode", ["form", "link", "location"])
def test_external_service_pays_inside_the_wallet(
    wallet: Any, shots: Shots, es: EsService, mode: str
) -> None:
    sign_in(wallet, *ALICE)
    open_code(wallet, f"HTTP://SEQR.SE/000/PARK_{mode.upper()}?zone=5")
    visible(wallet, "service")
    frame = wallet.frame_locator("iframe[data-testid=service-frame]")
    frame.locator("#token").wait_for()
    token = frame.locator("#token").inner_text().removeprefix("Session ")
    assert token
    shots("order-page", doc="service" if mode == "form" else None)
    if mode == "form":
        frame.locator("#pay").click()
    else:
        frame.locator("#order").click()
        if mode == "link":
            frame.locator("#paylink:not([hidden])").click()
    visible(wallet, "invoice")
    reference = es.invoices[-1]
    assert wallet.inner_text("#inv-ref") == reference
    assert es.sessions[-1]["zone"] == "5" and es.sessions[-1]["msisdn"] == ALICE[0]
    shots("invoice")
    wallet.click("#inv-confirm")
    enter_pin(wallet, ALICE[1])
    visible(wallet, "service")
    # ES-13: the Success URL with #TOKEN_<invoiceReference> (D-04), inside the wallet.
    frame = wallet.frame_locator("iframe[data-testid=service-frame]")
    frame.locator("#state:has-text('paid')").wait_for(timeout=15000)
    src = wallet.get_attribute("iframe[data-testid=service-frame]", "src")
    assert src == f"{es.url}/success#{token}_{reference}"
    assert f"invoice {reference}" in frame.locator("#frag").inner_text()
    assert "Payment completed" in wallet.inner_text("#service-banner")
    shots("success-page", doc="service-success" if mode == "form" else None)
    assert es.statuses[reference] == "PAID"
    # The receipt is reachable from the banner, and back to the service.
    wallet.click("#service-receipt")
    wallet.wait_for_selector("#receipt:not([hidden])")
    wallet.click("#result-ok")
    visible(wallet, "service")
    # "Done" on the success page is SEQR-ACTION://WIZARD/CANCEL: back home.
    frame.locator("a:has-text('Done')").click()
    visible(wallet, "home")


def order_parking_form(wallet: Any, user: tuple[str, str], zone: str) -> Any:
    """Sign in as ``user``, order parking in the service's form mode; at the invoice screen."""
    sign_in(wallet, *user)
    open_code(wallet, f"HTTP://SEQR.SE/000/PARK_FORM?zone={zone}")
    frame = wallet.frame_locator("iframe[data-testid=service-frame]")
    frame.locator("#pay").click()
    visible(wallet, "invoice")
    return frame


def test_external_service_customer_cancel_opens_cancel_url(
    wallet: Any, shots: Shots, es: EsService
) -> None:
    frame = order_parking_form(wallet, BOB, zone="7")
    reference = es.invoices[-1]
    wallet.click("#inv-cancel")
    visible(wallet, "service")
    frame.locator("#ending:has-text('Cancelled')").wait_for()
    src = wallet.get_attribute("iframe[data-testid=service-frame]", "src") or ""
    assert src.startswith(f"{es.url}/cancel#") and "_" not in src.split("#")[1]
    shots("cancel-page")
    assert es.client.get_payment_status(reference).status.value == "CANCELED"


def test_external_service_failure_opens_failure_url(
    wallet: Any, shots: Shots, es: EsService
) -> None:
    frame = order_parking_form(wallet, DAVE, zone="1")
    wallet.click("#inv-confirm")
    enter_pin(wallet, DAVE[1])
    visible(wallet, "service")
    frame.locator("#ending:has-text('Payment failed')").wait_for()
    assert "Payment failed" in wallet.inner_text("#service-banner")
    shots("failure-page")


def test_wizard_cancel_leaves_the_service(wallet: Any, shots: Shots, es: EsService) -> None:
    sign_in(wallet, *ALICE)
    open_code(wallet, "HTTP://SEQR.SE/000/PARK_LINK?zone=3")
    visible(wallet, "service")
    frame = wallet.frame_locator("iframe[data-testid=service-frame]")
    frame.locator("#token").wait_for()
    token = frame.locator("#token").inner_text().removeprefix("Session ")
    shots("order-page")
    frame.locator("#leave").click()  # SEQR-ACTION://WIZARD/CANCEL
    visible(wallet, "home")
    wallet.wait_for_selector("#toast:not([hidden])")
    assert "You left Test parking" in wallet.inner_text("#toast")
    shots("left", doc="wizard-cancel")
    # D-06: the session is CANCELLED: getClientSessionInfo answers 61.
    with pytest.raises(SeqrError) as info:
        for _ in range(20):
            es.client.get_client_session_info(token)
            wallet.wait_for_timeout(100)
    assert int(info.value.code) == 61


@contextmanager
def signed_in_app(
    browser: Any, srv: RunningServer, request: pytest.FixtureRequest, **context_args: Any
) -> Iterator[tuple[Any, Shots]]:
    """The wallet app in a new browser context (``context_args``), signed in as Alice."""
    context = browser.new_context(**context_args)
    page = context.new_page()
    try:
        page.goto(srv.url + "/app")
        shots = Shots(page, request.node.name)
        shots("sign-in")
        sign_in(page, *ALICE)
        yield page, shots
    finally:
        context.close()


def test_desktop_layout(
    browser: Any, srv: RunningServer, merchant: SeqrClient, request: pytest.FixtureRequest
) -> None:
    with signed_in_app(browser, srv, request, viewport=DESKTOP, locale="sv-SE") as (page, shots):
        sent = coffee(merchant, "12.00")
        open_code(page, sent.qr_code)
        visible(page, "invoice")
        width = page.evaluate("document.querySelector('.app').getBoundingClientRect().width")
        assert width == 480
        shots("invoice", doc="desktop")
        page.click("#inv-cancel")
        visible(page, "result")


@pytest.mark.parametrize("size", [(320, 480), (800, 1280)])
def test_small_and_large_phones(
    browser: Any,
    srv: RunningServer,
    merchant: SeqrClient,
    size: tuple[int, int],
    request: pytest.FixtureRequest,
) -> None:
    viewport = {"width": size[0], "height": size[1]}
    with signed_in_app(browser, srv, request, viewport=viewport) as (page, shots):
        shots("home")
        sent = coffee(merchant, "10.00")
        open_code(page, sent.qr_code)
        visible(page, "invoice")
        shots("invoice")
        page.click("#inv-confirm")
        visible(page, "pin")
        shots("pin")
        # The keypad fits on the screen: Cancel and 0 are visible without scrolling.
        box = page.locator("#keypad button[data-key='0']").bounding_box()
        assert box and box["y"] + box["height"] <= size[1]
        page.click("#pin-cancel")
        visible(page, "result")
        check_layout(page)


def _qr_y4m(content: str, path: Path, width: int = 640, height: int = 480) -> None:
    """A few frames of raw video (YUV4MPEG2, 4:2:0) showing the QR code, for Chromium's fake
    camera (--use-file-for-fake-video-capture)."""
    import segno

    matrix = segno.make(content, error="M", boost_error=False, micro=False).matrix
    scale, border = 8, 4
    size = (len(matrix) + 2 * border) * scale
    x0, y0 = (width - size) // 2, (height - size) // 2
    plane = bytearray(b"\xeb" * (width * height))  # white (Y=235)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark & 1:
                for dy in range(scale):
                    start = (y0 + (r + border) * scale + dy) * width + x0 + (c + border) * scale
                    plane[start : start + scale] = b"\x10" * scale  # black (Y=16)
    chroma = b"\x80" * (width // 2 * height // 2 * 2)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            f.write(b"FRAME\n" + bytes(plane) + chroma)


def test_camera_scan(
    playwright: Any,
    chromium_path: str,
    srv: RunningServer,
    merchant: SeqrClient,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """getUserMedia with Chromium's fake camera showing an invoice QR: decoded with jsQR."""
    sent = coffee(merchant, "48.00")
    video = tmp_path / "qr.y4m"
    _qr_y4m(sent.qr_code, video)
    b = launch(
        playwright,
        chromium_path,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    try:
        context = b.new_context(viewport=MOBILE)
        context.grant_permissions(["camera"], origin=srv.url)
        page = context.new_page()
        page.goto(srv.url + "/app")
        shots = Shots(page, request.node.name)
        sign_in(page, *ALICE)
        page.click("#open-scan")
        page.click("#camera-start")
        visible(page, "invoice")
        assert page.inner_text("#inv-ref") == sent.reference
        shots("camera-decoded")
        page.click("#inv-cancel")
        visible(page, "result")
    finally:
        b.close()
