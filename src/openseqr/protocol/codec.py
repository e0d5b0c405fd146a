"""Public sans-I/O codec: bytes ⇄ message dataclasses.

Server side: :func:`decode_request`, :func:`encode_response`, :func:`encode_fault`.
Client side (SDK, wallet): :func:`encode_request`, :func:`decode_response`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._decode import REQUEST_SPECS, RESPONSE_SPECS, decode_object
from ._encode import REQUEST_ENCODERS, RESPONSE_ENCODERS, encode_object
from .envelope import (
    DEFAULT_MAX_BYTES,
    SOAP11_NS,
    TNS,
    encode_fault,
    local_name,
    parse_body_element,
    raise_if_fault,
)
from .errors import InvalidValue, MalformedResponse, UnknownOperation
from .messages import (
    UNSUPPORTED_OPERATIONS,
    ErsResponse,
    Request,
    Response,
    UnsupportedRequest,
    UnsupportedResponse,
    operation_name,
)
from .schema import REQUEST_BY_OPERATION, RESPONSE_BY_OPERATION

__all__ = [
    "decode_request",
    "encode_response",
    "encode_fault",
    "encode_request",
    "decode_response",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "OPERATIONS",
]

DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

#: every operation name the codec understands (implemented + out-of-scope)
OPERATIONS: frozenset[str] = frozenset(REQUEST_BY_OPERATION) | UNSUPPORTED_OPERATIONS

_UNSUPPORTED_SPEC = REQUEST_SPECS[UnsupportedRequest]
_UNSUPPORTED_RESPONSE_SPEC = RESPONSE_SPECS[UnsupportedResponse]
_OP_BY_TAG: dict[str, tuple[str, Any]] = {}
for _op in OPERATIONS:
    _cls = REQUEST_BY_OPERATION.get(_op)
    _entry = (_op, REQUEST_SPECS[_cls] if _cls is not None else None)
    _OP_BY_TAG[f"{{{TNS}}}{_op}"] = _entry
    _OP_BY_TAG[_op] = _entry  # lenient: unqualified operation element


# ------------------------------------------------------------------------------ server


def decode_request(body: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Request:
    """Decode a SOAP request; the Body's first child element selects the operation.

    Raises ``MalformedRequest`` (→ Fault soap:Client), ``UnknownOperation`` (→ Fault) or
    ``InvalidValue`` (→ result code, chosen by the server from ``exc.path``).
    """
    el = parse_body_element(body, max_bytes=max_bytes)
    found = _OP_BY_TAG.get(el.tag)
    if found is None:
        raise UnknownOperation(local_name(el.tag) or str(el.tag))
    op, spec = found
    msg: Request  # the spec's class decides the type
    try:
        if spec is None:
            msg = decode_object(el, _UNSUPPORTED_SPEC, {"operation": op})
        else:
            msg = decode_object(el, spec)
    except InvalidValue as exc:
        exc.operation = op
        raise
    return msg


_RESPONSE_HEAD: dict[str, str] = {}
_RESPONSE_TAIL: dict[str, str] = {}


def _response_frame(op: str) -> tuple[str, str]:
    head = _RESPONSE_HEAD.get(op)
    if head is None:
        head = (
            f'<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body>'
            f'<ns2:{op}Response xmlns:ns2="{TNS}"><return>'
        )
        _RESPONSE_HEAD[op] = head
        _RESPONSE_TAIL[op] = f"</return></ns2:{op}Response></soap:Body></soap:Envelope>"
    return head, _RESPONSE_TAIL[op]


def _encoder_of(msg: Any, encoders: Mapping[type, Any], kind: str) -> tuple[Any, str]:
    """The field rows and operation name of ``msg``; a foreign object is a ``TypeError``."""
    rows = encoders.get(type(msg))
    if rows is None:
        raise TypeError(f"not a {kind} message: {type(msg).__name__}")
    op = operation_name(msg)
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r}")
    return rows, op


def encode_response(resp: ErsResponse) -> bytes:
    """Encode a response CXF-style (``soap:`` envelope, ``ns2:<op>Response``, ``return``)."""
    rows, op = _encoder_of(resp, RESPONSE_ENCODERS, "response")
    head, tail = _response_frame(op)
    out = [head]
    encode_object(resp, rows, out)
    out.append(tail)
    return "".join(out).encode("utf-8")


# ------------------------------------------------------------------------------ client

_REQUEST_HEAD = (
    f'<soapenv:Envelope xmlns:soapenv="{SOAP11_NS}" xmlns:ext="{TNS}">'
    "<soapenv:Header/><soapenv:Body>"
)
_REQUEST_TAIL = "</soapenv:Body></soapenv:Envelope>"


def encode_request(req: Request) -> bytes:
    """Encode a request in the ``soapenv:``/``ext:`` style of spec 5.1."""
    rows, op = _encoder_of(req, REQUEST_ENCODERS, "request")
    out = [_REQUEST_HEAD, f"<ext:{op}>"]
    encode_object(req, rows, out)
    out.append(f"</ext:{op}>")
    out.append(_REQUEST_TAIL)
    return "".join(out).encode("utf-8")


def decode_response(
    body: bytes, operation: str | type | Any, *, max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
) -> Response:
    """Decode the response to ``operation`` (a name, or a request class/instance).

    Raises ``SoapFault`` for a Fault, ``MalformedResponse`` for anything that is not the
    expected response, ``InvalidValue`` for an unconvertible field (path below the response
    element, e.g. ``return/receipt/paymentDate``).
    """
    op = operation if isinstance(operation, str) else getattr(operation, "operation", None)
    if not isinstance(op, str):
        op = getattr(operation, "OPERATION", None)
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    el = parse_body_element(body, max_bytes=max_bytes, error=MalformedResponse)
    raise_if_fault(el)
    tag = el.tag
    expected = op + "Response"
    if tag != f"{{{TNS}}}{expected}" and tag != expected:
        raise MalformedResponse(f"expected {expected}, got {tag!r}")
    ret = None
    for child in el:
        if child.tag == "return" or child.tag == f"{{{TNS}}}return":
            ret = child
            break
    if ret is None:
        raise MalformedResponse(f"{expected} without return element")
    cls = RESPONSE_BY_OPERATION.get(op)
    resp: Response  # the spec's class decides the type
    try:
        if cls is None:
            resp = decode_object(ret, _UNSUPPORTED_RESPONSE_SPEC, {"operation": op})
        else:
            resp = decode_object(ret, RESPONSE_SPECS[cls])
    except InvalidValue as exc:
        exc.path = f"return/{exc.path}"
        exc.operation = op
        raise
    return resp
