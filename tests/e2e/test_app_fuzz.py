"""Fuzz tier for the app JSON API: no input reaches a 5xx or a traceback.

A small seeded generator (reproducible: `SEED`) builds requests for every operation of the JSON
edge (`json_api.OPERATIONS`): the right or a wrong method; path parameters real, malformed or
hostile; bodies that are valid, mistyped, missing fields, deeply nested, over-long, not UTF-8,
not JSON, or carry lone surrogates and control characters; bearer tokens valid, forged, expired
or made of non-ASCII bytes. 5,000 go through the ASGI app in-process (exceptions propagate, and
any ERROR log record or traceback fails the test); a slice of the same stream then goes over
HTTP to a real `openseqr serve` on 127.0.0.1, whose log must stay clean too.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.testclient import TestClient

from openseqr.sdk import SeqrClient
from openseqr.server.app_http import MAX_BODY
from openseqr.server.json_api import OPERATIONS
from tests.e2e.app_inprocess import ALICE, API, BOB, TERMINAL, URL, app_on
from tests.fixtures_server import start_server
from tests.support.services import register_service

SEED = 20261202
IN_PROCESS = 5000
OVER_HTTP = 400

STRINGS = [
    "",
    " ",
    "46700000001",
    "+46 700-000-001",
    "0046700000001",
    "1111",
    "0000",
    "HTTP://SEQR.SE/R1",
    "HTTP://SEQR.SE/Qkronan0001",
    "HTTP://SEQR.SE/000/PARKING?zone=5",
    "SEQR-ACTION://WIZARD/CANCEL",
    "seqr://SEQR.SE/R" + "9" * 40,
    "javascript:alert(1)",
    "\ud800",
    "\udfff\ud800",
    "a\x00b",
    "\x1b[31m",
    "é€😀",
    "\u202e",
    "' OR 1=1 --",
    "../../etc/passwd",
    "x" * 600,
    "9" * 5000,
]
NUMBERS: list[Any] = [0, -1, 1, 2**31, 2**63, 10**400, 1.5, -0.0, True, False, None]
QUERY_VALUES = [*STRINGS, "1", "99", "-3", "6"]
PATH_VALUES = [
    "1",
    "0",
    "9" * 32,
    "9" * 33,
    "abc",
    "%00",
    "%ED%A0%80",
    "%FF",
    "..",
    "%2F",
    "é",
    "0000000000-00000000",
    "x" * 300,
]


@dataclass
class Known:
    """Real references, tokens and session TOKENs, so some requests reach the domain."""

    references: list[str]
    sessions: list[str]
    bearers: list[str]


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind < 2:
        return rng.choice(STRINGS)
    if kind < 4:
        return rng.choice(NUMBERS)
    if kind == 4:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(1, 12)))
    if kind == 5:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(["code", "msisdn", "pin", "x"]): _value(rng, depth + 1)}


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)  # lone surrogates become "\\ud800" escapes


def _body(rng: random.Random, known: Known) -> bytes | None:
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return rng.randbytes(rng.randrange(1, 64))
    if kind == 2:
        depth = rng.choice([50, 500, 100_000])
        return ("[" * depth + "]" * depth).encode()
    if kind == 3:
        return b'{"code": "' + b"9" * (MAX_BODY + 10) + b'"}'
    if kind == 4:
        return _json_text(_value(rng)).encode()
    fields: dict[str, Any] = {}
    for name, good in (
        ("code", [f"HTTP://SEQR.SE/R{rng.choice(known.references)}", STRINGS[9]]),
        ("msisdn", [ALICE["msisdn"], BOB["msisdn"], "46799999999"]),
        ("pin", [ALICE["pin"], BOB["pin"], "9999"]),
        ("version", [1, 2]),
        ("confirm_identity", [True, False]),
    ):
        roll = rng.random()
        if roll < 0.55:
            fields[name] = rng.choice(good)
        elif roll < 0.85:
            fields[name] = _value(rng)
    return _json_text(fields).encode()


def _authorization(rng: random.Random, known: Known) -> bytes | None:
    kind = rng.randrange(7)
    if kind < 2:
        return None
    if kind < 4:
        return f"Bearer {rng.choice(known.bearers)}".encode()
    if kind == 4:
        return b"Bearer " + bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randrange(1, 40)))
    if kind == 5:
        token = rng.choice(known.bearers)
        tail = rng.choice(["abc", "===", "...", "\xe9\xff\x80", "\x00\x01\x7f"])
        return f"Bearer {token[:-3]}{tail}".encode("latin-1")
    return rng.choice([b"Bearer", b"Basic eA==", b"bearer  v1.e30.x", b"Bearer v1." * 80])


def requests(seed: int, count: int, known: Known) -> Iterator[tuple[str, str, dict[str, Any]]]:
    rng = random.Random(seed)
    for _ in range(count):
        op = rng.choice(OPERATIONS)
        method = op.method if rng.random() < 0.9 else rng.choice(["GET", "POST", "PUT", "DELETE"])
        path = op.path
        for name in op.path_params:
            pool = known.references if name == "reference" else known.sessions
            value = rng.choice(pool) if rng.random() < 0.5 else rng.choice(PATH_VALUES)
            path = path.replace("{" + name + "}", value)
        if rng.random() < 0.5:
            names = rng.sample(["code", "scale", "msisdn", "x"], rng.randrange(1, 4))
            path += "?" + "&".join(f"{q}={_quoted(rng.choice(QUERY_VALUES))}" for q in names)
        kw: dict[str, Any] = {"headers": {}}
        if method != "GET":
            body = _body(rng, known)
            if body is not None:
                kw["content"] = body
                kw["headers"]["Content-Type"] = rng.choice(
                    ["application/json", "text/plain", "application/json; charset=latin-1"]
                )
        auth = _authorization(rng, known)
        if auth is not None:
            kw["headers"]["Authorization"] = auth
        yield method, path, kw


def _quoted(text: str) -> str:
    """Percent-encoded UTF-8, lone surrogates included (as an attacker would send them)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _known(http: Any, transport: httpx.ASGITransport | None, base: str) -> Known:
    with SeqrClient(base, *TERMINAL, transport=transport) as merchant:
        refs = [merchant.send_invoice(Decimal(f"{n}.00")).reference for n in (5, 6, 7, 8)]
    bearers = []
    for who in (ALICE, BOB):
        bearers.append(http.post(f"{API}/login", json=who).json()["token"])
    scan = {"code": "HTTP://SEQR.SE/000/PARKING?zone=5", "confirm_identity": False}
    auth = {"Authorization": f"Bearer {bearers[0]}"}
    sessions = [http.post(f"{API}/scan", json=scan, headers=auth).json()["session"]["token"]]
    return Known(refs, sessions, bearers)


