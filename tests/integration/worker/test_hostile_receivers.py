"""The relay against merchant endpoints that misbehave, over real sockets on 127.0.0.1.

Each receiver is a bare socket server that reads one request and then answers in one hostile
way: a redirect, no answer at all, an answer that trickles, one cut off, one far too large.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.integration.worker import test_notifier as relay_tests
from tests.integration.worker.test_notifier import notifications, paid_invoice, relay_once

# the relay tests' fixtures: a hand-moved clock and a sandbox context
clock, ctx = relay_tests.clock, relay_tests.ctx

HUGE = 256 * 1024 * 1024  # the length a hostile receiver announces
CHUNK = 64 * 1024


class RawReceiver:
    """``with RawReceiver(answer) as rec:`` serves on ``rec.url``; ``answer(rec, conn)`` writes
    the reply to each request (over TLS with ``tls``). ``requests`` holds each request line,
    ``sent`` the body bytes the receiver managed to write."""

    def __init__(
        self,
        answer: Callable[[RawReceiver, socket.socket], None],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.answer = answer
        self.tls = tls
        self.handshakes_refused = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/notify"
        self.requests: list[str] = []
        self.sent = 0
        self.done = threading.Event()  # the test is over: stop hanging and trickling
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> RawReceiver:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        for thread in list(self._threads):
            thread.join(10)
        self.listener.close()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:  # the client refused the certificate
                self.handshakes_refused += 1
                conn.close()
                return
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, _ = data.split(b"\r\n\r\n", 1)
            self.requests.append(head.split(b"\r\n", 1)[0].decode())
            try:
                self.answer(self, conn)
            except OSError:  # the relay hung up, as it should
                pass

    def send_body(self, conn: socket.socket, chunk: bytes, pause: float = 0.0) -> None:
        while self.sent < HUGE and not self.done.wait(pause):
            conn.sendall(chunk)
            self.sent += len(chunk)


def redirect(rec: RawReceiver, conn: socket.socket) -> None:
    location = f"http://127.0.0.1:{rec.port}/elsewhere"
    conn.sendall(
        f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
    )


def ok(rec: RawReceiver, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


def hang(rec: RawReceiver, conn: socket.socket) -> None:
    rec.done.wait(30)


def trickle(rec: RawReceiver, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    rec.send_body(conn, b"x", pause=0.05)


def cut_off(rec: RawReceiver, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly the first bytes")


def hang_up(rec: RawReceiver, conn: socket.socket) -> None:
    conn.shutdown(socket.SHUT_RDWR)


def huge(rec: RawReceiver, conn: socket.socket) -> None:
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {HUGE}\r\n\r\n".encode())
    rec.send_body(conn, b"x" * CHUNK)


def relay_to(ctx, answer):  # type: ignore[no-untyped-def]
    """One notification to a receiver answering with `answer`, relayed once: the receiver,
    the outbox row and its attempts."""
    with RawReceiver(answer) as rec:
        ref = paid_invoice(ctx, rec.url)
        relay_once(ctx)
    n, attempts = notifications(ctx, ref)
    return rec, n, attempts


def test_a_redirect_is_not_followed_and_fails_like_any_other_3xx(ctx):
    rec, n, attempts = relay_to(ctx, redirect)
    assert rec.requests == ["POST /notify HTTP/1.1"]  # nothing asked of /elsewhere
    assert n.status == "failed" and [a.status_code for a in attempts] == [302]


def test_a_receiver_that_never_answers_is_given_up_after_the_timeout(ctx):
    ctx.config = replace(ctx.config, notify_timeout=0.5)
    _, n, (attempt,) = relay_to(ctx, hang)
    assert n.status == "pending" and n.attempts == 1  # retried later
    assert attempt.status_code is None and attempt.error.startswith("TimeoutError")


def test_an_answer_that_trickles_past_the_timeout_is_given_up(ctx):
    """The timeout covers the whole answer, not each read."""
    ctx.config = replace(ctx.config, notify_timeout=0.5)
    rec, n, (attempt,) = relay_to(ctx, trickle)
    assert n.status == "pending" and attempt.error.startswith("TimeoutError")
    assert rec.sent < 1000


@pytest.mark.parametrize(
    ("answer", "error"),
    [(cut_off, "ClientPayloadError"), (hang_up, "ServerDisconnectedError")],
    ids=["cut-off-mid-body", "closed-before-any-answer"],
)
def test_a_broken_answer_is_an_error_and_retried(ctx, answer, error):
    _, n, (attempt,) = relay_to(ctx, answer)
    assert n.status == "pending" and attempt.status_code is None
    assert attempt.error.startswith(error)


def test_a_huge_answer_is_judged_by_its_status_and_not_read_to_the_end(ctx):
    rec, n, (attempt,) = relay_to(ctx, huge)
    assert n.status == "delivered" and attempt.status_code == 200
    # the relay hung up after a small cap: what got out is what the socket buffers held
    assert rec.sent < HUGE // 8
