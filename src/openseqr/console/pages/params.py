"""Bounded, printable input for the pages of A-60: ids from the path, text from forms and query
strings. PostgreSQL refuses a NUL in text (an error, so a 500), and no id or single-line field
holds a control character, so those are refused here: 404 for an id, 400 for a field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from ..framework import bad_request, field_of, not_found, query

MAX_ID = 64


def path_id(request: Request, name: str, what: str = "page") -> str:
    """A path parameter naming an object: unknown (404) when too long or not printable."""
    value: str = request.path_params[name]
    if len(value) > MAX_ID or not value.isprintable():
        raise not_found(what)
    return value


def form_text(data: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = field_of(data, name, required=required)
    if not value.isprintable():
        raise bad_request(f"{name} is not valid.")
    return value


def query_text(request: Request, name: str) -> str | None:
    value = query(request, name)
    if value is not None and not value.isprintable():
        raise bad_request(f"The {name} parameter is not valid.")
    return value
