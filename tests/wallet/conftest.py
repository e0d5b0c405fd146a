"""Fixtures for the headless-wallet tests: a real `openseqr serve` per backend (module scope, as in
tests/e2e), a fake External Service on 127.0.0.1, and its services registered with the
`openseqr service add` CLI against the server's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from openseqr.cli.main import main
from tests.e2e.soap_client import BACKENDS, served
from tests.fixtures_server import RunningServer
from tests.wallet.fake_service import TERMINAL_ID, VARIANTS, FakeService, ServiceThread


@pytest.fixture(scope="module", params=BACKENDS)
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    yield from served(request, tmp_path_factory)


@pytest.fixture(scope="module")
def fake(srv: RunningServer) -> Iterator[FakeService]:
    with ServiceThread(FakeService(srv.url)) as service:
        yield service


def register(database_url: str, service_id: str, urls: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main,
        [
            "service",
            "add",
            service_id,
            "--name",
            f"Fake {service_id}",
            "--terminal",
            TERMINAL_ID,
            "--order-url",
            urls["order"],
            "--success-url",
            urls["success"],
            "--failure-url",
            urls["failure"],
            "--cancel-url",
            urls["cancel"],
            "--database",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def service_ids(srv: RunningServer, fake: FakeService) -> dict[str, str]:
    """variant -> registered service id (ES_LINK, ES_REDIRECT, …)."""
    ids = {}
    for variant in VARIANTS:
        ids[variant] = f"ES_{variant.upper()}"
        register(srv.database_url, ids[variant], fake.urls(variant))
    return ids
