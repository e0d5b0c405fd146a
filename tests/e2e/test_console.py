"""The web console over HTTP against `openseqr serve` (SQLite, sandbox): CSRF on every form,
hostile input, a merchant's isolation from other merchants (like the SOAP API's 54), refunds,
redelivery, sessions and the sign-in lockout."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.routing import Route

from openseqr.cli.main import main
from openseqr.console.app import all_routes
from openseqr.console.pages import SECTIONS
from tests.e2e.wire import call, invoice, new_terminal, ok, pay, status
from tests.fixtures_server import RunningServer, start_server
from tests.helpers import free_port, wait_until
from tests.support.console import (
    MERCHANT,
    OPERATOR,
    ConsoleClient,
    Receiver,
    add_merchant,
    receiver,
    signed_in,
)

pytestmark = pytest.mark.slow
OTHER = ("other_shop/1", "other-password")


@pytest.fixture(scope="module")
def notified() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    work = tmp_path_factory.mktemp("console")
    server = start_server(
        f"sqlite:///{work / 'console.sqlite3'}", work,
        extra_env={"OPENSEQR_ACK_WINDOW_SECONDS": "0"},
    )  # fmt: skip
    add_merchant(server.database_url, "other_shop", OTHER[1])
    yield server
    server.stop()
    assert "Traceback" not in server.log()


def paid_invoice(srv: RunningServer, notify_url: str | None = None) -> str:
    extra = f"<notificationUrl>{notify_url}</notificationUrl>" if notify_url else ""
    ref = ok(call(srv, "sendInvoice", invoice("25.00", extra=extra))).text("invoiceReference")
    assert ref and pay(srv, ref)["status"] == "PAID"
    assert ok(status(srv, ref)).text("status") == "PAID"  # acknowledged
    return ref


def form_paths() -> list[str]:
    """Every POST route of the console, path parameters filled with a dummy value."""
    paths = [r.path for r in all_routes(SECTIONS) if isinstance(r, Route) and "POST" in r.methods]
    return ["/console" + re.sub(r"\{[^}]+\}", "0", p) for p in paths]


def test_the_console_has_forms() -> None:
    assert {"/console/login", "/console/logout", "/console/invoices/0/refund"} <= set(form_paths())


@pytest.mark.parametrize("who", [OPERATOR, MERCHANT])
def test_every_console_form_refuses_a_post_without_a_valid_csrf_token(
    srv: RunningServer, who: tuple[str, str]
) -> None:
    client, stranger = signed_in(srv.url, who), signed_in(srv.url, who)
    foreign = stranger.csrf()  # a valid token of another session
    for path in form_paths():
        for data in ({}, {"csrf": ""}, {"csrf": "forged"}, {"csrf": foreign}):
            r = client.post(path, {"amount": "1", "currency": "SEK", **data}, csrf=False)
            assert r.status_code == 403, (path, data, r.status_code)
            assert "Form refused" in r.text
    assert client.get("/console/invoices").status_code == 200  # still signed in
    anonymous = ConsoleClient(srv.url)
    r = anonymous.post("/console/login", {"login": who[0], "password": who[1]}, csrf=False)
    assert r.status_code == 403


HOSTILE_GETS = [
    "/console/invoices?reference=" + "9" * 10_000,
    "/console/invoices?state=PAID%00",
    "/console/invoices?state=%ff%fe",
    "/console/invoices?from=99999-01-01",
    "/console/invoices?from=0001-01-01",
    "/console/invoices?to=2026-02-30",
    "/console/invoices?before=garbage",
    "/console/invoices?before=2026-01-01T00:00:00~abc",
    "/console/invoices?before=2026-01-01T00:00:00~1",  # no zone
    "/console/invoices/%ff%fe%fd",
    "/console/invoices/" + "1" * 5000,
    "/console/invoices/..%2f..%2fetc%2fpasswd",
    "/console/audit?before=-1",
    "/console/audit?before=99999999999999999999999999",
    "/console/static/..%2f..%2fconsole%2fapp.py",
    "/console/no-such-page",
]


def test_hostile_input_answers_4xx_never_500(srv: RunningServer) -> None:
    client = signed_in(srv.url)
    for path in HOSTILE_GETS:
        r = client.get(path)
        assert 400 <= r.status_code < 500, (path, r.status_code)
        assert "Traceback" not in r.text
    token = client.csrf()
    ref = paid_invoice(srv)
    posts: list[dict[str, Any]] = [
        {"content": b"csrf=" + token.encode() + b"&amount=%ff%fe&currency=SEK"},
        {"content": b"csrf=" + token.encode() + b"&amount=\xff\xfe&currency=\xc0\xaf"},
        {"data": {"csrf": token, "amount": "1e999999", "currency": "SEK"}},
        {"data": {"csrf": token, "amount": "NaN", "currency": "SEK"}},
        {"data": {"csrf": token, "amount": "-5", "currency": "SEK"}},
        {"data": {"csrf": token, "amount": "1", "currency": "X" * 5000}},
        {"data": {"csrf": token, "amount": "1", "currency": "SEK", "big": "x" * 100_000}},
        {"data": {"csrf": token}, "files": {"upload": ("a.txt", b"hello")}},
    ]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for kw in posts:
        kw = {"headers": headers, **kw} if "content" in kw else kw
        r = client.http.post(f"/console/invoices/{ref}/refund", **kw)
        assert 400 <= r.status_code < 500, (kw.get("data", kw.get("content")), r.status_code)
    assert "Traceback" not in srv.log()


def test_a_merchant_never_sees_or_acts_on_another_merchants_objects(
    srv: RunningServer, notified: Receiver
) -> None:
    ref = paid_invoice(srv, notified.url)
    wait_until(lambda: notified.of(ref), timeout=15)
    operator = signed_in(srv.url)
    page = operator.get(f"/console/invoices/{ref}").text
    notification_id = re.search(r"/console/notifications/(\w+)/redeliver", page)
    assert notification_id, page
    nid = notification_id.group(1)

    other = signed_in(srv.url, OTHER)
    assert other.get(f"/console/invoices/{ref}").status_code == 404
    link = f'href="/console/invoices/{ref}"'
    assert link not in other.get("/console/invoices", params={"reference": ref}).text
    assert link not in other.get("/console/invoices").text
    assert link not in other.get("/console/notifications").text
    refund = other.post(f"/console/invoices/{ref}/refund", {"amount": "1", "currency": "SEK"})
    assert refund.status_code == 404
    assert other.post(f"/console/notifications/{nid}/redeliver", {}).status_code == 404
    for operator_only in ("/console/customers", "/console/settings", "/console/services"):
        assert other.get(operator_only).status_code == 404
    time.sleep(0.5)
    assert len(notified.of(ref)) == 1  # the forged redelivery sent nothing
    owner = signed_in(srv.url, MERCHANT)
    assert owner.get(f"/console/invoices/{ref}").status_code == 200
    assert link in owner.get("/console/invoices", params={"reference": ref}).text


def test_a_merchant_refunds_its_own_payment(srv: RunningServer) -> None:
    ref = paid_invoice(srv)
    merchant = signed_in(srv.url, MERCHANT)
    r = merchant.post(f"/console/invoices/{ref}/refund",
                      {"amount": "10.00", "currency": "SEK", "reason": "broken"})  # fmt: skip
    assert r.status_code == 303, r.text
    page = merchant.get(r.headers["location"]).text
    assert "Refund made." in page and "10.00 SEK" in page and "broken" in page
    assert re.search(r"<td>refund</td>.*?-10\.00 SEK", page, re.S), "refund ledger lines"
    audit = merchant.get("/console/audit").text
    assert "invoice.refund" in audit and ref in audit
    too_much = merchant.post(f"/console/invoices/{ref}/refund",
                             {"amount": "20.00", "currency": "SEK"})  # fmt: skip
    assert too_much.status_code == 400 and "refused" in too_much.text


def test_an_operator_redelivers_a_notification(srv: RunningServer, notified: Receiver) -> None:
    ref = paid_invoice(srv, notified.url)
    wait_until(lambda: notified.of(ref), timeout=15)
    operator = signed_in(srv.url)
    page = operator.get(f"/console/invoices/{ref}").text
    nid = re.search(r"/console/notifications/(\w+)/redeliver", page).group(1)  # type: ignore[union-attr]
    r = operator.post(f"/console/notifications/{nid}/redeliver", {"back": "invoice"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=redelivered")
    wait_until(lambda: len(notified.of(ref)) == 2, timeout=15)
    first, again = notified.of(ref)
    assert first == again  # the same body, deliveryId included
    assert "notification.redeliver" in operator.get("/console/audit").text
    assert "notification.redeliver" in signed_in(srv.url, MERCHANT).get("/console/audit").text
    assert "notification.redeliver" not in signed_in(srv.url, OTHER).get("/console/audit").text


def test_session_cookie_is_httponly_lax_and_secure_on_https(srv: RunningServer) -> None:
    client = ConsoleClient(srv.url)
    cookie = client.get("/console/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
    assert "secure" not in cookie
    https = client.get("/console/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in https.headers["set-cookie"].lower()


def test_signing_out_and_disabling_end_the_session(srv: RunningServer) -> None:
    cli = CliRunner()
    add = cli.invoke(main, ["operator", "add", "carol", "--database", srv.database_url],
                     input="carol-password\n")  # fmt: skip
    assert add.exit_code == 0, add.output
    carol = signed_in(srv.url, ("carol", "carol-password"))
    assert carol.get("/console/invoices").status_code == 200
    disable = cli.invoke(main, ["operator", "disable", "carol", "--database", srv.database_url])
    assert disable.exit_code == 0, disable.output
    r = carol.get("/console/invoices")
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    assert carol.login("carol", "carol-password").status_code == 401

    demo = signed_in(srv.url)
    assert demo.post("/console/logout", {}).status_code == 303
    assert demo.get("/console/invoices").status_code == 303


def test_sign_in_lockout_spares_the_operator_at_its_own_address(srv: RunningServer) -> None:
    cli = CliRunner()
    added = cli.invoke(main, ["operator", "add", "dora", "--database", srv.database_url],
                       input="dora-password\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    home = ConsoleClient(srv.url, local_address="127.0.0.2")
    assert home.login("dora", "dora-password").status_code == 303
    guesser = ConsoleClient(srv.url)  # 127.0.0.1
    answers = [guesser.login("dora", f"guess-{i}") for i in range(8)]
    assert all(a.status_code == 401 for a in answers)
    assert "wait and try again" in answers[-1].text
    assert guesser.login("dora", "dora-password").status_code == 401  # refused before the KDF
    again = ConsoleClient(srv.url, local_address="127.0.0.2")
    assert again.login("dora", "dora-password").status_code == 303


def test_only_a_sandbox_shows_the_demo_operator(srv: RunningServer, tmp_path: Path) -> None:
    assert "demo-operator" in ConsoleClient(srv.url).get("/console/login").text
    production = start_server(
        f"sqlite:///{tmp_path / 'prod.sqlite3'}", tmp_path, extra_env={"OPENSEQR_SANDBOX": "false"}
    )
    try:
        page = ConsoleClient(production.url).get("/console/login")
        assert page.status_code == 200 and "Sign in" in page.text
        assert "demo-operator" not in page.text and "Sandbox" not in page.text
        assert ConsoleClient(production.url).login(*OPERATOR).status_code == 401
    finally:
        production.stop()


def test_operator_accounts_on_the_command_line(srv: RunningServer) -> None:
    cli, db = CliRunner(), ["--database", srv.database_url]
    generated = cli.invoke(main, ["operator", "add", "erin", *db])
    assert generated.exit_code == 0, generated.output
    password = generated.output.rsplit(": ", 1)[1].strip()
    assert len(password) >= 16
    assert signed_in(srv.url, ("erin", password)).get("/console/audit").status_code == 200
    listed = cli.invoke(main, ["operator", "list", *db]).output
    assert re.search(r"^erin\tactive", listed, re.M) and password not in listed
    assert cli.invoke(main, ["operator", "add", "erin", *db]).exit_code == 1
    assert cli.invoke(main, ["operator", "add", "bad/name", *db]).exit_code == 1
    assert cli.invoke(main, ["operator", "remove", "erin", *db]).exit_code == 0
    assert "erin" not in cli.invoke(main, ["operator", "list", *db]).output
    assert ConsoleClient(srv.url).login("erin", password).status_code == 401
    assert cli.invoke(main, ["operator", "remove", "erin", *db]).exit_code == 1


@pytest.mark.postgres
def test_console_search_detail_and_refund_on_postgresql(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    server = start_server(
        fresh_postgres_url, tmp_path, extra_env={"OPENSEQR_ACK_WINDOW_SECONDS": "0"}
    )
    try:
        ref = paid_invoice(server)
        operator = signed_in(server.url)
        for query in (
            {"reference": ref},
            {"state": "paid"},
            {"terminal": "public_test_shop_terminal"},
        ):
            page = operator.get("/console/invoices", params=query).text
            assert f'href="/console/invoices/{ref}"' in page, query
        merchant = signed_in(server.url, MERCHANT)
        r = merchant.post(f"/console/invoices/{ref}/refund", {"amount": "5", "currency": "SEK"})
        assert r.status_code == 303, r.text
        assert "-5.00 SEK" in operator.get(f"/console/invoices/{ref}").text
        assert "invoice.refund" in operator.get("/console/audit").text
    finally:
        server.stop()
    assert "Traceback" not in server.log()


@pytest.mark.postgres
def test_sessions_hold_across_server_processes(fresh_postgres_url: str, tmp_path: Path) -> None:
    """`--workers 2`: every process signs and checks cookies with the key kept in the database,
    so a login form from one process posts to the other and a session works on both."""
    server = start_server(fresh_postgres_url, tmp_path, args=("--workers", "2"))
    try:
        for _ in range(6):
            fresh = ConsoleClient(server.url)
            fresh.http.headers["Connection"] = "close"  # each request may meet either process
            assert fresh.login(*OPERATOR).status_code == 303
            assert all(fresh.get("/console/invoices").status_code == 200 for _ in range(5))
    finally:
        server.stop()
    assert "Traceback" not in server.log()


def test_failing_notifications_are_listed_for_their_merchant_and_redelivered(
    srv: RunningServer,
) -> None:
    tid, ctx = new_terminal(srv)  # the sandbox shop's, one attempt per notification (D-03)
    cli = CliRunner().invoke(main, ["terminal", "set", tid, "--notify-retries", "0",
                                    "--database", srv.database_url])  # fmt: skip
    assert cli.exit_code == 0, cli.output
    dead = f"http://127.0.0.1:{free_port()}/notify"  # nothing listens there
    extra = f"<notificationUrl>{dead}</notificationUrl>"
    ref = ok(call(srv, "sendInvoice", invoice("7.00", extra=extra), ctx)).text("invoiceReference")
    assert ref and pay(srv, ref)["status"] == "PAID"
    operator, owner = signed_in(srv.url), signed_in(srv.url, MERCHANT)
    link = f'href="/console/invoices/{ref}"'

    def failing(client: ConsoleClient) -> str:
        page = client.get("/console/notifications").text
        return page.split("<h2>Pending</h2>")[0]

    wait_until(lambda: link in failing(operator), timeout=20, what="a failed delivery")
    assert link in failing(owner)
    other = signed_in(srv.url, OTHER)
    assert link not in other.get("/console/notifications").text
    row = failing(operator).split(link)[1]
    nid = re.search(r"/console/notifications/(\w+)/redeliver", row).group(1)  # type: ignore[union-attr]
    assert other.post(f"/console/notifications/{nid}/redeliver", {}).status_code == 404
    r = owner.post(f"/console/notifications/{nid}/redeliver", {})
    assert r.status_code == 303 and r.headers["location"].endswith("done=redelivered")

    def attempts_once_failed_again() -> bool:
        rows = failing(operator).split(link)  # pending while the new attempt is due
        return len(rows) == 2 and "2 / 2" in rows[1].split("</tr>")[0]

    wait_until(attempts_once_failed_again, timeout=20, what="the second attempt")
