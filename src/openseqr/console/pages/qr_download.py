"""A QR code as a file to download (PNG or SVG), for the terminal sticker and service pages."""

from __future__ import annotations

import re

from starlette.responses import Response

from ... import qr
from ..framework import not_found

FORMATS = {"png": ("image/png", qr.qr_png), "svg": ("image/svg+xml", qr.qr_svg)}
SCALE = 10  # pixels per module: a sticker prints sharply at a few centimetres


def qr_file(content: str, fmt: str, name: str) -> Response:
    """`content` as `<name>.<fmt>`; an unknown format answers 404 like an unknown page."""
    if fmt not in FORMATS:
        raise not_found()
    media_type, render = FORMATS[fmt]
    filename = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "qr"
    return Response(
        render(content, scale=SCALE),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )
