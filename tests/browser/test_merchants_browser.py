"""The reference merchants in Chromium: the webshop at 1280x800 (QR paid by the wallet in a
second page at 360x640) and on a phone (360x640, deep link, backURL done page), and the point of
sale at 1280x800 (setup → sticker → sale → customer pays → receipt → close the day).

The customer pays with the browser wallet (`<server>/app`) when the server has it, else through
the app API. Each test saves its key steps under artifacts/screenshots/<test>/NN-step.png and
checks at every step that the page is styled and that nothing overflows horizontally. With
`OPENSEQR_SCREENSHOTS_TO_DOCS=1` one step per flow is copied to docs/screenshots/
(webshop-desktop.png, webshop-mobile.png, pos.png).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import DESKTOP, MOBILE, TO_DOCS, enter_pin, open_code, sign_in
from tests.fixtures_server import RunningServer
from tests.merchants.launch import (
    RunningMerchant,
    merchants,  # noqa: F401  (fixture)
    webshop_args,
)
from tests.merchants.test_webshop import ALICE, PHONE_UA
from tests.support.app_login import scan_as

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"


def check_layout(page: Any) -> None:
    """Styled (the shop's stylesheet applied), and nothing sticks out horizontally."""
    info = page.evaluate("""() => {
      const bar = document.querySelector('.bar, .print-sticker');
      const over = [];
      for (const e of document.body.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        const cs = getComputedStyle(e);
        if (!r.width || cs.position === 'absolute' || cs.visibility === 'hidden') continue;
        if (r.right > innerWidth + 0.5 || r.left < -0.5)
          over.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.left) + '..'
                    + Math.round(r.right));
      }
      const styled = !!bar && getComputedStyle(bar).display !== 'inline'
        && getComputedStyle(document.body).margin === '0px';
      return {scrollWidth: document.documentElement.scrollWidth, innerWidth, styled,
              over: over.slice(0, 5)};
    }""")
    assert info["styled"], "the stylesheet did not load"
    assert info["scrollWidth"] <= info["innerWidth"], f"horizontal overflow: {info}"
    assert not info["over"], f"elements cut off at the edge: {info['over']}"


class Shots:
    """Numbered full-page screenshots of one test, with the layout check at each step."""

    def __init__(self, name: str) -> None:
        self.dir = ARTIFACTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page: Any, step: str, doc: str | None = None) -> Path:
        check_layout(page)
        self.n += 1
        path = self.dir / f"{self.n:02d}-{step}.png"
        page.wait_for_timeout(150)
        page.screenshot(path=str(path), full_page=True)
        if doc and TO_DOCS:
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS / f"{doc}.png")
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))


@pytest.fixture
def page_errors() -> list[str]:
    return []


def new_page(browser: Any, errors: list[str], **kw: Any) -> Any:
    context = browser.new_context(
        device_scale_factor=1, locale="sv-SE", timezone_id="Europe/Stockholm", **kw
    )
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def has_wallet(srv: RunningServer) -> bool:
    return httpx.get(srv.url + "/app", timeout=10).status_code == 200


def customer_pays(
    browser: Any, srv: RunningServer, code: str, shots: Shots, errors: list[str]
) -> str:
    """The customer's phone: the browser wallet at 360x640 (pasting the code it would scan),
    or the app API when this server has no browser wallet. Returns the invoice reference."""
    if not has_wallet(srv):
        scanned = scan_as(srv.client, ALICE, {"code": code})
        ref = str(scanned.json()["invoice"]["reference"])
        assert srv.app("POST", f"/invoices/{ref}/pay", json=ALICE).status_code == 200
        return ref
    phone = new_page(browser, errors, viewport=MOBILE)
    try:
        phone.goto(srv.url + "/app")
        phone.wait_for_selector("html[data-ready='1']")
        sign_in(phone, ALICE["msisdn"], ALICE["pin"])
        open_code(phone, code)
        phone.wait_for_selector("#screen-invoice:not([hidden])")
        phone.wait_for_timeout(150)
        phone.screenshot(path=str(shots.dir / f"{shots.n:02d}b-wallet-invoice.png"))
        phone.click("#inv-confirm")
        phone.wait_for_selector("#screen-pin:not([hidden])")
        enter_pin(phone, ALICE["pin"])
        phone.wait_for_selector("#screen-result:not([hidden])")
        assert phone.inner_text("#result-title") == "Payment completed."
        phone.screenshot(path=str(shots.dir / f"{shots.n:02d}c-wallet-paid.png"))
        ref = re.search(r"R(\d+)$", code.strip())
        return ref.group(1) if ref else ""
    finally:
        phone.context.close()


# -------------------------------------------------------------------------- webshop


