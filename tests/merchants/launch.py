"""Launching the reference merchants for tests, and the few lookups their tests share.

* `start_merchant` -- ``python -m openseqr.merchants.<kind> serve …`` as its own process on a
  free 127.0.0.1 port with its own SQLite file; `merchants` is the fixture that starts any
  number of them and stops them after the test (the webshop, POS and browser tests use it).
* `InProcessBrowser` -- a blocking browser (cookies kept) on a merchant app in this process.
* `server_receipts`, `server_invoice` -- reading the SEQR server's
  side of a payment.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import free_port, stop_process, wait_for_http

#: the sandbox's public online terminal (D-61), which all three merchants' tests use
TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"
TERMINAL_ARGS = ("--terminal", TERMINAL_ID, "--password", TERMINAL_PASSWORD)


@dataclass
class RunningMerchant:
    url: str
    db_path: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The merchant's own records, oldest first (every merchant table has `created_at`)."""
        with sqlite3.connect(self.db_path) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY created_at")]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)


def start_merchant(kind: str, workdir: Path, args: list[str]) -> RunningMerchant:
    """`python -m openseqr.merchants.<kind> serve …` on a free 127.0.0.1 port."""
    port = free_port()
    db_path = workdir / f"{kind}-{port}.sqlite3"
    log_path = workdir / f"{kind}-{port}.log"
    command = [sys.executable, "-m", f"openseqr.merchants.{kind}", "serve", *args]
    command += ["--host", "127.0.0.1", "--port", str(port), "--database", str(db_path)]
    process = subprocess.Popen(
        command, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, env=dict(os.environ)
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", timeout=30, process=process)
    except Exception:
        process.kill()
        raise RuntimeError(f"{kind} did not start:\n" + log_path.read_text()) from None
    return RunningMerchant(url, db_path, process, log_path)


@pytest.fixture
def merchants(tmp_path: Path) -> Iterator[Callable[..., RunningMerchant]]:
    """``merchants(kind, *serve_args)`` starts a merchant; all are stopped after the test."""
    started: list[RunningMerchant] = []

    def start(kind: str, *args: str) -> RunningMerchant:
        m = start_merchant(kind, tmp_path, list(args))
        started.append(m)
        return m

    yield start
    for m in started:
        m.stop()


def webshop_args(seqr_url: str) -> tuple[str, ...]:
    """The `webshop serve` arguments for the sandbox's public terminal."""
    return ("--seqr-url", seqr_url, *TERMINAL_ARGS)


class InProcessBrowser:
    """A blocking browser (cookies kept) on a merchant app in process (httpx.ASGITransport)."""

    def __init__(self, app: Any, base_url: str, follow_redirects: bool = False) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=base_url,
            follow_redirects=follow_redirects,
        )

    def __enter__(self) -> InProcessBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(url, **kw))

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(url, **kw))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def _server_read(database_url: str, read: Callable[[Any], Any]) -> Any:
    from openseqr.storage import open_store

    store = open_store(database_url)
    try:
        with store.transaction(write=False) as tx:
            return read(tx)
    finally:
        store.close()


def server_receipts(database_url: str, ers_reference: str) -> list[Any]:
    """The receipt documents the SEQR server stored for a payment."""
    return list(_server_read(database_url, lambda tx: tx.receipt_documents(ers_reference)))


def server_invoice(database_url: str, reference: str) -> Any:
    """The SEQR server's own record of an invoice."""
    return _server_read(database_url, lambda tx: tx.get_invoice(reference))
