"""Reconciliation (spec 10, 7.13, 7.14; D-32–D-35) over HTTP against a real server.

A module-scoped scenario per mode makes real payments, refunds, cancellations, a failure, a
reversal (no status poll inside the 2 s acknowledgement window) and a committed reservation
between two ``markTransactionPeriod`` calls; then every report id of 10.2 is executed (with and
without the ``Reconciliation/`` prefix and ``.xml``, plus the ``STD_RECON_001`` alias), its
base64 ``content`` decoded and parsed, and counts and 5-decimal totals compared with what was
done. This module has its own server per backend, because a per-shop mark closes the period of
every terminal of the shop.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.soap_client import (
    ALICE,
    CAROL,
    ERS_REFERENCE,
    TERMINAL_ID,
    Merchant,
    Wallet,
    invoice,
    random_password,
    report_meta,
    report_rows,
    report_xml,
    reseller_context,
    row,
)
from tests.fixtures_server import RunningServer
from tests.helpers import wait_until
from tests.support.servers import backend_server

pytestmark = pytest.mark.slow

ACK_WINDOW = 2
GENERATED_AT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


srv = backend_server({"OPENSEQR_ACK_WINDOW_SECONDS": str(ACK_WINDOW)})


@pytest.fixture(scope="module")
def online(srv: RunningServer) -> Merchant:
    return Merchant(srv)


@pytest.fixture(scope="module")
def shop(online: Merchant) -> Merchant:
    return online.using(reseller_context())


@pytest.fixture(scope="module")
def wallet(srv: RunningServer) -> Wallet:
    return Wallet(srv, ALICE)


def register(shop: Merchant, name: str) -> tuple[str, Merchant]:
    password = random_password()
    reg = shop.register_terminal(name, password, name)
    assert reg.resultCode == 0, reg
    return reg.terminalId, shop.as_terminal(reg.terminalId, password)


def send(merchant: Merchant, total: str, cashier: str | None = None, **fields: Any) -> str:
    extra = {"cashierId": cashier} if cashier else {}
    resp = merchant.send_invoice(
        invoice(
            total,
            rows=[row("Goods", total, quantity=1)],
            title="Reconciliation shop",
            **extra,
            **fields,
        )
    )
    assert resp.resultCode == 0, resp
    return str(resp.invoiceReference)


def pay_and_ack(merchant: Merchant, wallet: Wallet, total: str, cashier: str | None = None) -> str:
    """A payment acknowledged by the merchant's status query; returns its ersReference."""
    ref = send(merchant, total, cashier)
    assert wallet.view_and_pay(ref)["status"] == "PAID"
    resp = merchant.status(ref, 0)
    assert resp.status == "PAID", resp
    return str(resp.ersReference)


def refund(merchant: Merchant, ers: str, total: str, cashier: str | None = None) -> str:
    extra = {"cashierId": cashier} if cashier else {}
    resp = merchant.refund(ers, invoice(total, title="Refund", **extra))
    assert resp.resultCode == 0, resp
    return str(resp.ersReference)


def spellings(report_id: str) -> list[str]:
    return [
        f"Reconciliation/{report_id}.xml",
        f"{report_id}.xml",
        f"Reconciliation/{report_id}",
        report_id,
    ]


def five(value: str | Decimal) -> str:
    return f"{Decimal(value):.5f}"


@dataclass
class Scenario:
    period: str  # the closed period holding the transactions
    next_period: str  # the following period, marked right after: empty
    till: str = ""
    till_merchant: Merchant | None = None
    details: set[tuple[str, str, str, str]] = field(default_factory=set)  # expected 003 rows
    excluded: set[str] = field(default_factory=set)  # ersReferences that must not appear


