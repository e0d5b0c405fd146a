"""QR images of SEQR codes: `GET /qr.png?code=…` and `GET /qr.svg?code=…`.

The code is validated with `openseqr.protocol.urls.parse_code` and the image encodes its
canonical form (`format_code`: upper-case `HTTP://SEQR.SE/…`, D-27), following the print rules of
spec 3.1 (`openseqr.qr`: level M, quiet zone 2). Every form of the catalogue is accepted: invoice
(U1), payment link (U2/U3), terminal sticker (U4), service (U5) and `SEQR-ACTION://WIZARD/CANCEL`.

Query parameters: `code` (required, at most `MAX_CODE` characters), `scale` (pixels per module,
1–`MAX_SCALE`, default 6). Bad input answers 400 with a problem body (`problems.py`).
Images are deterministic, so they may be cached.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from .. import qr
from ..protocol import urls
from .app_http import Operation, QueryParam
from .problems import BadRequest

MAX_CODE = 512
MAX_SCALE = 32
DEFAULT_SCALE = 6
_CACHE = "public, max-age=86400"


def _params(request: Request) -> tuple[str, int]:
    code = request.query_params.get("code")
    if code is None or not code.strip():
        raise BadRequest("code is required")
    if len(code) > MAX_CODE:
        raise BadRequest(f"code is longer than {MAX_CODE} characters")
    try:
        parsed = urls.parse_code(code)
    except urls.InvalidCode as exc:
        raise BadRequest(f"not a SEQR code: {exc}") from None
    raw_scale = request.query_params.get("scale", str(DEFAULT_SCALE))
    try:
        scale = int(raw_scale)
    except ValueError:
        raise BadRequest("scale must be an integer") from None
    if not 1 <= scale <= MAX_SCALE:
        raise BadRequest(f"scale must be between 1 and {MAX_SCALE}")
    return urls.format_code(parsed), scale


def _image(render: Callable[..., bytes], request: Request) -> bytes:
    content, scale = _params(request)
    try:
        data: bytes = render(content, scale=scale)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return data


async def qr_png(request: Request) -> Response:
    """PNG image of a SEQR code (spec 3.1: level M, quiet zone 2)."""
    data = _image(qr.qr_png, request)
    return Response(data, media_type="image/png", headers={"Cache-Control": _CACHE})


async def qr_svg(request: Request) -> Response:
    """SVG image of a SEQR code."""
    data = _image(qr.qr_svg, request)
    return Response(
        data,
        media_type="image/svg+xml",
        headers={
            "Cache-Control": _CACHE,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


_QUERY = (
    QueryParam("code", "the SEQR code", {"type": "string", "maxLength": MAX_CODE}, True),
    QueryParam(
        "scale",
        "pixels per module",
        {"type": "integer", "minimum": 1, "maximum": MAX_SCALE, "default": DEFAULT_SCALE},
    ),
)
OPERATIONS = [
    Operation(
        "GET",
        path,
        handler,
        handler.__doc__ or "",
        errors=(400,),
        query=_QUERY,
        media_type=media_type,
        raw=True,
    )
    for path, handler, media_type in (
        ("/qr.png", qr_png, "image/png"),
        ("/qr.svg", qr_svg, "image/svg+xml"),
    )
]


__all__ = ["OPERATIONS", "MAX_CODE", "MAX_SCALE"]
