"""Three `openseqr serve` processes on one PostgreSQL database, one killed with SIGKILL under load
(issue 9): the database is the only thing the processes share, and nothing the dead one held
stays stuck or happens twice.

Load (six threads, fixed seed): each payment is sent with `sendInvoice` (a notification URL to a
receiver on 127.0.0.1) to one server, paid through the app API on another, and acknowledged with
`getPaymentStatus` on a third once its notification has arrived. Some payments are never
acknowledged (the shortened acknowledgement window must reverse them), some invoices are never
paid (the shortened online lifetime must expire them). The public terminal signs its
notifications, so each arrival is checked and identified by its signed `deliveryId`.

The kill is staged so that it surely catches what a dying process can hold (A-46): the victim's
account provider is slow, and it is killed while

* one of its payments is in PAYING (its first transaction committed, the debit not yet made):
  another process's deadline scanner must make the invoice payable again, and it is then paid
  on a survivor;
* one of its notifications is being sent (the receiver holds that request open), so the 2xx is
  lost with the process: the row's lease lapses and a survivor sends it again, with the same
  `deliveryId` (delivery is at least once, D-01/A-09).

Then, once the load stops and the timeouts have passed:
* the ledger balances and each invoice has exactly the transfers of its state (one debit, at
  most one reversal);
* every paid invoice has exactly one notification row, delivered; the receiver saw each row's
  `deliveryId`, and more than once only for a row whose first delivery the killed process made;
* every unacknowledged payment was reversed exactly once (one reversal transfer, one message to
  the customer), every abandoned invoice expired once, nothing is left PAYING or PAID_UNACKED,
  and every payment acknowledged as PAID is still paid.

The same test runs with the servers behind PgBouncer in transaction mode when
`OPENSEQR_TEST_PGBOUNCER_URL` names one (A-45; docs/scaling.md).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from click.testing import CliRunner

from openseqr.cli.main import main as openseqr_cli
from openseqr.protocol.notify import SIGNATURE_HEADER, decode_notification, verify
from openseqr.storage import migrate
from tests.e2e.wire import call, invoice, ok, status
from tests.fixtures_server import RunningServer, start_server
from tests.support.books import QUERIES, ledger_violations, money_violations, snapshot
from tests.support.load import SeededLoad

pytestmark = pytest.mark.slow

SEED = 9
THREADS = 6
TERMINAL = "public_test_shop_terminal"
SECRET = "multiprocess-signing-secret"
PAYING_TIMEOUT = 6.0  # seconds; above the victim's provider latency
ACK_WINDOW = 8.0  # seconds; the unacknowledged payments are reversed after this
ONLINE_LIFETIME = 10.0  # seconds; abandoned invoices expire after this
VICTIM_PROVIDER_LATENCY = 2.5  # seconds: the kill surely lands while a payment is PAYING
ENV = {
    "OPENSEQR_PAYING_TIMEOUT_SECONDS": str(PAYING_TIMEOUT),
    "OPENSEQR_ACK_WINDOW_SECONDS": str(ACK_WINDOW),
    "OPENSEQR_ONLINE_INVOICE_LIFETIME_HOURS": str(ONLINE_LIFETIME / 3600),
    "OPENSEQR_PROVIDER_LATENCY_SECONDS": "0.05",  # PAYING commits on its own
    "OPENSEQR_TICK_SECONDS": "0.1",
}
UNACKED_SHARE = 0.25
ABANDONED_SHARE = 0.1
ACKS_BEFORE_KILL = 15
ACKS_AFTER_KILL = 15
RECOVERY_WAIT = 60.0  # a lease (10 s) and the deadlines, on a busy machine
PAYERS = (("46700000001", "1111"), ("46700000002", "2222"), ("46700000003", "3333"))
EXTRA_QUERIES = {
    **QUERIES,
    "outbox": "SELECT notification_id, invoice_reference, status FROM notifications",
    "reversal_messages": "SELECT invoice_reference, COUNT(*) FROM customer_messages"
    " WHERE message_text LIKE '%was reversed%' GROUP BY invoice_reference",
    "endings": "SELECT reference, reason, version FROM invoices",
}
PAID_STATES = {"paid", "paid_unacked", "reversed"}


@dataclass
class Arrival:
    delivery_id: str
    reference: str
    at: float  # time.monotonic() when the request arrived
    signed: bool


class Receiver:
    """The merchant's endpoint: records every notification; holds the first one sent to `/hold`
    open until released, so the process sending it can be killed before it sees the 2xx."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.lock = threading.Lock()
        self.arrived: dict[str, threading.Event] = {}
        self.held = threading.Event()  # the held request has arrived
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.record(body, self.headers.get(SIGNATURE_HEADER))
                if self.path.startswith("/hold") and not receiver.held.is_set():
                    receiver.held.set()
                    receiver.release.wait(60)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender was killed meanwhile
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def record(self, body: bytes, signature: str | None) -> None:
        at = time.monotonic()
        fields = decode_notification(body)
        signed = verify(SECRET.encode(), signature, body, int(time.time()))
        arrival = Arrival(fields.get("deliveryId", ""), fields["invoiceReference"], at, signed)
        with self.lock:
            self.arrivals.append(arrival)
            self.arrived.setdefault(arrival.reference, threading.Event()).set()

    def wait_for(self, reference: str, timeout: float) -> bool:
        with self.lock:
            event = self.arrived.setdefault(reference, threading.Event())
        return event.wait(timeout)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Outcomes:
    """What the servers answered, by invoice reference."""

    acked: set[str] = field(default_factory=set)  # getPaymentStatus answered PAID
    unacked: set[str] = field(default_factory=set)  # paid (answered PAID), never acknowledged
    abandoned: set[str] = field(default_factory=set)  # sent, never paid
    errors: list[str] = field(default_factory=list)


