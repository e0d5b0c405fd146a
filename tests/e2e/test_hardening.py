"""Hostile and broken input over HTTP against a running server (SQLite).

Rules under test (spec 5.3, D-43): what cannot be bound is a SOAP Fault (HTTP 500, faultcode
Client); everything else is a result code with HTTP 200; nothing ever answers with a traceback,
an HTML error page, or content pulled in through a DTD. The app API answers bad requests with
4xx JSON `{"error", "message"}`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.e2e.wire import SOAP_NS, TERMINAL, TNS, call, envelope, invoice, ok, send
from tests.fixtures_server import RunningServer
from tests.support.servers import sqlite_served

SOAP = "/soap/merchant/cashregister-2"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from sqlite_served(tmp_path_factory, "hardening")


def post(server: RunningServer, body: bytes | str, path: str = SOAP) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return server.client.post(path, content=data, headers={"Content-Type": "text/xml"})


def assert_clean(r: httpx.Response) -> None:
    text = r.text
    assert "Traceback" not in text and "<html" not in text.lower()
    assert "root:" not in text


def assert_fault(r: httpx.Response, code: str = "Client") -> str:
    assert_clean(r)
    assert r.status_code == 500, r.text[:300]
    assert r.headers["content-type"].startswith("text/xml")
    fault = etree.fromstring(r.content).find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    assert fault is not None, r.text[:300]
    assert fault.findtext("faultcode") == f"soap:{code}"
    return fault.findtext("faultstring") or ""


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
""" + envelope("sendInvoice", invoice().replace("<title>e2e</title>", "<title>&lol9;</title>"))

XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + envelope("sendInvoice", invoice().replace("<title>e2e</title>", "<title>&xxe;</title>"))
)
XXE_PARAMETER = (
    '<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY % x SYSTEM '
    '"file:///etc/passwd"> %x;]>\n' + envelope("benchmarkingNop", ctx=None)
)
XXE_UTF16 = XXE.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')

FAULT_CASES = {
    "malformed": b"<soapenv:Envelope xmlns:soapenv='" + SOAP_NS.encode() + b"'><soapenv:Body>",
    "not-xml": b"hello, world",
    "billion-laughs": BILLION_LAUGHS.encode(),
    "external-entity": XXE.encode(),
    "external-parameter-entity": XXE_PARAMETER.encode(),
    "external-entity-utf16": XXE_UTF16.encode("utf-16"),
    "non-envelope-root": f'<ext:sendInvoice xmlns:ext="{TNS}"/>'.encode(),
    "soap12-envelope": envelope("benchmarkingNop", ctx=None)
    .replace(SOAP_NS, "http://www.w3.org/2003/05/soap-envelope")
    .encode(),
    "no-body": f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Header/></soapenv:Envelope>'.encode(),
    "empty-body-element": f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Body/>'
    "</soapenv:Envelope>".encode(),
    "empty": b"",
    "unknown-operation": envelope("doSomethingElse").encode(),
    "oversized": envelope("sendInvoice", invoice())
    .replace("<title>e2e</title>", f"<title>{'x' * (MIB + 10)}</title>")
    .encode(),
    "bad-encoding": b'<?xml version="1.0" encoding="no-such-charset"?><a/>',
    "invalid-utf8": envelope("benchmarkingNop", ctx=None)
    .encode()
    .replace(b"<soapenv:Body>", b"<soapenv:Body>\xff\xfe"),
}


@pytest.mark.parametrize("name", list(FAULT_CASES))
def test_unbindable_requests_are_soap_faults(server: RunningServer, name: str) -> None:
    assert_fault(post(server, FAULT_CASES[name]))


def test_oversized_chunked_body_is_a_fault(server: RunningServer) -> None:
    """No Content-Length: the limit is enforced while streaming."""

    def chunks() -> Iterator[bytes]:
        yield envelope("benchmarkingNop", ctx=None).encode()[:50]
        for _ in range(20):
            yield b"x" * (128 * 1024)

    assert_fault(post(server, chunks()))  # type: ignore[arg-type]


