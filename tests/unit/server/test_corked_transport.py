"""A-41: a response's head and body leave in one write, in order, and nothing is held back."""

from __future__ import annotations

import asyncio

from openseqr.server.limits import _CorkedTransport


class Wire(asyncio.Transport):
    """The far end of the socket: what was written, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


async def _settle() -> None:
    await asyncio.sleep(0)


def test_head_and_body_of_one_iteration_are_one_write():
    async def scenario() -> list[bytes]:
        wire = Wire()
        corked = _CorkedTransport(wire, asyncio.get_running_loop())
        corked.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        corked.write(b"OK")
        assert wire.writes == []
        await _settle()
        corked.write(b"next")
        await _settle()
        return wire.writes

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nOK", b"next"]


def test_close_sends_what_is_pending_first_and_large_writes_go_at_once():
    async def scenario() -> Wire:
        wire = Wire()
        corked = _CorkedTransport(wire, asyncio.get_running_loop())
        corked.write(b"x" * (_CorkedTransport.CORK_LIMIT + 1))
        assert len(wire.writes) == 1  # past the limit: no waiting for the iteration's end
        corked.write(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
        corked.close()
        assert corked.is_closing()  # the transport's own answer
        await _settle()
        return wire

    wire = asyncio.run(scenario())
    assert wire.closed and wire.writes[-1] == b"HTTP/1.1 408 Request Timeout\r\n\r\n"
    assert len(wire.writes) == 2
