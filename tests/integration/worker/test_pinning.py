"""Delivery connects only to the address it checked: no DNS-rebinding window.

The relay gets a resolver under the test's control (what a hostile DNS server would answer); the
notification still goes over real HTTP to a receiver on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import replace
from pathlib import Path

from openseqr.protocol.urls import DestinationPolicy
from openseqr.worker.notifier import NotificationRelay
from openseqr.worker.pinning import pinned_session
from tests.integration.worker import test_notifier as relay_tests
from tests.integration.worker.test_hostile_receivers import RawReceiver, ok
from tests.integration.worker.test_notifier import notifications, paid_invoice

# the relay tests' fixtures: a receiver on 127.0.0.1, a hand-moved clock, a sandbox context
clock, ctx, receiver = relay_tests.clock, relay_tests.ctx, relay_tests.receiver

LOOPBACK_ONLY = DestinationPolicy(allow_loopback=True, allow_private=False)


class RebindingDns:
    """Answers 127.0.0.1 to the first question, then `later` (a rebinding attack)."""

    def __init__(self, later: str) -> None:
        self.later = later
        self.questions: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append(host)
        return ["127.0.0.1"] if len(self.questions) == 1 else [self.later]


def relay_once_with(ctx, policy: DestinationPolicy, resolve) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        client = pinned_session(policy, timeout=5.0, connections=4, resolve=resolve)
        relay = NotificationRelay(ctx, client=client)
        try:
            await relay.run_once()
        finally:
            await relay.aclose()

    asyncio.run(run())


def test_the_connection_goes_to_the_checked_address_with_the_original_host(ctx, receiver):
    ctx.config = replace(ctx.config, destinations=LOOPBACK_ONLY)
    dns = RebindingDns(later="10.0.0.1")
    url = f"http://merchant.test:{receiver.port}/notify?order=4711"
    ref = paid_invoice(ctx, url)
    relay_once_with(ctx, LOOPBACK_ONLY, dns)
    (fields, headers, query) = receiver.received[0]
    assert fields["invoiceReference"] == ref and query == "order=4711"
    assert headers["host"] == f"merchant.test:{receiver.port}"
    assert dns.questions == ["merchant.test"]  # one lookup: checked and connected together
    assert notifications(ctx, ref)[0].status == "delivered"


def test_a_name_resolving_to_the_metadata_address_is_refused_without_connecting(ctx, receiver):
    async def metadata(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    ref = paid_invoice(ctx, f"http://metadata.test:{receiver.port}/notify")
    relay_once_with(ctx, LOOPBACK_ONLY, metadata)
    assert receiver.received == []
    n, (attempt,) = notifications(ctx, ref)
    assert n.status == "failed"  # final: a denied destination is not retried
    assert "destination denied by policy: link-local address 169.254.169.254" in attempt.error


def test_one_denied_address_among_several_refuses_the_name(ctx, receiver):
    async def mixed(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "10.1.2.3"]

    ref = paid_invoice(ctx, f"http://mixed.test:{receiver.port}/notify")
    relay_once_with(ctx, LOOPBACK_ONLY, mixed)
    assert receiver.received == []
    assert "private address 10.1.2.3" in notifications(ctx, ref)[1][0].error


def test_the_relay_pins_with_the_system_resolver_by_default(ctx, receiver):
    """`0x7f.1` is no IP literal to `ipaddress` nor to aiohttp, so it goes to the resolver, and
    only the resolved address reveals loopback (the C library reads it as 127.0.0.1)."""
    ref = paid_invoice(ctx, f"http://0x7f.1:{receiver.port}/notify")  # sandbox: accepted
    ctx.config = replace(ctx.config, destinations=DestinationPolicy.production())

    async def run() -> None:
        relay = NotificationRelay(ctx)
        try:
            await relay.run_once()
        finally:
            await relay.aclose()

    asyncio.run(run())
    assert receiver.received == []
    n, (attempt,) = notifications(ctx, ref)
    assert n.status == "failed" and "loopback address 127.0.0.1" in attempt.error


class RecordingDns:
    """Answers 127.0.0.1 and remembers every question."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append(host)
        return ["127.0.0.1"]


def test_a_denied_ip_literal_is_refused_before_any_lookup_or_connection(ctx, receiver):
    """aiohttp never asks the resolver about a literal: the relay's own check must catch it."""
    dns = RecordingDns()
    ref = paid_invoice(ctx, f"http://[::ffff:127.0.0.1]:{receiver.port}/notify")  # sandbox
    ctx.config = replace(ctx.config, destinations=DestinationPolicy.production())
    relay_once_with(ctx, DestinationPolicy.production(), dns)
    assert receiver.received == [] and dns.questions == []
    n, attempts = notifications(ctx, ref)
    assert n.status == "failed" and len(attempts) == 1
    assert (
        attempts[0].error
        == "destination denied by policy: loopback address 127.0.0.1 is not allowed"
    )


def test_a_legacy_numeric_ipv4_spelling_is_never_connected_to(ctx, receiver):
    """`127.1` and `2130706433` are read as 127.0.0.1 by the C library; aiohttp refuses them
    rather than connecting to an address no check has seen."""
    dns = RecordingDns()
    refs = [
        paid_invoice(ctx, f"http://{host}:{receiver.port}/notify")
        for host in ("127.1", "2130706433")
    ]
    relay_once_with(ctx, LOOPBACK_ONLY, dns)
    assert receiver.received == [] and dns.questions == []
    for ref in refs:
        (attempt,) = notifications(ctx, ref)[1]
        assert "is not a canonical IPv4 address" in attempt.error


MERCHANT_CERT = Path(__file__).with_name("merchant_test_tls.pem")  # self-signed, merchant.test


def tls_receiver() -> RawReceiver:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(MERCHANT_CERT)
    return RawReceiver(ok, tls=server)


async def merchant_test(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def test_tls_is_verified_for_the_name_while_the_socket_goes_to_the_pinned_address(ctx):
    trust = ssl.create_default_context(cafile=MERCHANT_CERT)

    async def run() -> None:
        client = pinned_session(
            LOOPBACK_ONLY, timeout=5.0, connections=4, resolve=merchant_test, trust=trust
        )
        relay = NotificationRelay(ctx, client=client)
        try:
            await relay.run_once()
        finally:
            await relay.aclose()

    with tls_receiver() as rec:
        ref = paid_invoice(ctx, f"https://merchant.test:{rec.port}/notify")
        asyncio.run(run())
    assert rec.requests == ["POST /notify HTTP/1.1"]
    assert notifications(ctx, ref)[0].status == "delivered"


def test_a_certificate_the_system_does_not_trust_is_refused(ctx):
    with tls_receiver() as rec:
        ref = paid_invoice(ctx, f"https://merchant.test:{rec.port}/notify")
        relay_once_with(ctx, LOOPBACK_ONLY, merchant_test)
    assert rec.requests == [] and rec.handshakes_refused == 1
    n, (attempt,) = notifications(ctx, ref)
    assert n.status == "pending" and "certificate verify failed" in attempt.error
