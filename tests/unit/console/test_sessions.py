"""The console's session cookie: only what this server signed is a session, and a CSRF token
matches only its own session."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openseqr.console.sessions import COOKIE, Session, SessionCodec, csrf_matches, stamp_of


def request_with(cookie: str | None, scheme: str = "http") -> Request:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie is not None else []
    return Request({"type": "http", "headers": headers, "scheme": scheme, "path": "/console/",
                    "server": ("console.test", 80), "query_string": b""})  # fmt: skip


def issued(codec: SessionCodec, session: Session, scheme: str = "http") -> tuple[str, str]:
    response = Response()
    codec.write(request_with(None, scheme), response, session)
    header = response.headers["set-cookie"]
    return header.split(";", 1)[0].split("=", 1)[1], header.lower()


def test_a_signed_session_reads_back() -> None:
    codec = SessionCodec("k" * 32)
    session = Session("token", "operator", "alice", stamp_of("argon2$hash"))
    value, header = issued(codec, session)
    assert codec.read(request_with(value)) == session
    assert "httponly" in header and "samesite=lax" in header and "path=/console" in header
    assert "secure" not in header
    assert "secure" in issued(codec, session, "https")[1]


def test_anything_not_signed_by_this_key_is_no_session() -> None:
    codec = SessionCodec("k" * 32)
    value, _ = issued(codec, Session("token", "operator", "alice", "s"))
    payload, _, signature = value.rpartition(".")
    assert codec.read(request_with(value + "x")) is None
    assert codec.read(request_with(payload + "." + signature[::-1])) is None
    assert SessionCodec("other key" * 4).read(request_with(value)) is None
    assert codec.read(request_with("")) is None
    assert codec.read(request_with("a" * 5000)) is None
    assert codec.read(request_with(None)) is None


def test_csrf_token_matches_only_its_session() -> None:
    session = Session.anonymous()
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, Session.anonymous().csrf)
    assert not csrf_matches(session, "")
    assert not csrf_matches(session, None)
    assert not csrf_matches(None, session.csrf)
    assert not csrf_matches(session, "\udcff")  # a lone surrogate is a wrong token
