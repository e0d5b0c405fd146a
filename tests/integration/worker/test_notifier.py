"""The outbox relay against a real HTTP receiver on 127.0.0.1, with a hand-moved clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.protocol.notify import decode_notification, verify
from openseqr.protocol.urls import DestinationPolicy
from openseqr.service import admin, merchant, wallet
from openseqr.service.auth import authenticate
from openseqr.service.bootstrap import build
from openseqr.service.clock import ManualClock
from openseqr.service.events import invoice_history
from openseqr.settings import Settings
from openseqr.worker.notifier import NotificationRelay
from tests.helpers import free_port
from tests.support.uvicorn_thread import UvicornThread


class Receiver:
    """A merchant endpoint that records what it gets and answers with scripted statuses."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.received: list[tuple[dict[str, str], dict[str, str], str]] = []
        self.statuses: list[int] = []
        self.slow: list[float] = []  # seconds the clock moves while answering, per request
        self.base_url = ""  # set once served

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append((decode_notification(body), headers, scope["query_string"].decode()))
        status = self.statuses.pop(0) if self.statuses else 200
        if self.slow:
            self.clock.advance(self.slow.pop(0))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def url(self) -> str:
        return f"{self.base_url}/notify?order=4711"


@pytest.fixture
def receiver(clock: ManualClock) -> Iterator[Receiver]:
    rec = Receiver(clock)
    with UvicornThread(rec) as server:
        rec.base_url = server.url
        yield rec


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ctx(tmp_path: Path, clock: ManualClock):  # type: ignore[no-untyped-def]
    context = build(Settings(database_url=f"sqlite:///{tmp_path}/n.db", data_dir=tmp_path), clock)
    yield context
    context.store.close()


def paid_invoice(ctx, url: str) -> str:  # type: ignore[no-untyped-def]
    caller = authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")
    draft = InvoiceDraft(
        total=AmountDraft(Decimal("10"), "SEK"),
        client_invoice_id="order-4711",
        notification_url=url,
    )
    sent = merchant.send_invoice(ctx, caller, draft)
    wallet.pay(ctx, sent.reference, "46700000001", "1111")
    return sent.reference


def relay_once(ctx) -> int:  # type: ignore[no-untyped-def]
    async def run() -> int:
        relay = NotificationRelay(ctx)
        try:
            return await relay.run_once()
        finally:
            await relay.aclose()

    return asyncio.run(run())


def notifications(ctx, reference):  # type: ignore[no-untyped-def]
    with ctx.store.transaction(write=False) as tx:
        (n,) = tx.list_notifications(invoice_reference=reference)
        return n, tx.attempts_of(n.notification_id)


def test_delivers_the_form_body_to_the_url_as_given(ctx, receiver):
    ref = paid_invoice(ctx, receiver.url)
    assert relay_once(ctx) == 1
    (fields, headers, query) = receiver.received[0]
    n, attempts = notifications(ctx, ref)
    assert fields == {
        "invoiceReference": ref,
        "clientInvoiceId": "order-4711",
        "deliveryId": n.notification_id,
    }
    assert query == "order=4711"
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "x-seqr-signature" not in headers
    assert n.status == "delivered" and [a.status_code for a in attempts] == [200]


def test_retries_inside_the_window_then_gives_up(ctx, clock, receiver):
    receiver.statuses = [503, 500, 502, 500]  # never succeeds: 1 + 3 retries
    ref = paid_invoice(ctx, receiver.url)
    assert relay_once(ctx) == 1
    assert relay_once(ctx) == 0  # the retry is not due yet
    for seconds in (1, 2, 4):  # due at +1 s, +3 s, +7 s
        clock.advance(seconds)
        assert relay_once(ctx) == 1
    n, attempts = notifications(ctx, ref)
    assert n.status == "failed" and n.attempts == 4
    assert [a.status_code for a in attempts] == [503, 500, 502, 500]
    clock.advance(60)
    assert relay_once(ctx) == 0


def test_a_slow_failure_does_not_shorten_the_pause_before_the_retry(ctx, clock, receiver):
    receiver.statuses = [503, 200]
    receiver.slow = [0.6]  # the first attempt takes 0.6 s to fail
    ref = paid_invoice(ctx, receiver.url)
    assert relay_once(ctx) == 1
    clock.advance(0.5)  # +1.1 s: past the schedule's slot, but only 0.5 s after the failure
    assert relay_once(ctx) == 0
    clock.advance(0.5)  # 1 s after the failure was seen
    assert relay_once(ctx) == 1
    n, attempts = notifications(ctx, ref)
    assert n.status == "delivered" and [a.status_code for a in attempts] == [503, 200]
    assert attempts[1].started_at - attempts[0].started_at == timedelta(seconds=1.6)


def test_retries_zero_is_fire_and_forget(ctx, receiver):
    with ctx.store.transaction() as tx:
        t = tx.get_terminal("public_test_shop_terminal")
        tx.update_terminal(replace(t, notify_retries=0))
    receiver.statuses = [500]
    ref = paid_invoice(ctx, receiver.url)
    relay_once(ctx)
    n, attempts = notifications(ctx, ref)
    assert n.status == "failed" and len(attempts) == 1


def test_a_client_error_is_not_retried(ctx, clock, receiver):
    receiver.statuses = [404]
    ref = paid_invoice(ctx, receiver.url)
    relay_once(ctx)
    clock.advance(30)
    assert relay_once(ctx) == 0
    assert notifications(ctx, ref)[0].status == "failed"