@pytest.fixture(scope="module")
def shop_period(shop: Merchant, online: Merchant, wallet: Wallet) -> Scenario:
    assert shop.mark().resultCode == 0  # close whatever came before: a clean period starts
    till_id, till = register(shop, "Till 1")
    sc = Scenario("", "", till_id, till)

    # Paid but never polled: reversed once the window elapses (excluded from reports).
    unpolled = send(online, "7.00", "Bob")
    reversed_ers = wallet.view_and_pay(unpolled)["ers_reference"]
    deadline = time.monotonic() + ACK_WINDOW + 1

    a = pay_and_ack(online, wallet, "100.50", "Bob")
    b = pay_and_ack(online, wallet, "20.00", "Bob")
    c = pay_and_ack(till, wallet, "30.00", "Anna")
    r = refund(online, a, "10.00", "Bob")

    # A reservation committed at a lower amount counts with the committed amount.
    f = send(
        till,
        "50.00",
        "Anna",
        paymentMode="RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
        commitReservationTimeout=600,
    )
    assert wallet.view_and_pay(f)["status"] == "RESERVED"
    assert till.commit(f, "45.00").resultCode == 0
    f_ers = till.status(f, 0).ersReference
    assert ERS_REFERENCE.fullmatch(f_ers)

    # Not money: merchant-cancelled, user-cancelled, failed (empty account), still reserved.
    cancelled = send(online, "11.00", "Bob")
    assert online.cancel(cancelled).resultCode == 0
    by_user = send(online, "12.00", "Bob")
    wallet.view(by_user)
    wallet.cancel(by_user)
    failed = send(online, "13.00", "Bob")
    assert wallet.of(CAROL).view_and_pay(failed)["status"] == "FAILED"
    held = send(online, "14.00", "Bob", paymentMode="RESERVATION_REQUIRED_PRELIMINARY_AMOUNT")
    assert wallet.view_and_pay(held)["status"] == "RESERVED"

    time.sleep(max(0.0, deadline - time.monotonic()))
    assert online.status(unpolled, 0).status == "CANCELED"  # reversed

    period = shop.mark()
    assert period.resultCode == 0 and ERS_REFERENCE.fullmatch(period.transactionPeriodId)
    sc.period = period.transactionPeriodId
    sc.next_period = shop.mark().transactionPeriodId
    sc.details = {
        (TERMINAL_ID, "Bob", five("100.50"), a),
        (TERMINAL_ID, "Bob", five("20.00"), b),
        (till_id, "Anna", five("30.00"), c),
        (till_id, "Anna", five("45.00"), f_ers),
        (TERMINAL_ID, "Bob", five("-10.00"), r),
    }
    sc.excluded = {reversed_ers}
    return sc


def run(merchant: Merchant, report_id: str, **entries: str) -> tuple[Any, Any]:
    resp = merchant.report(report_id, **entries)
    return resp, report_xml(resp)


def check_wrapper(
    resp: Any, doc: Any, root: str, title: str, period: str, terminal: str | None = None
) -> None:
    assert (resp.resultCode, resp.resultDescription) == (0, "SUCCESS")
    assert doc.tag == root
    assert (resp.report.title or "") == title
    assert resp.report.mimeType == "text/html"  # as observed (D-34)
    meta = report_meta(doc)
    expected = {"ResellerId": "public_test_shop", "TransactionPeriodId": period}
    if terminal:
        expected["TerminalId"] = terminal
    assert {k: v for k, v in meta.items() if k != "GeneratedAt"} == expected
    assert GENERATED_AT.fullmatch(meta["GeneratedAt"])


# -- per shop ------------------------------------------------------------------------------------
@pytest.mark.parametrize("report_id", ["Shop", "STD_RECON_001"])
def test_shop_summary(shop: Merchant, shop_period: Scenario, report_id: str) -> None:
    for spelled in spellings(report_id):
        resp, doc = run(shop, spelled, transactionPeriodId=shop_period.period)
        check_wrapper(resp, doc, "ResellerTransactionSummary", "", shop_period.period)
        # 100.50 + 20 + 30 + 45 (committed) - 10 (refund); payments only are counted
        assert report_rows(doc) == [{"SalesCount": "4", "SalesTotal": five("185.50")}], spelled


def spelled_reports(
    shop: Merchant, report_id: str, root: str, period: str, terminal: str | None = None
) -> Iterator[tuple[str, Any]]:
    """Run ``report_id`` in each of its spellings for ``period`` (and ``terminal``), check the
    wrapper, and yield each spelling with its report document."""
    entries = {"transactionPeriodId": period} | ({"TERMINALID": terminal} if terminal else {})
    for spelled in spellings(report_id):
        resp, doc = run(shop, spelled, **entries)
        check_wrapper(resp, doc, root, f"{report_id}_{period}.xml", period, terminal)
        yield spelled, doc


def test_std_recon_002_terminal_by_terminal(shop: Merchant, shop_period: Scenario) -> None:
    for spelled, doc in spelled_reports(
        shop, "STD_RECON_002", "TerminalTransactionSummary", shop_period.period
    ):
        rows = sorted(report_rows(doc), key=lambda r: r["TerminalId"] != TERMINAL_ID)
        assert rows == [
            {"TerminalId": TERMINAL_ID, "SalesCount": "2", "SalesTotal": five("110.50")},
            {"TerminalId": shop_period.till, "SalesCount": "2", "SalesTotal": five("75.00")},
        ], spelled


