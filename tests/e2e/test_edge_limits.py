"""Slow and stalled clients against a real `openseqr serve` (A-28, docs/security.md).

The attacker connects from 127.0.0.2 (still loopback); the legitimate merchant from 127.0.0.1.
Assertions are on result codes, success rates and closed connections, never on speed.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import pytest

from tests.e2e.wire import call, envelope, invoice
from tests.fixtures_server import SOAP_PATH, RunningServer, start_server

ATTACKER = "127.0.0.2"
HEADER_TIMEOUT = 4.0
BODY_TIMEOUT = 4.0
STALLED = 500


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    work = tmp_path_factory.mktemp("edge")
    env = {
        "OPENSEQR_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "OPENSEQR_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        # far fewer slots than stalled clients: before A-28 these 500 made every call 93
        "OPENSEQR_MAX_INFLIGHT": "64",
        "OPENSEQR_MAX_CONNECTIONS_PER_SOURCE": "600",
    }
    s = start_server(f"sqlite:///{work / 'edge.sqlite3'}", work, extra_env=env)
    yield s
    s.stop()
    assert "Traceback" not in s.log(), s.log()[-3000:]


def _connect(server: RunningServer, source: str) -> socket.socket:
    port = int(server.url.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


def _half_head() -> bytes:
    return f"POST {SOAP_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n".encode()


def _half_body() -> bytes:
    body = envelope("sendInvoice", invoice()).encode()
    head = (
        f"POST {SOAP_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body[: len(body) // 2]


def _wait_closed(socks: list[socket.socket], within: float) -> tuple[int, list[bytes]]:
    """How many of `socks` the server closed within `within` seconds, and what it said."""
    open_socks, said, deadline = set(socks), {s: b"" for s in socks}, time.monotonic() + within
    while open_socks and time.monotonic() < deadline:
        readable, _, _ = select.select(list(open_socks)[:1000], [], [], 0.5)
        for s in readable:
            try:
                chunk = s.recv(4096)
            except (ConnectionResetError, TimeoutError):
                chunk = b""
            said[s] += chunk
            if not chunk:
                open_socks.discard(s)
    return len(socks) - len(open_socks), [said[s] for s in socks]


def test_stalled_clients_cost_a_socket_never_a_slot(server: RunningServer) -> None:
    stalled = []
    try:
        for i in range(STALLED):
            sock = _connect(server, ATTACKER)
            sock.sendall(_half_head() if i % 2 == 0 else _half_body())
            stalled.append(sock)
        codes = [call(server, "sendInvoice", invoice()).code for _ in range(100)]
        closed, said = _wait_closed(stalled, HEADER_TIMEOUT + BODY_TIMEOUT + 20)
    finally:
        for sock in stalled:
            sock.close()
    assert codes.count(0) >= 99, codes
    assert closed == STALLED, f"{STALLED - closed} stalled connections were never closed"
    # heads and bodies alike are answered 408 when their deadline passes
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in said), said[:2]
    # the server is still healthy afterwards
    assert call(server, "sendInvoice", invoice()).code == 0


def test_oversized_request_head_is_refused(server: RunningServer) -> None:
    sock = _connect(server, ATTACKER)
    try:
        sock.sendall(_half_head() + b"X-Pad: " + b"a" * (128 * 1024))
        closed, said = _wait_closed([sock], 10)
    finally:
        sock.close()
    assert closed == 1
    assert said[0].startswith(b"HTTP/1.1 431"), said[0][:100]


def test_connections_per_source_are_capped(tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("edge-cap")
    env = {"OPENSEQR_MAX_CONNECTIONS_PER_SOURCE": "20", "OPENSEQR_HEADER_TIMEOUT_SECONDS": "60"}
    server = start_server(f"sqlite:///{work / 'cap.sqlite3'}", work, extra_env=env)
    socks: list[socket.socket] = []
    try:
        socks = [_connect(server, ATTACKER) for _ in range(30)]
        closed, _ = _wait_closed(socks, 5)
        # the merchant at another address is not affected by the attacker's cap
        codes = [call(server, "sendInvoice", invoice()).code for _ in range(10)]
    finally:
        for sock in socks:
            sock.close()
        server.stop()
    assert closed == 10, f"{closed} of 30 connections closed; the cap is 20"
    assert codes == [0] * 10
