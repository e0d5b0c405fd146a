"""How a JSON endpoint of the app API is declared, read and answered.

An endpoint is a module-level `async def handler(request[, body])` that reads the service context
from `request.app.state.ctx` and returns a JSON-able value. `Operation` ties it to its path,
method, request model, answer model and error statuses; the Starlette `Route` and the OpenAPI
document are both made from the same `Operation`, so they cannot drift apart.

The body is read once, here: at most `MAX_BODY` bytes (413), JSON only (400), validated against
the operation's model (422). Path parameters are checked against their shape (404 otherwise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..core import errors as e
from ..observability.requests import annotate
from ..service.context import Context
from .problems import BadRequest, PayloadTooLarge, Unprocessable, error_response

MAX_BODY = 64 * 1024
#: What each path parameter looks like; anything else is not found, never a lookup.
PATH_PARAMS: dict[str, tuple[re.Pattern[str], type[e.DomainError]]] = {
    "reference": (re.compile(r"[0-9]{1,32}"), e.InvoiceNotFound),
    "token": (re.compile(r"[0-9A-Za-z_-]{1,64}"), e.UnknownSession),
}

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """One route of the JSON API and its contract (see module docstring)."""

    method: str
    path: str
    handler: Handler
    summary: str
    answer: Any = None  # a pydantic model (or annotated union); None for non-JSON answers
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    signed_in: bool = False  # needs `Authorization: Bearer <token from /login>`
    token_optional: bool = False  # ...or works without one, acting for nobody
    query: tuple[QueryParam, ...] = ()
    media_type: str = "application/json"
    raw: bool = False  # the handler answers a Response itself (images, the document)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def route(self) -> Route:
        return Route(self.path, _endpoint(self), methods=[self.method])


def client_source(request: Request) -> str | None:
    """The client's address: wrong PINs are counted per source (A-22)."""
    return request.client.host if request.client else None


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def read_body(request: Request, model: type[BaseModel]) -> Any:
    """The one body parser: size-capped, JSON object, validated against `model`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the body may be at most {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"the body may be at most {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> BadRequest:
    problems = exc.errors(include_input=False, include_url=False)
    if any(p["type"] == "json_invalid" for p in problems):
        return BadRequest("the body must be a JSON object")
    if any(p["type"] == "model_type" and not p["loc"] for p in problems):
        return BadRequest("the body must be a JSON object")
    parts = [f"{'.'.join(str(x) for x in p['loc']) or 'body'}: {p['msg']}" for p in problems[:5]]
    return Unprocessable("; ".join(parts))


def check_path(request: Request) -> None:
    for name, value in request.path_params.items():
        shape, missing = PATH_PARAMS.get(name, (None, BadRequest))
        if shape is not None and not shape.fullmatch(value):
            raise missing()


#: JSONResponse's own encoding, with one encoder for the process rather than one per answer
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_JSON_TYPE = JSONResponse.media_type
_NO_STORE = {"Cache-Control": "no-store"}


def _endpoint(op: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        annotate(request.scope, route=op.path)
        try:
            check_path(request)
            if op.body is not None:
                result = await op.handler(request, await read_body(request, op.body))
            else:
                result = await op.handler(request)
        except e.DomainError as exc:
            return error_response(exc)
        if op.raw:
            response: Response = result
            return response
        return Response(_JSON.encode(result).encode(), headers=_NO_STORE, media_type=_JSON_TYPE)

    endpoint.__name__ = op.handler.__name__
    endpoint.__doc__ = op.handler.__doc__
    return endpoint


__all__ = ["Operation", "QueryParam", "ctx_of", "read_body", "check_path", "MAX_BODY"]