def test_std_recon_003_details(shop: Merchant, shop_period: Scenario) -> None:
    for _spelled, doc in spelled_reports(
        shop, "STD_RECON_003", "TransactionDetails", shop_period.period
    ):
        rows = report_rows(doc)
        got = {(r["TerminalId"], r["CashierId"], r["SalesAmount"], r["ErsReference"]) for r in rows}
        assert len(rows) == len(got) == 5
        assert got == shop_period.details  # refund as a negative row with its own reference
        assert not {r["ErsReference"] for r in rows} & shop_period.excluded


def test_std_recon_004_cashier_by_cashier(shop: Merchant, shop_period: Scenario) -> None:
    for spelled, doc in spelled_reports(
        shop, "STD_RECON_004", "CashierTransactionSummary", shop_period.period
    ):
        rows = {r["CashierId"]: r for r in report_rows(doc)}
        assert rows == {
            "Bob": {"CashierId": "Bob", "SalesCount": "2", "SalesTotal": five("110.50")},
            "Anna": {"CashierId": "Anna", "SalesCount": "2", "SalesTotal": five("75.00")},
        }, spelled


def test_next_shop_period_starts_empty(shop: Merchant, shop_period: Scenario) -> None:
    period = shop_period.next_period
    _, doc = run(shop, "Reconciliation/Shop.xml", transactionPeriodId=period)
    assert report_rows(doc) == [{"SalesCount": "0", "SalesTotal": five(0)}]
    for report_id in ("STD_RECON_002", "STD_RECON_003", "STD_RECON_004"):
        _, doc = run(shop, f"Reconciliation/{report_id}.xml", transactionPeriodId=period)
        assert report_rows(doc) == [], report_id


@pytest.mark.parametrize("report_id", ["STD_RECON_006", "STD_RECON_007"])
def test_terminal_report_on_shop_period_is_not_ready(
    shop: Merchant, shop_period: Scenario, report_id: str
) -> None:
    """The period was marked without TERMINALID: terminal reports are never ready (FAQ, D-34c)."""
    resp = shop.report(
        f"Reconciliation/{report_id}.xml",
        transactionPeriodId=shop_period.period,
        TERMINALID=shop_period.till,
    )
    assert (resp.resultCode, resp.resultDescription) == (2, "REPORT_NOT_READY")
    assert resp.report is None


# -- per terminal --------------------------------------------------------------------------------
@dataclass
class TerminalScenario:
    terminal_id: str
    till: Merchant
    period: str
    details: set[tuple[str, str, str, str]]


@pytest.fixture(scope="module")
def terminal_period(shop: Merchant, online: Merchant, wallet: Wallet) -> TerminalScenario:
    terminal_id, till = register(shop, "Till 2")
    assert shop.mark(TERMINALID=terminal_id).resultCode == 0  # start of this till's period
    x = pay_and_ack(till, wallet, "12.00", "Anna")
    y = pay_and_ack(till, wallet, "8.00")
    r = refund(till, x, "2.00", "Anna")
    pay_and_ack(online, wallet, "99.00", "Bob")  # another terminal: not in this till's reports
    cancelled = send(till, "5.00", "Anna")
    assert till.cancel(cancelled).resultCode == 0
    period = shop.mark(TERMINALID=terminal_id)
    assert period.resultCode == 0
    details = {
        (terminal_id, "Anna", five("12.00"), x),
        (terminal_id, "NULL", five("8.00"), y),
        (terminal_id, "Anna", five("-2.00"), r),
    }
    return TerminalScenario(terminal_id, till, period.transactionPeriodId, details)


def test_std_recon_006_terminal_summary(shop: Merchant, terminal_period: TerminalScenario) -> None:
    tp = terminal_period
    for spelled, doc in spelled_reports(
        shop, "STD_RECON_006", "TerminalTransactionSummary", tp.period, tp.terminal_id
    ):
        assert report_rows(doc) == [{"SalesCount": "2", "SalesTotal": five("18.00")}], spelled


def test_std_recon_007_terminal_details(shop: Merchant, terminal_period: TerminalScenario) -> None:
    tp = terminal_period
    for spelled, doc in spelled_reports(
        shop, "STD_RECON_007", "TransactionDetails", tp.period, tp.terminal_id
    ):
        rows = report_rows(doc)
        got = {(r["TerminalId"], r["CashierId"], r["SalesAmount"], r["ErsReference"]) for r in rows}
        assert len(rows) == 3 and got == tp.details, spelled


