"""The operator CLI (`openseqr terminal|reseller|provider|customer|notifications`) through the real
click commands, on the SQLite database of a running server, with the effects checked over HTTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from openseqr.cli.main import main as cli
from tests.e2e.wire import call, invoice, new_terminal, ok, pay, send, status
from tests.fixtures_server import RunningServer, start_server
from tests.support.app_login import login_headers
from tests.support.servers import sqlite_served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from sqlite_served(tmp_path_factory, "admin-cli")


def run(server: RunningServer, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, [*args, "--database", server.database_url])
    assert result.exit_code == code, result.output
    return result


def as_json(server: RunningServer, *args: str) -> Any:
    return json.loads(run(server, *args, "--json").output)


def test_terminal_list_show_and_secrets_never_printed(server: RunningServer) -> None:
    table = run(server, "terminal", "list").output
    assert table.splitlines()[0].split()[:3] == ["TERMINAL_ID", "KIND", "STATUS"]
    assert "public_test_shop_terminal" in table
    rows = as_json(server, "terminal", "list", "--reseller", "public_test_shop")
    assert any(r["terminal_id"] == "public_test_shop_terminal" for r in rows)
    shown = as_json(server, "terminal", "show", "public_test_shop_terminal")
    assert shown["kind"] == "ONLINE" and shown["password_set"] is True
    assert "password_hash" not in shown and "argon2" not in json.dumps(rows)
    assert "no terminal 'nope'" in run(server, "terminal", "show", "nope", code=1).output
    assert "no reseller" in run(server, "terminal", "list", "--reseller", "nope", code=1).output


def test_terminal_block_unblock_and_set(server: RunningServer) -> None:
    tid, ctx = new_terminal(server)
    assert "BLOCKED" in run(server, "terminal", "block", tid).output
    assert call(server, "sendInvoice", invoice(), ctx).code == 33
    assert "ACTIVE" in run(server, "terminal", "unblock", tid).output
    ok(call(server, "sendInvoice", invoice(), ctx))

    changed = as_json(
        server,
        "terminal",
        "set",
        tid,
        "--notify-retries",
        "0",
        "--notify-secret",
        "s3cret",
        "--strict-rows",
        "--ack-mode",
        "require_acknowledgment",
    )
    assert (
        changed["notify_retries"],
        changed["notify_secret_set"],
        changed["strict_rows"],
        changed["ack_mode_default"],
    ) == (0, True, True, "REQUIRE_ACKNOWLEDGMENT")
    assert "s3cret" not in run(server, "terminal", "show", tid).output
    # strict rows (D-20): rows that do not add up to the total are now 49
    rows = (
        "<invoiceRows><invoiceRow><itemTotalAmount><currency>SEK</currency><value>1.00"
        "</value></itemTotalAmount></invoiceRow></invoiceRows>"
    )
    assert call(server, "sendInvoice", invoice("10.00", extra=rows), ctx).code == 49
    # the default acknowledgment mode now applies: a paid invoice waits for the merchant
    ref = send(server, ctx=ctx)
    assert status(server, ref, ctx).text("status") == "ISSUED"
    alice = login_headers(server.client, {"msisdn": "46700000001", "pin": "1111"})
    viewed = server.app("GET", f"/invoices/{ref}", headers=alice).json()
    assert viewed["status"] == "PENDING_ISSUER_ACKNOWLEDGE"

    back = as_json(server, "terminal", "set", tid, "--no-strict-rows", "--notify-secret", "")
    assert (back["strict_rows"], back["notify_secret_set"]) == (False, False)
    assert "retries" in run(server, "terminal", "set", tid, "--notify-retries", "-1", code=2).output
    run(server, "terminal", "set", tid, "--ack-mode", "SOMETIMES", code=2)
    ok(call(server, "unregisterTerminal", "", ctx))
    assert "unregistered" in run(server, "terminal", "unblock", tid, code=1).output


def test_reseller_show_and_set(server: RunningServer) -> None:
    shown = run(server, "reseller", "show", "public_test_shop").output
    assert "refunds_allowed" in shown and "password_set" in shown and "argon2" not in shown
    changed = as_json(
        server,
        "reseller",
        "set",
        "public_test_shop",
        "--currencies",
        "sek, eur",
        "--no-refunds-allowed",
        "--no-receiver-allows-refunds",
    )
    assert changed["currencies"] == ["SEK", "EUR"]
    assert (changed["refunds_allowed"], changed["receiver_allows_refunds"]) == (False, False)
    try:
        assert call(server, "sendInvoice", invoice(currency="USD")).code == 49
    finally:
        restored = as_json(
            server,
            "reseller",
            "set",
            "public_test_shop",
            "--currencies",
            "SEK,EUR,USD",
            "--refunds-allowed",
            "--receiver-allows-refunds",
        )
    assert restored["currencies"] == ["SEK", "EUR", "USD"] and restored["refunds_allowed"]
    ok(call(server, "sendInvoice", invoice(currency="USD")))
    run(server, "reseller", "set", "public_test_shop", "--currencies", "kronor", code=1)
    run(server, "reseller", "show", "nope", code=1)


def test_provider_switch(server: RunningServer) -> None:
    assert run(server, "provider", "set", "decline").output.strip() == "account provider: decline"
    try:
        assert run(server, "provider", "show").output.strip() == "account provider: decline"
        ref = send(server)
        assert pay(server, ref)["status"] == "FAILED"
        run(server, "provider", "set", "unavailable")
        ref = send(server)
        r = server.app(
            "POST", f"/invoices/{ref}/pay", json={"msisdn": "46700000001", "pin": "1111"}
        )
        assert r.status_code == 503
    finally:
        run(server, "provider", "set", "OK")
    assert pay(server, send(server))["status"] == "PAID"
    run(server, "provider", "set", "maybe", code=2)


def test_customers(server: RunningServer) -> None:
    listed = run(server, "customer", "list").output
    assert "46700000001" in listed and "Alice Andersson" in listed
    rows = {c["msisdn"]: c for c in as_json(server, "customer", "list")}
    assert rows["46700000004"]["provider_mode"] == "decline"
    assert "pin_hash" not in rows["46700000001"]

    run(server, "customer", "set-mode", "+46700000002", "decline")
    ref = send(server)
    bob = {"msisdn": "46700000002", "pin": "2222"}
    assert pay(server, ref, bob)["status"] == "FAILED"
    run(server, "customer", "set-mode", "0046700000002", "ok")
    assert pay(server, send(server), bob)["status"] == "PAID"

    carol = "46700000003"
    for n in (2, 3, 4):  # from three addresses: one address alone is refused first
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{n}")
        with httpx.Client(transport=transport, base_url=server.url) as other:
            other.post("/api/app/v1/wallet", json={"msisdn": carol, "pin": "0000"})
    locked = server.app("POST", "/wallet", json={"msisdn": carol, "pin": "3333"})
    assert locked.status_code == 423
    assert {c["msisdn"]: c for c in as_json(server, "customer", "list")}[carol]["locked"]
    assert "unlocked" in run(server, "customer", "unlock", carol).output
    assert server.app("POST", "/wallet", json={"msisdn": carol, "pin": "3333"}).status_code == 200
    run(server, "customer", "unlock", "46799999999", code=1)


class _Receiver(BaseHTTPRequestHandler):
    """Fails the first notification, accepts the rest."""

    hits: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).hits.append(body)
        self.send_response(503 if len(type(self).hits) == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/notify?order=1"
    httpd.shutdown()
    httpd.server_close()


def _wait_for(server: RunningServer, ref: str, state: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        rows = as_json(server, "notifications", "list", "--invoice", ref)
        if rows and rows[0]["status"] == state:
            return rows[0]
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)


def test_notifications_list_show_redeliver(server: RunningServer, receiver: str) -> None:
    tid, ctx = new_terminal(server)
    run(server, "terminal", "set", tid, "--notify-retries", "0")  # one attempt (D-03)
    ref = send(
        server,
        ctx=ctx,
        extra=f"<notificationUrl>{receiver.replace('&', '&amp;')}</notificationUrl>",
    )
    assert pay(server, ref)["status"] == "PAID"
    failed = _wait_for(server, ref, "failed")
    assert (failed["attempts"], failed["max_attempts"], failed["last_error"]) == (1, 1, "HTTP 503")
    nid = failed["notification_id"]
    table = run(server, "notifications", "list", "--invoice", ref).output
    assert nid in table and "failed" in table
    detail = as_json(server, "notifications", "show", nid)
    assert detail["url"] == receiver and f"invoiceReference={ref}" in detail["body"]
    assert [a["status_code"] for a in detail["attempt_log"]] == [503]
    assert "attempt_log:" in run(server, "notifications", "show", nid).output

    out = run(server, "notifications", "redeliver", nid).output
    assert "pending again (attempt 2 of 2)" in out
    delivered = _wait_for(server, ref, "delivered")
    assert delivered["attempts"] == 2
    assert len(_Receiver.hits) == 2 and _Receiver.hits[0] == _Receiver.hits[1]
    log = as_json(server, "notifications", "show", nid)["attempt_log"]
    assert [a["status_code"] for a in log] == [503, 200]
    run(server, "notifications", "redeliver", "nope", code=1)
    assert run(server, "notifications", "list", "--invoice", "0").output.strip() == "(none)"


def test_cli_as_a_subprocess_with_the_environment_variable(server: RunningServer) -> None:
    """`OPENSEQR_DATABASE_URL` selects the database, as for `openseqr serve`."""
    import os

    env = {**os.environ, "OPENSEQR_DATABASE_URL": server.database_url}
    out = subprocess.run(
        [sys.executable, "-m", "openseqr", "customer", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert len(json.loads(out)) == 5


def test_serve_takes_its_address_and_public_url_from_the_environment(tmp_path: Path) -> None:
    server = start_server(
        f"sqlite:///{tmp_path / 'env.sqlite3'}",
        tmp_path,
        extra_env={"OPENSEQR_PUBLIC_URL": "https://pay.example/", "PYTHONUNBUFFERED": "1"},
        address_in_env=True,
    )  # it answered /health on OPENSEQR_PORT, or start_server had raised
    try:
        assert "(SOAP: https://pay.example/soap/merchant/cashregister-2?wsdl)" in server.log()
    finally:
        server.stop()
