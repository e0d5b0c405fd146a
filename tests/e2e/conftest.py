from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures_server import RunningServer, start_server


@pytest.fixture
def database_url(storage_url: str) -> str:
    """A fresh database per test, on each backend (``storage_url`` of tests/conftest.py)."""
    return storage_url


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(database_url: str, **kw: object) -> RunningServer:
        s = start_server(database_url, tmp_path, **kw)  # type: ignore[arg-type]
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def server(database_url: str, server_factory: Callable[..., RunningServer]) -> RunningServer:
    # database_url first: teardown runs in reverse, so the server stops before its database
    # is dropped (otherwise the server hangs on shutdown and is killed after 10 s).
    return server_factory(database_url)
