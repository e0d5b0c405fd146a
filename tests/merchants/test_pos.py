"""The reference point of sale (spec 4.4, 8.12, 10.1) against a real `openseqr serve`.

End to end: the server (SQLite; PostgreSQL for the main flow) and the till as a separate
`python -m openseqr.merchants.pos serve` process on 127.0.0.1. The customer scans the till's
sticker and pays through the app API (`/api/app/v1/scan`, `/invoices/{ref}/pay`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from openseqr.merchants.pos import parse_report
from openseqr.merchants.pos.till import new_password
from openseqr.sdk import InvoiceStatus, SeqrClient
from tests.fixtures_server import RunningServer
from tests.helpers import wait_until
from tests.merchants.launch import RunningMerchant, server_receipts
from tests.merchants.test_webshop import ALICE
from tests.support.app_login import scan_as

RESELLER = ("public_test_shop", "9900", "1234")


def till_for(
    merchants: Callable[..., RunningMerchant], srv: RunningServer, *extra: str
) -> RunningMerchant:
    return merchants(
        "pos",
        "--seqr-url",
        srv.url,
        "--reseller",
        RESELLER[0],
        "--reseller-user",
        RESELLER[1],
        *extra,
    )


def setup_till(pos: RunningMerchant, http: httpx.Client, seqr_id: str) -> dict[str, str]:
    """P-1…P-3 through the setup page; returns the till's stored registration."""
    r = http.post(
        f"{pos.url}/setup/register",
        data={
            "reseller_id": RESELLER[0],
            "reseller_user": RESELLER[1],
            "reseller_password": RESELLER[2],
            "external_terminal_id": "Store 1/Till 4",
            "name": "Café Kronan, till 4",
        },
    )
    assert r.status_code == 200 and 'id="registered"' in r.text, r.text
    r = http.post(f"{pos.url}/setup/seqr-id", data={"seqr_id": seqr_id})
    assert r.status_code == 200 and f"HTTP://SEQR.SE/Q{seqr_id}" in r.text, r.text
    return {row["key"]: row["value"] for row in _config(pos)}


