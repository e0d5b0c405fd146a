"""Metrics, request logs and probes of a real `openseqr serve` over HTTP (issue 10, item 5).

One SQLite server for the module (a 10 s acknowledgement window, so that one unacknowledged
payment is reversed while the test waits) and a notification receiver on 127.0.0.1 that answers
2xx on `/ok` and 410 (not retried) on `/gone`. Counts are compared as differences between two
scrapes, so the tests do not depend on each other's order. The PostgreSQL test runs
`--workers 2` and checks that whichever process answers `/metrics` reports both.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.wire import (
    ALICE,
    RESELLER,
    call,
    invoice,
    ok,
    pay,
    send,
    status,
    terminal,
)
from tests.fixtures_server import RunningServer
from tests.helpers import wait_until
from tests.support.metrics import Samples, delta, request_lines, scrape, value
from tests.support.servers import sqlite_served

pytestmark = pytest.mark.slow
CAROL = {"msisdn": "46700000003", "pin": "3333"}  # empty SEK account: her payments fail
PAY_ROUTE = "/api/app/v1/invoices/{reference}/pay"


class Receiver:
    """A merchant's notification endpoint: `/ok` answers 200, `/gone` 410."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                paths.append(self.path)
                self.send_response(200 if self.path == "/ok" else 410)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def got(self, path: str) -> int:
        return self.paths.count(path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from sqlite_served(tmp_path_factory, "obs", {"OPENSEQR_ACK_WINDOW_SECONDS": "10"})


def notified(url: str) -> str:
    return f"<notificationUrl>{url}</notificationUrl>"


def paid_and_acknowledged(srv: RunningServer, url: str) -> str:
    ref = send(srv, extra=notified(url))
    assert pay(srv, ref)["status"] == "PAID"
    st = ok(status(srv, ref))  # the acknowledgement
    ers = st.text("ersReference")
    assert ers
    return ers


def test_metrics_count_payments_notifications_and_reversals(
    srv: RunningServer, receiver: Receiver
) -> None:
    before = scrape(srv.client)
    ok_url, gone_url = receiver.url + "/ok", receiver.url + "/gone"
    ers = [paid_and_acknowledged(srv, ok_url) for _ in range(3)]
    paid_and_acknowledged(srv, gone_url)
    failing = send(srv)
    assert pay(srv, failing, CAROL)["status"] == "FAILED"
    ok(call(srv, "cancelInvoice", f"<invoiceReference>{send(srv)}</invoiceReference>"))
    refund = f"<ersReference>{ers[0]}</ersReference>" + invoice("1.00")
    ok(call(srv, "refundPayment", refund))
    unacknowledged = send(srv, extra=notified(ok_url))
    assert pay(srv, unacknowledged)["status"] == "PAID"

    def settled() -> Samples | None:
        now = scrape(srv.client)
        reversed_ = delta(before, now, "openseqr_ack_reversals_total") == 1
        done = receiver.got("/ok") >= 4 and receiver.got("/gone") >= 1
        pending = value(now, "openseqr_notifications_pending") == 0
        return now if reversed_ and done and pending else None

    after = wait_until(settled, timeout=60, interval=0.5, what="the reversal and deliveries")

    def d(name: str, **labels: str) -> float:
        return delta(before, after, name, **labels)

    payments = {o: d("openseqr_payments_total", outcome=o) for o in OUTCOMES}
    assert payments == {
        "paid": 5,
        "reserved": 0,
        "failed": 1,
        "cancelled": 1,
        "reversed": 1,
        "refunded": 1,
    }
    assert d("openseqr_soap_requests_total", operation="sendInvoice", result_code="0") == 7
    assert d("openseqr_soap_requests_total", operation="refundPayment", result_code="0") == 1
    assert d("openseqr_soap_request_duration_seconds_count", operation="sendInvoice") == 7
    assert d("openseqr_app_requests_total", route=PAY_ROUTE, status="200") == 6
    deliveries = {o: d("openseqr_notification_deliveries_total", outcome=o) for o in DELIVERIES}
    assert deliveries == {"delivered": 4, "retrying": 0, "failed": 1, "denied": 0}
    assert d("openseqr_notification_delay_seconds_count") == 4
    assert d("openseqr_load_shed_total") == 0
    # each delivery is an event and a metric; the HTTP client does not log it once more
    assert '"logger": "httpx"' not in srv.log()


OUTCOMES = ("paid", "reserved", "failed", "cancelled", "reversed", "refunded")
DELIVERIES = ("delivered", "retrying", "failed", "denied")


def test_a_soap_fault_and_an_unknown_route_are_counted_without_raw_paths(
    srv: RunningServer,
) -> None:
    before = scrape(srv.client)
    r = srv.soap("<not-xml")
    assert r.status_code == 500
    secret_path = "/api/app/v1/invoices/123/pay/extra-secret-9f2c"
    assert srv.client.post(secret_path, json={}).status_code in (404, 405)
    after = scrape(srv.client)
    assert delta(before, after, "openseqr_soap_requests_total", operation="unknown",
                 result_code="fault") == 1  # fmt: skip
    assert "extra-secret-9f2c" not in srv.client.get("/metrics").text
    assert "extra-secret-9f2c" not in srv.log()


REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def logged(srv: RunningServer, request_id: str) -> dict[str, Any]:
    """The request's log line (written just after its response was sent)."""

    def line() -> dict[str, Any] | None:
        found = [x for x in request_lines(srv.log()) if x["request_id"] == request_id]
        assert len(found) <= 1, found
        return found[0] if found else None

    found: dict[str, Any] = wait_until(line, timeout=10, what=f"the log line of {request_id}")
    return found


def test_a_request_id_is_echoed_or_made_and_logged_with_the_request(srv: RunningServer) -> None:
    given = "shop-4711.req:7f"
    r = srv.client.get("/health", headers={"X-Request-Id": given})
    assert r.status_code == 200 and r.headers["x-request-id"] == given
    made = {srv.client.get("/health").headers["x-request-id"] for _ in range(2)}
    assert len(made) == 2 and all(REQUEST_ID.fullmatch(i) for i in made)

    soap = ok(call(srv, "sendInvoice", invoice(), headers={"X-Request-Id": "till-9-send"}))
    assert soap.code == 0
    health, sent = logged(srv, given), logged(srv, "till-9-send")
    assert (health["method"], health["route"], health["status"]) == ("GET", "/health", 200)
    assert health["client"] == "127.0.0.1" and health["duration_ms"] >= 0
    assert (sent["route"], sent["soap_operation"], sent["soap_result_code"]) == (
        "/soap/merchant/cashregister-2",
        "sendInvoice",
        0,
    )


@pytest.mark.parametrize(
    "hostile",
    [b"x" * 129, b"<script>alert(1)</script>", b"id with spaces", "\u00e9t\u00e9".encode(), b"-x"],
    ids=["too-long", "markup", "spaces", "non-ascii", "leading-dash"],
)
def test_a_hostile_request_id_is_replaced(srv: RunningServer, hostile: bytes) -> None:
    r = srv.client.get("/health", headers=[(b"X-Request-Id", hostile)])
    assert r.status_code == 200
    made = r.headers["x-request-id"]
    assert REQUEST_ID.fullmatch(made)
    assert logged(srv, made)["route"] == "/health"
    if len(hostile) > 8:
        assert hostile.decode(errors="replace") not in srv.log()


def test_secrets_never_reach_the_log(srv: RunningServer) -> None:
    """Logins, payments with PINs and SOAP calls with passwords, right and wrong."""
    wrong_pin = "Pin-Never-Logged-5531"
    password = "Pw-Never-Logged-8817"
    wrong_password = "Pw-Wrong-Never-Logged-2290"
    api = srv.client
    assert api.post("/api/app/v1/login", json=ALICE).status_code == 200
    login = {"msisdn": "46700000002", "pin": wrong_pin}  # one wrong PIN each: no lockout
    assert api.post("/api/app/v1/login", json=login).status_code == 401
    ref = send(srv)
    wrong = {"msisdn": "46700000005", "pin": wrong_pin}
    assert api.post(f"/api/app/v1/invoices/{ref}/pay", json=wrong).status_code == 401
    assert pay(srv, ref)["status"] == "PAID"
    created = ok(
        call(
            srv,
            "registerTerminal",
            f"<externalTerminalId>obs</externalTerminalId><password>{password}</password>"
            "<name>obs till</name>",
            RESELLER,
        )
    )
    tid = created.text("terminalId")
    assert tid
    ok(call(srv, "sendInvoice", invoice(), terminal(tid, password)))
    assert call(srv, "sendInvoice", invoice(), terminal(tid, wrong_password)).code != 0
    log = srv.log()
    assert request_lines(log), "the request log is on by default"
    for secret in (wrong_pin, password, wrong_password):
        assert secret not in log
    for line in request_lines(log):
        assert not {"pin", "password", "body", "query"} & set(line)


def test_probes(srv: RunningServer) -> None:
    health = srv.client.get("/health")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = srv.client.get("/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


# -- several processes on PostgreSQL -----------------------------------------------------------
def _pay_once(srv: RunningServer) -> None:
    """One payment on a connection of its own, so the kernel may give it to either worker."""
    fresh = dataclasses.replace(srv)  # the same server, a new HTTP client
    try:
        ref = send(fresh)
        assert pay(fresh, ref)["status"] == "PAID"
    finally:
        fresh.client.close()


def _pids(srv: RunningServer, route: str) -> set[int]:
    return {line["pid"] for line in request_lines(srv.log()) if line.get("route") == route}


def _fresh_scrape(srv: RunningServer) -> tuple[Samples, str]:
    with httpx.Client(base_url=srv.url, timeout=30, headers={"Connection": "close"}) as c:
        rid = f"scrape-{uuid.uuid4().hex}"  # id(c) repeats once a client is freed
        return scrape(c, **{"X-Request-Id": rid}), rid


@pytest.mark.postgres
def test_metrics_sum_over_two_workers_on_postgres(
    fresh_postgres_url: str, server_factory: Callable[..., RunningServer]
) -> None:
    srv = server_factory(
        fresh_postgres_url,
        args=("--workers", "2"),
        extra_env={"OPENSEQR_ACK_WINDOW_SECONDS": "0"},
    )
    made = 0
    with ThreadPoolExecutor(4) as pool:
        while len(_pids(srv, PAY_ROUTE)) < 2 and made < 64:
            list(pool.map(lambda _: _pay_once(srv), range(8)))
            made += 8
    assert len(_pids(srv, PAY_ROUTE)) == 2, "the kernel gave every payment to one worker"

    answered_by: set[int] = set()
    for _ in range(40):
        samples, rid = _fresh_scrape(srv)
        assert value(samples, "openseqr_payments_total", outcome="paid") == made
        assert value(samples, "openseqr_app_requests_total", route=PAY_ROUTE, status="200") == made
        sends = value(samples, "openseqr_soap_requests_total", operation="sendInvoice",
                      result_code="0")  # fmt: skip
        assert sends == made
        answered_by.add(logged(srv, rid)["pid"])
        if len(answered_by) == 2:
            break
    assert len(answered_by) == 2, "every scrape went to the same worker"
    assert json.loads(srv.client.get("/ready").text) == {"status": "ok"}
