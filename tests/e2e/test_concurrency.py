"""Concurrency over HTTP against real `openseqr serve` processes: nothing is paid twice.

SQLite runs one server process; PostgreSQL runs `--workers 2` (two processes sharing the
database, requests spread over both by the kernel). The simulated account provider takes
`PROVIDER_LATENCY` seconds, so the window between the PAYING compare-and-set and the debit is
wide and concurrent attempts really meet it.

Every request of a storm waits on one `threading.Barrier` and is then sent at once. Afterwards
the database is inspected directly: `Tx` for balances, the ledger checks and the outbox, and one
read-only SQL query for the ledger transfers of an invoice (which `Tx` does not list).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from openseqr.core.ledger import customer_account, merchant_account
from openseqr.core.ports import Store
from openseqr.core.states import State
from openseqr.protocol import codec
from openseqr.protocol import messages as m
from openseqr.protocol.result_codes import ResultCode as R
from openseqr.protocol.types import Amount, ClientContext, Invoice, PrincipalId
from openseqr.storage import open_store
from tests.fixtures_server import RunningServer

pytestmark = pytest.mark.slow

TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"
MERCHANT = merchant_account("public_test_shop")
ALICE, BOB, FRIDA = ("46700000001", "1111"), ("46700000002", "2222"), ("46700000005", "5555")
DAVE = ("46700000004", "4444")  # only ever used with wrong PINs here
KEYS = {"46700000001": "101", "46700000002": "102", "46700000004": "104", "46700000005": "105"}
NOTIFY_URL = "http://127.0.0.1:9/notify"
PROVIDER_LATENCY = "0.15"
N = 50


# -- servers and clients -------------------------------------------------------------------------
@pytest.fixture
def srv(database_url: str, server_factory: Callable[..., RunningServer]) -> Iterator[RunningServer]:
    """One process on SQLite; two worker processes on one PostgreSQL database. Afterwards the
    log must show no traceback (e.g. a worker that died at startup).

    `database_url` comes first so it is torn down last: the servers stop before their database
    is dropped (otherwise their shutdown hangs on a vanished database)."""
    env = {
        "OPENSEQR_PROVIDER_LATENCY_SECONDS": PROVIDER_LATENCY,
        "OPENSEQR_ACK_WINDOW_SECONDS": "0",
    }  # never reverse: the storms take their time
    args: tuple[str, ...] = ("--workers", "2") if database_url.startswith("postgres") else ()
    server = server_factory(database_url, extra_env=env, args=args)
    yield server
    assert "Traceback" not in server.log(), server.log()[-3000:]


@pytest.fixture
def store(srv: RunningServer) -> Iterator[Store]:
    """The server's database, opened by the test (reads only)."""
    opened = open_store(srv.database_url)
    yield opened
    opened.close()


def context() -> ClientContext:
    return ClientContext(
        initiator=PrincipalId(id=TERMINAL_ID, type="TERMINALID"),
        password=TERMINAL_PASSWORD,
        client_request_timeout=0,
    )


def soap(client: httpx.Client, srv: RunningServer, req: Any) -> Any:
    r = client.post(
        srv.soap_url,
        content=codec.encode_request(req),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )
    assert r.status_code == 200, r.text
    return codec.decode_response(r.content, req)


def send_invoice(srv: RunningServer, value: str, notify: bool = True) -> str:
    inv = Invoice(
        title="Concurrency",
        total_amount=Amount("SEK", Decimal(value)),
        acknowledgment_mode="NO_ACKNOWLEDGMENT",
        notification_url=NOTIFY_URL if notify else None,
    )
    resp = soap(srv.client, srv, m.SendInvoiceRequest(context=context(), invoice=inv))
    assert resp.result_code == 0, resp
    return str(resp.invoice_reference)


def pay_request(
    client: httpx.Client, srv: RunningServer, ref: str, who: tuple[str, str]
) -> httpx.Response:
    return client.post(
        f"{srv.url}/api/app/v1/invoices/{ref}/pay", json={"msisdn": who[0], "pin": who[1]}
    )


