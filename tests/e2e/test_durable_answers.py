"""A served answer never shows a commit before it is fsynced (A-73): with the WAL's fsync held,
a sendInvoice over SOAP is committed but not answered; once the fsync runs, it is answered."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from openseqr.sdk import SeqrClient
from openseqr.storage.sqlite import SqliteStore
from tests.e2e.app_inprocess import TERMINAL, URL, app_on
from tests.integration.storage.test_group_commit import FsyncGate


def test_sendinvoice_is_answered_only_after_its_commit_is_fsynced(tmp_path: Path) -> None:
    with app_on(tmp_path) as app, TestClient(app, base_url=URL) as http:
        store = app.state.ctx.store
        assert isinstance(store, SqliteStore) and store._group is not None
        gate = FsyncGate(store)
        assert store.wait_durable(5)  # the sandbox seed is behind us
        before = _invoices(store)
        gate.opened.clear()
        answer: dict[str, Any] = {}

        def send() -> None:
            with SeqrClient(URL, *TERMINAL, http_client=http) as merchant:
                answer["invoice"] = merchant.send_invoice(Decimal("12.50"))

        caller = threading.Thread(target=send)
        caller.start()
        assert gate.entered.wait(10)  # committed: the fsync thread was woken for it
        caller.join(0.5)
        assert caller.is_alive() and not answer  # committed, not answered
        assert _invoices(store) == before + 1
        gate.opened.set()
        caller.join(10)
        assert answer["invoice"].reference


def _invoices(store: SqliteStore) -> int:
    with store.transaction(write=False) as tx:
        return int(tx._c.execute("SELECT count(*) FROM invoices").fetchone()[0])
