"""SOAP 1.1 envelope handling: hardened parsing, envelope templates, Faults."""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from .errors import MalformedRequest, ProtocolError, RequestTooLarge, SoapFault
from .lexical import xml_escape
from .schema import SOAP11_NS, TNS

__all__ = [
    "SOAP11_NS",
    "TNS",
    "DEFAULT_MAX_BYTES",
    "SOAP_CONTENT_TYPE",
    "parse_body_element",
    "encode_fault",
    "raise_if_fault",
    "local_name",
]

DEFAULT_MAX_BYTES = 1024 * 1024
SOAP_CONTENT_TYPE = "text/xml; charset=UTF-8"

_ENVELOPE = f"{{{SOAP11_NS}}}Envelope"
_BODY = f"{{{SOAP11_NS}}}Body"
_FAULT = f"{{{SOAP11_NS}}}Fault"
_TLS = threading.local()
_BYTES_LIKE = (bytes, bytearray, memoryview)


def _parser() -> etree.XMLParser:
    """One hardened parser per thread (lxml parsers are not thread-safe)."""
    p = getattr(_TLS, "parser", None)
    if p is None:
        p = _TLS.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
    return p


def local_name(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def parse_body_element(
    body: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    error: type[ProtocolError] = MalformedRequest,
) -> Any:
    """Parse a SOAP 1.1 message and return the first element child of ``soap:Body``.

    Raises ``error`` (``MalformedRequest`` by default) for an empty or oversized body,
    non-XML, a DOCTYPE / entity declaration, a root that is not a SOAP 1.1 Envelope, or a
    Body without element child.
    """
    if type(body) is not bytes and not isinstance(body, _BYTES_LIKE):
        raise TypeError(f"body must be bytes, not {type(body).__name__}")
    size = len(body)
    if size == 0:
        raise error("empty body")
    if size > max_bytes:
        if error is MalformedRequest:
            raise RequestTooLarge(size, max_bytes)
        raise error(f"message of {size} bytes exceeds the limit of {max_bytes} bytes")
    if type(body) is not bytes:
        body = bytes(body)
    # cheap pre-check for ASCII-compatible encodings; the docinfo check below covers the rest
    i = body.find(b"<!")
    while i != -1:
        if body.startswith(b"<!DOCTYPE", i) or body.startswith(b"<!ENTITY", i):
            raise error("DOCTYPE and entity declarations are not allowed")
        i = body.find(b"<!", i + 2)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise error(f"not well-formed XML: {exc.msg}") from None
    except ValueError as exc:  # e.g. unsupported encoding declaration
        raise error(f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise error("DOCTYPE and entity declarations are not allowed")
    if root.tag != _ENVELOPE:
        raise error(f"not a SOAP 1.1 Envelope: root element {root.tag!r}")
    soap_body = None
    for child in root:
        if child.tag == _BODY:
            soap_body = child
            break
    if soap_body is None:
        raise error("SOAP Envelope without Body")
    for child in soap_body:
        if isinstance(child.tag, str):
            return child
    raise error("empty SOAP Body")


_FAULTCODES = {"Client", "Server", "VersionMismatch", "MustUnderstand"}


def encode_fault(faultcode: str, faultstring: str) -> bytes:
    """A SOAP 1.1 Fault (served with HTTP 500). ``faultcode``: ``"Client"`` or ``"Server"``."""
    if faultcode not in _FAULTCODES:
        raise ValueError(f"invalid faultcode {faultcode!r}")
    return (
        f'<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{faultcode}</faultcode>"
        f"<faultstring>{xml_escape(faultstring)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def raise_if_fault(element: Any) -> None:
    """Client side: raise ``SoapFault`` when ``element`` is a ``soap:Fault``."""
    if element.tag != _FAULT:
        return
    code = string = ""
    for child in element:
        name = local_name(child.tag)
        if name == "faultcode":
            code = (child.text or "").strip().rpartition(":")[2]
        elif name == "faultstring":
            string = child.text or ""
    raise SoapFault(code, string)