def _check(method: str, path: str, r: httpx.Response) -> None:
    assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
    assert "Traceback" not in r.text
    if r.headers.get("content-type") == "application/problem+json":  # all but the router's 404/405
        problem = r.json()
        assert problem["status"] == r.status_code >= 400 and problem["error"], problem


def test_fuzzed_app_requests_in_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with app_on(tmp_path) as app, TestClient(app, base_url=URL) as http:
        register_service(app)
        known = _known(http, httpx.ASGITransport(app=app), URL)
        statuses: dict[int, int] = {}
        for method, path, kw in requests(SEED, IN_PROCESS, known):
            r = http.request(method, path, **kw)
            _check(method, path, r)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    bad = [rec for rec in caplog.records if rec.levelno >= logging.ERROR or rec.exc_info]
    assert not bad, [rec.getMessage() for rec in bad[:5]]
    assert "Traceback" not in caplog.text
    # the stream reached the domain, not only the validators
    assert statuses.get(200, 0) > 100 and statuses.get(401, 0) and statuses.get(422, 0)
    assert statuses.get(400, 0) and statuses.get(404, 0) and statuses.get(413, 0)


def test_fuzzed_app_requests_over_http(tmp_path: Path) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}", tmp_path)
    try:
        with (
            SeqrClient(server.url, *TERMINAL) as merchant,
            httpx.Client(base_url=server.url, timeout=30) as http,
        ):
            assert merchant.benchmarking_nop() is None
            _register_over_cli(server.database_url)
            known = _known(http, None, server.url)
            sent = 0
            for method, path, kw in requests(SEED + 1, OVER_HTTP, known):
                try:
                    r = http.request(method, path, **kw)
                except httpx.LocalProtocolError:
                    continue  # HTTP/1.1 cannot carry it (NUL in a header): never reaches a server
                _check(method, path, r)
                sent += 1
            assert sent > OVER_HTTP * 0.9
    finally:
        server.stop()
    log = server.log()
    assert "Traceback" not in log
    assert not re.search(r"\bERROR\b", log), log[-3000:]


def _register_over_cli(database_url: str) -> None:
    from click.testing import CliRunner

    from openseqr.cli.main import main

    args = ["service", "add", "PARKING", "--name", "City parking", "--terminal", TERMINAL[0]]
    for kind in ("order", "success", "failure", "cancel"):
        args += [f"--{kind}-url", f"https://svc.example/{kind}"]
    result = CliRunner().invoke(main, [*args, "--database", database_url])
    assert result.exit_code == 0, result.output
