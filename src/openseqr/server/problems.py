"""THE table of the JSON edge: domain errors → HTTP status, answered as RFC 9457 problem JSON.

Every error body of the app API (and of `/qr.*`) is built here:

    {"type": "urn:openseqr:problem:WrongPin", "title": "Unauthorized", "status": 401,
     "detail": "wrong PIN; 2 tries left", "error": "WrongPin", "message": "wrong PIN; 2 tries left"}

`error` and `message` are the fields clients read since D-46; `type`/`title`/`status`/`detail` are
the standard members. Lookup walks the exception's MRO, so a subclass maps like its parent unless
listed itself. Nothing here ever echoes a request field (PINs are never repeated back).
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse

from ..core import errors as e

PROBLEM_TYPE = "urn:openseqr:problem:"
MEDIA_TYPE = "application/problem+json"


class BadRequest(e.DomainError):
    """The request is not what this endpoint expects: not JSON, not an object (400)."""


class Unprocessable(BadRequest):
    """Well-formed JSON whose fields do not match the endpoint's model (422)."""


class PayloadTooLarge(BadRequest):
    """The body is larger than this API ever needs (413)."""


class NotSignedIn(e.DomainError):
    """No valid app session token (missing, malformed, forged or expired)."""


HTTP_STATUS: dict[type[e.DomainError], int] = {
    BadRequest: 400,
    Unprocessable: 422,
    PayloadTooLarge: 413,
    NotSignedIn: 401,
    e.UnknownCustomer: 404,
    e.WrongPin: 401,
    e.PinLocked: 423,
    e.InvoiceNotFound: 404,
    e.InvoiceChanged: 409,
    e.InvalidTransition: 409,
    e.UnknownSession: 404,
    e.AccessDenied: 403,
    e.ProviderUnavailable: 503,
    e.Busy: 503,
}


def http_status(exc: e.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400


def problem(status: int, error: str, message: str) -> JSONResponse:
    """A problem body; `error` names the kind (stable), `message` is for people."""
    body = {
        "type": PROBLEM_TYPE + error,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
        "error": error,
        "message": message,
    }
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status, headers=headers, media_type=MEDIA_TYPE)


def error_response(exc: e.DomainError) -> JSONResponse:
    return problem(http_status(exc), type(exc).__name__, exc.message)


__all__ = [
    "HTTP_STATUS",
    "BadRequest",
    "Unprocessable",
    "PayloadTooLarge",
    "NotSignedIn",
    "http_status",
    "problem",
    "error_response",
]
