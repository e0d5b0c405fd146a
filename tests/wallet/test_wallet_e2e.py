"""The headless wallet against a real `openseqr serve` (SQLite and PostgreSQL) and a fake External
Service: AT-ES (spec 13.7) paths — success with `#TOKEN_<ref>`, decline → Failure URL, customer
cancel → Cancel URL, SEQR-ACTION://WIZARD/CANCEL → token 61 — for every trigger kind, plus the
`openseqr wallet` CLI's exit codes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from click.testing import CliRunner

from openseqr.cli.main import main
from openseqr.protocol import messages as m
from openseqr.protocol import urls
from openseqr.protocol.types import Amount, ClientContext, Invoice, PrincipalId
from openseqr.wallet import HeadlessWallet, Status
from tests.fixtures_server import RunningServer
from tests.support.cli import register_service
from tests.wallet.fake_service import TERMINAL_ID, FakeService

pytestmark = pytest.mark.slow

ALICE = ("46700000001", "1111")
BOB = ("46700000002", "2222")
CAROL = ("46700000003", "3333")  # empty SEK account
DAVE = ("46700000004", "4444")  # the bank declines
RESULT_CODE_CANCELLED = 61

TRIGGERS = {  # variant -> how the wallet met the trigger
    "link": "link",
    "redirect": "redirect",
    "form": "form>redirect",
    "formpage": "form>link",
    "formmeta": "form>refresh",
    "formjson": "form>json",
}


def wallet(srv: RunningServer, who: tuple[str, str] = ALICE, **kw: object) -> HeadlessWallet:
    return HeadlessWallet(srv.url, *who, **kw)  # type: ignore[arg-type]


def fragment(url: str) -> str:
    return url.partition("#")[2]


def visited(outcome, fake: FakeService, variant: str, page: str) -> str:  # type: ignore[no-untyped-def]
    base = fake.urls(variant)[page]
    hits = [v.url for v in outcome.visits if v.url.split("#")[0] == base]
    assert hits, f"{page} URL not visited: {[v.url for v in outcome.visits]}"
    return hits[-1]


@pytest.mark.parametrize("variant", list(TRIGGERS))
def test_service_payment_succeeds_for_every_trigger_kind(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str], variant: str
) -> None:
    notified = len(fake.notifications)
    with wallet(srv) as w:
        before = w.balances()["SEK"]
        outcome = w.run(f"HTTP://SEQR.SE/000/{service_ids[variant]}?zone=5")
        after = w.balances()["SEK"]

    assert outcome.status is Status.PAID, outcome.as_dict()
    assert outcome.kind == "service" and outcome.trigger == TRIGGERS[variant]
    token, ref = outcome.session.token, outcome.reference
    assert urls.is_session_token(token)
    # ES-3: the Order URL with #TOKEN is the first page; the server never sees the fragment
    assert outcome.visits[0].url == f"{fake.urls(variant)['order']}#{token}"
    assert all("#" not in url for _, url, _ in fake.log)
    # ES-13 / D-04: the Success URL carries TOKEN_<invoiceReference>, and is the last page
    success = visited(outcome, fake, variant, "success")
    assert fragment(success) == f"{token}_{ref}"
    assert urls.parse_service_fragment(fragment(success)) == (token, ref)
    assert outcome.final_url == success and outcome.final_status_code == 200
    assert "<h1 id='result'>success</h1>" in (outcome.final_html or "")
    amount = Decimal("40.00") if variant.startswith("form") else Decimal("20.00")
    assert outcome.invoice.amount == amount and before - after == amount
    if variant.startswith("form"):  # ES-4/5: the backend resolved the token from the form
        code, params = fake.session_info[-1]
        assert code == 0
        assert params["msisdn"] == ALICE[0] and params["authKey"] == token
        assert params["zone"] == "5" and params["subscriberKey"]
        posted = [
            form
            for method, url, form in fake.log
            if method == "POST" and url.endswith(f"/{variant}/order")
        ]
        assert posted[-1]["token"] == token and posted[-1]["hours"] == "2"
    # ES-11/12: the notification reached the backend, whose getPaymentStatus saw PAID
    deadline = time.monotonic() + 10
    while len(fake.notifications) <= notified or (ref, "PAID") not in fake.statuses:
        assert time.monotonic() < deadline, (fake.notifications, fake.statuses)
        time.sleep(0.05)
    assert any(n["invoiceReference"] == ref for n in fake.notifications)


def test_declined_payment_opens_the_failure_url(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    with wallet(srv, DAVE) as w:
        outcome = w.run(f"HTTP://SEQR.SE/000/{service_ids['form']}")
    assert outcome.status is Status.FAILED and outcome.invoice.status == "FAILED"
    failure = visited(outcome, fake, "form", "failure")
    assert fragment(failure) == outcome.session.token  # #TOKEN, no reference
    assert outcome.final_url == failure and "failure" in outcome.final_html


def test_empty_account_opens_the_failure_url(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    with wallet(srv, CAROL) as w:
        outcome = w.run(f"HTTP://SEQR.SE/000/{service_ids['redirect']}")
    assert outcome.status is Status.FAILED
    assert fragment(visited(outcome, fake, "redirect", "failure")) == outcome.session.token


def test_customer_cancel_opens_the_cancel_url(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    shown = []
    with wallet(srv) as w:
        outcome = w.run(
            f"HTTP://SEQR.SE/000/{service_ids['link']}",
            confirm=lambda inv: shown.append(inv) or False,
        )
        again = w.invoice(outcome.reference)
    assert shown and shown[0].status == "ISSUED" and shown[0].amount == Decimal("20.00")
    assert outcome.status is Status.CANCELED and outcome.invoice.status == "CANCELED"
    assert again.status == "CANCELED"
    cancel = visited(outcome, fake, "link", "cancel")
    assert fragment(cancel) == outcome.session.token
    assert outcome.final_url == cancel


def test_wrong_pin_opens_the_failure_url_and_leaves_the_invoice_payable(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    with wallet(srv, (BOB[0], "0000")) as w:  # cannot sign in: nothing is opened
        refused = w.run(f"HTTP://SEQR.SE/000/{service_ids['link']}")
    assert refused.status is Status.WRONG_PIN and refused.session is None and not refused.visits
    with wallet(srv, BOB) as w:
        w.sign_in()  # the app is signed in; the customer mistypes the PIN at the payment screen
        w.pin = "0000"
        outcome = w.run(f"HTTP://SEQR.SE/000/{service_ids['link']}")
    assert outcome.status is Status.WRONG_PIN
    assert fragment(visited(outcome, fake, "link", "failure")) == outcome.session.token
    with wallet(srv, BOB) as w:  # the right PIN resets the counter and can still pay
        assert w.pay(outcome.reference).status == "PAID"


def test_wizard_cancel_from_the_backend_cancels_the_session(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    with wallet(srv) as w:
        outcome = w.run(f"HTTP://SEQR.SE/000/{service_ids['wizard']}?zone=7")
    assert outcome.status is Status.LEFT_SERVICE and outcome.trigger == "form>redirect"
    assert outcome.invoice is None
    assert fake.session_info[-1][0] == 0  # the token was valid while the page used it
    code, params = fake.client_session_info(outcome.session.token)
    assert code == RESULT_CODE_CANCELLED and params == {}
    # no result page is opened when the service is left
    assert not any(
        v.url.split("#")[0].endswith(("/success", "/failure", "/cancel")) for v in outcome.visits
    )


def test_wizard_cancel_link_chosen_by_the_user(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    def tap_back(page, choices):  # type: ignore[no-untyped-def]
        assert [c.kind for c in choices] == ["link", "link"]
        return next(c for c in choices if c.is_cancel)

    with wallet(srv) as w:
        outcome = w.run(f"HTTP://SEQR.SE/000/{service_ids['link']}", choose=tap_back)
    assert outcome.status is Status.LEFT_SERVICE and outcome.trigger == "link"
    assert fake.client_session_info(outcome.session.token)[0] == RESULT_CODE_CANCELLED


def test_choose_fills_the_order_form(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    def three_hours(page, choices):  # type: ignore[no-untyped-def]
        form = next(c for c in choices if c.kind == "form")
        assert form.field_dict["hours"] == "2" and form.label == "Pay with SEQR"
        return form.fill(hours="3")

    with wallet(srv) as w:
        outcome = w.run(f"HTTP://SEQR.SE/000/{service_ids['formjson']}", choose=three_hours)
    assert outcome.status is Status.PAID and outcome.invoice.amount == Decimal("60.00")


def test_disabled_service_is_not_a_valid_code(srv: RunningServer, fake: FakeService) -> None:
    register_service(srv.database_url, "ES_GONE", "Fake ES_GONE", TERMINAL_ID, fake.urls("link"))
    result = CliRunner().invoke(
        main, ["service", "disable", "ES_GONE", "--database", srv.database_url]
    )
    assert result.exit_code == 0, result.output
    with wallet(srv) as w:
        outcome = w.run("HTTP://SEQR.SE/000/ES_GONE")
    assert outcome.status is Status.INVALID_CODE and "Not a valid SEQR code" in outcome.message
    result = CliRunner().invoke(
        main, ["service", "enable", "ES_GONE", "--database", srv.database_url]
    )
    assert result.exit_code == 0, result.output
    with wallet(srv) as w:
        assert w.run("HTTP://SEQR.SE/000/ES_GONE").status is Status.PAID


def test_invoice_qr_and_deep_link(srv: RunningServer, fake: FakeService) -> None:
    ref = fake.send_invoice("12.50", "Coffee")
    with wallet(srv) as w:
        outcome = w.run(f"seqr-demo://SEQR.SE/R{ref}")
        assert outcome.status is Status.PAID and outcome.kind == "invoice"
        assert outcome.invoice.ers_reference
        again = w.run(urls.invoice_qr(ref))
    assert again.status is Status.NOT_PAYABLE and "PAID" in again.message


def test_terminal_sticker_waits_for_the_amount(srv: RunningServer, fake: FakeService) -> None:
    """U4: a cash register's sticker; the wallet polls until the register sends the amount."""
    reseller = ClientContext(
        client_request_timeout=0,
        password="1234",
        initiator=PrincipalId(id="public_test_shop", type="RESELLERUSER", user_id="9900"),
    )
    reg = fake.soap(
        m.RegisterTerminalRequest(context=reseller, password="pw-1234", name="Wallet test register")
    )
    assert reg.result_code == 0, reg
    register = replace(
        fake.context(),
        initiator=PrincipalId(id=reg.terminal_id, type="TERMINALID"),
        password="pw-1234",
    )
    seqr_id = f"WALLET{time.monotonic_ns() % 10**9}"
    resp = fake.soap(m.AssignSeqrIdRequest(context=register, seqr_id=seqr_id))
    assert resp.result_code == 0, resp
    refs: list[str] = []

    def send() -> None:
        sent = fake.soap(
            m.SendInvoiceRequest(
                context=register,
                invoice=Invoice(title="Sticker", total_amount=Amount("SEK", Decimal("7.00"))),
            )
        )
        refs.append(sent.invoice_reference)

    timer = threading.Timer(1.0, send)
    started = time.monotonic()  # the invoice exists only 1 s after this
    timer.start()
    try:
        with wallet(srv, poll_interval=0.2, wait_timeout=20) as w:
            outcome = w.run(f"HTTP://SEQR.SE/Q{seqr_id}")
    finally:
        timer.join()
    assert outcome.status is Status.PAID and outcome.kind == "terminal", outcome.as_dict()
    assert outcome.reference == refs[0] and time.monotonic() - started >= 0.9


