"""Fixtures for the merchant reference systems: a real `openseqr serve` (``server``, SQLite and
PostgreSQL, from tests/e2e; ``sqlite_server``), any merchant as its own process (``merchants``,
tests/merchants/launch.py) and the parking service registered with `openseqr service add`
(``parking``, ``parking_factory``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from openseqr.cli.main import main
from tests.e2e.conftest import database_url, server, server_factory  # noqa: F401  (fixtures)
from tests.fixtures_server import RunningServer
from tests.merchants.launch import (
    TERMINAL_ARGS,
    TERMINAL_ID,
    RunningMerchant,
    merchants,  # noqa: F401  (fixture)
    start_merchant,
)

SERVICE_ID = "parking"


class RunningParking(RunningMerchant):
    def tickets(self) -> list[dict[str, Any]]:
        return self.rows("tickets")

    def ticket(self, reference: str) -> dict[str, Any]:
        found = [t for t in self.tickets() if t["invoice_reference"] == reference]
        assert found, f"no ticket for {reference}: {self.tickets()}"
        return found[0]


def start_parking(seqr_url: str, workdir: Path, *extra: str) -> RunningParking:
    """The parking service on a free port; `extra` are more `serve` options."""
    m = start_merchant("parking", workdir, ["--seqr-url", seqr_url, *TERMINAL_ARGS, *extra])
    return RunningParking(m.url, m.db_path, m.process, m.log_path)


def register(db_url: str, base: str, service_id: str = SERVICE_ID) -> None:
    """`openseqr service add` with the parking service's four URLs."""
    urls = [f"--{page}-url={base}/{page}" for page in ("order", "success", "failure", "cancel")]
    args = ["service", "add", service_id, "--name", "City parking", "--terminal", TERMINAL_ID]
    result = CliRunner().invoke(main, [*args, *urls, "--database", db_url])
    assert result.exit_code == 0, result.output


@pytest.fixture
def parking_factory(tmp_path: Path) -> Iterator[Callable[..., RunningParking]]:
    """``parking_factory(server, *serve_args)``: started, registered, stopped after the test."""
    started: list[RunningParking] = []

    def start(srv: RunningServer, *extra: str) -> RunningParking:
        p = start_parking(srv.url, tmp_path, *extra)
        started.append(p)
        register(srv.database_url, p.url)
        return p

    yield start
    for p in started:
        p.stop()


@pytest.fixture
def parking(
    server: RunningServer,  # noqa: F811
    parking_factory: Callable[..., RunningParking],
) -> RunningParking:
    return parking_factory(server)


@pytest.fixture
def sqlite_server(tmp_path: Path, server_factory: Callable[..., RunningServer]) -> RunningServer:  # noqa: F811
    return server_factory(f"sqlite:///{tmp_path / 'seqr.sqlite3'}")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as client:
        yield client
