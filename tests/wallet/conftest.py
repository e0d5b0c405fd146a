"""Fixtures for the headless-wallet tests: a real `openseqr serve` per backend (module scope, as in
tests/e2e), a fake External Service on 127.0.0.1, and its services registered with the
`openseqr service add` CLI against the server's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures_server import RunningServer
from tests.support.cli import register_service
from tests.support.servers import backend_server
from tests.support.uvicorn_thread import UvicornThread
from tests.wallet.fake_service import TERMINAL_ID, VARIANTS, FakeService

srv = backend_server()


@pytest.fixture(scope="module")
def fake(srv: RunningServer) -> Iterator[FakeService]:
    service = FakeService(srv.url)
    with UvicornThread(service.app()) as server, service._http:
        service.url = server.url
        yield service


@pytest.fixture(scope="module")
def service_ids(srv: RunningServer, fake: FakeService) -> dict[str, str]:
    """variant -> registered service id (ES_LINK, ES_REDIRECT, …)."""
    ids = {}
    for variant in VARIANTS:
        ids[variant] = f"ES_{variant.upper()}"
        register_service(
            srv.database_url, ids[variant], f"Fake {ids[variant]}", TERMINAL_ID, fake.urls(variant)
        )
    return ids
