"""Dataclass → XML text, by string building with proper escaping.

Elements are emitted unqualified, in WSDL sequence order; ``None`` values are omitted (no
``xsi:nil``) except WSDL-mandatory elements, which get their default (0).
"""

from __future__ import annotations

from typing import Any

from .lexical import format_amount, format_base64, format_datetime, format_decimal, xml_escape
from .schema import (
    AMOUNT_VALUE,
    B64,
    DEC,
    DT,
    INT,
    JMAP,
    LIST,
    LONG,
    LONG_LENIENT,
    OBJ,
    PMAP,
    REQUESTS,
    RESPONSES,
    STR,
    TYPES,
    WRAPPED,
    F,
)

# (attr, kind, open, close, sub-class, item_open, item_close, default, omit_empty)
_Row = tuple[str, int, str, str, Any, str, str, Any, bool]
_ENCODERS: dict[type, tuple[_Row, ...]] = {}


def _compile(fields: tuple[F, ...]) -> tuple[_Row, ...]:
    rows = []
    for f in fields:
        item_open = item_close = ""
        if f.item_tag:
            item_open, item_close = f"<{f.item_tag}>", f"</{f.item_tag}>"
        rows.append(
            (
                f.attr,
                f.kind,
                f"<{f.tag}>",
                f"</{f.tag}>",
                f.sub,
                item_open,
                item_close,
                f.default,
                f.omit_empty,
            )
        )
    return tuple(rows)


def _int(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected an int, got {type(v).__name__}")
    return str(int(v))


def _entries(pairs: Any, out: list[str]) -> None:
    for key, value in pairs:
        out.append(f"<entry><key>{xml_escape(key)}</key><value>{xml_escape(value)}</value></entry>")


def encode_object(obj: Any, rows: tuple[_Row, ...], out: list[str]) -> None:
    for attr, kind, open_, close, sub, item_open, item_close, default, omit_empty in rows:
        v = getattr(obj, attr)
        if v is None:
            if default is None:
                continue
            v = default
        if kind == STR:
            out.append(f"{open_}{xml_escape(v)}{close}")
        elif kind == INT or kind == LONG or kind == LONG_LENIENT:
            out.append(f"{open_}{_int(v)}{close}")
        elif kind == OBJ:
            out.append(open_)
            encode_object(v, _ENCODERS[sub], out)
            out.append(close)
        elif kind == AMOUNT_VALUE:
            out.append(f"{open_}{format_amount(v)}{close}")
        elif kind == WRAPPED:
            if omit_empty and not v:
                continue
            item_rows = _ENCODERS[sub]
            out.append(open_)
            for item in v:
                out.append(item_open)
                encode_object(item, item_rows, out)
                out.append(item_close)
            out.append(close)
        elif kind == LIST:
            item_rows = _ENCODERS[sub]
            for item in v:
                out.append(open_)
                encode_object(item, item_rows, out)
                out.append(close)
        elif kind == DT:
            out.append(f"{open_}{format_datetime(v)}{close}")
        elif kind == DEC:
            out.append(f"{open_}{format_decimal(v)}{close}")
        elif kind == B64:
            out.append(f"{open_}{format_base64(v)}{close}")
        elif kind == PMAP:
            if v:
                out.append("<parameters><parameter>")
                _entries(v, out)
                out.append("</parameter></parameters>")
        elif kind == JMAP:
            if v:
                out.append("<parameters>")
                _entries(v, out)
                out.append("</parameters>")
        else:  # pragma: no cover
            raise AssertionError(kind)


for _cls, _fields in TYPES.items():
    _ENCODERS[_cls] = _compile(_fields)

REQUEST_ENCODERS: dict[type, tuple[_Row, ...]] = {c: _compile(f) for c, f in REQUESTS.items()}
RESPONSE_ENCODERS: dict[type, tuple[_Row, ...]] = {c: _compile(f) for c, f in RESPONSES.items()}
