"""Console sessions: a signed cookie (itsdangerous) holding the principal and a CSRF token.

The cookie is HttpOnly, SameSite=Lax, Secure on https, scoped to /console, and expires after
`LIFETIME` (absolute). It is only a claim: every request re-reads the operator or merchant and
compares a stamp of its password hash, so disabling, removing or changing the password of an
account ends its sessions at once (A-56). Without a principal the session still carries a CSRF
token, so the login form is protected like every other form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "openseqr_console"
PATH = "/console"
LIFETIME = 12 * 3600  # seconds


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    kind: str | None = None  # "operator" | "merchant" | None (signed out)
    name: str | None = None  # operator name or reseller id
    stamp: str | None = None  # of the account's password hash when signed in

    @staticmethod
    def anonymous() -> Session:
        return Session(csrf=secrets.token_urlsafe(24))


def stamp_of(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="openseqr-console-session")

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw or len(raw) > 4096:
            return None
        try:
            data = self._serializer.loads(raw, max_age=LIFETIME)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        return Session(data["c"], data.get("k"), data.get("n"), data.get("s"))

    def write(self, request: Request, response: Response, session: Session) -> None:
        data = {"c": session.csrf, "k": session.kind, "n": session.name, "s": session.stamp}
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(data),
            max_age=LIFETIME,
            path=PATH,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def clear(request: Request, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path=PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https"
        )


def csrf_matches(session: Session | None, offered: object) -> bool:
    return (
        session is not None
        and isinstance(offered, str)
        and hmac.compare_digest(session.csrf.encode(), offered.encode("utf-8", "replace"))
    )
