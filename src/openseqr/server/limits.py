"""Timeouts and limits at the edge (A-28): a slow or stalled client costs a socket, never a slot.

Two small layers around uvicorn, because uvicorn has no request-head timeout (its keep-alive
timer is reset by every byte, so a client trickling a header holds its connection forever):

* `GuardedHttpToolsProtocol`: uvicorn's own HTTP protocol (httptools, else h11) plus a
  deadline for the whole request head (from its first byte, or from the connection's opening),
  a cap on the head's size, and a cap on open connections per source address (IPv6: per /64).
* `EdgeGuard`: ASGI middleware that reads a request body within a deadline before the
  application sees the request, so a stalled body never reaches a handler, and answers 408.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools ships with uvicorn[standard]
    HttpToolsProtocol = H11Protocol  # type: ignore[misc,assignment]

from ..service.auth import source_of
from ..settings import Settings

log = logging.getLogger("openseqr.edge")
TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
TOO_LARGE_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\n"
    b"content-length: 0\r\n\r\n"
)


@dataclass(frozen=True)
class EdgeLimits:
    header_timeout: float = 10.0
    body_timeout: float = 20.0
    max_header_bytes: int = 64 * 1024
    max_connections_per_source: int = 256  # 0 = no limit

    @classmethod
    def from_settings(cls, s: Settings) -> EdgeLimits:
        return cls(
            s.header_timeout_seconds,
            s.body_timeout_seconds,
            s.max_header_bytes,
            s.max_connections_per_source,
        )


class _OpenConnections:
    """Open connections per source in this process (servers may run in several threads)."""

    def __init__(self) -> None:
        self._count: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, source: str, limit: int) -> bool:
        with self._lock:
            if limit > 0 and self._count[source] >= limit:
                return False
            self._count[source] += 1
            return True

    def release(self, source: str) -> None:
        with self._lock:
            self._count[source] -= 1
            if self._count[source] <= 0:
                del self._count[source]


OPEN = _OpenConnections()
_limits: EdgeLimits | None = None


def _process_limits() -> EdgeLimits:
    """`openseqr serve` workers read their limits from OPENSEQR_* once per process."""
    global _limits
    if _limits is None:
        _limits = EdgeLimits.from_settings(Settings())
    return _limits


class _HeadDeadline(asyncio.Protocol):
    """Mixed into a uvicorn HTTP protocol (covered by tests/e2e/test_edge_limits.py)."""

    # what the mixin uses of uvicorn's protocol
    transport: asyncio.Transport
    client: tuple[str, int] | None
    cycle: Any  # the current request's RequestResponseCycle, or None
    loop: asyncio.AbstractEventLoop

    edge_limits: ClassVar[EdgeLimits | None] = None  # None: from the process's settings
    _source: str | None = None
    _timer: asyncio.TimerHandle | None = None
    _head_bytes = 0

    def _edge(self) -> EdgeLimits:
        return self.edge_limits or _process_limits()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.transport = _CorkedTransport(self.transport, self.loop)  # type: ignore[assignment]
        source = source_of(self.client[0] if self.client else None)
        if not OPEN.acquire(source, self._edge().max_connections_per_source):
            log.debug("refused a connection from %s: too many open connections", source)
            transport.close()
            return
        self._source = source
        self._arm()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if self._timer is None and (cycle is None or cycle.response_complete):
            self._arm()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)
        if self._timer is None:
            return
        if self.cycle is not cycle and self.cycle is not None:
            self._disarm()  # the head is complete: the body has its own deadline
            return
        self._head_bytes += len(data)
        if self._head_bytes > self._edge().max_header_bytes:
            self._refuse(TOO_LARGE_RESPONSE)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._source is not None:
            OPEN.release(self._source)
            self._source = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_bytes = 0
        limit = self._edge().header_timeout
        self._timer = self.loop.call_later(limit, self._refuse, TIMEOUT_RESPONSE)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, response: bytes) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()


class GuardedHttpToolsProtocol(_HeadDeadline, HttpToolsProtocol):
    pass


class _CorkedTransport:
    """A-41: the writes of one loop iteration leave in one `write`. uvicorn writes a response's
    head and body separately, which on a no-delay socket is two segments and two syscalls per
    request; this joins them (and flushes at once past `CORK_LIMIT`, before `close`)."""

    CORK_LIMIT = 64 * 1024
    __slots__ = ("_transport", "_loop", "_pending", "_size")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size > self.CORK_LIMIT:
            self._flush()

    def _flush(self) -> None:
        pending, self._pending, self._size = self._pending, [], 0
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # everything else is the transport's own
        return getattr(self._transport, name)
