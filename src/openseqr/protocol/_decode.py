"""Table-driven, lenient element → dataclass decoding (D-43b/c).

Children are matched by local name, unqualified or in the target namespace, in any order;
unknown elements are ignored; an empty element is an empty string. Conversion failures raise
``InvalidValue`` whose ``path`` is built bottom-up while the exception propagates.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import InvalidValue
from .lexical import parse_base64, parse_datetime, parse_decimal, parse_int
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
    TNS,
    TYPES,
    WRAPPED,
    F,
)

_XML_WS = " \t\r\n"


def _names(local: str) -> tuple[str, str]:
    return local, "{" + TNS + "}" + local


class DecodeSpec:
    """Per-class lookup: element tag (both spellings) → (attr, kind, sub, local name)."""

    __slots__ = ("cls", "table", "list_attrs", "required", "slots", "post_init")

    def __init__(self, cls: type, fields: tuple[F, ...], required: tuple[str, ...] = ()):
        self.cls = cls
        self.table: dict[str, tuple[str, int, Any, str]] = {}
        self.list_attrs: list[str] = []
        self.required = required
        # Fast construction of frozen slotted dataclasses: bypass the generated __init__
        # (object.__setattr__ per field) and set the slot descriptors directly.
        slots = tuple(
            (f.name, getattr(cls, f.name), f.default)
            for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING
        )
        # None when a field has no default: then the generated __init__ must check it
        self.slots = slots if len(slots) == len(dataclasses.fields(cls)) else None
        self.post_init = getattr(cls, "__post_init__", None)
        for f in fields:
            sub: Any = None
            if f.kind in (OBJ, LIST, WRAPPED):
                assert f.sub is not None, f"{f.tag}: nested kinds name their class"
                sub = _SPECS[f.sub]
            if f.kind == WRAPPED:
                assert f.item_tag is not None, f"{f.tag}: a wrapper names its item element"
                sub = (sub, frozenset(_names(f.item_tag)), f.item_tag)
            if f.kind in (LIST, PMAP, JMAP):
                self.list_attrs.append(f.attr)
            for name in _names(f.tag):
                self.table[name] = (f.attr, f.kind, sub, f.tag)
        if any(f.kind in (PMAP, JMAP) for f in fields):
            # D-29: bare ``entry`` elements directly in the operation element
            attr = next(f.attr for f in fields if f.kind in (PMAP, JMAP))
            for name in _names("entry"):
                self.table[name] = (attr, _BARE_ENTRY, None, "entry")


_BARE_ENTRY = -1
_SPECS: dict[type, DecodeSpec] = {}
_ENTRY = frozenset(_names("entry"))
_PARAMETER = frozenset(_names("parameter"))
_KEY = frozenset(_names("key"))
_VALUE = frozenset(_names("value"))


def _spec(cls: type) -> DecodeSpec:
    return _SPECS[cls]


def _text(el: Any) -> str:
    t = el.text
    return t if t is not None else ""


def _entry(el: Any) -> tuple[str, str]:
    key = value = ""
    for c in el:
        tag = c.tag
        if tag in _KEY:
            key = _text(c)
        elif tag in _VALUE:
            value = _text(c)
    return (key, value)


def _map(el: Any, out: list[tuple[str, str]]) -> None:
    """``parameters/parameter/entry`` or ``parameters/entry`` (D-29, D-08)."""
    for c in el:
        tag = c.tag
        if tag in _ENTRY:
            out.append(_entry(c))
        elif tag in _PARAMETER:
            for e in c:
                if e.tag in _ENTRY:
                    out.append(_entry(e))


def _convert(kind: int, text: str) -> Any:
    if kind == INT:
        return parse_int(text, bits=32) if text.strip(_XML_WS) else None
    if kind == LONG:
        return parse_int(text, bits=64) if text.strip(_XML_WS) else None
    if kind == LONG_LENIENT:  # clientRequestTimeout: ignored by the server (D-43d)
        try:
            return parse_int(text, bits=64)
        except ValueError:
            return None
    if kind == DEC or kind == AMOUNT_VALUE:
        return parse_decimal(text) if text.strip(_XML_WS) else None
    if kind == DT:
        return parse_datetime(text) if text.strip(_XML_WS) else None
    if kind == B64:
        return parse_base64(text)
    raise AssertionError(kind)  # pragma: no cover


def decode_object(el: Any, spec: DecodeSpec, kw: dict[str, Any] | None = None) -> Any:
    if kw is None:
        kw = {}
    table = spec.table
    for child in el:
        entry = table.get(child.tag)
        if entry is None:
            continue  # unknown element, comment or PI: ignored (D-43c)
        attr, kind, sub, tag = entry
        try:
            if kind == STR:
                t = child.text
                kw[attr] = t if t is not None else ""
            elif kind == OBJ:
                kw[attr] = decode_object(child, sub)
            elif kind == LIST:
                kw.setdefault(attr, []).append(decode_object(child, sub))
            elif kind == WRAPPED:
                item_spec, items, item_tag = sub
                try:
                    kw[attr] = tuple(decode_object(c, item_spec) for c in child if c.tag in items)
                except InvalidValue as exc:
                    exc.path = f"{item_tag}/{exc.path}"
                    raise
            elif kind == PMAP or kind == JMAP:
                _map(child, kw.setdefault(attr, []))
            elif kind == _BARE_ENTRY:
                kw.setdefault(attr, []).append(_entry(child))
            else:
                t = child.text
                kw[attr] = _convert(kind, t if t is not None else "")
        except InvalidValue as exc:
            exc.path = f"{tag}/{exc.path}"
            raise
        except ValueError:
            raise InvalidValue(tag, _text(child)) from None
    for attr in spec.list_attrs:
        v = kw.get(attr)
        if v is not None:
            kw[attr] = tuple(v)
    for attr in spec.required:
        if kw.get(attr) is None:
            tag = next(t for t, e in table.items() if e[0] == attr and t[0] != "{")
            raise InvalidValue(tag, "")
    slots = spec.slots
    if slots is None:
        return spec.cls(**kw)
    obj: Any = object.__new__(spec.cls)
    get = kw.get
    for name, descriptor, default in slots:
        descriptor.__set__(obj, get(name, default))
    if spec.post_init is not None:
        spec.post_init(obj)
    return obj


for _cls, _fields in TYPES.items():  # dependency order: nested types come first
    _SPECS[_cls] = DecodeSpec(_cls, _fields)

#: request class → spec of the request element's children
REQUEST_SPECS: dict[type, DecodeSpec] = {c: DecodeSpec(c, f) for c, f in REQUESTS.items()}
#: response class → spec of ``return``'s children (resultCode is required)
RESPONSE_SPECS: dict[type, DecodeSpec] = {
    c: DecodeSpec(c, f, required=("result_code",)) for c, f in RESPONSES.items()
}
