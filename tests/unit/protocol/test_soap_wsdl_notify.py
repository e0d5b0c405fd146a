"""WSDL publication (D-07), notification body and signature (9.2, D-01), result codes (11.1)."""

from __future__ import annotations

from importlib import resources

import pytest
from lxml import etree

from openseqr.protocol import (
    NOTIFICATION_CONTENT_TYPE,
    ResultCode,
    decode_notification,
    describe,
    encode_notification,
    render_wsdl,
    sign,
    verify,
)

XS = "{http://www.w3.org/2001/XMLSchema}"
WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"
ORIGINAL = resources.files("openseqr.protocol").joinpath("wsdl", "ERSWSExternalClientService.wsdl")


def _names(doc: etree._Element, tag: str) -> set[str]:
    schema = doc.find(f"{WSDL}types/{XS}schema")
    return {e.get("name") for e in schema.findall(f"{XS}{tag}")}


def _type(doc, name):
    return doc.find(f"{WSDL}types/{XS}schema/{XS}complexType[@name='{name}']")


def test_original_variant_is_the_reference_file_with_new_address():
    out = render_wsdl("https://pay.example/soap/merchant/cashregister-2", variant="2.6")
    original = ORIGINAL.read_bytes()
    assert out != original
    assert (
        out.replace(
            b"https://pay.example/soap/merchant/cashregister-2",
            b"http://localhost:9090/ERSWSExternalClientServicePort",
        )
        == original
    )


def test_extended_is_not_a_copy_and_declares_everything_of_the_original():
    orig = etree.fromstring(ORIGINAL.read_bytes())
    ext_bytes = render_wsdl("http://x/y")
    ext = etree.fromstring(ext_bytes)
    assert ext_bytes != ORIGINAL.read_bytes()
    assert _names(orig, "element") <= _names(ext, "element")
    assert _names(orig, "complexType") <= _names(ext, "complexType")
    assert _names(orig, "simpleType") == _names(ext, "simpleType")
    assert {"getClientSessionInfo", "getClientSessionInfoResponse"} <= _names(ext, "element")
    for kind in ("portType", "binding", "service"):
        assert orig.find(f"{WSDL}{kind}").get("name") == ext.find(f"{WSDL}{kind}").get("name")
    assert ext.get("targetNamespace") == "http://external.interfaces.ers.seamless.com/"
    ops = {o.get("name") for o in ext.find(f"{WSDL}portType")}
    assert ops == {o.get("name") for o in orig.find(f"{WSDL}portType")} | {"getClientSessionInfo"}
    port = ext.find(f"{WSDL}service/{WSDL}port")
    assert port.get("name") == "ERSWSExternalClientServicePort"
    assert port.find(f"{SOAP}address").get("location") == "http://x/y"


def test_extended_additions():
    ext = etree.fromstring(render_wsdl("http://x/y"))
    invoice = [e.get("name") for e in _type(ext, "invoice").find(f"{XS}sequence")]
    assert invoice[-1] == "commitReservationTimeout"
    assert invoice[:-1] == [
        "paymentMode",
        "acknowledgmentMode",
        "issueDate",
        "title",
        "clientInvoiceId",
        "invoiceRows",
        "totalAmount",
        "cashierId",
        "footer",
        "backURL",
        "notificationUrl",
    ]
    commit = [e.get("name") for e in _type(ext, "commitReservation").find(f"{XS}sequence")]
    assert commit == ["context", "amount", "invoiceReference"]
    modes = ext.find(f"{WSDL}types/{XS}schema/{XS}simpleType[@name='paymentMode']")
    assert "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT" in {
        e.get("value") for e in modes.iter(f"{XS}enumeration")
    }
    gcsi = [e.get("name") for e in _type(ext, "getClientSessionInfo").find(f"{XS}sequence")]
    assert gcsi == ["context", "key"]
    resp_ret = _type(ext, "getClientSessionInfoResponse").find(f"{XS}sequence/{XS}element")
    ret_type = _type(ext, resp_ret.get("type").split(":")[1])
    ext_el = ret_type.find(f"{XS}complexContent/{XS}extension")
    assert ext_el.get("base") == "tns:erswsResponse"
    params = ext_el.find(f"{XS}sequence/{XS}element[@name='parameters']")
    entry = params.find(f".//{XS}element[@name='entry']")
    assert entry.get("maxOccurs") == "unbounded"