def test_get_without_wsdl_is_a_fault(server: RunningServer) -> None:
    for path in (SOAP, "/extclientproxy/service/v2"):
        assert_fault(server.client.get(path))
        assert_fault(server.client.get(path, params={"foo": "bar"}))


def test_other_methods_do_not_leak(server: RunningServer) -> None:
    r = server.client.put(SOAP, content=b"x")
    assert r.status_code == 405 and "Traceback" not in r.text


def test_invalid_decimal_is_49(server: RunningServer) -> None:
    for bad in ("12,50", "1e3", "abc", "NaN", "10.001", "-", "Infinity"):
        body = invoice().replace("<value>10.00</value>", f"<value>{bad}</value>")
        result = call(server, "sendInvoice", body)
        assert (result.code, result.description) == (49, "INVALID_INVOICE_DATA"), bad


def test_invalid_invoice_version_is_a_result_code(server: RunningServer) -> None:
    """D-13: an invalid invoiceVersion counts as 0; never a Fault."""
    ref = send(server)
    for bad in ("abc", "1.5", "99999999999999999999", ""):
        r = post(
            server,
            envelope(
                "getPaymentStatus",
                f"<invoiceReference>{ref}</invoiceReference><invoiceVersion>{bad}</invoiceVersion>",
            ),
        )
        assert r.status_code == 200, r.text
        result = etree.fromstring(r.content).find(f".//{{{TNS}}}getPaymentStatusResponse/return")
        assert result is not None
        assert result.findtext("resultCode") == "0", bad
        assert result.findtext("status") == "ISSUED"


def test_invalid_values_elsewhere_are_result_codes(server: RunningServer) -> None:
    bad_date = invoice().replace("<title>", "<issueDate>yesterday</issueDate><title>")
    assert call(server, "sendInvoice", bad_date).code == 49
    bad_b64 = (
        "<ersReference>1</ersReference><receiptDocument><receiptData>%%%</receiptData>"
        "</receiptDocument>"
    )
    assert call(server, "submitPaymentReceipt", bad_b64).code == 90
    bad_amount = "<amount><currency>SEK</currency><value>1,5</value></amount>"
    assert (
        call(
            server, "commitReservation", bad_amount + "<invoiceReference>1</invoiceReference>"
        ).code
        == 49
    )
    ok(
        call(
            server,
            "sendInvoice",
            invoice(),
            TERMINAL.replace("<clientRequestTimeout>0<", "<clientRequestTimeout>soon<"),
        )
    )  # D-43d: ignored


# -- fuzzing --------------------------------------------------------------------------------
def _templates() -> list[tuple[str, bytes]]:
    return [
        (
            "sendInvoice",
            envelope(
                "sendInvoice",
                invoice(
                    extra=(
                        "<invoiceRows><invoiceRow><itemDescription>a</itemDescription>"
                        "<itemQuantity>1</itemQuantity><itemTotalAmount><currency>SEK</currency>"
                        "<value>10.00</value></itemTotalAmount></invoiceRow></invoiceRows>"
                        "<notificationUrl>http://127.0.0.1:9/n</notificationUrl>"
                    )
                ),
            ).encode(),
        ),
        (
            "getPaymentStatus",
            envelope(
                "getPaymentStatus",
                "<invoiceReference>20240101000000001</invoiceReference>"
                "<invoiceVersion>1</invoiceVersion>",
            ).encode(),
        ),
    ]


