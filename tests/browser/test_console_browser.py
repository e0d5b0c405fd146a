"""The operator console and the merchant portal in Chromium, at 1280x800 and 390x844.

(a) An operator signs in, finds an invoice paid a moment ago by its reference, sees its PAID
event, its ledger entries and its notification attempt, and redelivers the notification, which
the receiver on 127.0.0.1 gets again. (b) A merchant signs in and refunds its own payment.
(c) The same merchant gets 404 for another merchant's invoice URL.
With `OPENSEQR_SCREENSHOTS_TO_DOCS=1` the marked steps are copied to
`docs/screenshots/console-<name>.png` (desktop; a few also as `console-<name>-phone.png`).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, DOCS, TO_DOCS
from tests.e2e.wire import call, invoice, ok, pay, status, terminal
from tests.fixtures_server import RunningServer
from tests.helpers import wait_until
from tests.support.console import MERCHANT, OPERATOR, Receiver, add_merchant, receiver

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def notified() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture(scope="module")
def other_terminal(srv: RunningServer) -> str:
    """A second merchant's terminal (SOAP context)."""
    terminal_id, password = add_merchant(srv.database_url, "other_shop", "other-password")
    return terminal(terminal_id, password)


@pytest.fixture(params=list(VIEWPORTS))
def console(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORTS[request.param], device_scale_factor=1)
    page = context.new_page()
    page.viewport_name = request.param
    try:
        yield page
    finally:
        context.close()


def shot(page: Any, test: str, step: str, doc: str | None = None, phone_doc: bool = False) -> None:
    """Screenshot after checking the console is styled and nothing overflows the viewport."""
    info = page.evaluate("""() => ({
        styled: getComputedStyle(document.body).margin === '0px',
        scrollWidth: document.documentElement.scrollWidth, innerWidth })""")
    assert info["styled"], "the console stylesheet did not load"
    assert info["scrollWidth"] <= info["innerWidth"], f"horizontal overflow: {info}"
    folder = ARTIFACTS / f"console-{test}-{page.viewport_name}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{step}.png"
    page.screenshot(path=str(path))
    if doc and TO_DOCS and (page.viewport_name == "desktop" or phone_doc):
        suffix = "" if page.viewport_name == "desktop" else "-phone"
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"console-{doc}{suffix}.png")


def sign_in(page: Any, srv: RunningServer, who: tuple[str, str]) -> None:
    page.goto(srv.url + "/console/")
    page.fill("input[name=login]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("form[action='/console/login'] button[type=submit]")
    page.wait_for_selector("nav.sections a[aria-current]")


def paid(srv: RunningServer, ctx: str | None = None, notify_url: str | None = None) -> str:
    extra = f"<notificationUrl>{notify_url}</notificationUrl>" if notify_url else ""
    args = (ctx,) if ctx else ()
    ref = ok(call(srv, "sendInvoice", invoice("42.00", extra=extra), *args)).text(
        "invoiceReference"
    )
    assert ref and pay(srv, ref)["status"] == "PAID"
    assert ok(status(srv, ref, *args)).text("status") == "PAID"
    return ref


def find(page: Any, reference: str) -> None:
    page.click("nav.sections a:text('Invoices')")
    page.fill("input[name=reference]", reference)
    page.click("form.filters button[type=submit]")
    page.click(f"a:text('{reference}')")
    page.wait_for_selector(f"h1:has-text('{reference}')")


def test_operator_finds_a_paid_invoice_and_redelivers(
    console: Any, srv: RunningServer, notified: Receiver
) -> None:
    ref = paid(srv, notify_url=notified.url)
    wait_until(lambda: notified.of(ref), timeout=15, what="the first delivery")
    console.goto(srv.url + "/console/")
    shot(console, "operator", "01-login", doc="login")
    sign_in(console, srv, OPERATOR)
    find(console, ref)
    assert console.locator("ol.timeline li.event.paid").count() == 1
    assert "PAID" in console.inner_text("ol.timeline li.event.paid")
    ledger = console.inner_text("table.ledger tbody")
    assert "payment" in ledger and "42.00 SEK" in ledger and "-42.00 SEK" in ledger
    assert re.search(r"Attempt 1 at .*: 200", console.inner_text("li.attempt"))
    shot(console, "operator", "02-invoice", doc="invoice", phone_doc=True)
    console.click(".notification button:text('Redeliver')")
    console.wait_for_selector("p.notice:has-text('queued for redelivery')")
    wait_until(lambda: len(notified.of(ref)) == 2, timeout=15, what="the redelivery")
    assert notified.of(ref)[0] == notified.of(ref)[1]
    console.reload()
    assert console.locator("li.attempt").count() == 2
    shot(console, "operator", "03-redelivered")


def test_merchant_refunds_its_own_payment(console: Any, srv: RunningServer) -> None:
    ref = paid(srv)
    sign_in(console, srv, MERCHANT)
    assert console.locator("nav.sections a:text('Customers')").count() == 0  # operator only
    find(console, ref)
    console.fill("input[name=amount]", "12.50")
    console.fill("input[name=reason]", "one item returned")
    console.click("form.inline-form button:text('Refund')")
    console.wait_for_selector("p.notice:has-text('Refund made.')")
    assert "12.50 SEK" in console.inner_text("main")
    assert "-12.50 SEK" in console.inner_text("table.ledger tbody")
    shot(console, "merchant", "01-refunded", doc="merchant-refund")


def test_merchant_gets_404_for_another_merchants_invoice(
    console: Any, srv: RunningServer, other_terminal: str
) -> None:
    foreign = paid(srv, other_terminal)
    sign_in(console, srv, MERCHANT)
    response = console.goto(f"{srv.url}/console/invoices/{foreign}")
    assert response.status == 404
    assert "No such invoice." in console.inner_text("main")
    shot(console, "merchant", "02-foreign-404")
