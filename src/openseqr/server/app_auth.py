"""Who the app acts for: the customer signed in with `POST /login` (msisdn + PIN) — A-15.

The token is `v1.<payload>.<hmac>` (URL-safe base64; payload: subscriber key, msisdn, expiry),
signed with HMAC-SHA256 under a random key kept in the database (operator switch
`app_session_key`), so every server process on one database accepts it. It is short-lived
(30 minutes) and stateless: signing out is dropping it. A locked wallet's tokens stop working.

A phone number alone is not an identity, in every profile: the sandbox's demo customers sign in
like anyone else (their PINs are printed on `/app`, so that costs one call, not a secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..core import errors as e
from ..core.records import Customer
from ..service import wallet
from ..service.context import Context
from .app_http import ctx_of
from .problems import NotSignedIn

KEY_SWITCH = "app_session_key"
TOKEN_TTL = timedelta(minutes=30)
TOKEN_PREFIX = "v1"
MAX_TOKEN = 512


@dataclass(frozen=True)
class AppSession:
    subscriber_key: str
    msisdn: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC signing of session tokens with the key shared through the database."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._key: bytes | None = None

    def key(self, reload: bool = False) -> bytes:
        if self._key is None or reload:
            self._key = wallet.shared_secret(self.ctx, KEY_SWITCH)
        return self._key

    def _mac(self, payload: str, key: bytes) -> str:
        return _b64(hmac.new(key, f"{TOKEN_PREFIX}.{payload}".encode(), hashlib.sha256).digest())

    def issue(self, customer: Customer, now: datetime) -> tuple[str, datetime]:
        expires = now + TOKEN_TTL
        payload = _b64(
            json.dumps(
                {"k": customer.subscriber_key, "m": customer.msisdn, "e": int(expires.timestamp())},
                separators=(",", ":"),
            ).encode()
        )
        return f"{TOKEN_PREFIX}.{payload}.{self._mac(payload, self.key())}", expires

    def verify(self, token: str, now: datetime) -> AppSession:
        parts = token.split(".")
        if len(token) > MAX_TOKEN or not token.isascii() or len(parts) != 3:
            raise NotSignedIn("sign in again")
        if parts[0] != TOKEN_PREFIX:
            raise NotSignedIn("sign in again")
        payload, mac = parts[1], parts[2]
        ok = hmac.compare_digest(mac, self._mac(payload, self.key()))
        if not ok:  # another process may have created the key first (fresh database)
            ok = hmac.compare_digest(mac, self._mac(payload, self.key(reload=True)))
        if not ok:
            raise NotSignedIn("sign in again")
        try:
            data = json.loads(_unb64(payload))
            session = AppSession(
                str(data["k"]),
                str(data["m"]),
                datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo),
            )
        except (ValueError, KeyError, TypeError):
            raise NotSignedIn("sign in again") from None
        if session.expires_at <= now:
            raise NotSignedIn("the session expired; sign in again")
        return session


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("sign in first")
    return token.strip()


def signer_of(request: Request) -> Signer:
    """The app's signer, made on first use (the key is read from the database once)."""
    state = request.app.state
    signer: Signer | None = getattr(state, "app_signer", None)
    if signer is None:
        signer = state.app_signer = Signer(ctx_of(request))
    return signer


def _signed_in(request: Request) -> Customer:
    ctx = ctx_of(request)
    session = signer_of(request).verify(_bearer(request), ctx.now())
    customer = wallet.get_customer(ctx, session.subscriber_key)
    if customer is None:
        raise NotSignedIn("sign in again")
    if customer.locked:
        raise e.PinLocked()
    return customer


async def signed_in(request: Request) -> Customer:
    """The customer whose session token the request carries (401 without a valid one)."""
    return await run_in_threadpool(_signed_in, request)


def carries_token(request: Request) -> bool:
    return "authorization" in request.headers


__all__ = ["Signer", "TOKEN_TTL", "carries_token", "signed_in", "signer_of"]