TEMPLATES = _templates()
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    _, raw = draw(st.sampled_from(TEMPLATES))
    kind = draw(st.sampled_from(["text", "remove", "duplicate", "bytes", "truncate", "combo"]))
    if kind in ("bytes", "truncate"):
        data = bytearray(raw)
        if kind == "truncate":
            return bytes(data[: draw(st.integers(0, len(data)))])
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i : i + draw(st.integers(0, 4))] = draw(st.binary(min_size=0, max_size=6))
        return bytes(data)
    root = etree.fromstring(raw)
    elements = list(root.iter())
    for _ in range(draw(st.integers(1, 3)) if kind == "combo" else 1):
        elements = list(root.iter())
        el = draw(st.sampled_from(elements))
        op = kind if kind != "combo" else draw(st.sampled_from(["text", "remove", "duplicate"]))
        parent = el.getparent()
        if op == "text" or parent is None:
            if len(el) == 0 or draw(st.booleans()):
                for child in list(el):
                    el.remove(child)
                el.text = draw(XML_TEXT)
        elif op == "remove":
            parent.remove(el)
        else:
            parent.insert(parent.index(el), copy.deepcopy(el))
    return etree.tostring(root)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(body=mutated())
def test_fuzzed_envelopes_get_a_result_code_or_a_fault(server: RunningServer, body: bytes) -> None:
    r = post(server, body)
    assert_clean(r)
    assert r.status_code in (200, 500), r.status_code
    root = etree.fromstring(r.content)
    soap_body = root.find(f"{{{SOAP_NS}}}Body")
    assert soap_body is not None and len(soap_body) == 1
    answer = soap_body[0]
    if r.status_code == 500:
        assert answer.tag == f"{{{SOAP_NS}}}Fault"
        assert answer.findtext("faultcode") in ("soap:Client", "soap:Server")
    else:
        assert answer.tag.startswith(f"{{{TNS}}}") and answer.tag.endswith("Response")
        code = answer.findtext("return/resultCode")
        assert code is not None and code.isdigit()
        assert answer.findtext("return/resultDescription")


# -- the app API ----------------------------------------------------------------------------
APP_CASES = [
    ("POST", "/scan", b"{not json"),
    ("POST", "/scan", b"[1, 2]"),
    ("POST", "/scan", b'"a string"'),
    ("POST", "/scan", b"{}"),
    ("POST", "/scan", b'{"code": 42.5}'),
    ("POST", "/scan", b'{"code": "HTTP://SEQR.SE/Rnope"}'),
    ("POST", "/scan", b'{"code": "HTTP://SEQR.SE/R20240101000000001", "confirm_identity": "no"}'),
    ("POST", "/scan", b'{"code": {"nested": true}}'),
    ("POST", "/codes/parse", b'{"code": "bogus"}'),
    ("POST", "/invoices/20240101000000001/pay", b"{}"),
    ("POST", "/invoices/20240101000000001/pay", b'{"msisdn": "46700000001"}'),
    (
        "POST",
        "/invoices/20240101000000001/pay",
        b'{"msisdn": "46700000001", "pin": "1111", "version": "two"}',
    ),
    ("POST", "/invoices/20240101000000001/pay", b'{"msisdn": "46700000001", "pin": "1111"}'),
    ("POST", "/invoices/20240101000000001/cancel", b"\xff\xfe"),
    ("POST", "/wallet", b'{"msisdn": "46799999999", "pin": "1"}'),
    ("POST", "/wallet", b'{"msisdn": ["46700000001"], "pin": "1111"}'),
    ("GET", "/invoices/20240101000000001", None),
    ("POST", "/sessions/nope/cancel", None),
    ("POST", "/sessions/nope/confirm", None),
]


@pytest.mark.parametrize(("method", "path", "body"), APP_CASES)
def test_app_api_bad_requests_are_4xx_json(
    server: RunningServer, method: str, path: str, body: bytes | None
) -> None:
    r = server.app(method, path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    data = r.json()  # RFC 9457 problem details, plus error/message for older clients
    assert set(data) == {"type", "title", "status", "detail", "error", "message"}
    assert data["status"] == r.status_code and data["error"] and data["message"]
    assert "Traceback" not in r.text