def _config(pos: RunningMerchant) -> list[dict[str, Any]]:
    import sqlite3

    with sqlite3.connect(pos.db_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM config")]


def sell(
    pos: RunningMerchant, http: httpx.Client, *rows: tuple[str, int, str], cashier: str = "bob"
) -> dict[str, Any]:
    data = {"cashier_id": cashier}
    for i, (desc, qty, price) in enumerate(rows, start=1):
        data |= {f"desc{i}": desc, f"qty{i}": str(qty), f"price{i}": price}
    r = http.post(f"{pos.url}/invoices", data=data, headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()


def status(pos: RunningMerchant, http: httpx.Client, payment: str) -> dict[str, Any]:
    r = http.get(f"{pos.url}/api/payments/{payment}/status")
    assert r.status_code == 200, r.text
    return r.json()


def scan_and_pay(srv: RunningServer, seqr_id: str) -> str:
    """P-6: the customer scans the sticker, sees the till's live invoice and pays."""
    scanned = scan_as(srv.client, ALICE, {"code": f"HTTP://SEQR.SE/Q{seqr_id}"})
    assert scanned.status_code == 200, scanned.text
    body = scanned.json()
    assert body["kind"] == "invoice", body
    ref = body["invoice"]["reference"]
    paid = srv.app("POST", f"/invoices/{ref}/pay", json=ALICE)
    assert paid.status_code == 200, paid.text
    return str(ref)


# -------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_register_sticker_pay_and_receipt(
    server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    pos = till_for(merchants, server)
    with httpx.Client(timeout=15, follow_redirects=True) as http:
        assert str(http.get(pos.url + "/").url).endswith("/setup")  # not registered yet
        cfg = setup_till(pos, http, "kronan0001till4")
        # P-2: a random 15-character [A-Za-z0-9] password, stored with the terminal id
        assert re.fullmatch(r"[0-9a-f]{32}", cfg["terminal_id"])
        assert re.fullmatch(r"[A-Za-z0-9]{15}", cfg["password"])
        assert cfg["seqr_id"] == "kronan0001till4" and "reseller_password" not in cfg
        with SeqrClient(server.url, cfg["terminal_id"], cfg["password"]) as till:
            till.benchmarking_nop()
        sticker = http.get(pos.url + "/sticker")
        assert "HTTP://SEQR.SE/Qkronan0001till4" in sticker.text
        assert http.get(pos.url + "/sticker.svg").headers["content-type"].startswith("image/svg")
        assert http.get(pos.url + "/sticker.png").content[:4] == b"\x89PNG"
        # P-5: the cashier sends the invoice
        sale = sell(pos, http, ("Cappuccino", 2, "38.00"), ("Cinnamon bun", 1, "29.50"))
        assert sale["amount"] == "105.50" and sale["phase"] == "waiting"
        assert status(pos, http, sale["payment"])["phase"] == "waiting"
        page = http.get(f"{pos.url}/payments/{sale['payment']}/await")
        assert "Await customer" in page.text and "105.50 kr" in page.text
        # P-6/P-7: the customer scans the sticker and pays; the till's poll sees PAID
        ref = scan_and_pay(server, "kronan0001till4")
        assert ref == sale["invoiceReference"]
        st = wait_until(
            lambda: (s := status(pos, http, sale["payment"]))["phase"] == "paid" and s, what="PAID"
        )
        assert re.fullmatch(r"\d{25}", st["ersReference"])
        # P-9: receipt with amount, ersReference, "SEQR payment"; submitted to SEQR once
        receipt = http.get(f"{pos.url}/payments/{sale['payment']}")
        assert "SEQR payment" in receipt.text and st["ersReference"] in receipt.text
        assert 'id="receipt-amount">105.50 kr<' in receipt.text
        assert wait_until(lambda: status(pos, http, sale["payment"])["receipt"] == "sent")
        docs = server_receipts(server.database_url, st["ersReference"])
        assert len(docs) == 1 and docs[0].mime_type == "text/html"
        assert b"SEQR payment" in docs[0].data and st["ersReference"].encode() in docs[0].data
        with SeqrClient(server.url, cfg["terminal_id"], cfg["password"]) as till:
            assert till.get_payment_status(ref).status is InvoiceStatus.PAID
        cashier = http.get(pos.url + "/cashier")
        assert f'data-payment="{sale["payment"]}"' in cashier.text and "Refund" in cashier.text


@pytest.mark.slow
def test_new_invoice_supersedes_and_cancel(
    sqlite_server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    pos = till_for(merchants, sqlite_server)
    with httpx.Client(timeout=15, follow_redirects=True) as http:
        setup_till(pos, http, "kronan0002")
        first = sell(pos, http, ("Espresso", 1, "30.00"))
        second = sell(pos, http, ("Espresso", 2, "30.00"))  # 8.12: replaces the first
        old = status(pos, http, first["payment"])
        assert old["status"] == "canceled" and old["note"] == f"superseded by {second['payment']}"
        # the sticker now leads to the second invoice
        sticker = {"code": "HTTP://SEQR.SE/Qkronan0002"}
        scanned = scan_as(sqlite_server.client, ALICE, sticker).json()
        assert scanned["invoice"]["reference"] == second["invoiceReference"]
        # P-8: "Cancel" → cancel_or_acknowledge → CANCELED on both sides
        r = http.post(f"{pos.url}/payments/{second['payment']}/cancel")
        assert r.status_code == 200 and "Payment canceled" in r.text
        assert status(pos, http, second["payment"])["status"] == "canceled"
        page = http.get(f"{pos.url}/payments/{second['payment']}/await")  # → the outcome page
        assert "Payment canceled" in page.text
        invoice = sqlite_server.app("GET", f"/invoices/{second['invoiceReference']}").json()
        assert invoice["status"] == "CANCELED"
        # cancel after the customer paid: the payment is acknowledged instead
        third = sell(pos, http, ("Latte", 1, "42.00"))
        scan_and_pay(sqlite_server, "kronan0002")
        done = http.post(
            f"{pos.url}/api/payments/{third['payment']}/cancel",
            headers={"Accept": "application/json"},
        ).json()
        assert done["status"] == "paid" and done["ersReference"]
        # bad input is refused before anything reaches SEQR
        bad = http.post(
            f"{pos.url}/invoices",
            data={"desc1": "Tea", "price1": "-1"},
            headers={"Accept": "application/json"},
        )
        assert bad.status_code == 400


@pytest.mark.slow
def test_try_again_after_the_cycle(
    sqlite_server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    pos = till_for(merchants, sqlite_server, "--cycle-seconds", "1.5")
    with httpx.Client(timeout=15, follow_redirects=True) as http:
        setup_till(pos, http, "kronan0003")
        sale = sell(pos, http, ("Tea", 1, "25.00"))
        assert status(pos, http, sale["payment"])["phase"] == "waiting"
        asked = wait_until(
            lambda: (s := status(pos, http, sale["payment"]))["phase"] == "ask" and s,
            timeout=10,
            what="try again?",
        )
        assert asked["cycle"] == 1 and asked["remaining"] == 0 and "Try again" in asked["message"]
        again = http.post(f"{pos.url}/api/payments/{sale['payment']}/try-again").json()
        assert again["phase"] == "waiting" and again["cycle"] == 2
        # the question does not stop polling: a payment made while it is shown is seen
        wait_until(lambda: status(pos, http, sale["payment"])["phase"] == "ask", timeout=10)
        scan_and_pay(sqlite_server, "kronan0003")
        assert wait_until(lambda: status(pos, http, sale["payment"])["phase"] == "paid")


@pytest.mark.slow
def test_close_and_reconcile_shows_payment_and_refund(
    sqlite_server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    pos = till_for(merchants, sqlite_server)
    with httpx.Client(timeout=15, follow_redirects=True) as http:
        cfg = setup_till(pos, http, "kronan0004")
        sale = sell(pos, http, ("Sandwich", 2, "65.00"), cashier="alice")
        scan_and_pay(sqlite_server, "kronan0004")
        st = wait_until(lambda: (s := status(pos, http, sale["payment"]))["phase"] == "paid" and s)
        # refund part of it from the receipt view
        r = http.post(f"{pos.url}/payments/{sale['payment']}/refund", data={"amount": "20.00"})
        assert r.status_code == 200 and 'id="refunds"' in r.text, r.text
        too_much = http.post(
            f"{pos.url}/payments/{sale['payment']}/refund", data={"amount": "200.00"}
        )
        assert too_much.status_code == 400
        # Close & Reconcile: markTransactionPeriod(TERMINALID) + STD_RECON_006/007
        report = http.post(f"{pos.url}/reconcile")
        assert report.status_code == 200, report.text
        period = re.search(r'id="period-id">(\d+)<', report.text).group(1)  # type: ignore[union-attr]
        assert 'id="summary"' in report.text and 'id="details"' in report.text
        details = re.search(r'<table[^>]*id="details">(.*?)</table>', report.text, re.S).group(1)  # type: ignore[union-attr]
        assert st["ersReference"] in details and "130.00000" in details
        assert "-20.00000" in details and "alice" in details
        summary = re.search(r'<table[^>]*id="summary">(.*?)</table>', report.text, re.S).group(1)  # type: ignore[union-attr]
        assert ">1<" in summary and "110.00000" in summary  # one sale, netted with the refund
        assert cfg["terminal_id"] in report.text
        again = http.get(f"{pos.url}/reconcile/{period}")
        assert again.status_code == 200 and st["ersReference"] in again.text
        # the next period starts empty
        empty = http.post(f"{pos.url}/reconcile")
        assert "No transactions in this period." in empty.text


@pytest.mark.slow
def test_setup_errors_are_shown(
    sqlite_server: RunningServer, merchants: Callable[..., RunningMerchant]
) -> None:
    pos = till_for(merchants, sqlite_server)
    with httpx.Client(timeout=15, follow_redirects=True) as http:
        r = http.post(
            f"{pos.url}/setup/register",
            data={
                "reseller_id": RESELLER[0],
                "reseller_user": RESELLER[1],
                "reseller_password": "wrong",
                "external_terminal_id": "x",
                "name": "x",
            },
        )
        assert r.status_code == 400 and "Registration failed" in r.text
        assert "(result code 20)" in r.text
        assert str(http.get(pos.url + "/cashier").url).endswith("/setup")
        setup_till(pos, http, "kronan0005")
        bad = http.post(f"{pos.url}/setup/seqr-id", data={"seqr_id": "not valid!"})
        assert bad.status_code == 400 and "(result code 53)" in bad.text


# -------------------------------------------------------------------------- units


def test_password_and_report_parsing() -> None:
    pw = {new_password() for _ in range(20)}
    assert len(pw) == 20 and all(re.fullmatch(r"[A-Za-z0-9]{15}", p) for p in pw)
    table = parse_report(
        '<?xml version="1.0" encoding="UTF-8"?><TransactionDetails><Meta><ResellerId>r</ResellerId>'
        "<TerminalId>t</TerminalId></Meta><Row><TerminalId>t</TerminalId><CashierId>bob"
        "</CashierId><SalesAmount>10.00000</SalesAmount><ErsReference>1</ErsReference></Row>"
        "</TransactionDetails>"
    )
    assert table is not None and table.root == "TransactionDetails"
    assert table.meta == {"ResellerId": "r", "TerminalId": "t"}
    assert table.columns == ["TerminalId", "CashierId", "SalesAmount", "ErsReference"]
    assert table.rows[0]["SalesAmount"] == "10.00000" and parse_report(None) is None
    assert Decimal(table.rows[0]["SalesAmount"]) == Decimal("10")
