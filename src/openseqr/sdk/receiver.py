"""Receiving the server's payment notification (spec 9.2-9.4).

When an invoice with a ``notification_url`` becomes PAID (or RESERVED) the server POSTs
``invoiceReference`` and ``clientInvoiceId`` (form-encoded) to that URL. An openseqr server
retries a failed delivery (network error, 408, 429, 5xx) up to 3 times inside the 20 s window
by default (D-03; real SEQR sends once), so the same notification may arrive more than once.
What you must do (9.3): answer quickly, **call getPaymentStatus at once** -- that call is what
acknowledges the payment; without it the payment is reversed after the acknowledgement window
(20 s) -- then update your order. The notification is only a hint: trust the status you fetch.

Two ways to do it:

* :func:`handle_notification` / :func:`handle_notification_async` -- a plain function for
  your own web framework: give it the raw body (and the signature header), it verifies,
  acknowledges and returns the :class:`PaymentStatus`.
* :class:`NotificationReceiver` -- a tiny ASGI app (no framework) you can serve with uvicorn or
  mount anywhere. It answers 200 at once, then acknowledges and calls your ``on_status``.

Signature: if your terminal has a notification secret, the server adds
``X-Seqr-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``; pass the same
``secret`` and unsigned or forged notifications are refused (:class:`InvalidSignature`).

Redeliveries: a notification is sent at least once. ``Notification.delivery_id`` is the same on
every attempt of one notification; :class:`NotificationReceiver` drops one it has already handled.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from openseqr.protocol import SIGNATURE_HEADER, decode_notification, verify

from .errors import InvalidSignature, InvoiceNotFound, SeqrClientError
from .models import Notification, PaymentStatus

__all__ = [
    "parse_notification",
    "handle_notification",
    "handle_notification_async",
    "NotificationReceiver",
    "SIGNATURE_HEADER",
]

log = logging.getLogger("openseqr.sdk.receiver")
REMEMBERED_DELIVERIES = 10_000  # delivery ids a receiver remembers to drop redeliveries
_STANDARD = ("invoiceReference", "clientInvoiceId")


def _secret_bytes(secret: str | bytes | None) -> bytes | None:
    if secret is None or secret == "" or secret == b"":
        return None
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def parse_notification(
    body: bytes,
    *,
    secret: str | bytes | None = None,
    signature_header: str | None = None,
    query_string: str | bytes = "",
    tolerance: int = 300,
    now: float | None = None,
) -> Notification:
    """Decode (and, with ``secret``, verify) a notification body without calling the server.

    Raises :class:`InvalidSignature` for a bad/missing/stale signature (``tolerance`` seconds)
    and ``ValueError`` for a body without ``invoiceReference``.
    """
    key = _secret_bytes(secret)
    if key is not None:
        when = int(time.time() if now is None else now)
        if not verify(key, signature_header, bytes(body), when, tolerance):
            raise InvalidSignature("notification signature missing or invalid")
    fields = decode_notification(bytes(body))
    reference = fields.get("invoiceReference", "").strip()
    if not reference:
        raise ValueError("notification without invoiceReference")
    qs = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    query: dict[str, str] = {}
    for k, v in parse_qsl(qs, keep_blank_values=True):
        query.setdefault(k, v)
    return Notification(
        invoice_reference=reference,
        client_invoice_id=fields.get("clientInvoiceId") or None,
        extra={k: v for k, v in fields.items() if k not in _STANDARD},
        query=query,
        signed=key is not None,
    )


def _attach(status: PaymentStatus, note: Notification) -> PaymentStatus:
    return replace(
        status,
        reference=status.reference or note.invoice_reference,
        client_invoice_id=status.client_invoice_id or note.client_invoice_id,
        notification=note,
    )


def handle_notification(
    client: Any,
    body: bytes,
    *,
    secret: str | bytes | None = None,
    signature_header: str | None = None,
    query_string: str | bytes = "",
    tolerance: int = 300,
) -> PaymentStatus:
    """Verify the notification, acknowledge it with ``getPaymentStatus``, return the status.

    ``client``: a :class:`SeqrClient` for the terminal that created the invoice. ``body``: the
    raw request body. ``secret`` + ``signature_header`` (the ``X-Seqr-Signature`` header value):
    verify the signature. ``query_string``: your notification URL's query (kept in
    ``status.notification.query``, e.g. your order id). The returned status carries
    ``client_invoice_id`` and ``notification``. Map it to your order idempotently: the same
    payment may also be seen by your poller or success page.
    """
    note = parse_notification(
        body,
        secret=secret,
        signature_header=signature_header,
        query_string=query_string,
        tolerance=tolerance,
    )
    return _attach(client.get_payment_status(note.invoice_reference), note)


async def handle_notification_async(
    client: Any,
    body: bytes,
    *,
    secret: str | bytes | None = None,
    signature_header: str | None = None,
    query_string: str | bytes = "",
    tolerance: int = 300,
) -> PaymentStatus:
    """:func:`handle_notification` for an :class:`AsyncSeqrClient` (a sync client is run in
    a worker thread)."""
    note = parse_notification(
        body,
        secret=secret,
        signature_header=signature_header,
        query_string=query_string,
        tolerance=tolerance,
    )
    return _attach(await _status(client, note.invoice_reference), note)


async def _status(client: Any, reference: str) -> PaymentStatus:
    """Ask an async client directly; run a blocking client in a worker thread."""
    fn = client.get_payment_status
    if getattr(client, "is_async", False) or inspect.iscoroutinefunction(fn):
        result = fn(reference)
    else:
        result = await asyncio.to_thread(fn, reference)
    if inspect.isawaitable(result):
        result = await result
    status: PaymentStatus = result  # either kind of client answers a PaymentStatus
    return status


OnStatus = Callable[[PaymentStatus, str | None], Any | Awaitable[Any]]


class NotificationReceiver:
    """A plain ASGI app that receives notifications, acknowledges them and tells you.

    ``client``: an :class:`AsyncSeqrClient` (or a :class:`SeqrClient`, run in a thread), or a
    zero-argument factory returning one (called once, on first use; a client it made is closed
    on ASGI lifespan shutdown). ``on_status(status, client_invoice_id)``: your callback, plain
    or ``async``; map the status to your order there (it is called after the HTTP answer was
    sent; exceptions are logged). ``path``: where it listens (``None``: any path -- useful when
    mounted under a prefix). ``secret``: the terminal's notification secret; then unsigned or
    forged POSTs get 401 and nothing else happens.

    ``POST`` (the server's notification): 200 at once, then ``getPaymentStatus``, then
    ``on_status``. A body without ``invoiceReference`` gets 400.

    ``GET ?invoiceReference=<ref>`` (``status_url=True``): the webshop status URL of spec 9.4
    -- polls ``getPaymentStatus`` and answers the JSON the SEQR webshop plugin expects
    (``{"status": "PAID", "version": 2, ...}``, with ``Access-Control-Allow-Origin: *``; 404 for
    an unknown reference). ``on_status`` is called from a GET only once the status is final or
    needs your action.

    Serve it::

        receiver = NotificationReceiver(AsyncSeqrClient(url, tid, pw), on_status=mark_paid)
        uvicorn.run(receiver, host="0.0.0.0", port=8000)
    """

    def __init__(
        self,
        client: Any,
        on_status: OnStatus | None = None,
        *,
        path: str | None = "/seqr/notify",
        secret: str | bytes | None = None,
        status_url: bool = True,
        tolerance: int = 300,
        max_body: int = 64 * 1024,
    ) -> None:
        self._client_or_factory = client
        self._client: Any = None
        self._made_client = False
        self.on_status = on_status
        self.path = path.rstrip("/") or "/" if path else None
        self.secret = secret
        self.status_url = status_url
        self.tolerance = tolerance
        self.max_body = max_body
        #: every status this receiver fetched, newest last (handy in tests and demos)
        self.received: list[PaymentStatus] = []
        self._handled: OrderedDict[str, None] = OrderedDict()  # delivery ids, oldest first

    # -- plumbing ----------------------------------------------------------------------

    async def _get_client(self) -> Any:
        if self._client is None:
            c = self._client_or_factory
            if callable(c) and not hasattr(c, "get_payment_status"):
                c = c()
                if inspect.isawaitable(c):
                    c = await c
                self._made_client = True
            self._client = c
        return self._client

    async def aclose(self) -> None:
        """Close a client this receiver created from a factory."""
        if self._made_client and self._client is not None:
            closer = getattr(self._client, "aclose", None) or self._client.close
            result = closer()
            if inspect.isawaitable(result):
                await result
            self._client = None

    def _matches(self, scope: dict[str, Any]) -> bool:
        if self.path is None:
            return True
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        candidates = {path}
        if root and path.startswith(root):
            candidates.add(path[len(root) :])
        return any((p.rstrip("/") or "/") == self.path for p in candidates)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if not self._matches(scope):
            await _respond(send, 404, b"not found")
            return
        method = scope.get("method", "GET")
        if method == "POST":
            await self._post(scope, receive, send)
        elif method in ("GET", "HEAD") and self.status_url:
            await self._get(scope, send)
        elif method == "OPTIONS" and self.status_url:
            await _respond(
                send,
                204,
                b"",
                cors=True,
                extra=[(b"access-control-allow-methods", b"GET, POST, OPTIONS")],
            )
        else:
            await _respond(send, 405, b"method not allowed")

    async def _lifespan(
        self,
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.aclose()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read(self, receive: Callable[[], Awaitable[Any]]) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _post(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = await self._read(receive)
        if body is None:
            await _respond(send, 413, b"body too large")
            return
        header = _header(scope, SIGNATURE_HEADER.lower().encode())
        try:
            note = parse_notification(
                body,
                secret=self.secret,
                signature_header=header,
                query_string=scope.get("query_string", b""),
                tolerance=self.tolerance,
            )
        except InvalidSignature:
            log.warning("notification with a missing or invalid signature refused")
            await _respond(send, 401, b"invalid signature")
            return
        except (ValueError, UnicodeDecodeError):
            await _respond(send, 400, b"invoiceReference required")
            return
        # 9.3 step 1: answer quickly; then acknowledge (step 2) and map to the order (step 3).
        await _respond(send, 200, b"")
        delivery = note.delivery_id
        if delivery is not None:
            if delivery in self._handled:
                log.info("notification %s redelivered: already handled, dropped", delivery)
                return
            self._handled[delivery] = None
            while len(self._handled) > REMEMBERED_DELIVERIES:
                self._handled.popitem(last=False)
        try:
            client = await self._get_client()
            status = _attach(await _status(client, note.invoice_reference), note)
        except SeqrClientError:
            log.exception("acknowledging invoice %s failed", note.invoice_reference)
            if delivery is not None:
                self._handled.pop(delivery, None)  # not handled: a redelivery may try again
            return
        await self._deliver(status)

    async def _get(self, scope: dict[str, Any], send: Any) -> None:
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        reference = (query.get("invoiceReference") or "").strip()
        if not reference:
            await _respond(
                send, 400, b'{"error":"invoiceReference required"}', cors=True, json_body=True
            )
            return
        try:
            client = await self._get_client()
            status = await _status(client, reference)
        except InvoiceNotFound:
            await _respond(send, 404, b'{"error":"unknown invoice"}', cors=True, json_body=True)
            return
        except SeqrClientError as exc:
            log.warning("status poll for %s failed: %s", reference, exc)
            payload = {
                "resultCode": int(getattr(exc, "code", 999)),
                "resultDescription": getattr(exc, "description", None) or "EXCEPTION",
            }
            await _respond(send, 502, json.dumps(payload).encode(), cors=True, json_body=True)
            return
        await _respond(
            send, 200, json.dumps(status.as_status_json()).encode(), cors=True, json_body=True
        )
        if status.is_final or status.needs_action:
            await self._deliver(status)

    async def _deliver(self, status: PaymentStatus) -> None:
        self.received.append(status)
        if self.on_status is None:
            return
        try:
            result = self.on_status(status, status.client_invoice_id)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("on_status callback failed for invoice %s", status.reference)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _respond(
    send: Any,
    status: int,
    body: bytes,
    *,
    cors: bool = False,
    json_body: bool = False,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    ctype = b"application/json" if json_body else b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", ctype),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if cors:
        headers.append((b"access-control-allow-origin", b"*"))
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
