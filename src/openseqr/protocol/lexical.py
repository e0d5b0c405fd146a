"""XSD lexical forms (spec 5.4): parsing and formatting of decimals, ints, dateTimes, base64.

Parsers raise ``ValueError`` on bad input (the decoder turns it into ``InvalidValue``).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

__all__ = [
    "parse_decimal",
    "parse_int",
    "parse_datetime",
    "parse_base64",
    "format_amount",
    "format_decimal",
    "format_datetime",
    "format_base64",
    "xml_escape",
]

_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?\Z"
)
_XML_WS = " \t\r\n"
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_TWO_PLACES = Decimal("0.01")
_UTC_OFFSETS: dict[str, timezone] = {}


def parse_decimal(text: str) -> Decimal:
    """``xs:decimal``: plain notation only (no exponent, NaN, Infinity, thousands separators)."""
    s = text.strip(_XML_WS)
    if not _DECIMAL_RE.match(s):
        raise ValueError(f"not an xs:decimal: {text!r}")
    return Decimal(s)


def parse_int(text: str, *, bits: int = 32) -> int:
    """``xs:int`` (bits=32) or ``xs:long`` (bits=64)."""
    s = text.strip(_XML_WS)
    if not _INT_RE.match(s):
        raise ValueError(f"not an integer: {text!r}")
    v = int(s)
    lo, hi = _INT32 if bits == 32 else _INT64
    if not lo <= v <= hi:
        raise ValueError(f"integer out of range: {text!r}")
    return v


def _tz(spec: str) -> timezone:
    tz = _UTC_OFFSETS.get(spec)
    if tz is None:
        if spec == "Z":
            tz = UTC
        else:
            minutes = int(spec[1:3]) * 60 + int(spec[4:6])
            if minutes > 14 * 60:
                raise ValueError(f"time zone offset out of range: {spec!r}")
            tz = timezone(timedelta(minutes=-minutes if spec[0] == "-" else minutes))
        _UTC_OFFSETS[spec] = tz
    return tz


def parse_datetime(text: str) -> datetime:
    """``xs:dateTime``; without offset the result is naive (the server applies its zone, D-41).

    Fractional seconds beyond microseconds are truncated.
    """
    s = text.strip(_XML_WS)
    m = _DATETIME_RE.match(s)
    if m is None:
        raise ValueError(f"not an xs:dateTime: {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac + "00000")[:6]) if frac else 0
    tz = _tz(zone) if zone else None
    # datetime() raises ValueError for out-of-range fields (month 13, hour 24, ...)
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz)


def parse_base64(text: str) -> bytes:
    """``xs:base64Binary`` (standard alphabet, padding required; whitespace ignored)."""
    data = text.encode("ascii", "strict").translate(None, b" \t\r\n")
    n = len(data)
    pad = data.find(b"=")
    # canonical padding only: length multiple of 4, "=" only in the last two positions
    if n % 4 or (pad != -1 and (pad < n - 2 or data[n - 1 :] != b"=")):
        raise ValueError("not valid base64: bad length or padding")
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(f"not valid base64: {exc}") from None


def _check_finite(d: Decimal) -> None:
    if not d.is_finite():
        raise ValueError(f"cannot encode non-finite decimal {d!r}")


def format_amount(d: Decimal) -> str:
    """Amount value with exactly 2 decimals (D-40): ``500`` → ``500.00``.

    Never rounds: a value with more significant decimals keeps them (plain notation).
    """
    if not isinstance(d, Decimal):
        raise TypeError(f"amount value must be a Decimal, not {type(d).__name__}")
    _check_finite(d)
    exp = d.as_tuple().exponent  # an int: _check_finite ruled out the 'n'/'N'/'F' markers
    if isinstance(exp, int) and exp < -2:
        q = d.quantize(_TWO_PLACES)
        if q != d:
            return format(d.normalize(), "f")
        d = q
    elif exp != -2:
        d = d.quantize(_TWO_PLACES)
    return format(d, "f")


def format_decimal(d: Decimal) -> str:
    """Other decimals (itemQuantity, itemTaxRate): plain notation, no exponent."""
    if not isinstance(d, Decimal):
        if isinstance(d, int) and not isinstance(d, bool):
            return str(d)
        raise TypeError(f"decimal field must be a Decimal, not {type(d).__name__}")
    _check_finite(d)
    return format(d, "f")


def format_datetime(dt: datetime) -> str:
    """Millisecond precision with offset: ``2015-12-25T12:35:12.345+01:00``.

    A naive datetime is an error (TypeError): the caller must apply its zone (D-41).
    """
    off = dt.utcoffset()
    if off is None:
        raise TypeError("cannot encode a naive datetime; attach a time zone first")
    if off.seconds % 60 or off.microseconds:
        # xs:dateTime offsets have minute precision: normalise to UTC
        dt = dt.astimezone(UTC)
    return dt.isoformat(timespec="milliseconds")


def format_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# XML 1.0 forbids most C0 controls, surrogates and U+FFFE/U+FFFF; they are replaced by U+FFFD.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NEEDS_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_escape(s: str) -> str:
    """Escape text content. CR is emitted as ``&#13;`` so it survives parsing."""
    if _NEEDS_WORK.search(s) is None:
        return s
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return _INVALID_XML.sub("\ufffd", s)
