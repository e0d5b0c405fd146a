"""The console's dashboard and a terminal block/unblock in Chromium, at 1280x800 and 390x844.

An operator signs in after a payment and sees it on the dashboard's charts, then blocks the
shop's terminal (its next SOAP call answers 33) and unblocks it again. With
`OPENSEQR_SCREENSHOTS_TO_DOCS=1` the marked steps go to `docs/screenshots/console-<name>.png`
(and `-phone.png`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_console_browser import console, paid, shot, sign_in  # noqa: F401
from tests.e2e.wire import call, invoice
from tests.fixtures_server import RunningServer
from tests.support.console import OPERATOR

pytestmark = pytest.mark.browser


def test_operator_reads_the_dashboard(console: Any, srv: RunningServer) -> None:  # noqa: F811
    paid(srv)
    sign_in(console, srv, OPERATOR)
    console.click("nav.sections a:text('Dashboard')")
    console.wait_for_selector("h1:text('Dashboard')")
    assert console.locator("figure.chart svg.chart").count() == 2
    assert console.locator("svg.chart rect[data-series='paid']").count() >= 2  # hour and day
    payments = console.locator(".kpi:has(span:text-is('Payments')) strong").first
    assert int(payments.inner_text()) >= 1
    assert "Notification delivery" in console.inner_text("main")
    shot(console, "pages", "01-dashboard", doc="dashboard", phone_doc=True)


def test_operator_blocks_and_unblocks_a_terminal(console: Any, srv: RunningServer) -> None:  # noqa: F811
    sign_in(console, srv, OPERATOR)
    console.click("nav.sections a:text('Resellers')")
    console.click("a:text('public_test_shop')")
    console.click("a:text('public_test_shop_terminal')")
    console.wait_for_selector("#terminal-status:has-text('ACTIVE')")
    console.click("button:text('Block')")
    console.wait_for_selector("p.notice:has-text('Terminal blocked.')")
    assert "BLOCKED" in console.inner_text("#terminal-status")
    assert call(srv, "sendInvoice", invoice("1.00")).code == 33
    shot(console, "pages", "02-terminal-blocked", doc="terminal-blocked", phone_doc=True)
    console.click("button:text('Unblock')")
    console.wait_for_selector("p.notice:has-text('Terminal unblocked.')")
    assert "ACTIVE" in console.inner_text("#terminal-status")
    assert call(srv, "sendInvoice", invoice("1.00")).code == 0
    shot(console, "pages", "03-terminal-unblocked")
