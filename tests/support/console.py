"""Driving the web console over HTTP from tests: a signed-in client, a second merchant written
straight into the database, and a notification receiver on 127.0.0.1 that counts deliveries."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from openseqr.core.records import Reseller, Terminal, TerminalKind
from openseqr.service.security import hash_secret
from openseqr.storage import open_store

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
OPERATOR = ("demo", "demo-operator")  # the sandbox's demo operator
MERCHANT = ("public_test_shop/9900", "1234")  # the sandbox's RESELLERUSER


class ConsoleClient:
    """A browser-like client of /console: keeps the session cookie, reads the CSRF token."""

    def __init__(self, base_url: str, local_address: str | None = None) -> None:
        transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
        self.http = httpx.Client(base_url=base_url, timeout=30, transport=transport)

    def login(self, name: str, password: str) -> httpx.Response:
        token = self.csrf("/console/login")
        data = {"login": name, "password": password, "csrf": token}
        return self.http.post("/console/login", data=data)

    def csrf(self, page: str = "/console/invoices") -> str:
        found = CSRF.search(self.http.get(page).text)
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict[str, str], csrf: bool = True) -> httpx.Response:
        form = {**data, "csrf": self.csrf()} if csrf else data
        return self.http.post(path, data=form)

    def close(self) -> None:
        self.http.close()


def signed_in(base_url: str, who: tuple[str, str] = OPERATOR) -> ConsoleClient:
    client = ConsoleClient(base_url)
    response = client.login(*who)
    assert response.status_code == 303, response.text
    return client


def add_merchant(database_url: str, reseller_id: str, password: str) -> tuple[str, str]:
    """Another merchant (user id 1) with one online terminal; (terminal id, its password)."""
    terminal_id = (reseller_id.encode().hex() + "0" * 32)[:32]
    store = open_store(database_url)
    try:
        with store.transaction() as tx:
            tx.upsert_reseller(Reseller(reseller_id, "1", hash_secret(password), reseller_id))
            tx.insert_terminal(
                Terminal(
                    terminal_id,
                    reseller_id,
                    TerminalKind.ONLINE,
                    "Other till",
                    hash_secret(password),
                )  # fmt: skip
            )
    finally:
        store.close()
    return terminal_id, password


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.bodies.append(body.decode())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class Receiver(ThreadingHTTPServer):
    """Accepts every notification POST and keeps its body."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[str] = []
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}/notify"

    def of(self, reference: str) -> list[str]:
        with self.lock:
            return [b for b in self.bodies if f"invoiceReference={reference}" in b]


@contextmanager
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
