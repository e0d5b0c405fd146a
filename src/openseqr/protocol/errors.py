"""Exceptions raised by the SOAP codec. The codec never decides result codes."""

from __future__ import annotations

__all__ = [
    "ProtocolError",
    "MalformedRequest",
    "RequestTooLarge",
    "MalformedResponse",
    "UnknownOperation",
    "InvalidValue",
    "SoapFault",
]


class ProtocolError(Exception):
    """Base class of every codec error."""


class MalformedRequest(ProtocolError):
    """Not XML, DOCTYPE/entity declarations, too large, not a SOAP 1.1 envelope, empty body.

    The server answers with a SOAP Fault ``soap:Client``.
    """


class RequestTooLarge(MalformedRequest):
    """The body exceeds ``max_bytes`` (checked before parsing)."""

    def __init__(self, size: int, max_bytes: int) -> None:
        super().__init__(f"message of {size} bytes exceeds the limit of {max_bytes} bytes")
        self.size = size
        self.max_bytes = max_bytes


class MalformedResponse(ProtocolError):
    """Client side: the reply is not a usable SOAP response for the expected operation."""


class UnknownOperation(ProtocolError):
    """The body's first child is not an operation of the service (server answers a Fault)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown operation {name!r}")
        self.name = name


class InvalidValue(ProtocolError):
    """A field could not be converted (bad decimal/int/dateTime/base64...).

    ``path`` is the element path below the operation element, e.g.
    ``invoice/totalAmount/value``; ``operation`` the operation name (set by the decoder).
    The server maps invoice fields to result 49 and everything else to 90.
    """

    def __init__(self, path: str, raw: str, operation: str | None = None) -> None:
        super().__init__(f"invalid value {raw[:64]!r} at {path!r}")
        self.path = path
        self.raw = raw
        self.operation = operation


class SoapFault(ProtocolError):
    """Client side: the server answered with a SOAP Fault.

    ``faultcode`` is the local part of the QName (``"Client"``, ``"Server"``, ...).
    """

    def __init__(self, faultcode: str, faultstring: str) -> None:
        super().__init__(f"SOAP Fault {faultcode}: {faultstring}")
        self.faultcode = faultcode
        self.faultstring = faultstring
