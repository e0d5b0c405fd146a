"""WSDL publication (spec 5.5, D-07): ``GET <endpoint>?wsdl``.

Variants: ``"extended"`` (default; ``wsdl/openseqr.wsdl``, written for this project) and
``"2.6"`` (the original ``ERSWSExternalClientService.wsdl``, for strict clients).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from .lexical import xml_escape

__all__ = ["render_wsdl", "WSDL_VARIANTS", "WSDL_CONTENT_TYPE"]

WSDL_CONTENT_TYPE = "text/xml; charset=UTF-8"
WSDL_VARIANTS: dict[str, str] = {
    "extended": "openseqr.wsdl",
    "2.6": "ERSWSExternalClientService.wsdl",
}
_ADDRESS = re.compile(rb'(<soap:address\s+location=")[^"]*(")')


@cache
def _template(variant: str) -> tuple[bytes, bytes]:
    name = WSDL_VARIANTS[variant]
    data = resources.files(__package__).joinpath("wsdl", name).read_bytes()
    m = _ADDRESS.search(data)
    if m is None:  # pragma: no cover - both shipped files have one
        raise RuntimeError(f"{name}: no soap:address")
    return data[: m.end(1)], data[m.start(2) :]


def render_wsdl(address: str, variant: str = "extended") -> bytes:
    """The WSDL with ``soap:address location`` set to ``address``."""
    if variant not in WSDL_VARIANTS:
        raise ValueError(f"unknown WSDL variant {variant!r}; one of {sorted(WSDL_VARIANTS)}")
    head, tail = _template(variant)
    escaped = xml_escape(address).replace('"', "&quot;")
    return head + escaped.encode("utf-8") + tail