# ---------------------------------------------------------------------- `openseqr wallet` CLI


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["wallet", *args])
    return result.exit_code, result.output


def cli_pay(srv: RunningServer, code: str, user: tuple[str, str], *extra: str) -> tuple[int, str]:
    """``openseqr wallet pay CODE`` as ``user`` (msisdn, PIN) against ``srv``."""
    return cli("pay", code, "--msisdn", user[0], "--pin", user[1], "--server", srv.url, *extra)


def test_cli_pay_exit_codes(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    code, out = cli_pay(srv, fake.send_invoice("5.00", "CLI"), ALICE)
    assert code == 0 and "status: PAID" in out, out
    code, out = cli_pay(srv, urls.invoice_qr(fake.send_invoice("5.00", "CLI")), DAVE)
    assert code == 1 and "status: FAILED" in out, out
    ref = fake.send_invoice("5.00", "CLI")
    code, out = cli_pay(srv, ref, (BOB[0], "9999"))
    assert code == 3 and "status: WRONG_PIN" in out, out
    code, out = cli_pay(srv, ref, BOB, "--cancel")
    assert code == 1 and "status: CANCELED" in out, out
    code, out = cli_pay(srv, f"HTTP://SEQR.SE/000/{service_ids['form']}", ALICE, "--json")
    assert code == 0, out
    assert '"status": "PAID"' in out and "/form/success#" in out
    code, out = cli_pay(srv, "HTTP://SEQR.SE/X1", ALICE)
    assert code == 2 and "INVALID_CODE" in out


def test_cli_pay_as_a_process(srv: RunningServer, fake: FakeService) -> None:
    """The real entry point, server URL from OPENSEQR_SERVER_URL."""
    import os

    env = {**os.environ, "OPENSEQR_SERVER_URL": srv.url}

    def pay_as(user: tuple[str, str]) -> subprocess.CompletedProcess[str]:
        code = fake.send_invoice("3.00", "proc")
        argv = ["wallet", "pay", code, "--msisdn", user[0], "--pin", user[1]]
        return subprocess.run(
            [sys.executable, "-m", "openseqr", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    ok = pay_as(ALICE)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    failed = pay_as(DAVE)
    assert failed.returncode == 1 and "FAILED" in failed.stdout, failed.stdout + failed.stderr


def test_cli_scan_and_balance(
    srv: RunningServer, fake: FakeService, service_ids: dict[str, str]
) -> None:
    code, out = cli("balance", "--msisdn", CAROL[0], "--pin", CAROL[1], "--server", srv.url)
    assert code == 0 and "SEK 0.00" in out and "EUR 1000.00" in out, out
    code, out = cli("balance", "--msisdn", CAROL[0], "--pin", "0000", "--server", srv.url)
    assert code == 3
    cli("balance", "--msisdn", CAROL[0], "--pin", CAROL[1], "--server", srv.url)  # reset count
    alice = ("--msisdn", ALICE[0], "--pin", ALICE[1], "--server", srv.url)
    code, out = cli("scan", f"HTTP://SEQR.SE/000/{service_ids['link']}?zone=1", *alice)
    assert code == 0 and '"kind": "service"' in out and "#" in out, out
    code, out = cli("scan", "HTTP://SEQR.SE/000/NOPE", *alice)
    assert code == 1 and "Not a valid SEQR code" in out