def test_address_is_escaped_and_template_cached():
    out = render_wsdl('http://h/p?a=1&b="2"')
    assert b'location="http://h/p?a=1&amp;b=&quot;2&quot;"' in out
    etree.fromstring(out)
    with pytest.raises(ValueError):
        render_wsdl("http://x", variant="3.0")


# ---------------------------------------------------------------------------- notifications


def test_notification_body():
    body = encode_notification("20151225123456789", "order-4711")
    assert body == b"invoiceReference=20151225123456789&clientInvoiceId=order-4711"
    assert NOTIFICATION_CONTENT_TYPE == "application/x-www-form-urlencoded; charset=UTF-8"
    assert encode_notification("1", None) == b"invoiceReference=1&clientInvoiceId="
    body = encode_notification("1", "å & =x", {"msisdn": "46700643933", "subscriberKey": "132"})
    assert body == (
        b"invoiceReference=1&clientInvoiceId=%C3%A5+%26+%3Dx&msisdn=46700643933&subscriberKey=132"
    )
    assert decode_notification(body) == {
        "invoiceReference": "1",
        "clientInvoiceId": "å & =x",
        "msisdn": "46700643933",
        "subscriberKey": "132",
    }
    assert decode_notification(b"invoiceReference=1&clientInvoiceId=") == {
        "invoiceReference": "1",
        "clientInvoiceId": "",
    }
    with pytest.raises(ValueError):
        encode_notification("1", "x", {"invoiceReference": "2"})


def test_signature():
    secret = b"s3cret"
    body = encode_notification("1", "c")
    header = sign(secret, 1700000000, body)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify(secret, header, body, now=1700000100)
    assert verify(secret, header, body, now=1700000000 - 300)
    assert not verify(secret, header, body, now=1700000301)  # too old
    assert not verify(b"other", header, body, now=1700000000)
    assert not verify(secret, header, body + b"x", now=1700000000)
    assert not verify(secret, header.replace("t=1700000000", "t=1700000001"), body, now=1700000000)
    assert not verify(secret, None, body, now=1700000000)
    assert not verify(secret, "garbage", body, now=1700000000)
    assert not verify(secret, "t=abc,v1=00", body, now=1700000000)
    assert not verify(secret, "t=1700000000", body, now=1700000000)
    # several v1 values (key rotation): any match is enough
    other = sign(b"old", 1700000000, body).split(",")[1]
    assert verify(secret, f"{header},{other}", body, now=1700000000)


# ------------------------------------------------------------------------------ result codes


def test_result_codes():
    assert ResultCode.SUCCESS == 0 and ResultCode.INVALID_INVOICE_DATA == 49
    expected = {
        0,
        1,
        2,
        10,
        11,
        12,
        13,
        20,
        21,
        22,
        23,
        29,
        33,
        37,
        48,
        49,
        50,
        51,
        52,
        53,
        54,
        55,
        56,
        57,
        58,
        60,
        61,
        62,
        63,
        64,
        90,
        91,
        92,
        93,
        94,
        95,
        96,
        97,
        98,
        99,
    }
    assert expected <= {int(c) for c in ResultCode}
    assert ResultCode(98).name == "SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION"
    assert ResultCode(2).name == "REPORT_NOT_READY"
    assert describe(54) == "INVALID_INVOICE_REFERENCE"
    assert describe(ResultCode.SYSTEM_BUSY) == "SYSTEM_BUSY"
    assert describe(999) is None