def test_terminal_reports_by_the_till_itself(
    terminal_period: TerminalScenario, wallet: Wallet
) -> None:
    """D-32: a TERMINALID caller marks and reports its own periods; the next one starts empty."""
    tp = terminal_period
    resp, doc = run(tp.till, "STD_RECON_006", transactionPeriodId=tp.period)
    assert report_rows(doc) == [{"SalesCount": "2", "SalesTotal": five("18.00")}]

    nxt = tp.till.mark()
    assert nxt.resultCode == 0
    for report_id, expected in (
        ("STD_RECON_006", [{"SalesCount": "0", "SalesTotal": five(0)}]),
        ("STD_RECON_007", []),
    ):
        resp, doc = run(tp.till, report_id, transactionPeriodId=nxt.transactionPeriodId)
        check_wrapper(
            resp,
            doc,
            doc.tag,
            f"{report_id}_{nxt.transactionPeriodId}.xml",
            nxt.transactionPeriodId,
            tp.terminal_id,
        )
        assert report_rows(doc) == expected

    z = pay_and_ack(tp.till, wallet, "3.25", "Anna")
    third = tp.till.mark()
    _, doc = run(tp.till, "STD_RECON_007", transactionPeriodId=third.transactionPeriodId)
    assert [(r["SalesAmount"], r["ErsReference"]) for r in report_rows(doc)] == [(five("3.25"), z)]


def test_report_errors(shop: Merchant, terminal_period: TerminalScenario) -> None:
    tp = terminal_period
    for bad in ("Reconciliation/STD_RECON_005.xml", "SOME_REPORT", "Reconciliation/Nope.xml", ""):
        resp = shop.report(bad, transactionPeriodId=tp.period)
        assert (resp.resultCode, resp.resultDescription) == (90, "SYSTEM_ERROR"), bad
    unknown_period = shop.report(
        "Reconciliation/Shop.xml", transactionPeriodId="2000010100000000000000000"
    )
    assert unknown_period.resultCode == 90
    assert shop.mark(TERMINALID="f" * 32).resultCode == 29


def test_reports_wait_for_the_mark(shop: Merchant, online: Merchant, wallet: Wallet) -> None:
    """10.1 as a POS does it: mark, (wait,) execute; retry while REPORT_NOT_READY."""
    assert shop.mark().resultCode == 0  # what the other tests did belongs to earlier periods
    ers = pay_and_ack(online, wallet, "1.00")
    period = shop.mark().transactionPeriodId

    def ready() -> Any:
        resp = shop.report("Reconciliation/STD_RECON_003.xml", transactionPeriodId=period)
        return resp if resp.resultCode != 2 else None

    resp = wait_until(ready, timeout=10, interval=0.5)
    rows = report_rows(report_xml(resp))
    assert [r["ErsReference"] for r in rows] == [ers]


def test_a_till_cannot_read_the_shop_or_another_till(
    shop_period: Scenario, terminal_period: TerminalScenario
) -> None:
    """D-32: a TERMINALID caller is scoped to itself, also for the shop-mode report ids."""
    till = terminal_period.till
    for report_id in ("Reconciliation/Shop.xml", "Reconciliation/STD_RECON_003.xml"):
        for period in (shop_period.period, shop_period.next_period):  # marked for the whole shop
            resp = till.report(report_id, transactionPeriodId=period)
            assert resp.resultCode != 0 and resp.report is None, (report_id, period)
    assert shop_period.till_merchant is not None
    other = shop_period.till_merchant.report(
        "Reconciliation/STD_RECON_003.xml", transactionPeriodId=terminal_period.period
    )
    assert other.resultCode != 0 and other.report is None  # another till's period
    own = till.report(
        "Reconciliation/STD_RECON_003.xml", transactionPeriodId=terminal_period.period
    )
    rows = report_rows(report_xml(own))
    assert {r["TerminalId"] for r in rows} == {terminal_period.terminal_id}


def test_a_payment_belongs_to_the_period_in_which_it_was_acknowledged(
    shop: Merchant, online: Merchant, wallet: Wallet
) -> None:
    """D-34b: paid before a mark but acknowledged after it -> reported in the next period."""
    assert shop.mark().resultCode == 0
    ref = send(online, "2.50", "Bob")
    ers = wallet.view_and_pay(ref)["ers_reference"]
    before_ack = shop.mark().transactionPeriodId  # paid, not yet acknowledged
    assert online.status(ref, 0).status == "PAID"  # acknowledged now, inside the window
    after_ack = shop.mark().transactionPeriodId
    _, doc = run(shop, "STD_RECON_003", transactionPeriodId=before_ack)
    assert report_rows(doc) == []
    _, doc = run(shop, "STD_RECON_003", transactionPeriodId=after_ack)
    assert [r["ErsReference"] for r in report_rows(doc)] == [ers]
