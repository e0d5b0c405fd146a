"""The reference webshop (spec 4.2, 4.3, 9.3–9.5) against a real `openseqr serve`.

End to end: the server (SQLite; PostgreSQL for the desktop flow) and the shop as a separate
`python -m openseqr.merchants.webshop serve` process (tests/merchants/launch.py) on 127.0.0.1; the customer pays through the
app API. In process: platform detection and the signed cart cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from openseqr.merchants.webshop import create_webshop_app, platform_of
from openseqr.merchants.webshop.app import CartCookie
from openseqr.sdk import InvoiceStatus, SeqrClient
from tests.fixtures_server import RunningServer
from tests.helpers import wait_until
from tests.merchants.launch import (
    TERMINAL_ID,
    TERMINAL_PASSWORD,
    InProcessBrowser,
    RunningMerchant,
    webshop_args,
)

ALICE = {"msisdn": "46700000001", "pin": "1111"}
DAVE = {"msisdn": "46700000004", "pin": "4444"}  # the bank declines
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
STATUS_KEYS = {"resultCode", "resultDescription", "status", "customerTokens", "version"}


def webshop_for(merchants: Callable[..., RunningMerchant], srv: RunningServer) -> RunningMerchant:
    return merchants("webshop", *webshop_args(srv.url))


def checkout(
    shop: RunningMerchant,
    ua: str = DESKTOP_UA,
    cart: tuple[tuple[str, int], ...] = (("T-ADULT", 2), ("S-POPCORN", 1)),
) -> tuple[httpx.Client, str, httpx.Response]:
    """Fill the cart and check out; returns the browser, the order id and the checkout page."""
    browser = httpx.Client(
        base_url=shop.url, headers={"User-Agent": ua}, timeout=15, follow_redirects=True
    )
    for sku, qty in cart:
        r = browser.post("/cart/add", data={"sku": sku, "quantity": str(qty)})
        assert r.status_code == 200 and "Your cart" in r.text
    page = browser.post("/checkout")
    assert page.status_code == 200, page.text
    match = re.search(r"/order/([0-9a-f]{16})$", str(page.url))
    assert match, page.url
    return browser, match.group(1), page


def reference_of(page: httpx.Response) -> str:
    found = re.search(r'id="invoice-reference">(\d+)<', page.text)
    assert found, page.text
    return found.group(1)


def order_row(shop: RunningMerchant, order_id: str) -> dict[str, Any]:
    return next(o for o in shop.rows("orders") if o["id"] == order_id)


# -------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_desktop_checkout_qr_notification_status_and_done(
    server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    shop = webshop_for(merchants, server)
    browser, order_id, page = checkout(shop)
    ref = reference_of(page)
    # W-3: the QR (rendered by the shop) on desktop, no deep link button
    assert f'src="/order/{order_id}/qr.svg"' in page.text and "Scan to pay" in page.text
    assert "pay-with-seqr" not in page.text
    assert f"HTTP://SEQR.SE/R{ref}" in page.text
    svg = browser.get(f"/order/{order_id}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    png = browser.get(f"/order/{order_id}/qr.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    # W-4 / 9.4: the status URL, exactly the plugin's JSON, CORS *
    status_url = f"/seqr/status?invoiceReference={ref}"
    assert f'data-status-url="{status_url}"' in page.text
    r = browser.get(status_url)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == STATUS_KEYS and body["status"] == "ISSUED"
    assert body["resultCode"] == 0 and body["resultDescription"] == "SUCCESS"
    assert body["customerTokens"] == {} and isinstance(body["version"], int)
    # the invoice as the phone sees it: rows, total, the shop's notification/back URLs
    invoice = server.app("GET", f"/invoices/{ref}").json()
    assert invoice["total"] == {"value": "335.00", "currency": "SEK"}
    assert invoice["status"] == "ISSUED"
    assert [row["description"].split(" (")[0] for row in invoice["rows"]] == [
        "Adult ticket",
        "Popcorn, large",
    ]
    assert invoice["back_url"] == f"{shop.url}/done?order={order_id}"
    # W-5/W-6: the customer pays; W-7/W-8: notification → getPaymentStatus (acknowledges)
    paid = server.app("POST", f"/invoices/{ref}/pay", json=ALICE)
    assert paid.status_code == 200, paid.text
    row = wait_until(
        lambda: (o := order_row(shop, order_id))["status"] == "paid" and o["notified_at"] and o,
        what="notification",
    )
    assert row["acknowledged_via"] in ("notification", "status-url")
    assert re.fullmatch(r"\d{25}", row["ers_reference"])
    # the page's next poll sees PAID and stops; the done page (W-9/W-10)
    body = browser.get(status_url).json()
    assert body["status"] == "PAID" and body["ersReference"] == row["ers_reference"]
    done = browser.get(f"/done?order={order_id}")
    assert done.status_code == 200
    assert 'id="status">PAID<' in done.text and row["ers_reference"] in done.text
    assert "335.00 kr" in done.text
    # acknowledged: the server keeps the payment (no reversal), the status stays PAID
    with SeqrClient(server.url, TERMINAL_ID, TERMINAL_PASSWORD) as client:
        assert client.get_payment_status(ref).status is InvoiceStatus.PAID
    api = browser.get(f"/api/orders/{order_id}").json()
    assert api["status"] == "paid" and api["notified"] is True
    browser.close()


@pytest.mark.slow
def test_mobile_deep_link_and_back_url_done_page(
    sqlite_server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    shop = webshop_for(merchants, sqlite_server)
    browser, order_id, page = checkout(shop, PHONE_UA, (("T-CHILD", 1),))
    ref = reference_of(page)
    # M-2: a big "Pay with SEQR" link to seqr://SEQR.SE/R<ref>, no QR image
    assert f'id="pay-with-seqr" href="seqr://SEQR.SE/R{ref}"' in page.text
    assert "Pay with SEQR" in page.text and 'id="qr"' not in page.text
    assert order_row(shop, order_id)["platform"] == "mobile"
    # M-1: backURL with the order id; M-3: the app pays
    invoice = sqlite_server.app("GET", f"/invoices/{ref}").json()
    back_url = invoice["back_url"]
    assert back_url == f"{shop.url}/done?order={order_id}"
    assert sqlite_server.app("POST", f"/invoices/{ref}/pay", json=ALICE).status_code == 200
    # M-5/M-6: the app opens the backURL; the page asks for the status itself
    done = browser.get(back_url)
    assert done.status_code == 200 and 'id="status">PAID<' in done.text
    row = order_row(shop, order_id)
    assert row["status"] == "paid" and row["ers_reference"] in done.text
    # iPhone/iPad/iPod/IEMobile are phones too; BlackBerry/Opera Mini unsupported
    for ua, platform in (
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "mobile"),
        ("Opera/9.80 (J2ME/MIDP; Opera Mini/9.80)", "unsupported"),
        (DESKTOP_UA, "desktop"),
    ):
        assert platform_of(ua) == platform
    browser.close()


@pytest.mark.slow
def test_unknown_order_and_invoice_are_404(
    sqlite_server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    shop = webshop_for(merchants, sqlite_server)
    with httpx.Client(base_url=shop.url, timeout=15) as http:
        r = http.get("/seqr/status", params={"invoiceReference": "20990101000000001"})
        assert r.status_code == 404 and r.headers["access-control-allow-origin"] == "*"
        # an invoice of the same terminal that is not one of the shop's orders: 404 as well
        with SeqrClient(sqlite_server.url, TERMINAL_ID, TERMINAL_PASSWORD) as client:
            foreign = client.send_invoice(Decimal("10.00"), "SEK", title="not the shop's")
        assert (
            http.get("/seqr/status", params={"invoiceReference": foreign.reference}).status_code
            == 404
        )
        assert http.get("/seqr/status").status_code == 400
        assert http.get("/done", params={"order": "0000000000000000"}).status_code == 404
        assert http.get("/order/0000000000000000").status_code == 404
        assert http.get("/api/orders/0000000000000000").status_code == 404
        assert http.get("/order/0000000000000000/qr.svg").status_code == 404
        assert http.options("/seqr/status").headers["access-control-allow-origin"] == "*"


@pytest.mark.slow
def test_cancel_and_declined_payment(
    sqlite_server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    shop = webshop_for(merchants, sqlite_server)
    browser, order_id, page = checkout(shop)
    ref = reference_of(page)
    done = browser.post(f"/order/{order_id}/cancel")
    assert done.status_code == 200 and 'id="status">CANCELED<' in done.text
    assert browser.get(f"/seqr/status?invoiceReference={ref}").json()["status"] == "CANCELED"
    assert order_row(shop, order_id)["status"] == "canceled"
    # the bank declines Dave: the done page says FAILED
    browser2, order2, page2 = checkout(shop, cart=(("S-SODA", 2),))
    ref2 = reference_of(page2)
    sqlite_server.app("POST", f"/invoices/{ref2}/pay", json=DAVE)
    done2 = browser2.get(f"/done?order={order2}")
    assert 'id="status">FAILED<' in done2.text, done2.text
    assert order_row(shop, order2)["status"] == "failed"
    # an empty cart cannot check out
    empty = browser2.post("/checkout")
    assert str(empty.url).endswith("/cart") and "Your cart is empty" in empty.text
    browser.close()
    browser2.close()


# -------------------------------------------------------------------------- in process


def test_cart_cookie_is_signed() -> None:
    cookie = CartCookie(b"k" * 32)
    value = cookie.dump({"T-ADULT": 2})
    assert cookie.load(value) == {"T-ADULT": 2}
    payload, _, sig = value.rpartition(".")
    forged = CartCookie(b"x" * 32).dump({"T-ADULT": 20})
    assert cookie.load(forged) == {}
    assert cookie.load(payload + "." + "0" * len(sig)) == {}
    assert cookie.load("garbage") == {} and cookie.load(None) == {}
    assert cookie.load(cookie.dump({"NOPE": 1, "S-SODA": 99})) == {}


def test_pages_render_and_cart_math() -> None:
    app = create_webshop_app(
        "http://seqr.test", TERMINAL_ID, TERMINAL_PASSWORD, "http://shop.test", client=object()
    )
    with InProcessBrowser(app, "http://shop.test", follow_redirects=True) as client:
        index = client.get("/")
        assert index.status_code == 200 and "Adult ticket" in index.text
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in index.text
        client.post("/cart/add", data={"sku": "T-ADULT", "quantity": "3"})
        client.post("/cart/add", data={"sku": "S-SODA"})
        cart = client.get("/cart")
        assert 'id="total">440.00 kr<' in cart.text  # 3 × 135 + 35
        client.post("/cart/set", data={"qty-T-ADULT": "1", "remove": "S-SODA"})
        assert 'id="total">135.00 kr<' in client.get("/cart").text
        assert client.post("/cart/add", data={"sku": "NOPE"}).status_code == 400
        css = client.get("/static/webshop.css")
        assert css.status_code == 200 and "grid-template-columns" in css.text
