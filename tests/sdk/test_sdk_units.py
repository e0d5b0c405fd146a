"""SDK pieces without a server: public names, error table, poller timing, receiver, QR helpers."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from openseqr import sdk
from openseqr.protocol import ResultCode, encode_notification, sign
from openseqr.sdk import InvoiceStatus, PaymentStatus
from openseqr.sdk.errors import ERRORS_BY_CODE


def test_all_matches_public_names() -> None:
    public = {n for n in vars(sdk) if not n.startswith("_")}
    modules = {"client", "errors", "models", "poller", "qr", "receiver", "annotations"}
    assert set(sdk.__all__) == public - modules
    assert len(sdk.__all__) == len(set(sdk.__all__))
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None


def test_every_public_callable_is_documented() -> None:
    for name in sdk.__all__:
        obj = getattr(sdk, name)
        if callable(obj) and not isinstance(obj, dict) and name != "ResultCode":
            assert (obj.__doc__ or "").strip(), name


def test_error_table() -> None:
    assert all(issubclass(cls, sdk.SeqrError) for cls in ERRORS_BY_CODE.values())
    for code, cls in ERRORS_BY_CODE.items():
        exc = sdk.error_for_code(int(code))
        assert type(exc) is cls and exc.code is code and exc.description == code.name
    assert type(sdk.error_for_code(54)) is sdk.InvoiceNotFound
    assert type(sdk.error_for_code(98)) is sdk.RefundExceedsOriginal
    assert type(sdk.error_for_code(60)) is sdk.SessionExpired
    assert type(sdk.error_for_code(48)) is sdk.PaymentInProgress
    assert type(sdk.error_for_code(64)) is sdk.InvalidNotificationUrl
    assert type(sdk.error_for_code(20)) is sdk.AuthenticationFailed
    odd = sdk.error_for_code(12, "REJECTED_PAYMENT")
    assert type(odd) is sdk.SeqrError and odd.code is ResultCode.REJECTED_PAYMENT
    assert sdk.error_for_code(93).retryable and not sdk.error_for_code(54).retryable
    assert issubclass(sdk.SoapFaultError, sdk.SeqrClientError)
    assert issubclass(sdk.TransportError, sdk.SeqrClientError)


def test_models() -> None:
    row = sdk.InvoiceRow("Ticket", quantity=2, unit_price="120.00")
    assert row.total == Decimal("240.00")
    with pytest.raises(ValueError):
        sdk.InvoiceRow("No price")
    with pytest.raises(TypeError):
        sdk.InvoiceRow("Float", total=1.5)  # type: ignore[arg-type]
    st = PaymentStatus(InvoiceStatus.PAID, 2, "1", ers_reference="9")
    assert st.is_paid and st.is_final and not st.needs_action
    assert st.as_status_json() == {
        "resultCode": 0,
        "resultDescription": "SUCCESS",
        "status": "PAID",
        "customerTokens": {},
        "version": 2,
        "ersReference": "9",
    }
    assert PaymentStatus(InvoiceStatus.RESERVED, 2).needs_action
    assert InvoiceStatus.CANCELED == "CANCELED"


# ------------------------------------------------------------------------------ poller


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(round(s, 6))
        self.t += s


class ScriptedClient:
    """get_payment_status answers from a script; each call takes ``cost`` seconds."""

    def __init__(self, clock: FakeClock, script: list[Any], cost: float = 0.2) -> None:
        self.clock, self.script, self.cost = clock, list(script), cost
        self.calls: list[tuple[str | None, int, float]] = []

    def get_payment_status(self, reference: str | None, version: int = 0) -> PaymentStatus:
        self.calls.append((reference, version, self.clock.t))
        self.clock.t += self.cost
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        return item


def _st(status: str, version: int) -> PaymentStatus:
    return PaymentStatus(InvoiceStatus(status), version, "7")


def test_poller_keeps_one_second_cadence_and_passes_version() -> None:
    clock = FakeClock()
    c = ScriptedClient(
        clock, [_st("ISSUED", 1), _st("ISSUED", 1), _st("ISSUED", 2), _st("PAID", 3)]
    )
    seen: list[PaymentStatus] = []
    st = sdk.wait_for_payment(
        c, "7", timeout=30, on_change=seen.append, clock=clock, sleep=clock.sleep
    )
    assert st.is_paid
    starts = [t - 1000.0 for _, _, t in c.calls]
    assert starts == pytest.approx([0.0, 1.0, 2.0, 3.0])  # on the grid, not 1 s after answers
    assert clock.sleeps == pytest.approx([0.8, 0.8, 0.8])
    assert [v for _, v, _ in c.calls] == [0, 1, 1, 2]  # the last version received
    assert [s.version for s in seen] == [1, 2, 3]  # only changes


def test_poller_times_out_with_last_status() -> None:
    clock = FakeClock()
    c = ScriptedClient(clock, [_st("ISSUED", 1)])
    st = sdk.wait_for_payment(c, "7", timeout=5, clock=clock, sleep=clock.sleep)
    assert st.status is InvoiceStatus.ISSUED
    assert len(c.calls) == 6  # t = 0..5
    assert clock.t - 1000.0 <= 5.5


def test_poller_slow_call_skips_ticks() -> None:
    clock = FakeClock()
    c = ScriptedClient(clock, [_st("ISSUED", 1)], cost=2.5)
    sdk.wait_for_payment(c, "7", timeout=6, clock=clock, sleep=clock.sleep)
    starts = [t - 1000.0 for _, _, t in c.calls]
    assert starts == pytest.approx([0.0, 2.5, 5.0])  # never two calls at once, no backlog


def test_poller_survives_transient_errors_and_raises_fatal_ones() -> None:
    clock = FakeClock()
    c = ScriptedClient(clock, [sdk.TransportError("down"), sdk.error_for_code(93), _st("PAID", 2)])
    assert sdk.wait_for_payment(c, "7", clock=clock, sleep=clock.sleep).is_paid
    clock2 = FakeClock()
    c2 = ScriptedClient(clock2, [sdk.TransportError("down")])
    with pytest.raises(sdk.TransportError):
        sdk.wait_for_payment(c2, "7", timeout=3, clock=clock2, sleep=clock2.sleep)
    clock3 = FakeClock()
    c3 = ScriptedClient(clock3, [sdk.error_for_code(54)])
    with pytest.raises(sdk.InvoiceNotFound):
        sdk.wait_for_payment(c3, "7", clock=clock3, sleep=clock3.sleep)
    assert len(c3.calls) == 1


def test_poller_stops_when_merchant_must_act() -> None:
    clock = FakeClock()
    c = ScriptedClient(clock, [_st("ISSUED", 1), _st("PENDING_ISSUER_ACKNOWLEDGE", 2)])
    assert sdk.wait_for_payment(c, "7", clock=clock, sleep=clock.sleep).needs_action


def test_async_poller_cadence() -> None:
    clock = FakeClock()
    c = ScriptedClient(clock, [_st("ISSUED", 1), _st("CANCELED", 2)])

    class AsyncWrap:
        async def get_payment_status(self, ref: str | None, version: int = 0) -> PaymentStatus:
            return c.get_payment_status(ref, version)

    async def fake_sleep(s: float) -> None:
        clock.sleep(s)

    st = asyncio.run(sdk.wait_for_payment_async(AsyncWrap(), "7", clock=clock, sleep=fake_sleep))
    assert st.status is InvoiceStatus.CANCELED and clock.sleeps == pytest.approx([0.8])


# ------------------------------------------------------------------------------ receiver


class StubAsyncClient:
    def __init__(self, status: str = "PAID") -> None:
        self.asked: list[str] = []
        self.status = status

    async def get_payment_status(
        self, reference: str | None = None, version: int = 0
    ) -> PaymentStatus:
        self.asked.append(str(reference))
        if reference == "404":
            raise sdk.error_for_code(54)
        return PaymentStatus(InvoiceStatus(self.status), 2, reference, ers_reference="E1")


class StubSyncClient:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_payment_status(self, reference: str | None = None, version: int = 0) -> PaymentStatus:
        self.asked.append(str(reference))
        return PaymentStatus(InvoiceStatus.PAID, 2, reference)


def test_parse_and_handle_notification_with_signature() -> None:
    body = encode_notification("123", "order-1", {"msisdn": "4670"})
    header = sign(b"s3cret", int(time.time()), body)
    note = sdk.parse_notification(
        body, secret="s3cret", signature_header=header, query_string="order=4711"
    )
    assert note.invoice_reference == "123" and note.client_invoice_id == "order-1"
    assert note.extra == {"msisdn": "4670"} and note.query == {"order": "4711"} and note.signed
    with pytest.raises(sdk.InvalidSignature):
        sdk.parse_notification(body, secret="other", signature_header=header)
    with pytest.raises(sdk.InvalidSignature):
        sdk.parse_notification(body, secret="s3cret", signature_header=None)
    stale = sign(b"s3cret", int(time.time()) - 3600, body)
    with pytest.raises(sdk.InvalidSignature):
        sdk.parse_notification(body, secret="s3cret", signature_header=stale)
    with pytest.raises(ValueError):
        sdk.parse_notification(b"clientInvoiceId=x")

    client = StubSyncClient()
    st = sdk.handle_notification(client, body, secret=b"s3cret", signature_header=header)
    assert client.asked == ["123"] and st.is_paid and st.client_invoice_id == "order-1"
    assert st.notification is not None and st.notification.signed
    unsigned = sdk.handle_notification(client, encode_notification("124", None))
    assert unsigned.client_invoice_id is None and unsigned.reference == "124"
    st2 = asyncio.run(sdk.handle_notification_async(StubAsyncClient(), body))
    assert st2.client_invoice_id == "order-1" and st2.ers_reference == "E1"


def _call_receiver(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://merchant.test"
        ) as http:
            return await http.request(method, path, **kw)

    return asyncio.run(go())


def test_notification_receiver_asgi() -> None:
    client = StubAsyncClient()
    calls: list[tuple[PaymentStatus, str | None]] = []

    async def on_status(status: PaymentStatus, client_invoice_id: str | None) -> None:
        calls.append((status, client_invoice_id))

    rx = sdk.NotificationReceiver(client, on_status, secret="k")
    body = encode_notification("555", "order-9")
    hdr = {
        "X-Seqr-Signature": sign(b"k", int(time.time()), body),
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
    }
    r = _call_receiver(rx, "POST", "/seqr/notify?order=9", content=body, headers=hdr)
    assert r.status_code == 200 and r.content == b""
    assert client.asked == ["555"]  # acknowledged
    assert calls and calls[0][1] == "order-9" and calls[0][0].notification.query == {"order": "9"}
    assert rx.received[-1].is_paid

    bad = _call_receiver(
        rx, "POST", "/seqr/notify", content=body, headers={"X-Seqr-Signature": "t=1,v1=00"}
    )
    assert bad.status_code == 401 and client.asked == ["555"]  # not acknowledged
    assert _call_receiver(rx, "POST", "/elsewhere", content=body).status_code == 404
    assert _call_receiver(rx, "PUT", "/seqr/notify").status_code == 405

    # 9.4 status URL: JSON with CORS, 404 for unknown invoices
    poll = _call_receiver(rx, "GET", "/seqr/notify", params={"invoiceReference": "555"})
    assert poll.status_code == 200 and poll.json()["status"] == "PAID"
    assert poll.json()["resultCode"] == 0 and poll.json()["version"] == 2
    assert poll.headers["access-control-allow-origin"] == "*"
    assert (
        _call_receiver(rx, "GET", "/seqr/notify", params={"invoiceReference": "404"}).status_code
        == 404
    )
    assert _call_receiver(rx, "GET", "/seqr/notify").status_code == 400


def test_notification_receiver_factory_sync_client_and_no_secret() -> None:
    made: list[StubSyncClient] = []

    def factory() -> StubSyncClient:
        made.append(StubSyncClient())
        return made[-1]

    seen: list[str | None] = []
    rx = sdk.NotificationReceiver(
        factory, lambda st, cid: seen.append(cid), path=None, status_url=False
    )
    r = _call_receiver(rx, "POST", "/any/prefix", content=encode_notification("1", "c1"))
    assert r.status_code == 200 and seen == ["c1"] and len(made) == 1
    assert made[0].asked == ["1"]
    assert _call_receiver(rx, "POST", "/x", content=b"nothing=here").status_code == 400
    assert _call_receiver(rx, "GET", "/x", params={"invoiceReference": "1"}).status_code == 405


def test_notification_receiver_callback_errors_are_contained() -> None:
    def boom(status: PaymentStatus, cid: str | None) -> None:
        raise RuntimeError("merchant bug")

    rx = sdk.NotificationReceiver(StubAsyncClient(), boom)
    r = _call_receiver(rx, "POST", "/seqr/notify", content=encode_notification("2", "c"))
    assert r.status_code == 200


def test_notification_receiver_lifespan() -> None:
    rx = sdk.NotificationReceiver(lambda: StubAsyncClient())
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(m: dict[str, Any]) -> None:
        sent.append(m)

    asyncio.run(rx({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


# ------------------------------------------------------------------------------ URLs and QR


def test_url_and_qr_helpers() -> None:
    assert sdk.invoice_qr("1397222701693") == "HTTP://SEQR.SE/R1397222701693"
    assert sdk.deep_link("1397222701693") == "seqr://SEQR.SE/R1397222701693"
    assert sdk.deep_link("HTTP://SEQR.SE/R12", scheme="seqr-demo") == "seqr-demo://SEQR.SE/R12"
    assert sdk.terminal_qr("ABC123") == "HTTP://SEQR.SE/QABC123"
    assert sdk.service_qr("PARKING") == "HTTP://SEQR.SE/000/PARKING"
    assert sdk.service_qr("PARKING", zone="5", t="a b") == "HTTP://SEQR.SE/000/PARKING?zone=5&t=a+b"
    assert sdk.parse_service_fragment("#0123456789-01234567_2015122512") == (
        "0123456789-01234567",
        "2015122512",
    )
    assert sdk.parse_service_fragment("0123456789-01234567") == ("0123456789-01234567", None)
    with pytest.raises(ValueError):
        sdk.parse_service_fragment("#bad token!")
    with pytest.raises(ValueError):
        sdk.deep_link("HTTP://SEQR.SE/QABC")
    assert sdk.qr_png("HTTP://SEQR.SE/R1").startswith(b"\x89PNG")
    assert b"<svg" in sdk.qr_svg("HTTP://SEQR.SE/R1")
    assert sdk.qr_terminal("HTTP://SEQR.SE/R1").strip()
    assert sdk.WIZARD_CANCEL == "SEQR-ACTION://WIZARD/CANCEL"


def test_endpoint_url() -> None:
    from openseqr.sdk._ops import endpoint_url

    assert endpoint_url("http://h:8080") == "http://h:8080/soap/merchant/cashregister-2"
    assert endpoint_url("http://h:8080/") == "http://h:8080/soap/merchant/cashregister-2"
    assert endpoint_url("https://h/extclientproxy/service/v2") == (
        "https://h/extclientproxy/service/v2"
    )
    with pytest.raises(ValueError):
        endpoint_url("h:8080")
