"""The app API in-process for the tests of its contract, identity rules and input handling:
``create_app`` on a fresh SQLite file (no worker), the merchant side through the SDK on
``httpx.ASGITransport``, and a helper to register an External Service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openseqr.core.records import Service
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


def register_service(app: Any, service_id: str = "PARKING") -> None:
    with app.state.ctx.store.transaction() as tx:
        tx.upsert_service(
            Service(
                service_id,
                "City parking",
                TERMINAL[0],
                "https://svc.example/order",
                "https://svc.example/success",
                "https://svc.example/failure",
                "https://svc.example/cancel",
                created_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
