"""Every JSON operation of the server in one list: the app API, its signed-in sessions, the QR
images, the health probe and the OpenAPI document that describes them all."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..service.health import not_ready_reason
from . import app_api, app_models, app_session, qr_routes
from .app_http import Operation
from .openapi import document
from .problems import problem


async def health(request: Request) -> dict[str, Any]:
    """The process is up (liveness); the database is not asked, see /ready."""
    return {"status": "ok"}


async def ready(request: Request) -> JSONResponse:
    """The database answers and all migrations are applied (readiness); 503 with the reason."""
    reason = await run_in_threadpool(not_ready_reason, request.app.state.database_url)
    if reason is not None:
        return problem(503, "NotReady", reason)
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def openapi(request: Request) -> JSONResponse:
    """This document."""
    return JSONResponse(OPENAPI)


OPERATIONS: list[Operation] = [
    *app_api.OPERATIONS,
    *app_session.OPERATIONS,
    *qr_routes.OPERATIONS,
    Operation("GET", "/health", health, health.__doc__ or "", app_models.Health),
    Operation(
        "GET", "/ready", ready, ready.__doc__ or "", app_models.Ready, errors=(503,), raw=True
    ),
    Operation("GET", f"{app_api.BASE}/openapi.json", openapi, openapi.__doc__ or "", raw=True),
]
OPENAPI = document(OPERATIONS)


def routes() -> list[Route]:
    return [op.route() for op in OPERATIONS]


__all__ = ["OPERATIONS", "OPENAPI", "routes", "health", "ready", "openapi"]
