"""The headless wallet's web view and flow logic, with `httpx.MockTransport` (no server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from openseqr.protocol import urls
from openseqr.wallet import HeadlessWallet, Status, WebView, parse_page
from openseqr.wallet.webview import classify

TOKEN = "0123456789-01234567"
SERVER = "http://seqr.test"
SVC = "http://svc.test"


# ------------------------------------------------------------------------------ page parsing


def test_links_forms_and_refresh_are_found_in_document_order() -> None:
    page = parse_page(
        f"{SVC}/a/order",
        TOKEN,
        200,
        "text/html; charset=utf-8",
        """
        <html><head><base href="/base/">
        <meta http-equiv="REFRESH" content="5; URL='seqr://SEQR.SE/R9'"></head><body>
        <a href="https://elsewhere.example/">not a trigger</a>
        <a href=" SEQR-DEMO://seqr.se/R123 ">Pay <b>now</b></a>
        <form data-seqr-order data-seqr-token="key" method="POST" action="buy">
          <input type="hidden" name="key" value="">
          <input name="plate" value="ABC123"><input type="checkbox" name="sms" checked>
          <input type="checkbox" name="spam"><input name="off" value="x" disabled>
          <input type="radio" name="zone" value="1">
          <input type="radio" name="zone" value="2" checked>
          <select name="hours"><option>1</option><option selected value="2">two</option></select>
          <select name="first"><option value="a">A</option><option value="b">B</option></select>
          <textarea name="note">hi &amp; bye</textarea>
          <input type="submit" value="Buy ticket">
        </form>
        <form action="/not-marked"><input name="q"></form>
        <map><area href="SEQR-ACTION://WIZARD/CANCEL" alt="Close"></map>
        <a href="seqr://SEQR.SE/Rnot-digits">broken</a>
        </body></html>""",
    )
    kinds = [(c.kind, c.label) for c in page.choices]
    assert kinds == [("link", "Pay now"), ("form", "Buy ticket"), ("link", "Close")]
    link, form, close = page.choices
    assert link.code == urls.PaymentTrigger("123", "seqr-demo") and not link.is_cancel
    assert close.is_cancel
    assert form.url == f"{SVC}/base/buy" and form.method == "POST" and form.token_field == "key"
    assert form.fields == (
        ("key", ""),
        ("plate", "ABC123"),
        ("sms", "on"),
        ("zone", "2"),
        ("hours", "2"),
        ("first", "a"),
        ("note", "hi & bye"),
    )
    assert form.fill(hours="3", extra="1").field_dict["hours"] == "3"
    assert page.refresh == (5.0, "seqr://SEQR.SE/R9")
    assert page.location == f"{SVC}/a/order#{TOKEN}"


@pytest.mark.parametrize(
    ("content", "target"),
    [
        ("0;url=seqr://SEQR.SE/R1", "seqr://SEQR.SE/R1"),
        ("0; URL='/next'", f"{SVC}/next"),
        ("1,url=next", f"{SVC}/x/next"),
        ("3", None),
    ],
)
def test_meta_refresh_forms(content: str, target: str | None) -> None:
    page = parse_page(
        f"{SVC}/x/y", "", 200, "text/html", f'<meta http-equiv="refresh" content="{content}">'
    )
    assert (page.refresh[1] if page.refresh else None) == target


def test_json_trigger_and_classify() -> None:
    page = parse_page(
        f"{SVC}/o", "", 200, "application/json", json.dumps({"trigger": "seqr://SEQR.SE/R77"})
    )
    assert page.json_trigger == "seqr://SEQR.SE/R77" and page.choices == ()
    assert classify("SEQR-ACTION://WIZARD/CANCEL") == urls.WizardCancel()
    assert classify("seqr-debug://SEQR.SE/R5") == urls.PaymentTrigger("5", "seqr-debug")
    for junk in (None, "", "seqr://", "HTTP://SEQR.SE/R1", "https://x.example", "javascript:x"):
        assert classify(junk) is None


# -------------------------------------------------------------------------- navigation


def view_with(handler: Callable[[httpx.Request], httpx.Response]) -> WebView:
    return WebView(httpx.Client(transport=httpx.MockTransport(handler)))


def test_redirects_keep_the_hash_and_stop_at_a_trigger() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/order":
            return httpx.Response(302, headers={"Location": "/step2"})
        if request.url.path == "/step2":
            return httpx.Response(301, headers={"Location": "step3#other"})
        return httpx.Response(302, headers={"Location": "seqr://SEQR.SE/R42"})

    view = view_with(handler)
    nav = view.find_trigger(view.load(f"{SVC}/order#{TOKEN}"), TOKEN)
    assert nav.code == urls.PaymentTrigger("42") and nav.via == "redirect"
    assert all("#" not in url for url in seen)  # fragments are never sent
    assert [v.url for v in view.visits] == [
        f"{SVC}/order#{TOKEN}",
        f"{SVC}/step2#{TOKEN}",
        f"{SVC}/step3#other",
    ]


def test_form_post_307_keeps_method_and_body() -> None:
    bodies: list[tuple[str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append((request.method, request.url.path, request.content))
        if request.url.path == "/order" and request.method == "GET":
            return httpx.Response(
                200,
                html='<form data-seqr-order method=post action="/buy">'
                '<input name=n value="1"><button>Go</button></form>',
            )
        if request.url.path == "/buy":
            return httpx.Response(307, headers={"Location": "/buy2"})
        return httpx.Response(
            200,
            html='<meta http-equiv=refresh content="0;url=/done">'
            if request.url.path == "/buy2"
            else '<a href="seqr://SEQR.SE/R5">pay</a>',
        )

    view = view_with(handler)
    nav = view.find_trigger(view.load(f"{SVC}/order#{TOKEN}"), TOKEN)
    assert nav.code == urls.PaymentTrigger("5") and nav.via == "form>refresh>link"
    assert bodies[1] == ("POST", "/buy", f"n=1&token={TOKEN}".encode())
    assert bodies[2] == ("POST", "/buy2", f"n=1&token={TOKEN}".encode())


def test_get_form_puts_fields_in_the_query() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/buy":
            assert dict(request.url.params) == {"a": "1", "b": "x", "token": TOKEN}
            return httpx.Response(303, headers={"Location": "SEQR-ACTION://WIZARD/CANCEL"})
        return httpx.Response(
            200,
            html='<form data-seqr-order action="/buy?a=1">'
            "<input name=b value=x><input name=token value=stale></form>",
        )

    view = view_with(handler)
    nav = view.find_trigger(view.load(f"{SVC}/order#{TOKEN}"), TOKEN)
    assert nav.code == urls.WizardCancel() and nav.via == "form>redirect"


# --------------------------------------------------------------- the flow, with a fake server


class FakeServer:
    """The app API and one service page, in memory."""

    def __init__(self, order_page: Callable[[httpx.Request], httpx.Response]) -> None:
        self.order_page = order_page
        self.invoice: dict[str, Any] = {
            "reference": "55",
            "status": "ISSUED",
            "version": 1,
            "merchant": "Shop",
            "title": "T",
            "total": {"value": "10.00", "currency": "SEK"},
        }
        self.pay_answers: list[httpx.Response] = []
        self.views = 0
        self.cancelled_sessions: list[str] = []
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(f"{request.method} {request.url}")
        if request.url.host == "svc.test":
            if path == "/order":
                return self.order_page(request)
            return httpx.Response(200, html=f"<h1>{path}</h1>")
        if path == "/api/app/v1/login":
            return httpx.Response(200, json={"token": "v1.t.s", "msisdn": "46700000001"})
        if request.headers.get("authorization") != "Bearer v1.t.s" and not path.endswith("/pay"):
            return httpx.Response(401, json={"error": "NotSignedIn", "message": "sign in"})
        if path == "/api/app/v1/scan":
            return httpx.Response(
                200,
                json={
                    "kind": "service",
                    "service": {"id": "S", "name": "Svc"},
                    "session": {"token": TOKEN, "state": "ACTIVE"},
                    "order_url": f"{SVC}/order#{TOKEN}",
                    "success_url": f"{SVC}/ok",
                    "failure_url": f"{SVC}/fail",
                    "cancel_url": f"{SVC}/cancel",
                },
            )
        if path == "/api/app/v1/invoices/55":
            self.views += 1
            if self.invoice["status"] == "PENDING_ISSUER_ACKNOWLEDGE" and self.views > 2:
                self.invoice = {**self.invoice, "status": "ISSUED", "version": 2}
            return httpx.Response(200, json=self.invoice)
        if path == "/api/app/v1/invoices/55/pay":
            return self.pay_answers.pop(0)
        if path.startswith("/api/app/v1/sessions/"):
            self.cancelled_sessions.append(path.split("/")[-2])
            return httpx.Response(200, json={"token": TOKEN, "state": "CANCELLED"})
        return httpx.Response(404, json={"error": "NotFound", "message": path})


def run(fake: FakeServer, **kw: Any):  # type: ignore[no-untyped-def]
    with HeadlessWallet(
        SERVER,
        "46700000001",
        "1111",
        poll_interval=0.01,
        wait_timeout=2,
        transport=httpx.MockTransport(fake),
    ) as w:
        return w.run("HTTP://SEQR.SE/000/S", **kw)


def link_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, html='<a href="seqr://SEQR.SE/R55">Pay</a>')


def paid(status: str = "PAID", version: int = 1) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "reference": "55",
            "status": status,
            "version": version,
            "merchant": "Shop",
            "total": None,
        },
    )


def test_no_trigger_and_broken_order_page() -> None:
    fake = FakeServer(lambda r: httpx.Response(200, html="<p>Nothing to buy</p>"))
    outcome = run(fake)
    assert outcome.status is Status.NO_TRIGGER and "Nothing to buy" in outcome.final_html
    fake = FakeServer(lambda r: httpx.Response(500, html="boom"))
    outcome = run(fake)
    assert outcome.status is Status.SERVICE_ERROR and outcome.final_status_code == 500
    assert not fake.cancelled_sessions


def test_closing_the_view_cancels_the_session() -> None:
    fake = FakeServer(link_page)
    outcome = run(fake, choose=lambda page, choices: None)
    assert outcome.status is Status.LEFT_SERVICE and fake.cancelled_sessions == [TOKEN]


def test_changed_invoice_is_shown_again_then_paid() -> None:
    fake = FakeServer(link_page)
    fake.pay_answers = [
        httpx.Response(409, json={"error": "InvoiceChanged", "message": "x"}),
        paid(),
    ]
    shown: list[int | None] = []
    outcome = run(fake, confirm=lambda inv: shown.append(inv.version) or True)
    assert outcome.status is Status.PAID and shown == [1, 1] and fake.views == 2
    assert outcome.final_url == f"{SVC}/ok#{TOKEN}_55"


def test_waits_for_the_merchant_to_confirm_the_amount() -> None:
    fake = FakeServer(link_page)
    fake.invoice["status"] = "PENDING_ISSUER_ACKNOWLEDGE"
    fake.pay_answers = [paid(version=2)]
    outcome = run(fake)
    assert outcome.status is Status.PAID and fake.views == 3
    assert "pay" in fake.requests[-2] and outcome.final_url.endswith(f"#{TOKEN}_55")


@pytest.mark.parametrize(
    ("answer", "status", "page"),
    [
        (
            httpx.Response(503, json={"error": "ProviderUnavailable", "message": "x"}),
            Status.PROVIDER_UNAVAILABLE,
            "fail",
        ),
        (
            httpx.Response(423, json={"error": "PinLocked", "message": "x"}),
            Status.PIN_LOCKED,
            "fail",
        ),
        (
            httpx.Response(409, json={"error": "NotPayable", "message": "x"}),
            Status.NOT_PAYABLE,
            "fail",
        ),
        (paid("RESERVED"), Status.RESERVED, "ok"),
    ],
)
def test_other_payment_endings(answer: httpx.Response, status: Status, page: str) -> None:
    fake = FakeServer(link_page)
    fake.pay_answers = [answer]
    outcome = run(fake)
    assert outcome.status is status
    expected = f"{SVC}/ok#{TOKEN}_55" if page == "ok" else f"{SVC}/fail#{TOKEN}"
    assert outcome.final_url == expected


def test_unreachable_server_and_invalid_codes() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with HeadlessWallet(SERVER, "1", "1", transport=httpx.MockTransport(down)) as w:
        assert w.run("12345").status is Status.ERROR
        assert w.run("HTTP://SEQR.SE/000/ups").status is Status.INVALID_CODE
        assert w.run("SEQR-ACTION://WIZARD/CANCEL").status is Status.INVALID_CODE
        assert w.run("hello").status is Status.INVALID_CODE
