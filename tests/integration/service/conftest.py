"""A real platform (service layer + real database) with a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openseqr.service.bootstrap import build
from openseqr.service.clock import ManualClock
from openseqr.service.context import Context
from openseqr.settings import Settings


@pytest.fixture
def database_url(storage_url: str) -> str:
    """A fresh database per test, on each backend (``storage_url`` of tests/conftest.py)."""
    return storage_url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ctx(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, sandbox=True)
    context = build(settings, clock)
    yield context
    context.store.close()
