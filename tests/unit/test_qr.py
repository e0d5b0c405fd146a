"""Tests for openseqr.qr (print guideline, spec 3.1). No decoder is available, so the symbol
parameters are checked through segno and the outputs by their format signatures."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest
import segno

from openseqr.protocol.urls import invoice_qr
from openseqr.qr import QUIET_ZONE, make_qr, qr_png, qr_svg, qr_terminal


def test_quiet_zone_is_two():
    assert QUIET_ZONE == 2


CODE = invoice_qr("20151029186719114")  # 17-digit reference (2015+ shape): 33 characters


def test_code_fixture_length():
    assert len(CODE) == 33 and CODE.startswith("HTTP://SEQR.SE/R")


def test_32_char_invoice_code_is_level_m_version_at_most_4():
    qr = make_qr(invoice_qr("2015102918671911"))  # 16 digits -> exactly 32 characters
    assert qr.error == "M" and qr.version <= 4 and qr.mode == "alphanumeric"


def test_symbol_is_level_m_version_at_most_4_alphanumeric():
    qr = make_qr(CODE)
    assert qr.error == "M"
    assert isinstance(qr.version, int) and qr.version <= 4
    assert qr.mode == "alphanumeric"
    assert not qr.is_micro


def test_error_level_is_not_boosted():
    content = "HTTP://SEQR.SE/R12345678"
    # precondition: with segno's default error boost this content would be raised above M
    assert segno.make(content, error="m").error != "M"
    assert make_qr(content).error == "M"


def _modules(content: str) -> int:
    """Side length in modules, including the quiet zone of 2 required by the guideline."""
    version = make_qr(content).version
    return 17 + 4 * version + 2 * 2


def test_fifty_upper_case_chars_fit_version_4():
    content = "HTTP://SEQR.SE/Q" + "A1" * 17
    assert len(content) == 50
    qr = make_qr(content)
    assert qr.mode == "alphanumeric" and qr.error == "M" and qr.version <= 4


def test_service_code_with_query_needs_byte_mode_but_fits_version_4():
    # "?", "=", "&" and "_" are not in the QR alphanumeric set, so U5 codes with parameters
    # (or an id with "_") are byte-encoded; 50 bytes still fit version 4 at level M (62 max).
    content = "HTTP://SEQR.SE/000/SERVICE?A=" + "1" * 21
    assert len(content) == 50
    qr = make_qr(content)
    assert qr.mode == "byte" and qr.error == "M" and qr.version <= 4


def test_lower_case_content_falls_back_to_byte_mode():
    assert make_qr(CODE.lower()).mode == "byte"


def test_png_signature_and_size():
    data = qr_png(CODE, scale=6)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    modules = _modules(CODE)
    assert width == height == modules * 6
    # scale changes the pixel size
    small = qr_png(CODE, scale=1)
    assert struct.unpack(">II", small[16:24]) == (modules, modules)


def test_svg_root():
    data = qr_svg(CODE, scale=3)
    assert isinstance(data, bytes)
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    modules = _modules(CODE)
    assert float(root.get("width")) == modules * 3


def test_terminal_rendering_uses_blocks_and_quiet_zone():
    text = qr_terminal(CODE)
    lines = text.splitlines()
    modules = _modules(CODE)
    assert all(len(line) == modules for line in lines)
    assert len(lines) == (modules + 1) // 2  # two module rows per text line
    assert set(text) <= {" ", "\n", "\u2580", "\u2584", "\u2588"}
    assert "\x1b" not in text  # no ANSI escapes
    # the quiet zone is light, drawn as full blocks
    assert lines[0] == "\u2588" * modules


@pytest.mark.parametrize("bad", ["", None])
def test_rejects_empty_content(bad):
    with pytest.raises(ValueError):
        make_qr(bad)