class Load(SeededLoad):
    """Payments spread over the live servers: send on one, pay on another, acknowledge on a
    third. A request cut by the kill is abandoned; the books decide what became of it."""

    def __init__(self, servers: list[RunningServer], receiver: Receiver) -> None:
        super().__init__(THREADS, SEED)
        self.alive = list(servers)
        self.receiver = receiver
        self.out = Outcomes()

    def drop(self, server: RunningServer) -> None:
        with self.lock:
            self.alive.remove(server)

    def _note(self, what: str, ref: str, into: set[str]) -> None:
        with self.lock:
            self.counts[what] += 1
            into.add(ref)

    def _run(self, rnd: random.Random) -> None:
        while not self.stop.is_set():
            with self.lock:
                servers = list(self.alive)
            rnd.shuffle(servers)
            try:
                self._payment(rnd, servers[0], servers[1 % len(servers)], servers[-1])
            except httpx.TransportError:  # the server was killed under this request
                self._count("cut")
            except Exception as exc:  # a 5xx or an unexpected answer: a finding
                with self.lock:
                    self.out.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
                time.sleep(0.2)

    def _payment(
        self, rnd: random.Random, sender: RunningServer, payer: RunningServer, poller: RunningServer
    ) -> None:
        total = Decimal(rnd.randint(100, 5000)) / 100
        url = f"<notificationUrl>{self.receiver.base}/notify</notificationUrl>"
        ref = str(
            ok(call(sender, "sendInvoice", invoice(f"{total}", extra=url))).text("invoiceReference")
        )
        if rnd.random() < ABANDONED_SHARE:
            return self._note("abandoned", ref, self.out.abandoned)
        msisdn, pin = rnd.choices(PAYERS, weights=(6, 3, 1))[0]
        r = payer.app("POST", f"/invoices/{ref}/pay", json={"msisdn": msisdn, "pin": pin})
        if r.status_code == 409:  # it expired before the pay on a slow machine
            return self._count("pay_refused")
        assert r.status_code == 200, f"pay {ref}: {r.status_code} {r.text[:200]}"
        if r.json()["status"] != "PAID":
            return self._count("pay_failed")
        if rnd.random() < UNACKED_SHARE:
            return self._note("unacked", ref, self.out.unacked)
        self.receiver.wait_for(ref, timeout=ACK_WINDOW / 2)  # a till also polls without one
        st = status(poller, ref)
        if st.code == 0 and st.text("status") == "PAID":
            return self._note("acked", ref, self.out.acked)
        self._count("late_ack")  # the window had passed: reversed, the books check it


# -- staging the kill ----------------------------------------------------------------------------
def pay_in_background(server: RunningServer, ref: str) -> threading.Thread:
    def pay() -> None:
        try:
            server.app("POST", f"/invoices/{ref}/pay", json={"msisdn": PAYERS[0][0], "pin": "1111"})
        except httpx.TransportError:
            pass  # killed under it, as intended

    thread = threading.Thread(target=pay, daemon=True)
    thread.start()
    return thread


def state_of(database_url: str, ref: str) -> str:
    rows = snapshot(database_url, {"s": f"SELECT state FROM invoices WHERE reference = '{ref}'"})
    return str(rows["s"][0][0])


