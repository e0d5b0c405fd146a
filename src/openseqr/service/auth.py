"""Who is calling: TERMINALID and RESELLERUSER principals (spec 2.2, 6.1, 6.2; D-30, D-38)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import errors
from ..core.records import PrincipalStatus, Reseller, Terminal
from .context import Context

TERMINALID = "TERMINALID"
RESELLERUSER = "RESELLERUSER"


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


def authenticate(
    ctx: Context,
    kind: str | None,
    principal_id: str | None,
    user_id: str | None,
    password: str | None,
) -> Caller:
    if not kind or not principal_id:
        raise errors.UnknownTerminal("initiatorPrincipalId is missing")
    kind = kind.upper()
    if kind == TERMINALID:
        return _terminal(ctx, principal_id, password)
    if kind == RESELLERUSER:
        if user_id is None and "/" in principal_id:  # D-30: "public_test_shop/9900"
            principal_id, user_id = principal_id.rsplit("/", 1)
        return _reseller(ctx, principal_id, user_id, password)
    raise errors.UnknownTerminal(f"principal type {kind} is not used by the merchant API")


def _check_password(ctx: Context, key: str, stored_hash: str, password: str | None) -> None:
    if password is None:
        raise errors.AuthenticationFailed("password is missing")
    if ctx.throttle.blocked(key):
        raise errors.AuthenticationFailed("too many wrong passwords; wait and try again")
    if not ctx.credentials.verify(key, stored_hash, password):
        ctx.throttle.failed(key)
        raise errors.AuthenticationFailed()
    ctx.throttle.succeeded(key)


def _terminal(ctx: Context, terminal_id: str, password: str | None) -> Caller:
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
    _check_password(ctx, "T:" + terminal_id, terminal.password_hash, password)
    if password is not None and len(password) < 4:  # D-38: legacy short passwords
        raise errors.AccessDenied("password assigned to the terminal is less than 4 characters")
    return Caller(reseller, terminal)


def _reseller(ctx: Context, reseller_id: str, user_id: str | None, password: str | None) -> Caller:
    with ctx.store.transaction(write=False) as tx:
        reseller = tx.get_reseller(reseller_id)
    if reseller is None or user_id != reseller.user_id:
        raise errors.UnknownReseller()
    if reseller.status is not PrincipalStatus.ACTIVE:
        raise errors.PrincipalBlocked()
    _check_password(ctx, "R:" + reseller_id, reseller.password_hash, password)
    return Caller(reseller, None)
