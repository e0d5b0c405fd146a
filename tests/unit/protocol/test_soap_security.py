"""Hardened parsing: DOCTYPE/entities, external entities, size limit, non-XML, non-envelope."""

from __future__ import annotations

import pytest

from openseqr.protocol import (
    MalformedRequest,
    MalformedResponse,
    RequestTooLarge,
    UnknownOperation,
    decode_request,
    decode_response,
)

ENV_OPEN = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:ext="http://external.interfaces.ers.seamless.com/"><soapenv:Body>'
)
ENV_CLOSE = "</soapenv:Body></soapenv:Envelope>"

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    + ENV_OPEN
    + "<ext:assignSeqrId><seqrId>&lol9;</seqrId></ext:assignSeqrId>"
    + ENV_CLOSE
).encode()

XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + ENV_OPEN
    + "<ext:assignSeqrId><seqrId>&xxe;</seqrId></ext:assignSeqrId>"
    + ENV_CLOSE
).encode()

XXE_UTF16 = (
    XXE.decode().replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>').encode("utf-16")
)

EXTERNAL_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE foo SYSTEM "http://evil.example/x.dtd">\n'
    + ENV_OPEN
    + "<ext:benchmarkingNop/>"
    + ENV_CLOSE
).encode()

UNDECLARED_ENTITY = (
    ENV_OPEN + "<ext:assignSeqrId><seqrId>&xxe;</seqrId></ext:assignSeqrId>" + ENV_CLOSE
).encode()


def _no_leak(exc: Exception) -> None:
    text = str(exc) + repr(exc.args)
    assert "root:" not in text and "/bin/" not in text


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, XXE, XXE_UTF16, EXTERNAL_DTD, UNDECLARED_ENTITY],
    ids=["billion-laughs", "xxe", "xxe-utf16", "external-dtd", "undeclared-entity"],
)
def test_doctype_and_entities_rejected(body):
    with pytest.raises(MalformedRequest) as ei:
        decode_request(body)
    _no_leak(ei.value)


def test_xxe_rejected_on_client_side_too():
    body = XXE.replace(b"ext:assignSeqrId>", b"ext:assignSeqrIdResponse>")
    with pytest.raises(MalformedResponse) as ei:
        decode_response(body, "assignSeqrId")
    _no_leak(ei.value)


def test_oversize_rejected_before_parsing():
    body = (ENV_OPEN + "<ext:benchmarkingNop/>" + ENV_CLOSE).encode()
    big = body + b" " * (1024 * 1024)
    with pytest.raises(RequestTooLarge) as ei:
        decode_request(big)
    assert isinstance(ei.value, MalformedRequest)
    assert ei.value.max_bytes == 1024 * 1024
    with pytest.raises(RequestTooLarge):
        decode_request(body, max_bytes=len(body) - 1)
    assert decode_request(body, max_bytes=len(body)).OPERATION == "benchmarkingNop"
    # garbage beyond the limit is rejected by size, not by parsing
    with pytest.raises(RequestTooLarge):
        decode_request(b"\x00" * 100, max_bytes=10)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"hello world",
        b'{"json": true}',
        b"<unclosed>",
        ENV_OPEN.encode(),
        b"\xff\xfe\x00garbage",
    ],
    ids=["empty", "blank", "text", "json", "unclosed", "truncated", "binary"],
)
def test_not_xml(body):
    with pytest.raises(MalformedRequest):
        decode_request(body)


@pytest.mark.parametrize(
    "body",
    [
        b"<sendInvoice/>",
        b'<Envelope xmlns="urn:x"><Body><sendInvoice/></Body></Envelope>',
        # SOAP 1.2 envelope namespace is not accepted
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
        b'<ext:sendInvoice xmlns:ext="http://external.interfaces.ers.seamless.com/"/>'
        b"</env:Body></env:Envelope>",
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>',
        (ENV_OPEN + ENV_CLOSE).encode(),
        (ENV_OPEN + "   " + ENV_CLOSE).encode(),
    ],
    ids=["no-envelope", "wrong-ns", "soap12", "no-body", "empty-body", "blank-body"],
)
def test_not_a_soap11_envelope(body):
    with pytest.raises(MalformedRequest):
        decode_request(body)


def test_unknown_operation_is_not_malformed():
    with pytest.raises(UnknownOperation):
        decode_request((ENV_OPEN + "<ext:dropTables/>" + ENV_CLOSE).encode())


def test_str_body_is_a_type_error():
    with pytest.raises(TypeError):
        decode_request(ENV_OPEN + ENV_CLOSE)  # type: ignore[arg-type]


def test_bytearray_and_memoryview_accepted():
    body = (ENV_OPEN + "<ext:benchmarkingNop/>" + ENV_CLOSE).encode()
    assert decode_request(bytearray(body)).OPERATION == "benchmarkingNop"
    assert decode_request(memoryview(body)).OPERATION == "benchmarkingNop"


def test_deep_nesting_is_rejected_or_harmless():
    depth = 5000
    body = (
        ENV_OPEN
        + "<ext:benchmarkingNop>"
        + "<a>" * depth
        + "</a>" * depth
        + "</ext:benchmarkingNop>"
        + ENV_CLOSE
    ).encode()
    with pytest.raises(MalformedRequest):
        decode_request(body)


def test_processing_instructions_and_header_ignored():
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><?pi x?>'
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:ext="http://external.interfaces.ers.seamless.com/"><soapenv:Header>'
        b'<wsse:Security xmlns:wsse="urn:x" soapenv:mustUnderstand="1"/></soapenv:Header>'
        b"<soapenv:Body><?pi y?><ext:benchmarkingNop/></soapenv:Body></soapenv:Envelope>"
    )
    assert decode_request(body).OPERATION == "benchmarkingNop"


def test_latin1_declared_encoding():
    body = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        + ENV_OPEN
        + "<ext:assignSeqrId><seqrId>\u00e5\u00e4\u00f6</seqrId></ext:assignSeqrId>"
        + ENV_CLOSE
    ).encode("latin-1")
    assert decode_request(body).seqr_id == "\u00e5\u00e4\u00f6"
