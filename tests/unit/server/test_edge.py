"""A-66: the edge hands a complete SOAP POST straight to its endpoint, and everything else to
the app with the body it read; every answer carries the request id; a stalled body is a 408."""

from __future__ import annotations

import asyncio
from typing import Any

from openseqr.observability.requests import NOTE, RequestObserver
from openseqr.server.edge import Edge
from openseqr.server.limits import EdgeLimits

SOAP = "/soap"


class Recorder:
    """The app behind the edge, and the direct endpoint: what each of them was given."""

    def __init__(self) -> None:
        self.app_bodies: list[bytes] = []
        self.direct_bodies: list[bytes] = []

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        self.app_bodies.append(b"".join(chunks))
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"app"})

    async def direct(self, scope: Any, body: bytes, send: Any, headers: list) -> int:
        self.direct_bodies.append(body)
        scope[NOTE].update(soap_operation="benchmarkingNop", soap_result_code=0)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"direct"})
        return 200


def call(
    edge: Edge, method: str, path: str, chunks: list[bytes], stall: bool = False
) -> list[dict]:
    size = sum(len(c) for c in chunks)
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(b"content-length", str(size).encode()), (b"x-request-id", b"till-7")],
        "client": ("127.0.0.1", 1234),
    }
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        if messages and not (stall and len(messages) == 1):
            return messages.pop(0)
        await asyncio.sleep(60)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(edge(scope, receive, send))
    return sent


def make(recorder: Recorder, prefetch: int = 1024) -> Edge:
    limits = EdgeLimits(body_timeout=0.2)
    return Edge(recorder.app, limits, RequestObserver((SOAP,)), {SOAP: recorder.direct}, prefetch)


def test_a_complete_soap_post_goes_straight_to_its_endpoint_in_one_piece() -> None:
    r = Recorder()
    sent = call(make(r), "POST", SOAP, [b"<a>", b"</a>"])
    assert r.direct_bodies == [b"<a></a>"] and r.app_bodies == []
    assert sent[0]["status"] == 200 and (b"x-request-id", b"till-7") in sent[0]["headers"]


def test_other_requests_reach_the_app_with_the_body_the_edge_read() -> None:
    r = Recorder()
    sent = call(make(r), "POST", "/api", [b"{}"])
    assert r.app_bodies == [b"{}"] and r.direct_bodies == []
    assert sent[0]["status"] == 201 and (b"x-request-id", b"till-7") in sent[0]["headers"]


def test_a_soap_body_beyond_the_prefetch_is_streamed_to_the_app() -> None:
    r = Recorder()
    call(make(r, prefetch=4), "POST", SOAP, [b"12345", b"678", b"9"])
    assert r.app_bodies == [b"123456789"] and r.direct_bodies == []


def test_a_stalled_body_is_answered_408_with_the_request_id() -> None:
    r = Recorder()
    sent = call(make(r), "POST", SOAP, [b"<a>", b"</a>"], stall=True)
    assert r.app_bodies == [] and r.direct_bodies == []
    assert sent[0]["status"] == 408 and (b"x-request-id", b"till-7") in sent[0]["headers"]
