"""A real platform (service layer + real database) with a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openseqr.service.bootstrap import build
from openseqr.service.clock import ManualClock
from openseqr.service.context import Context
from openseqr.settings import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite3'}"
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ctx(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, sandbox=True)
    context = build(settings, clock)
    yield context
    context.store.close()
