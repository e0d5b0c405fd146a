"""`/ready`, who may read `/metrics`, the pending gauge and the load-shedding counter, on the
app in-process (`create_app` on a real SQLite or PostgreSQL database, no worker loops)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from openseqr.observability.metrics import counter_total
from openseqr.protocol import codec
from openseqr.protocol import messages as m
from openseqr.protocol.result_codes import ResultCode
from openseqr.protocol.types import ClientContext, PrincipalId
from openseqr.sdk import SeqrClient
from openseqr.server.app import create_app
from openseqr.settings import Settings
from tests.helpers import drop_postgres_database
from tests.support.metrics import parse, value

URL = "http://openseqr.test"
LOOPBACK, ELSEWHERE = ("127.0.0.1", 50000), ("203.0.113.9", 50000)


def app_on(database_url: str, tmp_path: Path, **settings: Any) -> Any:
    return create_app(
        Settings(database_url=database_url, data_dir=tmp_path, worker=False, **settings)
    )


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Any]:
    app = app_on(f"sqlite:///{tmp_path / 'probe.sqlite3'}", tmp_path)
    yield app
    app.state.ctx.store.close()


def get(app: Any, path: str, client: tuple[str, int] = LOOPBACK, **headers: str) -> httpx.Response:
    return request(app, "GET", path, client, headers=headers)


def request(
    app: Any, method: str, path: str, client: tuple[str, int] = LOOPBACK, **kw: Any
) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url=URL) as http:
            return await http.request(method, path, **kw)

    return asyncio.run(run())


def test_ready_names_the_migration_not_applied(sqlite_app: Any, tmp_path: Path) -> None:
    assert get(sqlite_app, "/ready").json() == {"status": "ok"}
    with sqlite3.connect(tmp_path / "probe.sqlite3") as db:  # as if this version brought it
        db.execute("DELETE FROM _yoyo_migration WHERE migration_id = '0004_live_invoices_index'")
    r = get(sqlite_app, "/ready")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["error"] == "NotReady"
    assert r.json()["detail"] == "1 migration(s) not applied: 0004_live_invoices_index"
    assert get(sqlite_app, "/health").json() == {"status": "ok"}  # the process is still up


@pytest.mark.postgres
def test_ready_is_503_when_the_database_is_gone(
    postgres_admin_url: str, fresh_postgres_url: str, tmp_path: Path
) -> None:
    app = app_on(fresh_postgres_url, tmp_path)
    try:
        assert get(app, "/ready").status_code == 200
        drop_postgres_database(postgres_admin_url, fresh_postgres_url)
        r = get(app, "/ready")
        assert r.status_code == 503
        assert r.json()["detail"].startswith("database unreachable")
        assert "openseqr" not in r.json()["detail"]  # no URL, user or password in the answer
        assert get(app, "/health").status_code == 200
    finally:
        app.state.ctx.store.close()


def test_metrics_without_a_token_answer_loopback_only(sqlite_app: Any) -> None:
    r = get(sqlite_app, "/metrics")
    assert r.status_code == 200
    assert value(parse(r.text), "openseqr_notifications_pending") == 0
    refused = get(sqlite_app, "/metrics", ELSEWHERE)
    assert refused.status_code == 403
    assert refused.json()["error"] == "Forbidden"


def test_metrics_with_a_token_need_it_from_everyone(tmp_path: Path) -> None:
    token = "scrape-token-0c7d"
    app = app_on(f"sqlite:///{tmp_path / 't.sqlite3'}", tmp_path, metrics_token=token)
    try:
        assert get(app, "/metrics", ELSEWHERE).status_code == 403
        assert get(app, "/metrics", LOOPBACK).status_code == 403
        wrong = {"Authorization": "Bearer scrape-token-0c7e"}
        assert get(app, "/metrics", ELSEWHERE, **wrong).status_code == 403
        right = {"Authorization": f"Bearer {token}"}
        assert get(app, "/metrics", ELSEWHERE, **right).status_code == 200
    finally:
        app.state.ctx.store.close()


def test_the_pending_gauge_counts_owed_rows_in_the_database(sqlite_app: Any) -> None:
    """No relay runs here, so a paid invoice's notification stays owed."""
    transport = httpx.ASGITransport(app=sqlite_app)
    terminal = ("public_test_shop_terminal", "12345678")
    with SeqrClient(URL, *terminal, transport=transport) as merchant:
        sent = merchant.send_invoice(Decimal("5.00"), notification_url="http://127.0.0.1:9/n")
    alice = {"msisdn": "46700000001", "pin": "1111"}
    paid = request(sqlite_app, "POST", f"/api/app/v1/invoices/{sent.reference}/pay", json=alice)
    assert paid.json()["status"] == "PAID"
    assert value(parse(get(sqlite_app, "/metrics").text), "openseqr_notifications_pending") == 1


def _register(app: Any) -> bytes:
    req = m.RegisterTerminalRequest(
        context=ClientContext(
            initiator=PrincipalId(id="public_test_shop", type="RESELLERUSER", user_id="9900"),
            password="1234",
            client_request_timeout=0,
        ),
        external_terminal_id="busy",
        password="pw-12345678",
        name="busy till",
    )
    return codec.encode_request(req)


def test_answers_of_the_in_flight_limit_are_counted(tmp_path: Path) -> None:
    """registerTerminal hashes off the event loop and holds the only slot; others answer 93."""
    app = app_on(f"sqlite:///{tmp_path / 'shed.sqlite3'}", tmp_path, max_inflight=1)
    body = _register(app)

    async def storm() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=URL) as http:
            answers = await asyncio.gather(
                *(http.post("/soap/merchant/cashregister-2", content=body) for _ in range(8))
            )
        req = m.RegisterTerminalRequest
        return [codec.decode_response(a.content, req).result_code for a in answers]  # type: ignore[arg-type]

    before = counter_total("openseqr_load_shed_total")
    try:
        codes = asyncio.run(storm())
    finally:
        app.state.ctx.store.close()
    busy = codes.count(ResultCode.SYSTEM_BUSY)
    assert busy >= 1, codes
    assert counter_total("openseqr_load_shed_total") - before == busy
