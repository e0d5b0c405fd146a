"""Every JSON operation of the server in one list: the app API, its signed-in sessions, the QR
images, the health probe and the OpenAPI document that describes them all."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import app_api, app_models, app_session, qr_routes
from .app_http import Operation, ctx_of
from .openapi import document


async def health(request: Request) -> dict[str, Any]:
    """The server and its database answer."""
    with ctx_of(request).store.transaction(write=False) as tx:
        tx.get_switch("provider_mode")
    return {"status": "ok"}


async def openapi(request: Request) -> JSONResponse:
    """This document."""
    return JSONResponse(OPENAPI)


OPERATIONS: list[Operation] = [
    *app_api.OPERATIONS,
    *app_session.OPERATIONS,
    *qr_routes.OPERATIONS,
    Operation("GET", "/health", health, health.__doc__ or "", app_models.Health),
    Operation("GET", f"{app_api.BASE}/openapi.json", openapi, openapi.__doc__ or "", raw=True),
]
OPENAPI = document(OPERATIONS)


def routes() -> list[Route]:
    return [op.route() for op in OPERATIONS]


__all__ = ["OPERATIONS", "OPENAPI", "routes", "health", "openapi"]
