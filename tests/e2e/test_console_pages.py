"""The console's dashboard, resellers/terminals, External Services, customers, reports and
settings pages over HTTP against `openseqr serve` (SQLite and PostgreSQL, sandbox): each page renders, acts
(audited), refuses hostile input with a 4xx, and keeps merchants to their own objects."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from openseqr.storage import open_store
from tests.e2e.wire import call, invoice, ok, pay, status, terminal
from tests.fixtures_server import RunningServer
from tests.support.console import MERCHANT, add_merchant, signed_in
from tests.support.servers import BACKENDS, served

pytestmark = pytest.mark.slow
OTHER = ("other_shop/1", "other-password")
TILL = "public_test_shop_terminal"
SHOP_TILL = f"/console/resellers/public_test_shop/terminals/{TILL}"


@pytest.fixture(scope="module", params=BACKENDS)
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    for server in served(request, tmp_path_factory):
        server.other_till = add_merchant(server.database_url, "other_shop", OTHER[1])  # type: ignore[attr-defined]
        yield server
        assert "Traceback" not in server.log()


def edit_db(srv: RunningServer, change) -> None:  # type: ignore[no-untyped-def]
    """Set up a state the pages then show (what another component would have written)."""
    store = open_store(srv.database_url)
    try:
        with store.transaction() as tx:
            change(tx)
    finally:
        store.close()


def paid_invoice(srv: RunningServer, ctx: str | None = None) -> str:
    kw = {} if ctx is None else {"ctx": ctx}
    ref = ok(call(srv, "sendInvoice", invoice("25.00"), **kw)).text("invoiceReference")
    assert ref and pay(srv, ref)["status"] == "PAID"
    assert ok(status(srv, ref, **kw)).text("status") == "PAID"
    return ref


def audited(client, action: str, target: str) -> bool:  # type: ignore[no-untyped-def]
    page = client.get("/console/audit").text
    return action in page and target in page


# -- dashboard ------------------------------------------------------------------------------
def test_the_dashboard_counts_payments_and_charts_them(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    before = operator.get("/console/dashboard").text
    paid_invoice(srv)
    page = operator.get("/console/dashboard")
    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2
    assert 'data-series="paid"' in page.text
    payments = re.compile(r"<span>Payments</span><strong>(\d+)</strong>")
    assert int(payments.findall(page.text)[0]) == int(payments.findall(before)[0]) + 1
    assert "Load shedding" in page.text and "Notification delivery" in page.text


def test_a_merchant_dashboard_shows_only_its_own_payments(srv: RunningServer) -> None:
    other_till, password = srv.other_till  # type: ignore[attr-defined]
    paid_invoice(srv, terminal(other_till, password))
    mine = signed_in(srv.url, OTHER).get("/console/dashboard")
    assert mine.status_code == 200 and "Load shedding" not in mine.text
    paid_count = re.search(r"<span>Payments</span><strong>(\d+)</strong>", mine.text)
    assert paid_count and paid_count.group(1) == "1"


# -- resellers and terminals ----------------------------------------------------------------
def test_an_operator_blocks_and_unblocks_a_terminal(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    listing = operator.get("/console/resellers").text
    assert 'href="/console/resellers/public_test_shop"' in listing and "other_shop" in listing
    assert f'href="{SHOP_TILL}"' in operator.get("/console/resellers/public_test_shop").text
    blocked = operator.post(SHOP_TILL + "/block", {})
    assert blocked.status_code == 303
    assert "BLOCKED" in operator.get(blocked.headers["location"]).text
    assert call(srv, "sendInvoice", invoice("1.00")).code == 33  # blocked: spec 33
    assert operator.post(SHOP_TILL + "/unblock", {}).status_code == 303
    assert call(srv, "sendInvoice", invoice("1.00")).code == 0
    assert audited(operator, "terminal.block", TILL) and audited(operator, "terminal.unblock", TILL)


def test_a_new_terminal_password_is_shown_once_and_replaces_the_old(srv: RunningServer) -> None:
    other_till, old = srv.other_till  # type: ignore[attr-defined]
    operator = signed_in(srv.url)
    path = f"/console/resellers/other_shop/terminals/{other_till}"
    page = operator.post(path + "/password", {})
    found = re.search(r'<p class="secret" id="new-password">([^<]+)</p>', page.text)
    assert page.status_code == 200 and found
    new = found.group(1)
    assert new not in operator.get(path).text  # shown once
    assert new not in operator.get("/console/audit").text
    assert call(srv, "sendInvoice", invoice("1.00"), terminal(other_till, old)).code != 0
    assert call(srv, "sendInvoice", invoice("1.00"), terminal(other_till, new)).code == 0
    srv.other_till = (other_till, new)  # type: ignore[attr-defined]


def test_the_sticker_qr_downloads_as_png_and_svg(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    assert operator.get(SHOP_TILL + "/sticker.png").status_code == 404  # no SEQR ID yet

    def give_seqr_id(tx) -> None:  # type: ignore[no-untyped-def]
        tx.update_terminal(replace(tx.get_terminal(TILL), seqr_id="TILL42"))

    edit_db(srv, give_seqr_id)
    assert "HTTP://SEQR.SE/QTILL42" in operator.get(SHOP_TILL).text
    png = operator.get(SHOP_TILL + "/sticker.png")
    assert png.content.startswith(b"\x89PNG") and png.headers["content-type"] == "image/png"
    assert "attachment" in png.headers["content-disposition"]
    svg = operator.get(SHOP_TILL + "/sticker.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert operator.get(SHOP_TILL + "/sticker.gif").status_code == 404


def test_a_merchant_sees_its_own_terminals_and_acts_on_none(srv: RunningServer) -> None:
    merchant = signed_in(srv.url, MERCHANT)
    own = merchant.get("/console/resellers")
    assert (
        own.status_code == 303 and own.headers["location"] == "/console/resellers/public_test_shop"
    )
    page = merchant.get(SHOP_TILL)
    assert (
        page.status_code == 200 and "/block" not in page.text and "Reset password" not in page.text
    )
    other_till, _ = srv.other_till  # type: ignore[attr-defined]
    for path in ("/console/resellers/other_shop",
                 f"/console/resellers/other_shop/terminals/{other_till}",
                 f"/console/resellers/public_test_shop/terminals/{other_till}",
                 f"/console/resellers/other_shop/terminals/{other_till}/sticker.png"):  # fmt: skip
        assert merchant.get(path).status_code == 404, path
    for action in ("block", "unblock", "password"):
        assert merchant.post(f"{SHOP_TILL}/{action}", {}).status_code == 404
        foreign = f"/console/resellers/other_shop/terminals/{other_till}/{action}"
        assert merchant.post(foreign, {}).status_code == 404
    assert call(srv, "sendInvoice", invoice("1.00")).code == 0  # still active


# -- External Services ----------------------------------------------------------------------
SERVICE = {
    "name": "Parking",
    "terminal_id": TILL,
    "order_url": "http://127.0.0.1:9/order",
    "success_url": "http://127.0.0.1:9/ok",
    "failure_url": "http://127.0.0.1:9/failed",
    "cancel_url": "http://127.0.0.1:9/cancel",
}


def test_an_operator_adds_edits_disables_and_enables_a_service(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    added = operator.post("/console/services", {"service_id": "park42", **SERVICE})
    assert added.status_code == 303 and added.headers["location"].startswith(
        "/console/services/park42"
    )
    page = operator.get("/console/services/park42").text
    assert "HTTP://SEQR.SE/000/park42" in page
    png = operator.get("/console/services/park42/qr.png")
    assert (
        png.content.startswith(b"\x89PNG")
        and "service-park42.png" in png.headers["content-disposition"]
    )
    edited = operator.post("/console/services/park42", {**SERVICE, "name": "Parking North"})
    assert edited.status_code == 303
    assert "Parking North" in operator.get("/console/services").text
    assert operator.post("/console/services/park42/disable", {}).status_code == 303
    assert ">disabled<" in operator.get("/console/services/park42").text
    assert operator.post("/console/services/park42/enable", {}).status_code == 303
    assert ">active<" in operator.get("/console/services/park42").text
    for action in ("service.add", "service.edit", "service.disable", "service.enable"):
        assert audited(operator, action, "park42")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service_id": "ups"}, "reserved"),
        ({"service_id": "no spaces"}, "must be 1-32"),
        ({"service_id": "park42"}, "already exists"),
        ({"terminal_id": "nobody"}, "terminal"),
        ({"order_url": "javascript:alert(1)"}, "order_url"),
        ({"name": "x" * 600}, "not valid"),
    ],
)
def test_a_bad_service_is_refused_with_a_message(srv: RunningServer, change, message) -> None:  # type: ignore[no-untyped-def]
    operator = signed_in(srv.url)
    if operator.get("/console/services/park42").status_code == 404:
        operator.post("/console/services", {"service_id": "park42", **SERVICE})
    r = operator.post("/console/services", {"service_id": "fresh1", **SERVICE, **change})
    assert r.status_code == 400 and message in r.text
    assert operator.get("/console/services/fresh1").status_code == 404
    assert "Traceback" not in r.text


# -- customers ------------------------------------------------------------------------------
def test_an_operator_tops_up_a_wallet(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    row = re.compile(r'<tr id="customer-46700000003">.*?</tr>', re.S)
    assert " SEK<br>" not in row.search(operator.get("/console/customers").text).group(0)  # Carol
    r = operator.post(
        "/console/customers/46700000003/top-up", {"amount": "12.50", "currency": "SEK"}
    )
    assert r.status_code == 303
    assert "12.50 SEK" in row.search(operator.get("/console/customers").text).group(0)
    assert audited(operator, "customer.top_up", "46700000003")
    ref = ok(call(srv, "sendInvoice", invoice("12.50"))).text("invoiceReference")
    carol = {"msisdn": "46700000003", "pin": "3333"}
    assert pay(srv, ref, carol)["status"] == "PAID"  # the money is really there


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("abc", "SEK"), ("-1", "SEK"), ("0", "SEK"), ("1.001", "SEK"), ("1e999999", "SEK"),
     ("NaN", "SEK"), ("5", "XXXX"), ("5", "<b>"), ("99999999", "SEK"), ("", "SEK")],
)  # fmt: skip
def test_a_bad_top_up_is_refused(srv: RunningServer, amount: str, currency: str) -> None:
    r = signed_in(srv.url).post("/console/customers/46700000002/top-up",
                                {"amount": amount, "currency": currency})  # fmt: skip
    assert r.status_code == 400, r.text
    assert "<b>" not in r.text


def test_an_operator_unlocks_a_locked_pin(srv: RunningServer) -> None:
    def lock_bob(tx) -> None:  # type: ignore[no-untyped-def]
        bob = tx.customer_by_msisdn("46700000002")
        tx.update_customer(replace(bob, pin_failures=3, pin_locked_at=datetime.now(UTC)))

    edit_db(srv, lock_bob)
    ref = ok(call(srv, "sendInvoice", invoice("1.00"))).text("invoiceReference")
    bob = {"msisdn": "46700000002", "pin": "2222"}
    assert srv.app("POST", f"/invoices/{ref}/pay", json=bob).status_code != 200
    operator = signed_in(srv.url)
    assert ">locked<" in operator.get("/console/customers").text
    assert operator.post("/console/customers/46700000002/unlock", {}).status_code == 303
    assert pay(srv, ref, bob)["status"] == "PAID"
    assert audited(operator, "customer.unlock", "46700000002")
    assert operator.post("/console/customers/46799999999/unlock", {}).status_code == 404
    assert operator.post("/console/customers/x'--/unlock", {}).status_code == 404


# -- reports --------------------------------------------------------------------------------
def test_periods_close_and_their_reports_download(srv: RunningServer) -> None:
    paid_invoice(srv)
    merchant = signed_in(srv.url, MERCHANT)
    closed = merchant.post("/console/reports/close", {"terminal": ""})
    assert closed.status_code == 303
    page = merchant.get(closed.headers["location"]).text
    links = re.findall(r'href="(/console/reports/(\d+)/(\w+)\.xml)"', page)
    assert {name for _, _, name in links} >= {"Shop", "STD_RECON_002", "STD_RECON_003"}
    path, period_id, _ = next(link for link in links if link[2] == "STD_RECON_003")
    report = merchant.get(path)
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert b"<ResellerId>public_test_shop</ResellerId>" in report.content
    assert b"<TransactionDetails>" in report.content or b"TransactionDetails" in report.content
    other = signed_in(srv.url, OTHER)
    assert other.get(path).status_code == 404
    assert period_id not in other.get("/console/reports").text
    closed_by_other = other.post("/console/reports/close", {"reseller": "public_test_shop"})
    assert (
        closed_by_other.status_code == 303
        and "reseller=other_shop" in closed_by_other.headers["location"]
    )
    operator = signed_in(srv.url)
    assert (
        period_id in operator.get("/console/reports", params={"reseller": "public_test_shop"}).text
    )
    assert operator.get(path).status_code == 200
    assert audited(operator, "period.close", period_id)


def test_bad_report_requests_are_4xx(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    for path in ("/console/reports?reseller=nobody", "/console/reports/1/STD_RECON_999.xml",
                 "/console/reports/nope/Shop.xml", "/console/reports?reseller=" + "x" * 600):  # fmt: skip
        assert 400 <= operator.get(path).status_code < 500, path
    r = operator.post(
        "/console/reports/close", {"reseller": "public_test_shop", "terminal": "nobody"}
    )
    assert r.status_code == 400
    assert operator.post("/console/reports/close", {"reseller": "nobody"}).status_code == 404


# -- settings -------------------------------------------------------------------------------
def test_the_provider_switch_declines_payments_until_switched_back(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    assert operator.post("/console/settings/provider", {"mode": "decline"}).status_code == 303
    try:
        assert "<option selected>decline</option>" in operator.get("/console/settings").text
        ref = ok(call(srv, "sendInvoice", invoice("1.00"))).text("invoiceReference")
        assert pay(srv, ref)["status"] == "FAILED"
    finally:
        assert operator.post("/console/settings/provider", {"mode": "ok"}).status_code == 303
    assert pay(srv, ok(call(srv, "sendInvoice", invoice("1.00"))).text("invoiceReference"))[
        "status"] == "PAID"  # fmt: skip
    assert audited(operator, "provider.set", "decline")
    assert operator.post("/console/settings/provider", {"mode": "maybe"}).status_code == 400


def test_the_destination_policy_is_shown_and_checks_an_address(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    page = operator.get("/console/settings").text
    assert "OPENSEQR_ALLOW_LINK_LOCAL_NOTIFICATIONS" in page
    metadata = operator.get("/console/settings", params={"check": "http://169.254.169.254/x"})
    assert "Refused (64)" in metadata.text and "link-local" in metadata.text
    local = operator.get("/console/settings", params={"check": "http://127.0.0.1:8080/n"})
    assert "Accepted" in local.text  # the sandbox allows loopback
    assert "Refused (64)" in operator.get("/console/settings", params={"check": "ftp://x"}).text


# -- scope and hostile input ----------------------------------------------------------------
OPERATOR_ONLY_GETS = ["/console/customers", "/console/settings", "/console/services",
                      "/console/services/park42", "/console/services/park42/qr.png"]  # fmt: skip
OPERATOR_ONLY_POSTS = ["/console/customers/46700000001/top-up", "/console/customers/46700000001/unlock",
                       "/console/settings/provider", "/console/services",
                       "/console/services/park42/disable"]  # fmt: skip


def test_a_merchant_gets_404_on_every_operator_only_page_and_form(srv: RunningServer) -> None:
    merchant = signed_in(srv.url, MERCHANT)
    for path in OPERATOR_ONLY_GETS:
        assert merchant.get(path).status_code == 404, path
    for path in OPERATOR_ONLY_POSTS:
        r = merchant.post(path, {"amount": "1", "currency": "SEK", "mode": "decline", **SERVICE,
                                 "service_id": "evil"})  # fmt: skip
        assert r.status_code == 404, path
    nav = merchant.get("/console/dashboard").text
    assert "/console/customers" not in nav and "/console/settings" not in nav


HOSTILE_GETS = [
    "/console/resellers/" + "x" * 5000,
    "/console/resellers/%00/terminals/%00",
    "/console/resellers/public_test_shop/terminals/..%2f..%2fetc",
    f"{SHOP_TILL}/sticker.{'x' * 300}",
    "/console/services/%F0%9F%92%A5",
    "/console/services/park42/qr.exe",
    "/console/reports/%27%20OR%201=1/Shop.xml",
    "/console/settings?check=http://[::1",
    "/console/settings?check=" + "h" * 5000,
    "/console/dashboard?x=" + "%ff" * 100,
    "/console/services/%00",
    "/console/reports?reseller=%00",
    "/console/reports/%00/Shop.xml",
    "/console/settings?check=http://x%00y/",
    "/console/settings?done=%00",
    "/console/invoices/%00",
    "/console/invoices?reference=%00",
    "/console/invoices?terminal=%00",
    "/console/notifications?x=%00",
]
NUL_FORMS = [  # PostgreSQL refuses a NUL in text: each must be a 4xx before any query
    ("/console/services", {"service_id": "nul1", **SERVICE, "name": "a\x00b"}),
    ("/console/services", {"service_id": "nul\x002", **SERVICE}),
    ("/console/customers/46700000001/top-up", {"amount": "1", "currency": "SE\x00"}),
    ("/console/reports/close", {"reseller": "public_test_shop\x00"}),
    ("/console/settings/provider", {"mode": "ok\x00"}),
    ("/console/invoices/%00/refund", {"amount": "1"}),
    ("/console/notifications/%00/redeliver", {}),
]


def test_hostile_input_answers_4xx_never_500(srv: RunningServer) -> None:
    operator = signed_in(srv.url)
    for path in HOSTILE_GETS:
        r = operator.get(path)
        assert r.status_code < 500, (path, r.status_code)
        assert "Traceback" not in r.text
    for path in (
        SHOP_TILL + "/block",
        "/console/customers/46700000001/top-up",
        "/console/services",
    ):
        r = operator.http.post(path, content=b"csrf=" + operator.csrf().encode() + b"&amount=%ff&name=\xff",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert r.status_code < 500, (path, r.status_code)
    assert "Traceback" not in srv.log()
