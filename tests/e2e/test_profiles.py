"""The production profile (`OPENSEQR_SANDBOX=false`) refuses notification URLs to loopback,
private, link-local and metadata addresses with 64 at sendInvoice, updateInvoice and
refundPayment, unless the operator allows a kind explicitly; `openseqr serve` says which profile
runs and what it allows.

The production servers run on a database a sandbox server seeded first (production seeds
nothing), so the public test terminal exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.wire import call, invoice, ok, paid, send
from tests.fixtures_server import RunningServer, start_server

pytestmark = pytest.mark.slow

INTERNAL = [
    "http://127.0.0.1:8080/notify",
    "http://localhost/notify",
    "http://[::1]/notify",
    "http://0.0.0.0/notify",
    "http://10.0.0.1/notify",
    "http://192.168.1.10/notify",
    "http://[fd00:ec2::254]/latest",  # AWS IPv6 metadata (unique-local)
    "http://100.100.100.200/latest/meta-data",  # Alibaba metadata (shared address space)
    "http://169.254.169.254/latest/meta-data/",  # AWS/GCP/Azure metadata (link-local)
    "http://[::ffff:169.254.169.254]/latest",
]
PUBLIC = "https://merchant.example/seqr/notify?order=1"


def notify(url: str) -> str:
    return f"<notificationUrl>{url}</notificationUrl>"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    work = tmp_path_factory.mktemp("profiles")
    database = f"sqlite:///{work / 'profiles.sqlite3'}"
    start_server(database, work).stop()  # the sandbox seeds the test terminal and customers
    return database, work


def _serve(seeded: tuple[str, Path], **env: str) -> Iterator[RunningServer]:
    database, work = seeded
    server = start_server(database, work, extra_env={"OPENSEQR_SANDBOX": "false", **env})
    yield server
    server.stop()
    assert "Traceback" not in server.log()


@pytest.fixture(scope="module")
def production(seeded: tuple[str, Path]) -> Iterator[RunningServer]:
    yield from _serve(seeded)


@pytest.fixture(scope="module")
def production_loopback_allowed(seeded: tuple[str, Path]) -> Iterator[RunningServer]:
    yield from _serve(seeded, OPENSEQR_ALLOW_LOOPBACK_NOTIFICATIONS="true")


def test_serve_prints_the_profile_and_what_it_allows(production: RunningServer) -> None:
    log = production.log()
    assert "profile: production" in log
    assert "notifications to public addresses only; denied: loopback, private, link-local" in log


@pytest.mark.parametrize("url", INTERNAL)
def test_production_refuses_internal_destinations_at_send(
    production: RunningServer, url: str
) -> None:
    result = call(production, "sendInvoice", invoice(extra=notify(url)))
    assert (result.code, result.description) == (64, "INVALID_NOTIFICATION_URL"), url


def test_production_accepts_a_public_destination(production: RunningServer) -> None:
    ok(call(production, "sendInvoice", invoice(extra=notify(PUBLIC))))


def test_production_refuses_internal_destinations_at_update(production: RunningServer) -> None:
    ref = send(production)
    update = f"<invoiceReference>{ref}</invoiceReference><invoice>{notify(INTERNAL[0])}</invoice>"
    assert call(production, "updateInvoice", update).code == 64


def test_production_refuses_internal_destinations_at_refund(production: RunningServer) -> None:
    _, ers = paid(production)
    refund = f"<ersReference>{ers}</ersReference>" + invoice("1.00", extra=notify(INTERNAL[-1]))
    assert call(production, "refundPayment", refund).code == 64


def test_the_operator_may_allow_loopback_explicitly(
    production_loopback_allowed: RunningServer,
) -> None:
    server = production_loopback_allowed
    assert "public addresses and loopback; denied: private, link-local" in server.log()
    ok(call(server, "sendInvoice", invoice(extra=notify("http://127.0.0.1:8080/notify"))))
    assert call(server, "sendInvoice", invoice(extra=notify(INTERNAL[4]))).code == 64


def test_the_sandbox_allows_local_merchants_but_never_metadata(seeded: tuple[str, Path]) -> None:
    database, work = seeded
    server = start_server(database, work)
    try:
        assert "profile: sandbox" in server.log()
        ok(call(server, "sendInvoice", invoice(extra=notify("http://127.0.0.1:8080/notify"))))
        ok(call(server, "sendInvoice", invoice(extra=notify("http://10.0.0.1/notify"))))
        metadata = notify("http://169.254.169.254/latest/meta-data/")
        assert call(server, "sendInvoice", invoice(extra=metadata)).code == 64
    finally:
        server.stop()
