"""QR images of SEQR codes (segno), following the print guideline of spec 3.1.

* Error correction level M, and no "error boost" so the level stays M even when a higher one
  would fit in the same version.
* Quiet zone ("padding") of 2 modules.
* The version is left to segno (smallest that fits). Version 4 (33x33) holds 90 alphanumeric
  characters at level M, so every code of up to 50 characters fits in version 4 or smaller.
* Content in upper case (``HTTP://SEQR.SE/R1397222701693``) is encoded in QR *alphanumeric*
  mode (``0-9 A-Z space $ % * + - . / :``), which is denser than byte mode; lower-case content
  falls back to byte mode. That is why SEQR URLs are written in upper case (D-27).
  ``?``, ``=``, ``&`` and ``_`` are not alphanumeric either, so a U5 code with parameters (or a
  service id with ``_``) is byte-encoded; up to 62 bytes still fit version 4 at level M.
"""

from __future__ import annotations

import io

import segno

__all__ = ["ERROR_LEVEL", "QUIET_ZONE", "make_qr", "qr_png", "qr_svg", "qr_terminal"]

ERROR_LEVEL = "M"
QUIET_ZONE = 2


def make_qr(content: str) -> segno.QRCode:
    """The QR symbol for ``content`` (level M, no boost, regular QR, version chosen by segno)."""
    if not isinstance(content, str) or not content:
        raise ValueError("QR content must be a non-empty string")
    return segno.make(content, error=ERROR_LEVEL, boost_error=False, micro=False)


def qr_png(content: str, scale: int = 6) -> bytes:
    """PNG image bytes; each module is ``scale`` pixels wide."""
    buf = io.BytesIO()
    make_qr(content).save(buf, kind="png", scale=scale, border=QUIET_ZONE)
    return buf.getvalue()


def qr_svg(content: str, scale: int = 6) -> bytes:
    """SVG document bytes (UTF-8, with XML declaration)."""
    buf = io.BytesIO()
    make_qr(content).save(buf, kind="svg", scale=scale, border=QUIET_ZONE)
    return buf.getvalue()


def qr_terminal(content: str) -> str:
    """Text rendering with Unicode half-block characters, for printing to a terminal.

    Light modules are drawn as blocks, so it reads correctly on a dark-background terminal.
    """
    out = io.StringIO()
    make_qr(content).terminal(out=out, border=QUIET_ZONE, compact=True)
    return out.getvalue()
