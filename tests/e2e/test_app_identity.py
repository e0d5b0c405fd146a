"""A phone number is not an identity (A-15): the app API acts for a customer only with the token
that customer got from `POST /login` (msisdn + PIN); paying keeps msisdn + PIN in one call.

Served with the production profile (`sandbox=False`) on a database the sandbox seeded, so the
demo customers exist but their msisdn alone proves nothing; the last test shows that the sandbox
profile, whose `/app` page prints the demo PINs, gives their msisdn no more weight.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from openseqr import sdk
from openseqr.sdk import AckMode, InvoiceStatus, SeqrClient
from tests.e2e.app_inprocess import (
    ALICE,
    API,
    BOB,
    FRIDA,
    TERMINAL,
    URL,
    app_on,
)
from tests.support.app_login import login_headers as bearer
from tests.support.services import register_service

SERVICE_QR = "HTTP://SEQR.SE/000/PARKING?zone=5"


@pytest.fixture
def production(tmp_path: Path) -> Iterator[Any]:
    with app_on(tmp_path, sandbox=False) as app:
        register_service(app)
        yield app


@pytest.fixture
def http(production: Any) -> Iterator[TestClient]:
    with TestClient(production, base_url=URL) as client:
        yield client


@pytest.fixture
def merchant(production: Any) -> Iterator[SeqrClient]:
    transport = httpx.ASGITransport(app=production)
    with SeqrClient(URL, *TERMINAL, transport=transport) as client:
        yield client


def test_scan_without_a_token_is_refused(http: TestClient, merchant: SeqrClient) -> None:
    sent = merchant.send_invoice(Decimal("10.00"))
    for body in (
        {"code": SERVICE_QR, "msisdn": ALICE["msisdn"]},
        {"code": f"HTTP://SEQR.SE/R{sent.reference}", "msisdn": ALICE["msisdn"]},
        {"code": f"HTTP://SEQR.SE/R{sent.reference}"},
    ):
        r = http.post(f"{API}/scan", json=body)
        assert r.status_code == 401 and r.json()["error"] == "NotSignedIn", r.text
        assert r.headers["www-authenticate"] == "Bearer"
    assert merchant.get_payment_status(sent.reference).status is InvoiceStatus.ISSUED
    opened = http.post(f"{API}/scan", json={"code": SERVICE_QR}, headers=bearer(http, ALICE))
    token, _ = sdk.parse_service_fragment(opened.json()["order_url"].split("#", 1)[1])
    assert merchant.get_client_session_info(token)["msisdn"] == ALICE["msisdn"]


def test_the_token_names_the_customer_not_the_msisdn_field(
    http: TestClient, merchant: SeqrClient
) -> None:
    body = {"code": SERVICE_QR, "msisdn": BOB["msisdn"]}  # Alice's token, Bob's number
    opened = http.post(f"{API}/scan", json=body, headers=bearer(http, ALICE)).json()
    token, _ = sdk.parse_service_fragment(opened["order_url"].split("#", 1)[1])
    assert merchant.get_client_session_info(token)["msisdn"] == ALICE["msisdn"]


def test_msisdn_query_no_longer_attaches_a_loyalty_card(
    http: TestClient, merchant: SeqrClient
) -> None:
    sent = merchant.send_invoice(Decimal("100.00"), ack_mode=AckMode.REQUIRE_ACKNOWLEDGMENT)
    r = http.get(f"{API}/invoices/{sent.reference}", params={"msisdn": FRIDA["msisdn"]})
    assert r.status_code == 401
    anonymous = http.get(f"{API}/invoices/{sent.reference}")  # shows it, binds nobody
    assert anonymous.status_code == 200 and anonymous.json()["status"] == "ISSUED"
    status = merchant.get_payment_status(sent.reference)
    assert status.status is InvoiceStatus.ISSUED and not status.tokens
    seen = http.get(f"{API}/invoices/{sent.reference}", headers=bearer(http, FRIDA))
    assert seen.json()["status"] == "PENDING_ISSUER_ACKNOWLEDGE"  # her own session: card shown
    status = merchant.get_payment_status(sent.reference)
    assert status.tokens and status.tokens[0].id == "X_CARD"


def _unconfirmed_session(http: TestClient, who: dict[str, str]) -> str:
    body = {"code": SERVICE_QR, "confirm_identity": False}
    opened = http.post(f"{API}/scan", json=body, headers=bearer(http, who)).json()
    return str(opened["session"]["token"])


def test_only_its_own_customer_confirms_a_session(http: TestClient, merchant: SeqrClient) -> None:
    token = _unconfirmed_session(http, ALICE)
    r = http.post(f"{API}/sessions/{token}/confirm")  # the merchant knows TOKEN, has no login
    assert r.status_code == 401
    r = http.post(f"{API}/sessions/{token}/confirm", headers=bearer(http, BOB))
    assert r.status_code == 404 and r.json()["error"] == "UnknownSession"
    r = http.post(f"{API}/sessions/{token}/cancel", headers=bearer(http, BOB))
    assert r.status_code == 404
    with pytest.raises(sdk.SessionError) as still:  # nobody but Alice moved it
        merchant.get_client_session_info(token)
    assert still.value.code == 62
    r = http.post(f"{API}/sessions/{token}/confirm", headers=bearer(http, ALICE))
    assert r.status_code == 200 and r.json()["state"] == "ACTIVE"
    assert merchant.get_client_session_info(token)["msisdn"] == ALICE["msisdn"]


def test_ending_a_session_without_a_token_grants_nothing(
    http: TestClient, merchant: SeqrClient
) -> None:
    """The service page may end its session without a login (A-15): the answer names nobody."""
    token = _unconfirmed_session(http, ALICE)
    r = http.post(f"{API}/sessions/{token}/cancel")
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"token", "service_id", "state", "expires_at"}
    assert r.json()["state"] == "CANCELLED"
    with pytest.raises(sdk.SessionError) as ended:
        merchant.get_client_session_info(token)
    assert ended.value.code == 61
    r = http.post(f"{API}/sessions/{token}/confirm", headers=bearer(http, ALICE))
    assert r.status_code == 409  # a cancelled session cannot be confirmed back to life


def test_paying_with_msisdn_and_pin_stays_one_call(http: TestClient, merchant: SeqrClient) -> None:
    sent = merchant.send_invoice(Decimal("12.00"))
    r = http.post(f"{API}/invoices/{sent.reference}/pay", json=ALICE)
    assert r.status_code == 200 and r.json()["status"] == "PAID"


def test_garbage_tokens_are_401(http: TestClient) -> None:
    for value in (
        "Bearer v1.x.y",
        "Bearer " + "é".encode().decode("latin-1"),
        "Bearer \x7f\x01",
        "Bearer " + "v1." * 400,
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ):
        r = http.get(f"{API}/me", headers={"Authorization": value.encode("latin-1")})
        assert r.status_code == 401 and r.json()["error"] == "NotSignedIn", (value, r.text)


def test_the_sandbox_demo_customers_are_not_known_by_msisdn_either(tmp_path: Path) -> None:
    """The default profile prints the demo PINs, but naming a demo customer still proves nothing:
    scan, a binding view and confirm all answer 401 until the app signs in."""
    with app_on(tmp_path, sandbox=True) as app, TestClient(app, base_url=URL) as http:
        register_service(app)
        transport = httpx.ASGITransport(app=app)
        with SeqrClient(URL, *TERMINAL, transport=transport) as shop:
            sent = shop.send_invoice(Decimal("100.00"), ack_mode=AckMode.REQUIRE_ACKNOWLEDGMENT)
            for code in (SERVICE_QR, f"HTTP://SEQR.SE/R{sent.reference}"):
                r = http.post(f"{API}/scan", json={"code": code, "msisdn": ALICE["msisdn"]})
                assert r.status_code == 401 and r.json()["error"] == "NotSignedIn", r.text
            r = http.get(f"{API}/invoices/{sent.reference}", params={"msisdn": FRIDA["msisdn"]})
            assert r.status_code == 401 and r.json()["error"] == "NotSignedIn", r.text
            status = shop.get_payment_status(sent.reference)
            assert status.status is InvoiceStatus.ISSUED and not status.tokens
            token = _unconfirmed_session(http, ALICE)
            r = http.post(f"{API}/sessions/{token}/confirm", json={"msisdn": ALICE["msisdn"]})
            assert r.status_code == 401 and r.json()["error"] == "NotSignedIn", r.text
            with pytest.raises(sdk.SessionError) as unconfirmed:
                shop.get_client_session_info(token)
            assert unconfirmed.value.code == 62
