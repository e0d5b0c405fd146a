"""How the clients move bytes: the sync and async I/O halves, and the :class:`operation`
descriptor that lets one method definition serve both.

An operation method builds an ``_ops.Call``; reading it from a sync client gives a method that
returns the result, from an async client one that returns an awaitable -- and the type checker
sees exactly that (``SeqrClient.send_invoice -> SentInvoice``,
``AsyncSeqrClient.send_invoice -> Coroutine[..., SentInvoice]``).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import types
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

import httpx

from openseqr.protocol import ClientContext

from . import _ops
from .errors import TransportError

T = TypeVar("T")
P = ParamSpec("P")
Timeout = float | httpx.Timeout | None

#: seconds for connect/read/write of one SOAP call
DEFAULT_TIMEOUT = 30.0


class _LoopThread:
    """A private event loop on a daemon thread, to drive an async transport synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="seqr-sdk-loop", daemon=True
        )
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class _AsyncTransportBridge(httpx.BaseTransport):
    """Use an ``httpx.AsyncBaseTransport`` (e.g. ``ASGITransport``) from a sync client."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport
        self._loop = _LoopThread()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def roundtrip() -> httpx.Response:
            resp = await self._transport.handle_async_request(request)
            stream = resp.stream
            assert isinstance(stream, httpx.AsyncByteStream), "an async transport streams async"
            try:
                content = b"".join([chunk async for chunk in stream])
            finally:
                await resp.aclose()
            return httpx.Response(
                resp.status_code, headers=resp.headers, content=content, extensions=resp.extensions
            )

        return self._loop.run(roundtrip())

    def close(self) -> None:
        try:
            self._loop.run(self._transport.aclose())
        finally:
            self._loop.close()


def _timeout(timeout: Timeout) -> httpx.Timeout:
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


class _Base:
    _endpoint: str
    _context: ClientContext
    currency: str

    def _setup(self, endpoint: str, context: ClientContext, currency: str) -> None:
        self._endpoint = _ops.endpoint_url(endpoint)
        self._context = context
        self.currency = currency

    @property
    def endpoint(self) -> str:
        """The SOAP endpoint URL the client posts to."""
        return self._endpoint

    def _cur(self, currency: str | None) -> str:
        return currency or self.currency

    def _setup_io(self, transport: Any, timeout: Timeout, http_client: Any) -> None:
        raise NotImplementedError  # provided by _SyncIO / _AsyncIO


class _SyncIO(_Base):
    _http: httpx.Client
    _owns_http: bool
    #: False: operation methods return results directly
    is_async = False

    def _setup_io(self, transport: Any, timeout: Timeout, http_client: Any) -> None:
        if http_client is not None:
            self._http, self._owns_http = http_client, False
            return
        if isinstance(transport, httpx.AsyncBaseTransport) and not isinstance(
            transport, httpx.BaseTransport
        ):
            transport = _AsyncTransportBridge(transport)
        self._http = httpx.Client(
            transport=transport, timeout=_timeout(timeout), headers={"User-Agent": "openseqr-sdk/1"}
        )
        self._owns_http = True

    def _run(self, call: _ops.Call[T]) -> T:
        try:
            r = self._http.post(self._endpoint, content=call.body(), headers=_ops.HEADERS)
        except httpx.HTTPError as exc:
            raise TransportError(f"{call.operation}: {type(exc).__name__}: {exc}") from exc
        return _ops.finish(call, r.status_code, r.content)

    def close(self) -> None:
        """Close the HTTP connections (not needed for a client passed in as ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _AsyncIO(_Base):
    _http: httpx.AsyncClient
    _owns_http: bool
    #: True: operation methods return awaitables
    is_async = True

    def _setup_io(self, transport: Any, timeout: Timeout, http_client: Any) -> None:
        if http_client is not None:
            self._http, self._owns_http = http_client, False
            return
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError(
                "AsyncSeqrClient needs an httpx.AsyncBaseTransport "
                "(e.g. httpx.ASGITransport or httpx.AsyncHTTPTransport)"
            )
        self._http = httpx.AsyncClient(
            transport=transport, timeout=_timeout(timeout), headers={"User-Agent": "openseqr-sdk/1"}
        )
        self._owns_http = True

    async def _run(self, call: _ops.Call[T]) -> T:
        try:
            r = await self._http.post(self._endpoint, content=call.body(), headers=_ops.HEADERS)
        except httpx.HTTPError as exc:
            raise TransportError(f"{call.operation}: {type(exc).__name__}: {exc}") from exc
        return _ops.finish(call, r.status_code, r.content)

    async def aclose(self) -> None:
        """Close the HTTP connections (not needed for a client passed in as ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class operation(Generic[P, T]):  # noqa: N801  (used as a decorator, like ``property``)
    """Decorate a method that returns the ``_ops.Call`` of one operation: the client runs it."""

    def __init__(self, build: Callable[Concatenate[Any, P], _ops.Call[T]]) -> None:
        self.__doc__ = build.__doc__  # help() on the class shows the operation's documentation
        self.__wrapped__ = build

        @functools.wraps(build)
        def method(client: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
            return client._run(build(client, *args, **kwargs))

        self._method = method

    def __call__(self, client: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        """``SeqrClient.send_invoice(client, ...)`` works as for a plain method."""
        return self._method(client, *args, **kwargs)

    @overload
    def __get__(self, client: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, client: _SyncIO, owner: type | None = None) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, client: _AsyncIO, owner: type | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, client: object, owner: type | None = None) -> Any:
        if client is None:
            return self
        return types.MethodType(self._method, client)
