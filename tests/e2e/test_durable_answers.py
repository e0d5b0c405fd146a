"""A served answer never shows a commit before it is fsynced (A-73): with the WAL's fsync held,
a sendInvoice over SOAP is committed but not answered; once the fsync runs, it is answered. A
client that gives up while its answer waits leaves the server serving the others."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from openseqr.sdk import SeqrClient
from openseqr.sdk.errors import TransportError
from openseqr.storage.sqlite import SqliteStore
from tests.e2e.app_inprocess import TERMINAL, URL, app_on
from tests.integration.storage.test_group_commit import FsyncGate
from tests.support.uvicorn_thread import UvicornThread


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


def test_a_client_that_gives_up_while_its_answer_waits_for_the_fsync_harms_nobody(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Over a real socket: the first till's client times out and closes its connection while
    its sendInvoice waits for the fsync. The invoice stays committed (and becomes durable), the
    waiter is not left behind, nothing is logged as an error, and the next till is answered."""
    with app_on(tmp_path) as app, UvicornThread(app) as server:
        store = app.state.ctx.store
        assert isinstance(store, SqliteStore) and store._group is not None
        gate = FsyncGate(store)
        assert store.wait_durable(5)
        before = _invoices(store)
        gate.opened.clear()
        gate.entered.clear()
        caplog.set_level(logging.WARNING)
        logging.getLogger("uvicorn").addHandler(caplog.handler)  # it does not propagate
        with SeqrClient(server.url, *TERMINAL, timeout=0.5) as impatient:
            with pytest.raises(TransportError):
                impatient.send_invoice(Decimal("9.90"))  # closes its connection on the timeout
        assert gate.entered.is_set() and _invoices(store) == before + 1  # committed, held
        gate.opened.set()
        with SeqrClient(server.url, *TERMINAL, timeout=10) as patient:
            sent = patient.send_invoice(Decimal("12.50"))
            assert patient.get_payment_status(sent.reference).status == "ISSUED"
        assert store.wait_durable(5) and _invoices(store) == before + 2
        assert store._group._waiters == []
    logging.getLogger("uvicorn").removeHandler(caplog.handler)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def _invoices(store: SqliteStore) -> int:
    with store.transaction(write=False) as tx:
        return int(tx._c.execute("SELECT count(*) FROM invoices").fetchone()[0])
