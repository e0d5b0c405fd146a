"""Notification connections go only to addresses the operator's policy allowed (no rebinding).

The relay's aiohttp connector asks `PinnedResolver` for a merchant's host name: it resolves the
name once, judges every address it resolves to by the `DestinationPolicy`, and refuses the name
when any one of them is denied. aiohttp then opens the socket to one of those checked addresses;
TLS still verifies (and sends SNI for) the original name and the Host header is the original one,
so only the resolution is pinned. A name that resolves to a public address when checked and to
169.254.169.254 a moment later cannot get a connection to the latter: there is no second lookup.

aiohttp never asks the resolver about an IP literal (and refuses legacy numeric IPv4 spellings
such as `127.1` outright): literals are judged by `DestinationPolicy.check(url)` before the send.
Its DNS cache keeps only answers this resolver returned, so every cached address was checked.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from ..protocol.urls import DestinationPolicy

#: host, port -> the addresses it resolves to (the default asks the system resolver)
Resolver = Callable[[str, int], Awaitable[list[str]]]

USER_AGENT = "openseqr-notifier/1"
#: how long a checked answer is reused for new connections (A-64)
DNS_CACHE_SECONDS = 10
KEEPALIVE_SECONDS = 30.0
_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


class DestinationDenied(Exception):
    """The host resolved to an address the operator's policy does not allow.

    Not an `OSError`, so aiohttp does not wrap it as a DNS failure: the relay sees it as is."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class PinnedResolver(AbstractResolver):
    """aiohttp's resolver hook with the policy check on every address of the answer."""

    def __init__(self, policy: DestinationPolicy, resolve: Resolver = system_resolver) -> None:
        self._policy = policy
        self._resolve = resolve

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self._resolve(host, port)  # an OSError: aiohttp's DNS error
        if not addresses:
            raise OSError(f"{host!r} resolves to no address")
        for address in addresses:
            reason = self._policy.check_ip(address)
            if reason:
                raise DestinationDenied(reason)
        return [_result(host, address, port) for address in addresses]

    async def close(self) -> None:
        return None


def _result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return ResolveResult(
        hostname=host, host=address, port=port, family=family, proto=0, flags=_NUMERIC
    )


def pinned_session(
    policy: DestinationPolicy,
    *,
    timeout: float,
    connections: int,
    resolve: Resolver = system_resolver,
    trust: ssl.SSLContext | None = None,
) -> aiohttp.ClientSession:
    """The relay's HTTP client: keep-alive connections only to checked addresses, `timeout`
    seconds for a whole attempt, TLS verified (against the system's CAs, or `trust`), no proxy
    from the environment, no cookies kept from one merchant's answer for the next request.
    Make it on the loop that will use it."""
    connector = aiohttp.TCPConnector(
        resolver=PinnedResolver(policy, resolve),
        limit=connections,
        keepalive_timeout=KEEPALIVE_SECONDS,
        ttl_dns_cache=DNS_CACHE_SECONDS,
        ssl=trust or True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    )
