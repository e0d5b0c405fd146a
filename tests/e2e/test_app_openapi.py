"""The served OpenAPI document matches the app's routes, and real answers match its models.

In-process (``create_app`` on a fresh SQLite file, the SDK over ``httpx.ASGITransport`` for the
merchant side): every route of the JSON edge must be in the document with its methods and every
documented operation must be a route; then a walk through every operation validates each real
answer against the operation's answer model (or the problem model for errors, whose status the
document must list).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from openseqr.sdk import AckMode, SeqrClient
from openseqr.server import app_models
from openseqr.server.app import SOAP_PATHS
from openseqr.server.app_http import Operation
from openseqr.server.json_api import OPERATIONS
from tests.e2e.app_inprocess import ALICE, TERMINAL, URL, app_on
from tests.support.services import register_service

#: Routes outside the JSON edge, described elsewhere.
NOT_JSON = {
    *SOAP_PATHS,  # the WSDL describes them
    "/",  # plain-text index
    "/app",  # the web app shell (docs/wallet-app.md)
    "/app/",
    "/metrics",  # Prometheus text format (docs/operations.md)
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    with app_on(tmp_path) as application:
        yield application


def _route_methods(app: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, Mount) or route.path in NOT_JSON:
            continue
        assert isinstance(route, Route)
        found.setdefault(route.path, set()).update((route.methods or set()) - {"HEAD"})
    return found


def test_every_route_is_documented_and_every_documented_operation_is_a_route(app: Any) -> None:
    with TestClient(app, base_url=URL) as http:
        doc = http.get("/api/app/v1/openapi.json").json()
    documented = {path: {m.upper() for m in ops} for path, ops in doc["paths"].items()}
    assert documented == _route_methods(app)
    for path, ops in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for op in ops.values():
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == params, (path, in_path)
            for ref in re.findall(r"#/components/schemas/(\w+)", str(op)):
                assert ref in doc["components"]["schemas"], ref


class Recorder:
    """Calls the app and checks each answer against the operation that served it."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.seen: set[tuple[str, str]] = set()
        self.matchers = [
            (re.compile("^" + re.sub(r"{\w+}", "[^/]+", op.path) + "$"), op) for op in OPERATIONS
        ]

    def _operation(self, method: str, path: str) -> Operation:
        for pattern, op in self.matchers:
            if op.method == method and pattern.match(path):
                return op
        raise AssertionError(f"no operation for {method} {path}")

    def __call__(self, method: str, path: str, **kw: Any) -> httpx.Response:
        r = self.http.request(method, path, **kw)
        op = self._operation(method, path)
        self.seen.add((op.method, op.path))
        if r.status_code == 200:
            if op.answer is not None:
                TypeAdapter(op.answer).validate_python(r.json(), strict=True)
            assert r.headers["content-type"].startswith(op.media_type), r.headers
        else:
            assert r.status_code in op.errors, (method, path, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            problem = app_models.Problem.model_validate(r.json())
            assert problem.status == r.status_code and problem.error and problem.detail
        return r


def _signed_in(call: Recorder) -> dict[str, str]:
    token = call("POST", "/api/app/v1/login", json=ALICE).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_real_answers_validate_against_the_documented_models(app: Any) -> None:
    register_service(app)
    transport = httpx.ASGITransport(app=app)
    with (
        TestClient(app, base_url=URL) as http,
        SeqrClient(URL, *TERMINAL, transport=transport) as merchant,
    ):
        call, api = Recorder(http), "/api/app/v1"
        auth = _signed_in(call)
        call("GET", "/health")
        call("GET", "/ready")
        call("GET", f"{api}/openapi.json")
        call("GET", "/qr.png", params={"code": "HTTP://SEQR.SE/R1"})
        call("GET", "/qr.svg", params={"code": "HTTP://SEQR.SE/R1", "scale": "99"})
        call("POST", f"{api}/codes/parse", json={"code": "HTTP://SEQR.SE/R1"})
        call("POST", f"{api}/codes/parse", json={"code": "nope"})
        acked = merchant.send_invoice(Decimal("12.50"), ack_mode=AckMode.REQUIRE_ACKNOWLEDGMENT)
        paid = merchant.send_invoice(Decimal("10.00"), title="Coffee")
        dropped = merchant.send_invoice(Decimal("3.00"))
        call(
            "POST",
            f"{api}/scan",
            json={"code": f"HTTP://SEQR.SE/R{paid.reference}"},
            headers=auth,
        )
        call("GET", f"{api}/invoices/{acked.reference}", headers=auth)
        call("GET", f"{api}/invoices/{paid.reference}", headers=auth)
        call("POST", f"{api}/invoices/{paid.reference}/pay", json={**ALICE, "version": 99})
        call("POST", f"{api}/invoices/{paid.reference}/pay", json=ALICE)
        call("POST", f"{api}/invoices/{paid.reference}/pay", json=ALICE)  # already paid: 409
        call("POST", f"{api}/invoices/{dropped.reference}/cancel", json={**ALICE, "pin": "9"})
        call("POST", f"{api}/invoices/{dropped.reference}/cancel", json=ALICE)
        call("POST", f"{api}/me/invoices/{acked.reference}/cancel", headers=auth)
        call("POST", f"{api}/wallet", json=ALICE)
        call("GET", f"{api}/me", headers=auth)
        call("GET", f"{api}/me", headers={"Authorization": "Bearer v1.x.y"})
        call("GET", f"{api}/me/invoices/{paid.reference}/receipt", headers=auth)
        call("GET", f"{api}/me/invoices/{dropped.reference}/receipt", headers=auth)
        opened = call(
            "POST",
            f"{api}/scan",
            json={"code": "HTTP://SEQR.SE/000/PARKING?zone=5", "confirm_identity": False, **ALICE},
            headers=auth,
        ).json()
        token = opened["session"]["token"]
        call("POST", f"{api}/sessions/{token}/confirm", headers=auth)
        call("POST", f"{api}/sessions/{token}/cancel", headers=auth)
        call("POST", f"{api}/sessions/{token}/confirm", headers=auth)  # cancelled: 409
        call("POST", f"{api}/scan", json={"code": "HTTP://SEQR.SE/Qnosuchsticker"}, headers=auth)
        call("POST", f"{api}/login", json={"msisdn": "46799999999", "pin": "1"})
    assert call.seen == {(op.method, op.path) for op in OPERATIONS}


def test_an_endpoint_is_mounted_and_tested_alone(app: Any) -> None:
    from starlette.applications import Starlette

    from openseqr.server import app_api

    alone = Starlette(routes=[op.route() for op in app_api.OPERATIONS if op.handler is app_api.pay])
    alone.state.ctx = app.state.ctx
    with TestClient(alone) as http:
        r = http.post("/api/app/v1/invoices/1/pay", json=ALICE)
        assert r.status_code == 404 and r.json()["error"] == "InvoiceNotFound"
        assert http.get("/api/app/v1/invoices/1").status_code == 404  # not mounted
