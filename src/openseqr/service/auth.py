"""Who is calling: TERMINALID and RESELLERUSER principals (spec 2.2, 6.1, 6.2; D-30, D-38).

Authentication has two halves so that the KDF never runs on the event loop (A-29): `_begin`
finds the principal, applies the failed-login throttle and consults the verified-credential
cache; only a cache miss needs the KDF, which `authenticate_async` runs in the bounded pool and
`authenticate` (for threads and scripts) runs inline.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from ..core import errors
from ..core.records import PrincipalStatus, Reseller, Terminal
from .context import Context

TERMINALID = "TERMINALID"
RESELLERUSER = "RESELLERUSER"
LOCAL = "local"  # the source of in-process callers (scripts, tests, the operator CLI)


@dataclass(frozen=True, slots=True)
class Caller:
    reseller: Reseller
    terminal: Terminal | None  # None for RESELLERUSER

    def require_terminal(self) -> Terminal:
        if self.terminal is None:
            raise errors.AccessDenied("this operation needs a TERMINALID principal")
        return self.terminal

    def require_reseller_user(self) -> Reseller:
        if self.terminal is not None:
            raise errors.AccessDenied("this operation needs a RESELLERUSER principal")
        return self.reseller


@dataclass(frozen=True, slots=True)
class _Attempt:
    caller: Caller
    key: str  # the throttle's name of the principal
    stored_hash: str
    password: str
    source: str
    verified: bool  # found in the verified-credential cache


@lru_cache(maxsize=4096)  # a handful of tills ask many times: parse each address once
def source_of(host: str | None) -> str:
    """The throttle's name of a client address: IPv4 as is, IPv6 by its /64 (one subscriber)."""
    if not host:
        return LOCAL
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def authenticate(
    ctx: Context,
    kind: str | None,
    principal_id: str | None,
    user_id: str | None,
    password: str | None,
    source: str = LOCAL,
) -> Caller:
    """Authenticate on this thread (the KDF runs here on a cache miss)."""
    attempt = _begin(ctx, kind, principal_id, user_id, password, source)
    return _finish(ctx, attempt, attempt.verified or _kdf_inline(ctx, attempt))


async def authenticate_async(
    ctx: Context,
    kind: str | None,
    principal_id: str | None,
    user_id: str | None,
    password: str | None,
    source: str = LOCAL,
) -> Caller:
    """Authenticate from the event loop: a cache miss waits for the bounded KDF pool."""
    attempt = _begin(ctx, kind, principal_id, user_id, password, source)
    correct = attempt.verified or await ctx.kdf.check(attempt.stored_hash, attempt.password)
    if correct and not attempt.verified:
        ctx.credentials.remember(attempt.key, attempt.stored_hash, attempt.password)
    return _finish(ctx, attempt, correct)


def _kdf_inline(ctx: Context, attempt: _Attempt) -> bool:
    return ctx.credentials.verify(attempt.key, attempt.stored_hash, attempt.password)


def _begin(
    ctx: Context,
    kind: str | None,
    principal_id: str | None,
    user_id: str | None,
    password: str | None,
    source: str,
) -> _Attempt:
    if not kind or not principal_id:
        raise errors.UnknownTerminal("initiatorPrincipalId is missing")
    kind = kind.upper()
    if kind == TERMINALID:
        caller, key, stored_hash = _terminal(ctx, principal_id)
    elif kind == RESELLERUSER:
        if user_id is None and "/" in principal_id:  # D-30: "public_test_shop/9900"
            principal_id, user_id = principal_id.rsplit("/", 1)
        caller, key, stored_hash = _reseller(ctx, principal_id, user_id)
    else:
        raise errors.UnknownTerminal(f"principal type {kind} is not used by the merchant API")
    if password is None:
        raise errors.AuthenticationFailed("password is missing")
    refusal = ctx.throttle.refusal(source, key)
    if refusal is not None:  # refused before the cache: a blocked guesser learns nothing
        raise errors.AuthenticationFailed(refusal)
    verified = ctx.credentials.known(key, stored_hash, password)
    return _Attempt(caller, key, stored_hash, password, source, verified)


def _finish(ctx: Context, attempt: _Attempt, correct: bool) -> Caller:
    if not correct:
        ctx.throttle.failed(attempt.source, attempt.key)
        raise errors.AuthenticationFailed()
    ctx.throttle.succeeded(attempt.source, attempt.key)
    if attempt.caller.terminal is not None and len(attempt.password) < 4:  # D-38: legacy
        raise errors.AccessDenied("password assigned to the terminal is less than 4 characters")
    return attempt.caller


def _terminal(ctx: Context, terminal_id: str) -> tuple[Caller, str, str]:
    with ctx.store.transaction(write=False) as tx:
        # The hot path: one tiny read proves the cached principals are current.
        version = tx.principals_version()
        cached = ctx.principals.get(terminal_id)
        if cached is not None and cached[0] == version:
            terminal, reseller = cached[1], cached[2]
        else:
            terminal = tx.get_terminal(terminal_id)
            reseller = tx.get_reseller(terminal.reseller_id) if terminal else None
            if terminal is not None and reseller is not None:
                ctx.principals.put(terminal_id, (version, terminal, reseller))
    if terminal is None or reseller is None or terminal.status is PrincipalStatus.UNREGISTERED:
        raise errors.UnknownTerminal()
    if terminal.status is PrincipalStatus.BLOCKED or reseller.status is not PrincipalStatus.ACTIVE:
        raise errors.PrincipalBlocked()
    return Caller(reseller, terminal), "T:" + terminal_id, terminal.password_hash


def _reseller(ctx: Context, reseller_id: str, user_id: str | None) -> tuple[Caller, str, str]:
    with ctx.store.transaction(write=False) as tx:
        reseller = tx.get_reseller(reseller_id)
    if reseller is None or user_id != reseller.user_id:
        raise errors.UnknownReseller()
    if reseller.status is not PrincipalStatus.ACTIVE:
        raise errors.PrincipalBlocked()
    return Caller(reseller, None), "R:" + reseller_id, reseller.password_hash