def storm(jobs: list[Callable[[httpx.Client], Any]]) -> list[Any]:
    """Run every job in its own thread, all released at once by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    limits = httpx.Limits(max_connections=len(jobs) + 10, max_keepalive_connections=len(jobs))
    with httpx.Client(timeout=60, limits=limits) as client:

        def run(i: int) -> None:
            barrier.wait()
            try:
                results[i] = jobs[i](client)
            except Exception as exc:  # reported below, never swallowed
                results[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    return results


# -- database checks -------------------------------------------------------------------------
def transfers_of(database_url: str, ref: str) -> Counter[str]:
    """Ledger transfers of an invoice by kind (read-only SQL: `Tx` has no such listing)."""
    sql = (
        "SELECT kind, COUNT(DISTINCT transfer_id) FROM ledger_entries"
        " WHERE invoice_reference = {p} GROUP BY kind"
    )
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn: Any = sqlite3.connect(database_url[len("sqlite:///") :])
        try:
            rows = conn.execute(sql.format(p="?"), (ref,)).fetchall()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as conn:
            rows = conn.execute(sql.format(p="%s"), (ref,)).fetchall()
    return Counter({kind: int(n) for kind, n in rows})


def balance(store: Store, account: str) -> Decimal:
    with store.transaction(write=False) as tx:
        return tx.balance(account, "SEK")


def assert_books_balanced(store: Store) -> None:
    with store.transaction(write=False) as tx:
        sums = tx.entry_sums()
        assert all(v == 0 for v in sums.values()), sums
        assert tx.balances_match_entries()
        for key in ("101", "102", "103", "104", "105"):
            assert tx.balance(customer_account(key), "SEK") >= 0
        assert tx.balance(MERCHANT, "SEK") >= 0


def invoice_state(store: Store, ref: str) -> Any:
    with store.transaction(write=False) as tx:
        inv = tx.get_invoice(ref)
    assert inv is not None
    return inv


def assert_paid_once(store: Store, srv: RunningServer, ref: str, amount: Decimal) -> Any:
    inv = invoice_state(store, ref)
    assert inv.state in (State.PAID_UNACKED, State.PAID), inv.state
    kinds = transfers_of(srv.database_url, ref)
    assert kinds == Counter({"payment": 1}), kinds
    with store.transaction(write=False) as tx:
        notes = tx.list_notifications(invoice_reference=ref)
    assert len(notes) == (1 if inv.notification_url else 0), notes
    assert inv.total.amount == amount
    return inv


def outcome(r: httpx.Response) -> str:
    if r.status_code == 200:
        return r.json()["status"]
    return str(r.status_code)


# -- tests -------------------------------------------------------------------------------------
def test_fifty_pays_by_one_customer_debit_once(srv: RunningServer, store: Store) -> None:
    ref = send_invoice(srv, "123.45")
    before = balance(store, customer_account("101"))
    results = storm([lambda c: pay_request(c, srv, ref, ALICE)] * N)
    seen = Counter(outcome(r) for r in results)
    assert seen == Counter({"PAID": 1, "409": N - 1}), seen
    bodies = {r.json()["error"] for r in results if r.status_code == 409}
    assert bodies <= {"PaymentInProgress", "NotPayable"}, bodies
    inv = assert_paid_once(store, srv, ref, Decimal("123.45"))
    assert inv.payer == "101"
    assert balance(store, customer_account("101")) == before - Decimal("123.45")
    assert balance(store, MERCHANT) == Decimal("123.45")
    assert_books_balanced(store)


def test_fifty_pays_by_several_customers_and_wrong_pins(srv: RunningServer, store: Store) -> None:
    ref = send_invoice(srv, "250.00")
    payers = [ALICE, BOB, FRIDA]
    before = {k: balance(store, customer_account(k)) for k in ("101", "102", "105")}
    jobs: list[Callable[[httpx.Client], Any]] = []
    # The guesser has its own address (A-22: wrong PINs are refused per address).
    guesser = httpx.Client(timeout=60, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    for i in range(N):
        if i % 5 == 4:  # ten wrong PINs, all for Dave
            jobs.append(lambda c: pay_request(guesser, srv, ref, (DAVE[0], "0000")))
        else:
            who = payers[i % 3]
            jobs.append(lambda c, who=who: pay_request(c, srv, ref, who))
    with guesser:
        results = storm(jobs)
    seen = Counter(outcome(r) for r in results)
    assert seen["PAID"] == 1, seen
    assert seen["409"] == 40 - 1, seen
    assert seen["401"] + seen["423"] == 10, seen
    # All ten guesses come from one address: it is refused after two, whatever the
    # interleaving, so at most two are answered "wrong PIN" and Dave's wallet is not locked.
    assert seen["401"] <= 2, seen
    with store.transaction(write=False) as tx:
        dave = tx.get_customer("104")
    assert dave is not None and not dave.locked, dave
    inv = assert_paid_once(store, srv, ref, Decimal("250.00"))
    for key, was in before.items():
        want = was - Decimal("250.00") if key == inv.payer else was
        assert balance(store, customer_account(key)) == want, key
    assert balance(store, MERCHANT) == Decimal("250.00")
    assert_books_balanced(store)


def test_fifty_refunds_of_ten_never_exceed_the_payment(srv: RunningServer, store: Store) -> None:
    ref = send_invoice(srv, "100.00")
    alice_before = balance(store, customer_account("101"))
    assert pay_request(srv.client, srv, ref, ALICE).json()["status"] == "PAID"
    status = soap(
        srv.client,
        srv,
        m.GetPaymentStatusRequest(context=context(), invoice_reference=ref, invoice_version=0),
    )
    assert status.result_code == 0 and status.status == "PAID"  # acknowledged: refundable
    ers = status.ers_reference
    refund = m.RefundPaymentRequest(
        context=context(),
        ers_reference=ers,
        invoice=Invoice(title="Refund", total_amount=Amount("SEK", Decimal("10.00"))),
    )
    results = storm([lambda c: soap(c, srv, refund)] * N)
    codes = Counter(r.result_code for r in results)
    assert codes[R.SUCCESS] == 10, codes
    assert set(codes) <= {
        R.SUCCESS,
        R.SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION,
        R.PAYMENT_IN_PROGRESS,
    }, codes
    refund_refs = {r.ers_reference for r in results if r.result_code == 0}
    assert len(refund_refs) == 10 and ers not in refund_refs
    inv = invoice_state(store, ref)
    assert inv.state is State.PAID and inv.refunded == Decimal("100.00")
    with store.transaction(write=False) as tx:
        assert len(tx.refunds_of_invoice(ref)) == 10
    assert transfers_of(srv.database_url, ref) == Counter({"payment": 1, "refund": 10})
    assert balance(store, MERCHANT) == 0
    assert balance(store, customer_account("101")) == alice_before
    assert_books_balanced(store)


def test_cancel_racing_pay_ends_cancelled_or_paid_never_both(
    srv: RunningServer, store: Store
) -> None:
    rounds, pays, cancels = 8, 4, 4
    rnd = random.Random(8)
    refs = [send_invoice(srv, f"{10 + i}.00", notify=i % 2 == 0) for i in range(rounds)]
    alice_before = balance(store, customer_account("101"))
    jobs: list[Callable[[httpx.Client], Any]] = []
    for ref in refs:
        cancel = m.CancelInvoiceRequest(context=context(), invoice_reference=ref)
        jobs += [lambda c, ref=ref: ("pay", ref, pay_request(c, srv, ref, ALICE))] * pays
        for _ in range(cancels):  # spread over the PIN check, the PAYING window and after
            delay = rnd.uniform(0.0, 0.4)

            def cancel_job(
                c: httpx.Client, ref: str = ref, cancel: Any = cancel, delay: float = delay
            ) -> Any:
                time.sleep(delay)
                return ("cancel", ref, soap(c, srv, cancel))

            jobs.append(cancel_job)
    results = storm(jobs)
    paid_total = Decimal(0)
    ends = Counter()
    for ref in refs:
        mine = [(kind, r) for kind, rr, r in results if rr == ref]
        paid = [r for kind, r in mine if kind == "pay" and r.status_code == 200]
        cancelled = [r for kind, r in mine if kind == "cancel" and r.result_code == 0]
        pay_refused = {r.status_code for kind, r in mine if kind == "pay" and r.status_code != 200}
        cancel_refused = {r.result_code for kind, r in mine if kind == "cancel" and r.result_code}
        assert pay_refused <= {409}, pay_refused
        assert cancel_refused <= {
            R.CANNOT_CANCEL_PAID_INVOICE,
            R.CANNOT_CANCEL_INVOICE_IN_PROGRESS,
            R.INVOICE_ALREADY_CANCELED,
        }, cancel_refused
        inv = invoice_state(store, ref)
        if inv.state is State.CANCELLED:
            assert not paid and len(cancelled) == 1, (ref, paid, cancelled)
            assert transfers_of(srv.database_url, ref) == Counter()
            with store.transaction(write=False) as tx:
                assert tx.list_notifications(invoice_reference=ref) == []
        else:
            assert len(paid) == 1 and not cancelled, (ref, inv.state, cancelled)
            assert paid[0].json()["status"] == "PAID"
            assert_paid_once(store, srv, ref, inv.total.amount)
            paid_total += inv.total.amount
        ends[inv.state.value] += 1
    assert balance(store, customer_account("101")) == alice_before - paid_total
    assert balance(store, MERCHANT) == paid_total
    assert_books_balanced(store)
    print(f"cancel vs pay: {dict(ends)}")
