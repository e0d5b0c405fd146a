"""Notification connections go only to addresses the operator's policy allowed (no rebinding).

A merchant's host name is resolved once per connection, every address it resolves to is judged
by the `DestinationPolicy`, and the socket is opened to one of those checked addresses. TLS still
verifies (and sends SNI for) the original name and the Host header is the original one, so only
the resolution is pinned. A name that resolves to a public address when checked and to
169.254.169.254 a moment later cannot get a connection to the latter: there is no second lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from collections.abc import Awaitable, Callable

import httpcore
import httpx

from ..protocol.urls import DestinationPolicy

#: host, port -> the addresses it resolves to (the default asks the system resolver)
Resolver = Callable[[str, int], Awaitable[list[str]]]


class DestinationDenied(httpcore.ConnectError):
    """The host resolved to an address the operator's policy does not allow."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the lookup and the policy check in front of connect."""

    def __init__(self, policy: DestinationPolicy, resolve: Resolver = system_resolver) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = httpcore.AnyIOBackend()

    async def checked_address(self, host: str) -> str:
        """One address of `host` that the policy allows; every resolved address must pass."""
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
            addresses = [host]
        except ValueError:
            try:
                addresses = await self._resolve(host, 0)
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host!r} resolves to no address")
        for address in addresses:
            reason = self._policy.check_ip(address)
            if reason:
                raise DestinationDenied(reason)
        return addresses[0]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await self.checked_address(host)
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("notifications are never sent to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(
    policy: DestinationPolicy,
    limits: httpx.Limits,
    resolve: Resolver = system_resolver,
) -> httpx.AsyncHTTPTransport:
    """httpx's transport on a `PinnedBackend`. httpx does not take a network backend itself, so
    its connection pool is rebuilt with the same settings and ours (tests/integration/worker/
    test_pinning.py fails if httpx changes this)."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    old = transport._pool
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=old._ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PinnedBackend(policy, resolve),
    )
    return transport


def denial(exc: BaseException) -> str | None:
    """The policy's reason when an httpx error was a `DestinationDenied`, else None."""
    cause = exc.__cause__ or exc.__context__
    return str(cause) if isinstance(cause, DestinationDenied) else None
