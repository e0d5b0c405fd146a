"""An authentication storm against a real `openseqr serve` (A-29, docs/security.md).

The real terminal calls from 127.0.0.1, as it always has; the attacker, from 127.0.0.2, sends
wrong passwords for the real terminal's id (about 50 a second) and for other terminals. The real
terminal keeps getting 0; the attacker gets 20 and is throttled. No assertion is on speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.wire import call, context, invoice, new_terminal, ok, parse
from tests.fixtures_server import SOAP_PATH, RunningServer
from tests.support.servers import sqlite_served

ATTEMPTS = 150  # per attacker thread; two threads
RATE = 50  # wrong passwords a second at most, both threads together


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from sqlite_served(tmp_path_factory, "storm")


def _client_from(server: RunningServer, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=30)


def _send_invoice(client: httpx.Client, ctx: str) -> int:
    from tests.e2e.wire import envelope

    r = client.post(SOAP_PATH, content=envelope("sendInvoice", invoice(), ctx))
    return parse(r.status_code, r.content, "sendInvoice").code


def _attack(server: RunningServer, targets: list[str]) -> list[int]:
    """Every other guess is for the real terminal, the rest for other terminals."""
    codes: list[int] = []
    with _client_from(server, "127.0.0.2") as attacker:
        for n in range(ATTEMPTS):
            started = time.monotonic()
            target = targets[0] if n % 2 == 0 else targets[1 + n % (len(targets) - 1)]
            codes.append(_send_invoice(attacker, context(target, "TERMINALID", f"guess-{n}")))
            time.sleep(max(0.0, 2 / RATE - (time.monotonic() - started)))
    return codes


def test_real_terminal_keeps_working_while_an_attacker_guesses(server: RunningServer) -> None:
    victim_id, victim = new_terminal(server)
    other_id, _ = new_terminal(server)
    spare_id, spare_ctx = new_terminal(server)  # the attacker knows this password
    # both tills have been working all along from their usual address
    ok(call(server, "sendInvoice", invoice(), victim))
    ok(call(server, "sendInvoice", invoice()))
    targets = [victim_id, other_id, "public_test_shop_terminal"]
    results: list[list[int]] = [[], []]
    attackers = [
        threading.Thread(target=lambda i=i: results[i].extend(_attack(server, targets)))
        for i in range(2)
    ]
    for t in attackers:
        t.start()
    real: list[int] = []
    while any(t.is_alive() for t in attackers) and len(real) < 5000:
        real.append(call(server, "sendInvoice", invoice(), victim).code)
    for t in attackers:
        t.join(60)
    attacked = results[0] + results[1]
    assert len(real) >= 20 and len(attacked) == 2 * ATTEMPTS, (len(real), len(attacked))
    assert real.count(0) >= 0.99 * len(real), real
    assert set(attacked) == {20}, set(attacked)
    with _client_from(server, "127.0.0.2") as attacker:
        # throttled: even a password it knows is refused at that address for now
        assert _send_invoice(attacker, spare_ctx) == 20
    # the public terminal, also attacked, still works for its own till
    ok(call(server, "sendInvoice", invoice()))
    assert spare_id and other_id
