"""Crash loop: a real server is killed with SIGKILL under load, again and again, and restarted on
the same database; the books are checked with SQL after every restart (issue 8).

Load (three threads, fixed seed): sendInvoice over SOAP with a notification URL, pay through the
app API, getPaymentStatus (which acknowledges a payment), and partial refunds. A request cut by
a kill is retried once after the restart (a pay then meets PAYING, or the payment it made).
A notification receiver on 127.0.0.1 counts deliveries per invoice.

After every restart, and strictly once more after the final recovery wait:
* the ledger sums to zero per currency; no customer or merchant balance is negative, and each
  balance equals the sum of its ledger entries;
* no double debit: at most one payment and one reversal transfer per invoice, matching its state;
  refunds never exceed the payment, and the invoice, refund rows and refund transfers agree;
* every payment and refund the server answered as done before a kill is still there
  (a payment answered PAID to the app is paid or reversed, an acknowledged one is PAID, an
  answered refund exists);
* every paid (or reversed) invoice with a notification URL has its outbox row, no row fails, and
  each row is delivered at least once once its lease has lapsed (repeats are allowed, A-09);
* nothing stays in PAYING or PAID_UNACKED past its (short, configured) timeout.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from openseqr.protocol.notify import decode_notification
from openseqr.protocol.result_codes import ResultCode as R
from tests.e2e.wire import call, invoice, ok, status
from tests.fixtures_server import RunningServer, start_server
from tests.support.books import TRANSFERS_OF_STATE, ledger_violations, money_violations, snapshot
from tests.support.load import SeededLoad

pytestmark = pytest.mark.slow

SEED = 8
KILLS = 10
THREADS = 3
PAYING_TIMEOUT = 2.0  # seconds; short so a payment cut in PAYING recovers within the loop
ACK_WINDOW = 4.0  # seconds; a payment cut before its acknowledgement is reversed
ENV = {
    "OPENSEQR_PAYING_TIMEOUT_SECONDS": str(PAYING_TIMEOUT),
    "OPENSEQR_ACK_WINDOW_SECONDS": str(ACK_WINDOW),
    "OPENSEQR_PROVIDER_LATENCY_SECONDS": "0.05",  # PAYING commits on its own: kills can hit it
    "OPENSEQR_TICK_SECONDS": "0.1",
}
#: A row's delivery lease (notify timeout 5 s + 5 s) may have been taken just before a kill.
DELIVERY_DEADLINE = 20.0
#: How long a state with a deadline may outlive it (scanner tick, a restart, a loaded machine).
DEADLINE_GRACE = 8.0
RECOVERY_WAIT = 30.0
ACKS_BETWEEN_KILLS = 3
PAYERS = (("46700000001", "1111"), ("46700000002", "2222"), ("46700000003", "3333"))


class Receiver:
    """The merchant's notification endpoint: counts deliveries per invoiceReference."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = lock = threading.Lock()
        counts = self.counts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    counts[decode_notification(body).get("invoiceReference", "")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/notify"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Load(SeededLoad):
    """Merchant and customer traffic against whichever server is current, across kills."""

    def __init__(self, server: RunningServer, notify_url: str) -> None:
        super().__init__(THREADS, SEED)
        self.server = server
        self.notify_url = notify_url
        self.paid: set[str] = set()  # the app's pay answered PAID
        self.acked: set[str] = set()  # getPaymentStatus answered PAID
        self.refunds: dict[str, Decimal] = {}  # refund ersReference -> amount answered 0
        self.errors: list[str] = []

    def _run(self, rnd: random.Random) -> None:
        retry: tuple[str, Decimal] | None = None
        while not self.stop.is_set():
            try:
                if retry is not None:
                    ref, total = retry
                    retry = None
                else:
                    total = Decimal(rnd.randint(100, 5000)) / 100
                    ref = self._send(total)
                retry = (ref, total)  # until the round ends, a cut means "try again"
                self._pay_ack_refund(ref, total, rnd)
                retry = None
            except httpx.ConnectError:  # the server is down: wait for the restart
                self._count("refused")
                time.sleep(0.2)
            except httpx.TransportError:  # the server was killed under this request
                self._count("cut")
            except Exception as exc:  # a 5xx or an unexpected answer: a finding, not noise
                with self.lock:
                    self.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
                retry = None
                time.sleep(0.2)

    def _send(self, total: Decimal) -> str:
        extra = f"<notificationUrl>{self.notify_url}</notificationUrl>"
        ref = ok(call(self.server, "sendInvoice", invoice(f"{total}", extra=extra)))
        self._count("invoice")
        return str(ref.text("invoiceReference"))

    def _pay_ack_refund(self, ref: str, total: Decimal, rnd: random.Random) -> None:
        msisdn, pin = rnd.choices(PAYERS, weights=(6, 3, 1))[0]
        r = self.server.app("POST", f"/invoices/{ref}/pay", json={"msisdn": msisdn, "pin": pin})
        if r.status_code == 409:  # a retry met PAYING or its own finished payment
            self._count("pay_refused")
        elif r.status_code != 200:
            raise AssertionError(f"pay {ref}: {r.status_code} {r.text[:200]}")
        elif r.json()["status"] == "PAID":
            with self.lock:
                self.paid.add(ref)
                self.counts["paid"] += 1
        else:
            self._count("pay_failed")
        st = status(self.server, ref)
        if st.code != 0 or st.text("status") != "PAID":
            return
        with self.lock:
            self.acked.add(ref)
            self.counts["acked"] += 1
        if rnd.random() < 0.4:
            self._refund(str(st.text("ersReference")), total, rnd)

    def _refund(self, ers: str, total: Decimal, rnd: random.Random) -> None:
        part = max(
            Decimal("0.01"), (total * Decimal(rnd.uniform(0.2, 0.7))).quantize(Decimal("0.01"))
        )
        for _ in range(3):  # the third one (or second) exceeds the payment and must be refused
            res = call(
                self.server,
                "refundPayment",
                f"<ersReference>{ers}</ersReference>" + invoice(f"{part}"),
            )
            if res.code == R.SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION:
                self._count("refund_refused")
                return
            if res.code != 0:
                raise AssertionError(f"refund of {ers}: {res.code} {res.description}")
            with self.lock:
                self.refunds[str(res.ret.findtext("ersReference"))] = part
                self.counts["refund"] += 1


def answered_violations(
    db: dict[str, list[tuple[Any, ...]]],
    paid: set[str],
    acked: set[str],
    refunds: dict[str, Decimal],
) -> list[str]:
    """What the server answered as done before the snapshot is still done."""
    states = {ref: state for ref, state, *_ in db["invoices"]}
    found = [
        f"{ref} was answered PAID to the customer, is {states.get(ref)}"
        for ref in sorted(paid)
        if states.get(ref) not in TRANSFERS_OF_STATE
    ]
    found += [
        f"{ref} was acknowledged PAID, is {states.get(ref)}"
        for ref in sorted(acked)
        if states.get(ref) != "paid"
    ]
    stored = {ers: int(amount) for ers, _ref, amount in db["refunds"]}
    for ers, amount in sorted(refunds.items()):
        if stored.get(ers) != int(amount * 100):
            found.append(f"refund {ers} of {amount} was answered 0, stored {stored.get(ers)}")
    return found


class Watch:
    """When each row (or state of an invoice) was first seen, to judge its deadline."""

    def __init__(self) -> None:
        self.first_seen: dict[tuple[str, ...], float] = {}

    def age(self, *key: str) -> float:
        now = time.monotonic()
        return now - self.first_seen.setdefault(key, now)


def deadline_violations(
    db: dict[str, list[tuple[Any, ...]]], delivered: Counter[str], watch: Watch, strict: bool
) -> list[str]:
    """Outbox rows exist and are delivered; PAYING and PAID_UNACKED end. `strict`: all done."""
    rows = Counter(ref for _id, ref, _status in db["notifications"])
    found = []
    for ref, state, rev, _total, _refunded, url in db["invoices"]:
        if state in TRANSFERS_OF_STATE and url and not rows[ref]:
            found.append(f"{ref} is {state} without its notification row")
        limit = PAYING_TIMEOUT if state == "paying" else ACK_WINDOW
        if state in ("paying", "paid_unacked"):
            age = watch.age(state, ref, str(rev))
            if strict or age > limit + DEADLINE_GRACE:
                found.append(f"{ref} still {state} {age:.1f} s after it was first seen")
    for nid, ref, row_status in db["notifications"]:
        if row_status == "failed":
            found.append(f"notification {nid} of {ref} failed")
        age = watch.age("notification", nid)
        if (strict or age > DELIVERY_DEADLINE) and delivered[ref] < rows[ref]:
            found.append(f"notification {nid} of {ref} not delivered {age:.1f} s after seen")
    return found


def violations(load: Load, receiver: Receiver, watch: Watch, strict: bool = False) -> list[str]:
    with load.lock:  # answered before the snapshot starts: committed before it
        paid, acked, refunds = set(load.paid), set(load.acked), dict(load.refunds)
    db = snapshot(load.server.database_url)
    with receiver.lock:
        delivered = receiver.counts.copy()
    return (
        ledger_violations(db)
        + money_violations(db)
        + answered_violations(db, paid, acked, refunds)
        + deadline_violations(db, delivered, watch, strict)
    )


def recovered(load: Load, receiver: Receiver, watch: Watch) -> list[str]:
    """Without load, everything settles within the timeouts: poll until it has, or report."""
    deadline = time.monotonic() + RECOVERY_WAIT
    while True:
        found = violations(load, receiver, watch, strict=True)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


# -- the test ----------------------------------------------------------------------------------
def kill_and_restart(server: RunningServer, tmp_path: Path) -> RunningServer:
    server.process.kill()  # SIGKILL: no shutdown, no flush
    server.process.wait(10)
    return start_server(server.database_url, tmp_path, extra_env=ENV)


@pytest.mark.timeout(480)  # about 1 min idle; restarts take several seconds on a busy machine
def test_sigkill_loop_loses_nothing_and_pays_nothing_twice(
    database_url: str, tmp_path: Path
) -> None:
    rnd = random.Random(SEED)
    receiver = Receiver()
    servers = [start_server(database_url, tmp_path, extra_env=ENV)]
    load, watch = Load(servers[0], receiver.url), Watch()
    found: list[str] = []
    started, down = time.monotonic(), 0.0
    try:
        load.start()
        for kill in range(1, KILLS + 1):
            load.wait_for_acks(ACKS_BETWEEN_KILLS, timeout=20)  # some work, even on a busy box
            time.sleep(rnd.uniform(0.0, 2.0))  # then a random moment of the load
            t = time.monotonic()
            servers.append(kill_and_restart(servers[-1], tmp_path))
            load.server = servers[-1]
            down += time.monotonic() - t
            found += [f"after kill {kill}: {v}" for v in violations(load, receiver, watch)]
        load.finish()
        found += [f"after recovery: {v}" for v in recovered(load, receiver, watch)]
    finally:
        load.finish()
        for s in servers:
            s.stop()
        receiver.close()
    repeats = sum(n - 1 for n in receiver.counts.values() if n > 1)
    print(
        f"\ncrash loop on {database_url.split(':')[0]}: {KILLS} kills,"
        f" {dict(load.counts)}, {repeats} repeated deliveries,"
        f" {len(found)} violations, {time.monotonic() - started:.0f} s ({down:.0f} s restarting)"
    )
    assert not found, "\n".join(found[:40])
    assert not load.errors, load.errors[:10]
    for s in servers:
        assert "Traceback" not in s.log(), s.log()[-3000:]
    # The loop really exercised what it checks.
    assert load.counts["acked"] >= KILLS * ACKS_BETWEEN_KILLS, load.counts
    assert load.counts["refund"] >= 5, load.counts
    assert load.counts["cut"] >= 1, load.counts
