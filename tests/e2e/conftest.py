from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures_server import RunningServer, start_server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    return request.getfixturevalue("fresh_postgres_url")


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
