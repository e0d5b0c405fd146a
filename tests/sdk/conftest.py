"""Fixtures for the merchant SDK tests.

In-process: ``app`` is ``create_app`` on a fresh SQLite file (no lifespan: no worker loops);
``client`` / ``reseller`` are SDK clients on ``httpx.ASGITransport(app=app)``; ``wallet``
drives the app API (the customer's phone) through the same app.

Over HTTP: ``database_url``, ``server_factory`` and ``server`` come from ``tests/e2e``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openseqr.sdk import ResellerClient, SeqrClient
from tests.e2e.conftest import database_url, server, server_factory  # noqa: F401  (fixtures)
from tests.support.app_login import login_headers

TERMINAL = ("public_test_shop_terminal", "12345678")
RESELLER = ("public_test_shop", "9900", "1234")
ALICE = {"msisdn": "46700000001", "pin": "1111"}
FRIDA = {"msisdn": "46700000005", "pin": "5555"}  # has a loyalty card
DAVE = {"msisdn": "46700000004", "pin": "4444"}  # the bank declines


class Wallet:
    """The customer's phone, talking to the app API (``/api/app/v1``): it signs each customer in
    once (A-15) and sends that token when it scans or views; paying is msisdn + PIN."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self._signed_in: dict[str, dict[str, str]] = {}

    def headers(self, who: dict[str, str]) -> dict[str, str]:
        if who["msisdn"] not in self._signed_in:
            self._signed_in[who["msisdn"]] = login_headers(self.http, who)
        return self._signed_in[who["msisdn"]]

    def view(self, reference: str, who: dict[str, str] = ALICE) -> dict[str, Any]:
        r = self.http.get(f"/api/app/v1/invoices/{reference}", headers=self.headers(who))
        assert r.status_code == 200, r.text
        return r.json()

    def pay(self, reference: str, who: dict[str, str] = ALICE) -> dict[str, Any]:
        r = self.http.post(f"/api/app/v1/invoices/{reference}/pay", json=who)
        assert r.status_code == 200, r.text
        return r.json()

    def scan(self, code: str, who: dict[str, str] = ALICE) -> dict[str, Any]:
        r = self.http.post("/api/app/v1/scan", json={"code": code}, headers=self.headers(who))
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def app(tmp_path: Path) -> Any:
    from openseqr.server.app import create_app
    from openseqr.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'sdk.sqlite3'}",
        data_dir=tmp_path / "data",
        worker=False,
    )
    application = create_app(settings)
    yield application
    application.state.ctx.store.close()


@pytest.fixture
def transport(app: Any) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app)


@pytest.fixture
def client(transport: httpx.ASGITransport) -> Iterator[SeqrClient]:
    with SeqrClient("http://openseqr.test", *TERMINAL, transport=transport) as c:
        yield c


@pytest.fixture
def reseller(transport: httpx.ASGITransport) -> Iterator[ResellerClient]:
    with ResellerClient("http://openseqr.test", *RESELLER, transport=transport) as c:
        yield c


@pytest.fixture
def wallet(client: SeqrClient) -> Wallet:
    # reuse the client's (bridged) transport: same app, same event-loop thread
    return Wallet(httpx.Client(transport=client._http._transport, base_url="http://openseqr.test"))
