"""Fixtures for the merchant reference systems: a real `openseqr serve` (``server``, SQLite and
PostgreSQL, from tests/e2e) and the parking service as a separate `openseqr parking serve`
process on 127.0.0.1, registered with the `openseqr service add` CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from openseqr.cli.main import main
from tests.e2e.conftest import database_url, server, server_factory  # noqa: F401  (fixtures)
from tests.fixtures_server import RunningServer
from tests.helpers import free_port, wait_for_http

TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"
SERVICE_ID = "parking"


@dataclass
class RunningParking:
    url: str
    db_path: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def tickets(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db_path) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM tickets ORDER BY created_at")]

    def ticket(self, reference: str) -> dict[str, Any]:
        found = [t for t in self.tickets() if t["invoice_reference"] == reference]
        assert found, f"no ticket for {reference}: {self.tickets()}"
        return found[0]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_parking(seqr_url: str, workdir: Path, *extra: str) -> RunningParking:
    """`openseqr parking serve` on a free port; `extra` are more CLI options."""
    port = free_port()
    db_path = workdir / f"parking-{port}.sqlite3"
    log_path = workdir / f"parking-{port}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openseqr",
            "parking",
            "serve",
            "--seqr-url",
            seqr_url,
            "--terminal",
            TERMINAL_ID,
            "--password",
            TERMINAL_PASSWORD,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database",
            str(db_path),
            *extra,
        ],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", timeout=30, process=process)
    except Exception:
        process.kill()
        raise RuntimeError("parking service did not start:\n" + log_path.read_text()) from None
    return RunningParking(url, db_path, process, log_path)


def register(db_url: str, base: str, service_id: str = SERVICE_ID) -> None:
    result = CliRunner().invoke(
        main,
        [
            "service",
            "add",
            service_id,
            "--name",
            "City parking",
            "--terminal",
            TERMINAL_ID,
            "--order-url",
            f"{base}/order",
            "--success-url",
            f"{base}/success",
            "--failure-url",
            f"{base}/failure",
            "--cancel-url",
            f"{base}/cancel",
            "--database",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.fixture
def parking_factory(tmp_path: Path) -> Iterator[Callable[[RunningServer], RunningParking]]:
    started: list[RunningParking] = []

    def start(srv: RunningServer) -> RunningParking:
        p = start_parking(srv.url, tmp_path)
        started.append(p)
        register(srv.database_url, p.url)
        return p

    yield start
    for p in started:
        p.stop()


@pytest.fixture
def parking(
    server: RunningServer,  # noqa: F811
    parking_factory: Callable[[RunningServer], RunningParking],
) -> RunningParking:
    return parking_factory(server)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as client:
        yield client
