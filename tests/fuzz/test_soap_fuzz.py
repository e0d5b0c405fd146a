"""SOAP fuzz tier: 20,000 seeded hostile requests over HTTP, every operation.

The server runs in this process (uvicorn on 127.0.0.1 in a thread) so its log records are seen
directly: any ERROR record or traceback fails the test, even when the client got a tidy answer.
Every answer must be HTTP 200 with the operation's response, or HTTP 500 with a SOAP Fault.
Every accepted invoice is paid through the app API, which must not answer 5xx either (an invoice
that was accepted must be payable or refused cleanly).

`OPENSEQR_FUZZ_COUNT` and `OPENSEQR_FUZZ_SEED` change the count (default 20000) and the seed.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from lxml import etree

from openseqr.server.app import create_app
from openseqr.settings import Settings
from tests.fuzz.soap_inputs import SOAP_NS, TNS, Pools, mutated_request
from tests.helpers import free_port

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(1800)]

COUNT = int(os.environ.get("OPENSEQR_FUZZ_COUNT", "20000"))
SEED = int(os.environ.get("OPENSEQR_FUZZ_SEED", "20261202"))
SOAP_PATHS = ("/soap/merchant/cashregister-2", "/extclientproxy/service/v2")
ALICE = {"msisdn": "46700000001", "pin": "1111"}


class LogRecords(logging.Handler):
    """Every record at WARNING or above, from any logger (the server runs in this process)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def failures(self) -> list[str]:
        out = []
        for r in self.records:
            text = self.format(r)
            if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in text:
                out.append(text)
        return out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, LogRecords]]:
    # No worker: nothing is ever sent to the fuzzed notification URLs.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'fuzz.sqlite3'}",
        data_dir=tmp_path,
        worker=False,
        sqlite_synchronous="OFF",
    )
    records = LogRecords()
    records.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(records)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", records
    finally:
        server.should_exit = True
        thread.join(15)
        root.removeHandler(records)


def _return(content: bytes, op: str) -> etree._Element | None:
    """The `return` element of `op`'s response, or None when the body is not that response."""
    try:
        body = etree.fromstring(content).find(f"{{{SOAP_NS}}}Body")
    except etree.XMLSyntaxError:
        return None
    if body is None or len(body) == 0 or body[0].tag != f"{{{TNS}}}{op}Response":
        return None
    return body[0].find("return")


def _is_fault(response: httpx.Response) -> bool:
    try:
        body = etree.fromstring(response.content).find(f"{{{SOAP_NS}}}Body")
    except etree.XMLSyntaxError:
        return False
    return body is not None and body.find(f"{{{SOAP_NS}}}Fault") is not None


def _learn(pools: Pools, op: str, ret: etree._Element) -> None:
    """Keep references the server handed out, so later requests reach real invoices."""
    if ret.findtext("resultCode") != "0":
        return
    if op == "sendInvoice" and ret.findtext("invoiceReference"):
        pools.invoices.append(ret.findtext("invoiceReference") or "")
        del pools.invoices[:-200]
    elif op == "getPaymentStatus" and ret.findtext("ersReference"):
        pools.ers.append(ret.findtext("ersReference") or "")
        del pools.ers[:-200]
    elif op == "registerTerminal" and ret.findtext("terminalId"):
        pools.spare_terminals.append((ret.findtext("terminalId") or "", "TERMINALID", "fuzzpass"))


def _register_victim(client: httpx.Client, pools: Pools) -> None:
    """A terminal of its own for mutated contexts (wrong passwords throttle only it)."""
    body = (
        f'<s:Envelope xmlns:s="{SOAP_NS}" xmlns:e="{TNS}"><s:Body><e:registerTerminal>'
        "<context><initiatorPrincipalId><id>public_test_shop</id><type>RESELLERUSER</type>"
        "<userId>9900</userId></initiatorPrincipalId><password>1234</password></context>"
        "<externalTerminalId>victim</externalTerminalId><password>victim-pass</password>"
        "<name>victim</name></e:registerTerminal></s:Body></s:Envelope>"
    )
    ret = _return(client.post(SOAP_PATHS[0], content=body).content, "registerTerminal")
    assert ret is not None and ret.findtext("resultCode") == "0"
    pools.victim = ret.findtext("terminalId")


def _headers(rng: random.Random) -> dict[str, str]:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    roll = rng.random()
    if roll < 0.05:
        headers["X-OpenSEQR-Compat"] = "2015"
    elif roll < 0.08:
        headers["Content-Type"] = rng.choice(("application/json", "text/xml; charset=latin-1", ""))
    return headers


def test_no_soap_input_reaches_a_5xx_or_a_traceback(served: tuple[str, LogRecords]) -> None:
    url, records = served
    rng = random.Random(SEED)
    pools = Pools()
    answered: dict[str, int] = {}
    problems: list[str] = []
    with httpx.Client(base_url=url, timeout=60) as client:  # one keep-alive connection
        _register_victim(client, pools)
        for i in range(COUNT):
            op, body = mutated_request(rng, pools)
            r = client.post(rng.choice(SOAP_PATHS), content=body, headers=_headers(rng))
            ret = _return(r.content, op) if r.status_code == 200 else None
            if r.status_code == 200 and ret is not None:
                answered[op] = answered.get(op, 0) + 1
                _learn(pools, op, ret)
                if op == "sendInvoice" and ret.findtext("resultCode") == "0":
                    ref = ret.findtext("invoiceReference")
                    paid = client.post(f"/api/app/v1/invoices/{ref}/pay", json=ALICE)
                    if paid.status_code >= 500:
                        problems.append(f"#{i} pay of {ref} answered {paid.status_code}: {body!r}")
            elif not (r.status_code == 500 and _is_fault(r)):
                problems.append(f"#{i} {op} answered {r.status_code} {r.text[:200]!r}: {body!r}")
            if len(problems) >= 20:
                break
    assert not problems, "\n".join(problems)
    assert not records.failures(), "\n\n".join(records.failures()[:10])
    # the fuzz reached every operation's use case, not only the parser
    assert set(answered) >= {
        "sendInvoice",
        "updateInvoice",
        "getPaymentStatus",
        "cancelInvoice",
        "commitReservation",
        "submitPaymentReceipt",
        "refundPayment",
        "registerTerminal",
        "unregisterTerminal",
        "assignSeqrId",
        "markTransactionPeriod",
        "executeReport",
        "getClientSessionInfo",
        "benchmarkingNop",
        "requestTopup",
    }, answered
