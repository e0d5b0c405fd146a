"""The one ASGI layer in front of the application (A-28, A-53, A-66).

`Edge` does, for every HTTP request and in this order: give it a request id (returned in
`X-Request-Id`), read its body within `body_timeout` before anything else sees it (else 408 and
the connection closed), hand it on, and afterwards record its metrics and write its log line.
It is the outermost layer (outside Starlette's error middleware, so a 500 carries the id too).
With `durable`, it also holds every response until the commits made before it are durable
(A-73: the store groups their fsyncs), so no answer shows what a power cut could undo.

A POST to a SOAP path whose body is complete goes straight to the SOAP endpoint with the bytes
already read: no routing, no `Request`/`Response` objects, no replayed `receive`. Everything
else (the JSON API, the console, `GET ?wsdl`, a body too large to prefetch) goes through the
Starlette stack as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..observability.requests import HEADER, NOTE, RequestObserver, request_id
from .limits import EdgeLimits

#: a direct endpoint: (scope, complete body, send, extra response headers) -> HTTP status
Direct = Callable[[Scope, bytes, Send, list[tuple[bytes, bytes]]], Awaitable[int]]
#: `Store.durable`: None when all commits so far are durable, else what to await
Durable = Callable[[], Awaitable[None] | None]


class EdgeApp(Starlette):
    """Starlette with `Edge` wrapped around its whole middleware stack."""

    def __init__(self, edge: Callable[[ASGIApp], ASGIApp], **kwargs: Any) -> None:
        self._edge = edge
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return self._edge(super().build_middleware_stack())


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        limits: EdgeLimits,
        observer: RequestObserver,
        direct: Mapping[str, Direct] | None = None,
        prefetch: int = 1024 * 1024,
        durable: Durable | None = None,
    ) -> None:
        self.app, self.limits, self.observer = app, limits, observer
        self.direct = direct or {}
        self.prefetch = prefetch
        self.durable = durable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope["headers"])
        note: dict[str, Any] = {}
        scope[NOTE] = note
        outcome = _Outcome()
        try:
            await self._serve(scope, receive, send, (HEADER, rid.encode()), outcome)
        finally:
            seconds = time.perf_counter() - started
            self.observer.finished(scope, note, rid, outcome.status, seconds, outcome.route)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, rid: tuple[bytes, bytes], out: _Outcome
    ) -> None:
        durable = self.durable

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                out.status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid]
                if durable is not None and (waiting := durable()) is not None:
                    await waiting
            await send(message)

        if not has_body(scope):
            await self.app(scope, receive, send_with_id)
            return
        deadline = asyncio.get_running_loop().time() + self.limits.body_timeout
        try:
            head, done = await prefetch(receive, deadline, self.prefetch)
        except BodyTimeout:
            await timeout_response(send_with_id)
            return
        if head is None:  # the client went away
            return
        direct = self.direct.get(scope["path"]) if done else None
        if direct is not None and scope["method"] == "POST":
            out.route = scope["path"]  # a fixed path: the route of the log line
            body = head[0].get("body", b"") if len(head) == 1 else _joined(head)
            answer_on = send if durable is None else held(send, durable)
            out.status = await direct(scope, body, answer_on, [rid])
            return
        await self.app(scope, replay(head, done, receive, deadline), send_with_id)


def held(send: Send, durable: Durable) -> Send:
    """`send` that starts a response only once every commit made so far is durable."""

    async def send_when_durable(message: Message) -> None:
        if message["type"] == "http.response.start":
            waiting = durable()
            if waiting is not None:
                await waiting
        await send(message)

    return send_when_durable


class _Outcome:
    __slots__ = ("status", "route")

    def __init__(self) -> None:
        self.status = 500  # what the client sees if the app fails before answering (uvicorn's)
        self.route: str | None = None  # the log line's route when no router matched it


def _joined(messages: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages)


class BodyTimeout(Exception):
    pass


def has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


async def _receive_by(receive: Receive, deadline: float) -> Message:
    try:
        async with asyncio.timeout_at(deadline):
            return await receive()
    except TimeoutError:
        raise BodyTimeout from None


async def prefetch(receive: Receive, deadline: float, limit: int) -> tuple[list | None, bool]:
    """Up to `limit` bytes of body messages; (None, _) when the client disconnected."""
    messages, size = [], 0
    while size <= limit:
        message = await _receive_by(receive, deadline)
        if message["type"] == "http.disconnect":
            return None, True
        messages.append(message)
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, True
    return messages, False


def replay(head: list, done: bool, receive: Receive, deadline: float) -> Receive:
    """`receive` for the app: the prefetched messages, then the rest under the same deadline."""
    pending = list(head)
    state = {"done": done}

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        if state["done"]:
            return await receive()  # after the body: only http.disconnect, no deadline
        try:
            message = await _receive_by(receive, deadline)
        except BodyTimeout:
            return {"type": "http.disconnect"}  # the app answers; the client is cut off
        state["done"] = not message.get("more_body", False)
        return message

    return replayed


async def timeout_response(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 408,
            "headers": [(b"connection", b"close"), (b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"request body timed out\n"})
