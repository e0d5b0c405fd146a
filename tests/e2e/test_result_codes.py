"""Every result code of spec 11.1 that the merchant operations can produce, reached over HTTP.

One table: code → a scenario against a running `openseqr serve`. Two module-scoped servers on
SQLite: `main` (default settings) and `special` (a slow account provider for 48/51, short
session lifetime for 60, at most one SOAP request in flight for 93). Operator switches (33, 94,
97, 99) go through the real CLI. A few representative codes also run on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner

from openseqr.cli.main import main as cli
from openseqr.protocol.result_codes import ResultCode
from tests.e2e.wire import (
    ALICE,
    RESELLER,
    TERMINAL,
    Result,
    amount,
    call,
    context,
    invoice,
    new_terminal,
    ok,
    paid,
    pay,
    send,
    status,
)
from tests.fixtures_server import RunningServer
from tests.support.app_login import scan_as
from tests.support.cli import register_parking
from tests.support.servers import sqlite_served

PROVIDER_LATENCY = 2.0
SPECIAL_ENV = {
    "OPENSEQR_PROVIDER_LATENCY_SECONDS": str(PROVIDER_LATENCY),
    "OPENSEQR_SESSION_LIFETIME_MINUTES": "0.02",  # 1.2 s
    "OPENSEQR_MAX_INFLIGHT": "1",
}


@pytest.fixture(scope="module")
def main(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from sqlite_served(tmp_path_factory, "codes-main")


@pytest.fixture(scope="module")
def special(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from sqlite_served(tmp_path_factory, "codes-special", SPECIAL_ENV)


def admin(server: RunningServer, *args: str) -> str:
    """`openseqr ARGS --database <the server's database>` through the real click command."""
    result = CliRunner().invoke(cli, [*args, "--database", server.database_url])
    assert result.exit_code == 0, result.output
    return result.output


def ref_xml(ref: str) -> str:
    return f"<invoiceReference>{ref}</invoiceReference>"


def open_session(server: RunningServer, confirm: bool = True) -> str:
    code = f"HTTP://SEQR.SE/000/{register_parking(server.database_url, 'codes')}?zone=5"
    r = scan_as(server.client, ALICE, {"code": code, "confirm_identity": confirm})
    assert r.status_code == 200, r.text
    session = r.json()["session"]
    assert session["state"] == ("ACTIVE" if confirm else "IN_PROGRESS")
    return session["token"]


def session_info(server: RunningServer, token: str) -> Result:
    return call(server, "getClientSessionInfo", f"<key>{token}</key>")


def while_paying(server: RunningServer, ref: str, action: Callable[[], Result]) -> Result:
    """Run `action` while the (slow) account provider processes a payment of `ref`."""
    outcome: dict[str, Any] = {}

    def pay_it() -> None:
        outcome["pay"] = server.app("POST", f"/invoices/{ref}/pay", json=ALICE)

    worker = threading.Thread(target=pay_it)
    worker.start()
    time.sleep(PROVIDER_LATENCY / 4)
    try:
        return action()
    finally:
        worker.join(PROVIDER_LATENCY * 5)
        assert outcome["pay"].status_code == 200 and outcome["pay"].json()["status"] == "PAID"


# -- the scenarios --------------------------------------------------------------------------
def c0(s: RunningServer) -> Result:
    return call(s, "benchmarkingNop", ctx=None)


def c2(s: RunningServer) -> Result:
    """A per-terminal report of a period that was not marked for that terminal (D-34c)."""
    period = ok(call(s, "markTransactionPeriod", "", RESELLER)).text("transactionPeriodId")
    params = (
        "<parameters><parameter>"
        f"<entry><key>transactionPeriodId</key><value>{period}</value></entry>"
        "<entry><key>TERMINALID</key><value>public_test_shop_terminal</value></entry>"
        "</parameter></parameters>"
    )
    return call(
        s,
        "executeReport",
        "<reportId>Reconciliation/STD_RECON_006.xml</reportId>" + params,
        RESELLER,
    )


def c11(s: RunningServer) -> Result:
    return call(s, "sendInvoice", invoice("0.00"))


def c11_commit(s: RunningServer) -> Result:
    ref = send(s, "20.00", mode="RESERVATION_REQUIRED")
    assert pay(s, ref)["status"] == "RESERVED"
    return call(s, "commitReservation", amount("25.00", tag="amount") + ref_xml(ref))


def c20(s: RunningServer) -> Result:
    return call(
        s,
        "sendInvoice",
        invoice(),
        context("public_test_shop_terminal", "TERMINALID", "wrong-password"),
    )


def c21(s: RunningServer) -> Result:
    return call(
        s,
        "registerTerminal",
        "<externalTerminalId>x</externalTerminalId><password>secret1</password><name>x</name>",
        TERMINAL,
    )


def c22(s: RunningServer) -> Result:
    return call(
        s,
        "registerTerminal",
        "<externalTerminalId>x</externalTerminalId><password>abc</password><name>x</name>",
        RESELLER,
    )


def c23(s: RunningServer) -> Result:
    return call(
        s,
        "refundPayment",
        "<ersReference>2015122512351234501000123</ersReference>" + invoice("1.00"),
    )


def c29(s: RunningServer) -> Result:
    return call(s, "sendInvoice", invoice(), context("no-such-terminal", "TERMINALID", "12345678"))


def c33(s: RunningServer) -> Result:
    tid, ctx = new_terminal(s)
    assert "BLOCKED" in admin(s, "terminal", "block", tid)
    return call(s, "sendInvoice", invoice(), ctx)


def c37(s: RunningServer) -> Result:
    return call(
        s, "markTransactionPeriod", "", context("public_test_shop", "RESELLERUSER", "1234", "0000")
    )


def c48(s: RunningServer) -> Result:
    ref = send(s)
    return while_paying(
        s,
        ref,
        lambda: call(
            s, "updateInvoice", ref_xml(ref) + "<invoice><title>changed</title></invoice>"
        ),
    )


def c49(s: RunningServer) -> Result:
    return call(s, "sendInvoice", invoice(currency="XYZ"))


def c49_commit_timeout_beyond_any_date(s: RunningServer) -> Result:
    """Once accepted, every pay of it failed (a commit deadline past year 9999)."""
    timeout = "<commitReservationTimeout>99999999999999</commitReservationTimeout>"
    return call(s, "sendInvoice", invoice(mode="RESERVATION_DESIRED", extra=timeout))


def c49_issue_date_before_any_zone(s: RunningServer) -> Result:
    return call(s, "sendInvoice", invoice(extra="<issueDate>0001-01-01T00:00:00</issueDate>"))


def c49_script_back_url(s: RunningServer) -> Result:
    """The app would open it: javascript:, vbscript: and data: are refused."""
    return call(s, "sendInvoice", invoice(extra="<backURL>javascript:alert(1)</backURL>"))


def c49_script_back_url_on_update(s: RunningServer) -> Result:
    ref = send(s)
    back = "<invoice><backURL>JavaScript:alert(document.cookie)</backURL></invoice>"
    return call(s, "updateInvoice", ref_xml(ref) + back)


def c50(s: RunningServer) -> Result:
    ref, _ = paid(s)
    return call(s, "cancelInvoice", ref_xml(ref))


def c51(s: RunningServer) -> Result:
    ref = send(s)
    return while_paying(s, ref, lambda: call(s, "cancelInvoice", ref_xml(ref)))


def c53(s: RunningServer) -> Result:
    return call(s, "assignSeqrId", "<seqrId>not alphanumeric!</seqrId>")


def c54(s: RunningServer) -> Result:
    return status(s, "20000101000000000")


def _expired_reservation(s: RunningServer, compat: bool) -> Result:
    ref = send(
        s,
        "30.00",
        mode="RESERVATION_REQUIRED",
        extra="<commitReservationTimeout>1</commitReservationTimeout>",
    )
    assert pay(s, ref)["status"] == "RESERVED"
    deadline = time.monotonic() + 10
    while status(s, ref).text("status") != "CANCELED":  # the worker releases it
        assert time.monotonic() < deadline, "the reservation never expired"
        time.sleep(0.2)
    headers = {"X-OpenSEQR-Compat": "2015"} if compat else None
    return call(s, "commitReservation", ref_xml(ref), headers=headers)


def c58(s: RunningServer) -> Result:
    return _expired_reservation(s, compat=True)


def c96_expired(s: RunningServer) -> Result:
    """D-15: without the opt-in header an expired reservation is plain 96."""
    return _expired_reservation(s, compat=False)


def c60(s: RunningServer) -> Result:
    token = open_session(s)
    ok(session_info(s, token))
    time.sleep(1.5)
    return session_info(s, token)


def c61(s: RunningServer) -> Result:
    token = open_session(s)
    assert s.app("POST", f"/sessions/{token}/cancel").json()["state"] == "CANCELLED"
    return session_info(s, token)


def c62(s: RunningServer) -> Result:
    token = open_session(s, confirm=False)
    result = session_info(s, token)
    login = s.app("POST", "/login", json=ALICE).json()  # only the customer confirms
    auth = {"Authorization": f"Bearer {login['token']}"}
    confirmed = s.app("POST", f"/sessions/{token}/confirm", headers=auth)
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "ACTIVE"
    ok(session_info(s, token))  # after the app confirmed: SUCCESS
    return result


def c63(s: RunningServer) -> Result:
    return session_info(s, "0000000000-00000000")


def c64(s: RunningServer) -> Result:
    return call(
        s, "sendInvoice", invoice(extra="<notificationUrl>ftp://x.example/n</notificationUrl>")
    )


def c90(s: RunningServer) -> Result:
    ref, _ = paid(s)
    return call(s, "updateInvoice", ref_xml(ref) + "<invoice><title>late</title></invoice>")


def c91(s: RunningServer) -> Result:
    return call(s, "requestTopup", amount("1.00", tag="amount"))


def c93(s: RunningServer) -> Result:
    """Requests at once while one is being worked on: registerTerminal hashes its password off
    the event loop, holding the only slot, and the others answer 93. (A client still sending
    its body holds no slot: tests/e2e/test_edge_limits.py.)"""
    inner = (
        "<externalTerminalId>busy</externalTerminalId><password>pw-1234</password><name>b</name>"
    )
    results: list[Result] = []

    def register() -> None:
        results.append(call(s, "registerTerminal", inner, RESELLER))

    for _ in range(5):  # bounded: a few rounds of eight at once
        threads = [threading.Thread(target=register) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        if any(r.code == 93 for r in results):
            break
    ok(call(s, "benchmarkingNop", ctx=None))  # the slot is free again
    return next((r for r in results if r.code == 93), results[0])


def c94(s: RunningServer) -> Result:
    _, ers = paid(s)
    admin(s, "provider", "set", "unavailable")
    try:
        return call(s, "refundPayment", f"<ersReference>{ers}</ersReference>" + invoice("1.00"))
    finally:
        admin(s, "provider", "set", "ok")


def c95(s: RunningServer) -> Result:
    ref = send(s)
    ok(call(s, "cancelInvoice", ref_xml(ref)))
    return call(s, "cancelInvoice", ref_xml(ref))


def c96(s: RunningServer) -> Result:
    return call(s, "commitReservation", ref_xml(send(s)))


def _refund_with(s: RunningServer, flag: str) -> Result:
    _, ers = paid(s)
    admin(s, "reseller", "set", "public_test_shop", f"--no-{flag}")
    try:
        return call(s, "refundPayment", f"<ersReference>{ers}</ersReference>" + invoice("1.00"))
    finally:
        admin(s, "reseller", "set", "public_test_shop", f"--{flag}")


def c97(s: RunningServer) -> Result:
    return _refund_with(s, "refunds-allowed")


def c98(s: RunningServer) -> Result:
    _, ers = paid(s, "10.00")
    ok(call(s, "refundPayment", f"<ersReference>{ers}</ersReference>" + invoice("6.00")))
    return call(s, "refundPayment", f"<ersReference>{ers}</ersReference>" + invoice("5.00"))


def c99(s: RunningServer) -> Result:
    return _refund_with(s, "receiver-allows-refunds")


@dataclass(frozen=True)
class Case:
    code: int
    scenario: Callable[[RunningServer], Result]
    server: str = "main"

    @property
    def id(self) -> str:
        name = self.scenario.__name__
        return f"{self.code}-{name}" if name != f"c{self.code}" else str(self.code)


CASES = [
    Case(0, c0),
    Case(2, c2),
    Case(11, c11),
    Case(11, c11_commit),
    Case(20, c20),
    Case(21, c21),
    Case(22, c22),
    Case(23, c23),
    Case(29, c29),
    Case(33, c33),
    Case(37, c37),
    Case(48, c48, "special"),
    Case(49, c49),
    Case(49, c49_commit_timeout_beyond_any_date),
    Case(49, c49_issue_date_before_any_zone),
    Case(49, c49_script_back_url),
    Case(49, c49_script_back_url_on_update),
    Case(50, c50),
    Case(51, c51, "special"),
    Case(53, c53),
    Case(54, c54),
    Case(58, c58),
    Case(96, c96_expired),
    Case(60, c60, "special"),
    Case(61, c61),
    Case(62, c62),
    Case(63, c63),
    Case(64, c64),
    Case(90, c90),
    Case(91, c91),
    Case(93, c93, "special"),
    Case(94, c94),
    Case(95, c95),
    Case(96, c96),
    Case(97, c97),
    Case(98, c98),
    Case(99, c99),
]
REQUIRED = {
    0,
    2,
    11,
    20,
    21,
    22,
    23,
    29,
    33,
    37,
    48,
    49,
    50,
    51,
    53,
    54,
    58,
    60,
    61,
    62,
    63,
    64,
    90,
    91,
    93,
    94,
    95,
    96,
    97,
    98,
    99,
}


def test_the_table_covers_every_code() -> None:
    assert {c.code for c in CASES} == REQUIRED


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_result_code(case: Case, request: pytest.FixtureRequest) -> None:
    server: RunningServer = request.getfixturevalue(case.server)
    result = case.scenario(server)
    assert result.code == case.code, (result.code, result.description)
    assert result.description == ResultCode(case.code).name


def test_wrong_passwords_are_throttled(main: RunningServer) -> None:
    """Security: after repeated wrong passwords even the right one gets 20 for a while."""
    tid, good = new_terminal(main)
    bad = context(tid, "TERMINALID", "not-the-password")
    for _ in range(6):
        assert call(main, "sendInvoice", invoice(), bad).code == 20
    refused = call(main, "sendInvoice", invoice(), good)
    assert (refused.code, refused.description) == (20, "AUTHENTICATION_FAILED")
    deadline = time.monotonic() + 10
    while (result := call(main, "sendInvoice", invoice(), good)).code == 20:
        assert time.monotonic() < deadline, "the throttle never released the principal"
        time.sleep(0.5)
    ok(result)
    # the throttle is per address and principal: the public terminal, known at this
    # address, was never affected
    ok(call(main, "sendInvoice", invoice()))


# -- representative codes on PostgreSQL -----------------------------------------------------
PG_CASES = [
    Case(0, c0),
    Case(20, c20),
    Case(54, c54),
    Case(50, c50),
    Case(95, c95),
    Case(98, c98),
    Case(62, c62),
]


@pytest.mark.postgres
def test_representative_codes_on_postgres(
    fresh_postgres_url: str, server_factory: Callable[..., RunningServer]
) -> None:
    # (fixture order matters: the server stops before its database is dropped)
    server = server_factory(fresh_postgres_url)
    for case in PG_CASES:
        result = case.scenario(server)
        assert (result.code, result.description) == (case.code, ResultCode(case.code).name), case
    assert "Traceback" not in server.log()