def test_signature_header_when_the_terminal_has_a_secret(ctx, clock, receiver):
    with ctx.store.transaction() as tx:
        t = tx.get_terminal("public_test_shop_terminal")
        tx.update_terminal(replace(t, notify_secret="s3cret"))
    paid_invoice(ctx, receiver.url)
    relay_once(ctx)
    fields, headers, _ = receiver.received[0]
    body = (
        f"invoiceReference={fields['invoiceReference']}&clientInvoiceId=order-4711"
        f"&deliveryId={fields['deliveryId']}"
    ).encode()
    now = int(clock.now().timestamp())
    assert verify(b"s3cret", headers["x-seqr-signature"], body, now)
    assert not verify(b"other", headers["x-seqr-signature"], body, now)
    # the delivery id is signed: a replay under another id does not verify
    replayed = body.replace(fields["deliveryId"].encode(), b"0" * 32)
    assert not verify(b"s3cret", headers["x-seqr-signature"], replayed, now)


def test_retries_and_redeliveries_carry_the_same_delivery_id(ctx, clock, receiver):
    receiver.statuses = [503, 200]
    ref = paid_invoice(ctx, receiver.url)
    relay_once(ctx)
    clock.advance(1)
    relay_once(ctx)
    n, _ = notifications(ctx, ref)
    admin.redeliver_notification(ctx, n.notification_id)
    relay_once(ctx)
    ids = [fields["deliveryId"] for fields, _, _ in receiver.received]
    assert ids == [n.notification_id] * 3
    assert notifications(ctx, ref)[0].attempts == 3


def test_every_notification_has_its_own_delivery_id(ctx, receiver):
    paid_invoice(ctx, receiver.url)
    paid_invoice(ctx, receiver.url)
    relay_once(ctx)
    first, second = (fields["deliveryId"] for fields, _, _ in receiver.received)
    assert first != second


def test_the_operator_policy_denies_loopback_at_delivery(ctx, receiver):
    ref = paid_invoice(ctx, receiver.url)  # accepted when sent (sandbox policy)
    ctx.config = replace(ctx.config, destinations=DestinationPolicy(allow_loopback=False))
    relay_once(ctx)
    assert receiver.received == []
    n, (attempt,) = notifications(ctx, ref)
    assert n.status == "failed" and "denied" in (attempt.error or "")


def test_an_unreachable_endpoint_is_recorded(ctx):
    ref = paid_invoice(ctx, f"http://127.0.0.1:{free_port()}/gone")
    relay_once(ctx)
    n, (attempt,) = notifications(ctx, ref)
    assert attempt.status_code is None and attempt.error and n.status == "pending"


def test_every_attempt_and_redelivery_is_in_the_invoice_history(ctx, clock, receiver):
    """A-47: written in the transaction that records the attempt on the outbox row."""
    receiver.statuses = [503, 200, 200]
    ref = paid_invoice(ctx, receiver.url)
    relay_once(ctx)
    clock.advance(1)
    relay_once(ctx)
    n, attempts = notifications(ctx, ref)
    admin.redeliver_notification(ctx, n.notification_id, operator="ops-anna")
    relay_once(ctx)
    events = [e for e in invoice_history(ctx, ref) if e.kind.startswith("notification")]
    assert [(e.kind, e.actor, e.actor_id) for e in events] == [
        ("notification_attempt", "system", None),
        ("notification_attempt", "system", None),
        ("notification_redelivered", "operator", "ops-anna"),
        ("notification_attempt", "system", None),
    ]
    tried = [e for e in events if e.kind == "notification_attempt"]
    assert [(e.detail["attempt"], e.detail["outcome"], e.detail["http_status"]) for e in tried] == [
        ("1", "retrying", "503"),
        ("2", "delivered", "200"),
        ("3", "delivered", "200"),
    ]
    _, attempts = notifications(ctx, ref)
    assert [e.at for e in tried] == [a.started_at for a in attempts]
    assert all(float(e.detail["latency_ms"]) >= 0 for e in tried)
    assert {e.detail["notification_id"] for e in events} == {n.notification_id}


def test_an_unreachable_endpoint_is_in_the_invoice_history_with_its_error(ctx):
    ref = paid_invoice(ctx, f"http://127.0.0.1:{free_port()}/gone")
    relay_once(ctx)
    (event,) = [e for e in invoice_history(ctx, ref) if e.kind == "notification_attempt"]
    assert event.detail["outcome"] == "retrying" and "http_status" not in event.detail
    assert event.detail["error"].startswith("ClientConnectorError: Cannot connect")


def test_a_notification_waits_for_the_fsync_of_its_payment(ctx, receiver):
    """A-73: the merchant never hears of a payment a power cut could still undo."""
    from tests.integration.storage.test_group_commit import FsyncGate

    gate = FsyncGate(ctx.store)
    gate.opened.clear()
    ref = paid_invoice(ctx, receiver.url)
    result: list[int] = []
    sender = threading.Thread(target=lambda: result.append(relay_once(ctx)))
    sender.start()
    assert gate.entered.wait(10)
    sender.join(0.5)
    assert sender.is_alive() and receiver.received == []  # claimed, held before the POST
    gate.opened.set()
    sender.join(10)
    assert result == [1] and receiver.received[0][0]["invoiceReference"] == ref
