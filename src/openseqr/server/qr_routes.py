"""QR images of SEQR codes: `GET /qr.png?code=…` and `GET /qr.svg?code=…`.

The code is validated with `openseqr.protocol.urls.parse_code` and the image encodes its
canonical form (`format_code`: upper-case `HTTP://SEQR.SE/…`, D-27), following the print rules of
spec 3.1 (`openseqr.qr`: level M, quiet zone 2). Every form of the catalogue is accepted: invoice
(U1), payment link (U2/U3), terminal sticker (U4), service (U5) and `SEQR-ACTION://WIZARD/CANCEL`.

Query parameters: `code` (required, at most `MAX_CODE` characters), `scale` (pixels per module,
1–`MAX_SCALE`, default 6). Bad input answers 400 `{"error": "BadRequest", "message": …}`.
Images are deterministic, so they may be cached.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import qr
from ..protocol import urls

MAX_CODE = 512
MAX_SCALE = 32
DEFAULT_SCALE = 6
_CACHE = "public, max-age=86400"


class _Bad(ValueError):
    pass


def _params(request: Request) -> tuple[str, int]:
    code = request.query_params.get("code")
    if code is None or not code.strip():
        raise _Bad("code is required")
    if len(code) > MAX_CODE:
        raise _Bad(f"code is longer than {MAX_CODE} characters")
    try:
        parsed = urls.parse_code(code)
    except urls.InvalidCode as exc:
        raise _Bad(f"not a SEQR code: {exc}") from None
    raw_scale = request.query_params.get("scale", str(DEFAULT_SCALE))
    try:
        scale = int(raw_scale)
    except ValueError:
        raise _Bad("scale must be an integer") from None
    if not 1 <= scale <= MAX_SCALE:
        raise _Bad(f"scale must be between 1 and {MAX_SCALE}")
    return urls.format_code(parsed), scale


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": "BadRequest", "message": message}, 400)


async def qr_png(request: Request) -> Response:
    try:
        content, scale = _params(request)
        data = qr.qr_png(content, scale=scale)
    except (_Bad, ValueError) as exc:
        return _bad(str(exc))
    return Response(data, media_type="image/png", headers={"Cache-Control": _CACHE})


async def qr_svg(request: Request) -> Response:
    try:
        content, scale = _params(request)
        data = qr.qr_svg(content, scale=scale)
    except (_Bad, ValueError) as exc:
        return _bad(str(exc))
    return Response(
        data,
        media_type="image/svg+xml",
        headers={
            "Cache-Control": _CACHE,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


def routes() -> list[Route]:
    return [Route("/qr.png", qr_png, methods=["GET"]), Route("/qr.svg", qr_svg, methods=["GET"])]


__all__ = ["routes", "MAX_CODE", "MAX_SCALE"]
