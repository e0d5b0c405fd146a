"""The app API in-process for the tests of its contract, identity rules and input handling:
``create_app`` on a fresh SQLite file (no worker), the merchant side through the SDK on
``httpx.ASGITransport``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openseqr.server.app import create_app
from openseqr.settings import Settings

URL = "http://openseqr.test"
API = "/api/app/v1"
TERMINAL = ("public_test_shop_terminal", "12345678")
ALICE = {"msisdn": "46700000001", "pin": "1111"}
BOB = {"msisdn": "46700000002", "pin": "2222"}
FRIDA = {"msisdn": "46700000005", "pin": "5555"}  # has a loyalty card


@contextmanager
def app_on(tmp_path: Path, *, sandbox: bool = True) -> Iterator[Any]:
    """The app on a database seeded by the sandbox profile, served with profile `sandbox`."""
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    if not sandbox:  # seed once as the sandbox would, then serve as production
        create_app(
            Settings(database_url=url, data_dir=tmp_path, worker=False)
        ).state.ctx.store.close()
    application = create_app(
        Settings(database_url=url, data_dir=tmp_path, worker=False, sandbox=sandbox)
    )
    try:
        yield application
    finally:
        application.state.ctx.store.close()