def test_webshop_desktop_qr_paid_by_wallet(
    browser: Any,
    srv: RunningServer,
    shots: Shots,
    merchants: Callable[..., RunningMerchant],  # noqa: F811
    page_errors: list[str],
) -> None:
    shop = merchants("webshop", *webshop_args(srv.url))
    page = new_page(browser, page_errors, viewport=DESKTOP)
    page.goto(shop.url + "/")
    shots(page, "catalogue")
    page.fill("form[data-sku='T-ADULT'] input[name=quantity]", "2")
    page.click("form[data-sku='T-ADULT'] button")
    page.goto(shop.url + "/")
    page.click("form[data-sku='S-POPCORN'] button")
    page.wait_for_selector("#cart")
    assert page.inner_text("#total") == "335.00 kr"
    shots(page, "cart")
    page.click("#checkout")
    page.wait_for_selector("#qr")
    assert page.evaluate("document.getElementById('qr').naturalWidth") > 0  # the image loads
    qr_text = page.inner_text("#qr-text")
    assert re.fullmatch(r"HTTP://SEQR\.SE/R\d+", qr_text)
    assert page.inner_text("#status").startswith("Waiting for your payment")
    shots(page, "checkout-qr", doc="webshop-desktop")
    customer_pays(browser, srv, qr_text, shots, page_errors)
    # the checkout page notices by itself (polling the status URL) and opens the done page
    page.wait_for_selector("#result[data-status='PAID']", timeout=20000)
    assert page.url.startswith(f"{shop.url}/done?order=")
    ers = page.inner_text("#ers-reference")
    assert re.fullmatch(r"\d{25}", ers)
    shots(page, "done-paid")
    page.context.close()
    assert not page_errors, page_errors


def test_webshop_mobile_deep_link_and_back_url(
    browser: Any,
    srv: RunningServer,
    shots: Shots,
    merchants: Callable[..., RunningMerchant],  # noqa: F811
    page_errors: list[str],
) -> None:
    shop = merchants("webshop", *webshop_args(srv.url))
    page = new_page(
        browser, page_errors, viewport=MOBILE, user_agent=PHONE_UA, is_mobile=True, has_touch=True
    )
    page.goto(shop.url + "/")
    shots(page, "catalogue")
    page.click("form[data-sku='T-CHILD'] button")
    page.wait_for_selector("#cart")
    shots(page, "cart")
    page.click("#checkout")
    button = page.wait_for_selector("#pay-with-seqr")
    href = button.get_attribute("href")
    assert href and re.fullmatch(r"seqr://SEQR\.SE/R\d+", href)
    assert page.query_selector("#qr") is None
    box = button.bounding_box()
    assert box and box["width"] >= 300 and box["height"] >= 60  # big enough for a thumb
    shots(page, "pay-with-seqr", doc="webshop-mobile")
    ref = href.rsplit("R", 1)[1]
    back_url = srv.app("GET", f"/invoices/{ref}").json()["back_url"]
    # the deep link opens the SEQR app on the same phone; it pays, then opens the backURL
    customer_pays(browser, srv, href, shots, page_errors)
    page.goto(back_url)
    page.wait_for_selector("#result[data-status='PAID']")
    assert re.fullmatch(r"\d{25}", page.inner_text("#ers-reference"))
    shots(page, "back-url-done")
    page.context.close()
    assert not page_errors, page_errors


# -------------------------------------------------------------------------- point of sale


def test_pos_setup_sale_receipt_and_close_day(
    browser: Any,
    srv: RunningServer,
    shots: Shots,
    merchants: Callable[..., RunningMerchant],  # noqa: F811
    page_errors: list[str],
) -> None:
    till = merchants(
        "pos", "--seqr-url", srv.url, "--reseller", "public_test_shop", "--reseller-user", "9900"
    )
    seqr_id = "kronanbrowser" + re.sub(r"\D", "", till.url)[-5:]
    page = new_page(browser, page_errors, viewport=DESKTOP)
    page.goto(till.url + "/")
    page.wait_for_selector("#register-form")
    page.fill("input[name=reseller_password]", "1234")
    shots(page, "setup")
    page.click("#register")
    page.wait_for_selector("#registered")
    page.fill("input[name=seqr_id]", seqr_id)
    page.click("#assign")
    page.wait_for_selector("#sticker-qr")
    assert page.evaluate("document.getElementById('sticker-qr').naturalWidth") > 0
    assert page.inner_text("#sticker-text") == f"HTTP://SEQR.SE/Q{seqr_id}"
    shots(page, "sticker")
    page.click("#to-cashier")
    page.wait_for_selector("#sale-form")
    page.fill("input[name=desc1]", "Cappuccino")
    page.fill("input[name=qty1]", "2")
    page.fill("input[name=price1]", "38.00")
    page.fill("input[name=desc2]", "Cinnamon bun")
    page.fill("input[name=price2]", "29.50")
    assert page.inner_text("#sale-total") == "105.50 kr"
    shots(page, "cashier")
    page.click("#pay-seqr")
    page.wait_for_selector("#await[data-phase='waiting']")
    assert page.inner_text("#amount") == "105.50 kr"
    shots(page, "await-customer")
    customer_pays(browser, srv, f"HTTP://SEQR.SE/Q{seqr_id}", shots, page_errors)
    page.wait_for_selector("#receipt[data-status='paid']", timeout=20000)
    assert page.inner_text("#tender") == "SEQR payment"
    ers = page.inner_text("#ers-reference")
    assert re.fullmatch(r"\d{25}", ers)
    page.wait_for_function(
        "document.getElementById('receipt-state').textContent.includes('sent')", timeout=10000
    )
    shots(page, "receipt")
    page.fill("#refund-form input[name=amount]", "29.50")
    page.click("#refund")
    page.wait_for_selector("#refunds")
    shots(page, "refunded")
    page.goto(till.url + "/reconcile")
    page.click("#close-day")
    page.wait_for_selector("#details")
    details = page.inner_text("#details")
    assert ers in details and "211.00000" not in details and "105.50000" in details
    assert "-29.50000" in details
    shots(page, "close-day-report", doc="pos")
    page.context.close()
    assert not page_errors, page_errors
