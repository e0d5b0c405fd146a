"""A real ``openseqr serve`` per storage backend, for module-scoped end-to-end fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_server import RunningServer, start_server
from tests.helpers import create_postgres_database, drop_postgres_database

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    extra_env: dict[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Body of a module-scoped, backend-parametrised server fixture (``params=BACKENDS``)."""
    workdir = tmp_path_factory.mktemp(f"e2e-{request.param}")
    pg: tuple[str, str] | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'e2e.sqlite3'}"
    else:
        admin = request.getfixturevalue("postgres_admin_url")
        url = create_postgres_database(admin)
        pg = (admin, url)
    server = start_server(url, Path(workdir), extra_env=extra_env)
    try:
        yield server
    finally:
        server.stop()
        if pg:
            drop_postgres_database(*pg)


def backend_server(extra_env: dict[str, str] | None = None) -> Callable[..., Any]:
    """A module-scoped fixture: one server per backend, e.g. ``srv = backend_server({...})``."""

    @pytest.fixture(scope="module", params=BACKENDS)
    def srv(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[RunningServer]:
        yield from served(request, tmp_path_factory, extra_env)

    return srv


def sqlite_served(
    tmp_path_factory: pytest.TempPathFactory, name: str, extra_env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """Body of a module-scoped fixture: one server on SQLite; its log ends with no traceback."""
    work = tmp_path_factory.mktemp(name)
    server = start_server(f"sqlite:///{work / f'{name}.sqlite3'}", work, extra_env=extra_env)
    yield server
    server.stop()
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