def wait_for_state(database_url: str, ref: str, states: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while (state := state_of(database_url, ref)) not in states and time.monotonic() < deadline:
        time.sleep(0.02)
    return state


def send(server: RunningServer, notify_url: str) -> str:
    extra = f"<notificationUrl>{notify_url}</notificationUrl>"
    return str(
        ok(call(server, "sendInvoice", invoice("12.50", extra=extra))).text("invoiceReference")
    )


@dataclass
class Kill:
    at: float  # time.monotonic() of the SIGKILL
    held: str  # invoice whose notification the victim was sending
    paying: str  # invoice the victim left in PAYING


def stage_kill(victim: RunningServer, receiver: Receiver) -> Kill:
    """Kill `victim` while it sends a notification and while one of its payments is PAYING."""
    held = send(victim, f"{receiver.base}/hold")
    pay_in_background(victim, held)
    assert receiver.held.wait(30), "the victim never sent the held notification"
    paying = send(victim, f"{receiver.base}/notify")
    pay_in_background(victim, paying)
    state = wait_for_state(victim.database_url, paying, {"paying"}, VICTIM_PROVIDER_LATENCY * 4)
    assert state == "paying", f"the victim's payment is {state}, not paying"
    victim.process.kill()  # SIGKILL: no shutdown, no flush
    at = time.monotonic()
    victim.process.wait(10)
    assert state_of(victim.database_url, paying) == "paying", "the debit finished before the kill"
    return Kill(at, held, paying)


# -- the checks ----------------------------------------------------------------------------------
def delivery_violations(
    db: dict[str, list[tuple[Any, ...]]], arrivals: list[Arrival], kill: Kill
) -> list[str]:
    """One row per paid invoice, delivered; each row's deliveryId arrives once, or twice when
    the killed process sent it first (its 2xx was lost with it)."""
    rows = {str(nid): ref for nid, ref, _status in db["outbox"]}
    per_invoice = Counter(rows.values())
    found = [f"row {nid} of {ref} is {st}" for nid, ref, st in db["outbox"] if st != "delivered"]
    for ref, state, *_ in db["invoices"]:
        if (state in PAID_STATES) != (per_invoice[ref] == 1) or per_invoice[ref] > 1:
            found.append(f"{ref} is {state} with {per_invoice[ref]} notification rows")
    seen: dict[str, list[Arrival]] = {}
    for a in arrivals:
        seen.setdefault(a.delivery_id, []).append(a)
        if not a.signed:
            found.append(f"delivery {a.delivery_id} of {a.reference} is not signed right")
        if rows.get(a.delivery_id) != a.reference:
            found.append(f"delivery {a.delivery_id} for {a.reference} matches no notification row")
    for nid, ref in rows.items():
        times = sorted(a.at for a in seen.get(nid, []))
        if not times:
            found.append(f"row {nid} of {ref} never arrived")
        elif len(times) > 1 and not (len(times) == 2 and times[0] < kill.at < times[1]):
            found.append(f"row {nid} of {ref} arrived {len(times)} times, not around the kill")
    return found


def deadline_violations(db: dict[str, list[tuple[Any, ...]]], out: Outcomes) -> list[str]:
    """Each deadline fired, and fired once."""
    states = {ref: state for ref, state, *_ in db["invoices"]}
    endings = {ref: (reason, version) for ref, reason, version in db["endings"]}
    messages = {ref: int(n) for ref, n in db["reversal_messages"]}
    found = [
        f"{ref} left {state}"
        for ref, state in states.items()
        if state in ("paying", "paid_unacked")
    ]
    found += [
        f"{ref} is {states[ref]} after it was acknowledged"
        for ref in out.acked
        if states[ref] != "paid"
    ]
    found += [
        f"{ref} is {states[ref]}, never acknowledged"
        for ref in out.unacked
        if states[ref] != "reversed"
    ]
    for ref, state in states.items():
        if (state == "reversed") != (messages.get(ref, 0) == 1) or messages.get(ref, 0) > 1:
            found.append(f"{ref} is {state} with {messages.get(ref, 0)} reversal messages")
    for ref in out.abandoned:
        if (states[ref], *endings[ref]) != ("cancelled", "expired", 2):  # one bump: expired once
            found.append(f"abandoned {ref} is {states[ref]}, (reason, version) {endings[ref]}")
    return found


def violations(
    db: dict[str, list[tuple[Any, ...]]], load: Load, receiver: Receiver, kill: Kill
) -> list[str]:
    with receiver.lock:
        arrivals = list(receiver.arrivals)
    return (
        ledger_violations(db)
        + money_violations(db)
        + delivery_violations(db, arrivals, kill)
        + deadline_violations(db, load.out)
    )


def settled(database_url: str, load: Load, receiver: Receiver, kill: Kill) -> list[str]:
    """Without load, everything settles within the timeouts: poll until it has, or report."""
    deadline = time.monotonic() + RECOVERY_WAIT
    while True:
        found = violations(snapshot(database_url, EXTRA_QUERIES), load, receiver, kill)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


# -- the test ------------------------------------------------------------------------------------
def sign_notifications(database_url: str) -> None:
    args = ["terminal", "set", TERMINAL, "--notify-secret", SECRET, "--database", database_url]
    result = CliRunner().invoke(openseqr_cli, args)
    assert result.exit_code == 0, result.output


@pytest.mark.postgres
@pytest.mark.timeout(420)
def test_three_processes_share_one_database_and_survive_a_sigkill(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    three_processes_and_a_sigkill(fresh_postgres_url, fresh_postgres_url, tmp_path, ENV)


#: e.g. postgresql://openseqr:openseqr@127.0.0.1:6432/ -- a PgBouncer with
#: `pool_mode = transaction` in front of the test cluster, forwarding every database name
PGBOUNCER = "OPENSEQR_TEST_PGBOUNCER_URL"


@pytest.mark.timeout(420)
@pytest.mark.skipif(not os.environ.get(PGBOUNCER), reason=f"{PGBOUNCER} is not set")
def test_the_same_through_pgbouncer_in_transaction_mode(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    """A-45: servers behind a transaction pooler. Not in CI, which has no PgBouncer."""
    migrate(fresh_postgres_url)  # directly: behind a transaction pooler serve does not migrate
    bouncer = urlsplit(os.environ[PGBOUNCER]).netloc
    served = urlunsplit(urlsplit(fresh_postgres_url)._replace(netloc=bouncer))
    env = {**ENV, "OPENSEQR_DB_TRANSACTION_POOLING": "true"}
    three_processes_and_a_sigkill(fresh_postgres_url, served, tmp_path, env)


def three_processes_and_a_sigkill(
    direct_url: str, url: str, tmp_path: Path, env: dict[str, str]
) -> None:
    """Servers on `url`; operator commands on `direct_url` (the same database)."""
    receiver = Receiver()
    victim_env = {**env, "OPENSEQR_PROVIDER_LATENCY_SECONDS": str(VICTIM_PROVIDER_LATENCY)}
    servers = [start_server(url, tmp_path, extra_env=victim_env)]  # migrates and seeds first
    sign_notifications(direct_url)
    servers += [start_server(url, tmp_path, extra_env=env) for _ in range(2)]
    victim, survivors = servers[0], servers[1:]
    load = Load(servers, receiver)
    try:
        load.start()
        load.wait_for_acks(ACKS_BEFORE_KILL, timeout=120)
        kill = stage_kill(victim, receiver)
        load.drop(victim)
        receiver.release.set()
        # The survivors' scanner makes the PAYING invoice payable again; a survivor then takes it.
        assert wait_for_state(url, kill.paying, {"issued", "viewed"}, PAYING_TIMEOUT * 4) in (
            "issued",
            "viewed",
        )
        r = survivors[0].app(
            "POST", f"/invoices/{kill.paying}/pay", json={"msisdn": PAYERS[1][0], "pin": "2222"}
        )
        assert r.status_code == 200 and r.json()["status"] == "PAID", r.text
        receiver.wait_for(kill.paying, ACK_WINDOW / 2)  # then poll, as a till does
        assert status(survivors[1], kill.paying).text("status") == "PAID"
        load.out.acked.add(kill.paying)
        load.wait_for_acks(ACKS_AFTER_KILL, timeout=120)
        load.finish()
        found = settled(url, load, receiver, kill)
    finally:
        load.finish()
        for s in servers:
            s.stop()
        receiver.close()
    held_arrivals = [a for a in receiver.arrivals if a.reference == kill.held]
    print(
        f"\n3 processes, 1 SIGKILL: {dict(load.counts)}, {len(receiver.arrivals)} deliveries,"
        f" {len(found)} violations"
    )
    assert not found, "\n".join(found[:40])
    assert not load.out.errors, load.out.errors[:10]
    for s in servers:
        assert "Traceback" not in s.log(), s.log()[-3000:]
    # The kill really cost the victim a 2xx, taken over and resent by a survivor.
    assert len(held_arrivals) == 2, held_arrivals
    # The load really exercised what it checks.
    assert load.counts["acked"] >= ACKS_BEFORE_KILL + ACKS_AFTER_KILL, load.counts
    assert load.out.unacked and load.out.abandoned, load.counts
